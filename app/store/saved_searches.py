"""Saved searches: a query and its filters kept under a name, with the point of the change
stream it was saved at (its matches are the changes after it).

Created and deleted on a writer's session (the API's routes that change them hold a writer
engine of their own, app/api/app.py); read, as everything the API serves, by the read path.
"""

from typing import Any

import orjson
from sqlmodel import Session

from app.problems import NotFound
from app.store.change_stream import BEGINNING, ChangePoint, stream_time
from app.store.models import SavedSearchRecord
from app.store.readers.base import LAST_CHANGE_SQL, Read, Row
from app.store.times import read_time

_SELECT = (
    "SELECT id, name, q, filters, last_change, start_cursor, created_at, base_url, webhook_url,"
    " webhook_secret FROM saved_search"
)


def create_saved_search(
    session: Session,
    *,
    name: str,
    q: str,
    filters: dict[str, Any],
    base_url: str | None = None,
    webhook_url: str | None = None,
    webhook_secret: str | None = None,
) -> SavedSearchRecord:
    """Store a search (``filters``: its other parameters as ``/v1/search`` takes them), saved
    at the store's last change, read in the session's transaction: on a writer's session
    (the store's write lock) no round of matching on arrival is recorded in between, so the
    search's matches start exactly after that point."""
    last = session.connection().exec_driver_sql(LAST_CHANGE_SQL).first()
    point = BEGINNING if last is None else ChangePoint(last.number, stream_time(last.at))
    record = SavedSearchRecord(
        name=name,
        q=q,
        filters=filters,
        last_change=point.number,
        start_cursor=point.cursor(),
        base_url=base_url,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
    )
    session.add(record)
    session.flush()
    return record


def delete_saved_search(session: Session, *, saved_id: int) -> None:
    """Delete the saved search ``saved_id``; ``NotFound`` when there is none."""
    record = session.get(SavedSearchRecord, saved_id)
    if record is None:
        raise _missing(saved_id)
    session.delete(record)
    session.flush()


def read_saved_search(read: Read, *, saved_id: int) -> SavedSearchRecord:
    """The saved search ``saved_id``; ``NotFound`` when there is none."""
    rows = read(_SELECT + " WHERE id = ?", (saved_id,))
    if not rows:
        raise _missing(saved_id)
    return _record(rows[0])


def list_saved_searches(read: Read) -> list[SavedSearchRecord]:
    """Every saved search, oldest first."""
    return [_record(row) for row in read(_SELECT + " ORDER BY id", ())]


def _record(row: Row) -> SavedSearchRecord:
    filters = row["filters"]
    if isinstance(filters, str | bytes):  # SQLite's JSON is text; PostgreSQL's comes decoded
        filters = orjson.loads(filters)
    created_at = read_time(row["created_at"])
    assert created_at is not None  # the column is not null
    return SavedSearchRecord(
        id=row["id"],
        name=row["name"],
        q=row["q"],
        filters=filters,
        last_change=row["last_change"],
        start_cursor=row["start_cursor"],
        created_at=created_at,
        base_url=row["base_url"],
        webhook_url=row["webhook_url"],
        webhook_secret=row["webhook_secret"],
    )


def _missing(saved_id: int) -> NotFound:
    return NotFound(f"No saved search has the id {saved_id}: GET /v1/saved-searches lists them.")
