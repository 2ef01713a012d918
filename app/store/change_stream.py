"""The change stream's reads: the store's numbered changes after a cursor, oldest first, each
with the article as it is now (or nothing, once removed), and the cursors to resume from.

One entry per change, never coalesced: an article changed three times is three entries, as the
changes are numbered (a client that wants the latest state only keeps the last entry by id).
A cursor names a change by its number and time: the number says where to resume, the time that
it is of this store's history (a store deleted and ingested again numbers its changes anew).
Reads run in one snapshot, so a page, its summaries and what it says of removals agree.
"""

from dataclasses import dataclass
from typing import Any

from app.problems import InvalidParameter
from app.store.cursors import Cursor
from app.store.listing import SUMMARY_SQL, decoded
from app.store.models import ChangeKind
from app.store.readers.base import Reader, Row
from app.store.times import read_time

# A change cursor's "sort": what tells it from the article list's cursors.
CHANGES = "changes"
# ``since=now``: the point of the store's last change.
NOW = "now"

START_AGAIN = "Start again without `since` (every change) or with `since=now`."
BAD_SINCE = (
    "`since` is not a cursor of the change stream: pass `next_cursor` (or an item's `cursor`) "
    "of /v1/changes, `now`, or leave it out to start from the first change."
)


@dataclass(frozen=True, slots=True)
class ChangePoint:
    """A point of the stream: after the change numbered ``number`` made at ``at`` (0: before
    the first change)."""

    number: int
    at: str | None  # the change's time, ISO 8601 in UTC

    def cursor(self) -> str:
        """The point as an opaque cursor."""
        return Cursor(CHANGES, [self.number, self.at]).encode()


BEGINNING = ChangePoint(0, None)


@dataclass(frozen=True, slots=True)
class StreamEntry:
    """One change, the article as it is now (None when removed since), and its cursor."""

    number: int
    kind: ChangeKind
    at: str
    article_id: int
    article: Row | None
    cursor: str


@dataclass(frozen=True, slots=True)
class StreamPage:
    """Changes after a point, the point to resume from, and whether more are waiting."""

    items: list[StreamEntry]
    resume: ChangePoint
    more: bool


def parse_since(since: str | None) -> ChangePoint | str:
    """The point a ``since`` names: the beginning without one, ``NOW`` for ``now``; raise
    ``InvalidParameter`` for anything else than a change cursor."""
    if since is None:
        return BEGINNING
    if since == NOW:
        return NOW
    try:
        number, at = Cursor.decode(since, sort=CHANGES, key_types=(int, str)).key
    except InvalidParameter:
        raise InvalidParameter(BAD_SINCE) from None
    if number is None or number < 0 or (at is None) != (number == 0):
        raise InvalidParameter(BAD_SINCE)
    return ChangePoint(number, at)


def read_changes(
    reader: Reader, *, since: ChangePoint | str, limit: int, matched_by: int | None = None
) -> StreamPage:
    """The changes after ``since`` (at most ``limit``), oldest first; for ``NOW``, none and the
    point of the last change. Raise ``InvalidParameter`` for a point this store never had.

    With ``matched_by``, only the changes whose articles that saved search matched on arrival
    (app/alerts/matching.py), and a page that reaches the last resumes from the last change
    matching has come to: a client polls from there."""
    with reader.snapshot():
        if not isinstance(since, ChangePoint):  # NOW
            return StreamPage(items=[], resume=_last_point(reader), more=False)
        _check_known(reader, since)
        if matched_by is None:
            rows = reader.rows(
                "SELECT number, article_id, kind, at FROM article_change WHERE number > ?"
                " ORDER BY number LIMIT ?",
                (since.number, limit + 1),
            )
        else:
            rows = reader.rows(
                "SELECT c.number, c.article_id, c.kind, c.at FROM saved_search_match m"
                " JOIN article_change c ON c.number = m.change_number"
                " WHERE m.saved_search_id = ? AND m.change_number > ?"
                " ORDER BY m.change_number LIMIT ?",
                (matched_by, since.number, limit + 1),
            )
        more = len(rows) > limit
        rows = rows[:limit]
        articles = _articles_now(reader, rows)
        items = []
        for row in rows:
            at = stream_time(row["at"])
            article = articles.get(row["article_id"])
            if article is not None and article[0] >= row["number"]:
                article = None  # removed by or after this change: what holds its id is another
            items.append(
                StreamEntry(
                    number=row["number"],
                    kind=ChangeKind(row["kind"]),
                    at=at,
                    article_id=row["article_id"],
                    # A copy each: an article changed twice in a page is two items to complete.
                    article=None if article is None else dict(article[1]),
                    cursor=ChangePoint(row["number"], at).cursor(),
                )
            )
        resume = since if not items else ChangePoint(items[-1].number, items[-1].at)
        if matched_by is not None and not more:
            matched = _matched_point(reader)
            resume = matched if matched.number > resume.number else resume
        return StreamPage(items=items, resume=resume, more=more)


