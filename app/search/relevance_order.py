"""A query's hits in relevance order (score, then the most recent year, then the highest id),
exact across ties of score: the engine orders by score alone and breaks its ties by its own
order."""

from typing import Any

import tantivy

from app.search import render
from app.search.hits import Hit, tier_scores
from app.search.schema import SCHEMA, sort_key

# Hits fetched beyond a page by relevance, to see that no tie crosses its end (the engine
# breaks ties of score by its own order, not by year and id).
TIE_MARGIN = 16
# A tie of scores at a page's end longer than this is ordered by a walk in recency order
# (``_tied``) rather than by fetching it whole.
LONG_TIE = 512
# Hits a walk in recency order looks at a step.
WALK_STEP = 256


def with_margin(hits: int) -> int:
    """How many best hits to fetch to order the first ``hits``: a tie that crosses their end
    is seen when it ends within the margin."""
    return hits + TIE_MARGIN


def best_first(
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    tier: int,
    *,
    after: tuple[float, int, int] | None,
    skip: int,
    wanted: int,
    size: int,
    fetched_first: list[tuple[Any, tantivy.DocAddress]] | None = None,
) -> list[Hit]:
    """The first ``wanted`` hits of ``query`` after ``after`` in relevance order (score, then
    the most recent year, then the highest id), ``skip`` being about how many come before it
    and ``size`` how many match.

    The engine orders by score alone: it fetches the best few beyond the page, which are
    ordered here; the answer is exact when the last hit kept scores above the last fetched (no
    hit left behind can tie into the page) or when every match was fetched; else it fetches
    four times as many, and once the tie is long, the tied hits are taken in recency order
    (``_tied``) instead.
    """
    if size == 0:
        return []
    fetched = min(with_margin(skip + wanted), size)
    found = fetched_first if fetched_first is not None and len(fetched_first) >= fetched else None
    while True:
        if found is None:
            found = searcher.search(query, fetched, count=False).hits
        fetched = max(fetched, len(found))  # the best hits fetched first may be more
        addresses = [address for _, address in found]
        keys = sorted(
            (
                (float(score), int(year or 0), int(id or 0))
                for (score, _), year, id in zip(
                    found,
                    searcher.fast_field_values("recency", addresses),
                    searcher.fast_field_values("id", addresses),
                    strict=True,
                )
            ),
            reverse=True,
        )
        if after is not None:
            keys = [key for key in keys if key < after]
        page = keys[:wanted]
        every = len(found) < fetched or fetched == size
        if every or (len(page) == wanted and page[-1][0] > found[-1][0]):
            return [Hit(tier, *key) for key in page]
        # The page ends in a tie that goes on past what was fetched: the engine's scores are
        # quantised (a field's length is kept in one byte), so a common word's ties run long,
        # and every hit of a prefix scores alike.
        tie = float(found[-1][0])
        # Past the cursor's score the walk may start; above it the hits were served already.
        if fetched * 4 > LONG_TIE and (after is None or tie <= after[0]):
            above = [key for key in page if key[0] > tie]
            return [Hit(tier, *key) for key in above] + [
                Hit(tier, *key) for key in _tied(searcher, query, tie, after, wanted - len(above))
            ]
        fetched, found = min(fetched * 4, size), None


def _tied(
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    score: float,
    after: tuple[float, int, int] | None,
    wanted: int,
) -> list[tuple[float, int, int]]:
    """The first ``wanted`` hits of ``query`` scoring ``score``, most recent first (after
    ``after``): a walk through the hits in recency order, scoring each step's, which stops as
    soon as it has them. A tie this long is most often a good share of the hits, so the walk
    is short; each step is four times the last (every step reads all the hits left), so a tie
    that is a small share takes few steps too."""
    upper = None
    if after is not None and after[0] == score:
        upper = sort_key(after[1] or None, after[2], newest=True) - 1
    tied: list[tuple[float, int, int]] = []
    step_size = WALK_STEP
    while len(tied) < wanted:
        walk = query
        if upper is not None:
            beyond = tantivy.Query.range_query(
                SCHEMA, "newest", tantivy.FieldType.Integer, None, upper
            )
            walk = render.filtered(query, [beyond])
        step = searcher.search(
            walk, step_size, count=False, order_by_field="newest", order=tantivy.Order.Desc
        ).hits
        if not step:
            break
        addresses = [address for _, address in step]
        ids = [int(id or 0) for id in searcher.fast_field_values("id", addresses)]
        years = searcher.fast_field_values("recency", addresses)
        keys = [int(key or 0) for key in searcher.fast_field_values("newest", addresses)]
        scored = tier_scores(searcher, [query], "newest", keys)
        for id, year in zip(ids, years, strict=True):
            if id in scored and scored[id][1] == score:
                tied.append((score, int(year or 0), id))
        last_year = years[-1]
        upper = sort_key(int(last_year) if last_year else None, ids[-1], newest=True) - 1
        if len(step) < step_size:
            break
        step_size *= 4
    return tied[:wanted]
