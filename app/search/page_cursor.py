"""The cursor of a search's pages: the sort key of the last hit served and the change the index
had applied when the first page was served, checked as one this engine made.

A cursor carries the number of the last store change the index had applied when the first page
was served (``change``); every later page leaves out the articles indexed by a later change: one
added, or changed, while a reader pages is on none of the pages after the first (a changed one
not yet served is left out). ``newest`` and ``oldest`` order by a key of year and id: no page
repeats or skips a hit. By relevance the key is the tier, the score, the year and the id, how
many hits of the tier were served, and the edge of the tier's window of a second phase of
ranking (``app/search/relevance_pages.py``).
"""

from typing import Any

from app.problems import InvalidParameter
from app.search.schema import ID_BITS, NO_YEAR_OLDEST, sort_key
from app.store.cursors import Cursor
from app.store.filters import SearchSort

# The relevance cursor: tier, score, recency, id, hits of the tier served, the tier's window
# edge (score, recency, id; id 0: none), change.
RELEVANCE_KEY = (int, float, int, int, int, float, int, int, int)
# The newest and oldest cursors: sort key, change.
ORDER_KEY = (int, int)
NOT_OURS = "The `cursor` is not one this API made."
# The largest id a sort key holds.
MAX_ID = (1 << ID_BITS) - 1
# How deep pages by relevance go: the engine finds a page by relevance among the best hits up
# to it, so a deeper page costs more; past this many hits (Elasticsearch's default window too)
# the newest and oldest orders, whose pages cost the same at any depth, go on.
RELEVANCE_WINDOW = 10_000
DEEPER = (
    f"Pages by relevance reach the best {RELEVANCE_WINDOW:,} hits; to go further, narrow "
    "the search (a filter, a word) or page it with `sort=newest` or `sort=oldest`."
)


def cursor_key(cursor: str, sort: SearchSort) -> list[Any]:
    """The sort key and change a cursor holds; ``InvalidParameter`` when this engine made no
    such cursor."""
    if sort == SearchSort.RELEVANCE:
        key = Cursor.decode(cursor, sort=sort, key_types=RELEVANCE_KEY).key
        # tier, recency, id, served, the edge's recency and id, change
        whole = (key[0], *key[2:5], *key[6:])
    else:
        key = Cursor.decode(cursor, sort=sort, key_types=ORDER_KEY).key
        whole = tuple(key)
    # Every number this engine puts in a cursor is a count, a year, an id or a key of them:
    # none is negative, none is missing, and a count never reaches a billion hits.
    scores = (key[1], key[5]) if sort == SearchSort.RELEVANCE else (key[1],)
    if any(value is None or value < 0 for value in whole) or None in scores:
        raise InvalidParameter(NOT_OURS)
    if sort == SearchSort.RELEVANCE and key[0] > 1:
        raise InvalidParameter(NOT_OURS)
    if sort == SearchSort.RELEVANCE and key[4] >= RELEVANCE_WINDOW:
        raise InvalidParameter(DEEPER)
    if sort != SearchSort.RELEVANCE and key[0] > sort_key(NO_YEAR_OLDEST, MAX_ID, newest=False):
        raise InvalidParameter(NOT_OURS)
    return key


def cursor_after(sort: SearchSort, next_key: list[Any] | None, change: int) -> str | None:
    """The cursor of the page after the one whose last hit has ``next_key`` (None: no page
    follows), in the pages of the index's ``change``."""
    return Cursor(sort, [*next_key, change]).encode() if next_key is not None else None