def _matched_point(reader: Reader) -> ChangePoint:
    """The point of the last change matching on arrival has come to."""
    rows = reader.rows(
        "SELECT c.number, c.at FROM saved_search_progress p"
        " JOIN article_change c ON c.number = p.matched_change"
    )
    return ChangePoint(rows[0]["number"], stream_time(rows[0]["at"])) if rows else BEGINNING


def _last_point(reader: Reader) -> ChangePoint:
    rows = reader.rows("SELECT number, at FROM article_change ORDER BY number DESC LIMIT 1")
    return ChangePoint(rows[0]["number"], stream_time(rows[0]["at"])) if rows else BEGINNING


def _check_known(reader: Reader, point: ChangePoint) -> None:
    """Raise ``InvalidParameter`` unless the store has the change ``point`` names."""
    if point.number == 0:
        return
    found = reader.rows("SELECT at FROM article_change WHERE number = ?", (point.number,))
    if found and stream_time(found[0]["at"]) == point.at:
        return
    last = _last_point(reader).number
    raise InvalidParameter(
        past_the_store(point.number, last) if point.number > last else other_history(point.number)
    )


def past_the_store(number: int, last: int) -> str:
    """The detail of a 400 for a cursor of change ``number`` when the store's last is ``last``."""
    return (
        f"`since` names change {number}, past this store's last change ({last}): it is from "
        f"another store, or this one was made anew. {START_AGAIN}"
    )


def other_history(number: int) -> str:
    """The detail of a 400 for a cursor of change ``number`` that this store numbered otherwise."""
    return (
        f"`since` names change {number} of another history of this store (it was made anew or "
        f"restored since). {START_AGAIN}"
    )


def _articles_now(reader: Reader, rows: list[Row]) -> dict[int, tuple[int, Row]]:
    """The summaries of the changed articles that the store still has, by id, each with the
    number of the article's last removal (0 for none): a change before that is of an article
    that is gone, whatever now holds its id."""
    ids = sorted({row["article_id"] for row in rows})
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    removed = {
        row["article_id"]: row["number"]
        for row in reader.rows(
            "SELECT article_id, max(number) AS number FROM article_change"
            f" WHERE article_id IN ({marks}) AND kind = ? GROUP BY article_id",
            [*ids, ChangeKind.REMOVED.value],
        )
    }
    found: dict[int, tuple[int, Row]] = {}
    for row in reader.rows(f"SELECT {SUMMARY_SQL} FROM article WHERE id IN ({marks})", ids):
        found[row["id"]] = (removed.get(row["id"], 0), decoded(row))
    return found


def stream_time(value: Any) -> str:
    """A change's time as the stream writes it: ISO 8601 in UTC (never null in the store)."""
    time = read_time(value)
    assert time is not None
    return time.isoformat().replace("+00:00", "Z")
