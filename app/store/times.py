"""Times in the store, one codec for both stores: always in UTC, timezone-aware once read.

SQLAlchemy stores a time in SQLite as naive text in UTC and PostgreSQL answers in its
session's zone; whatever reads the store (the ORM's column type, the readers' plain rows)
gives a time back timezone-aware in UTC, and a time compared with stored ones is written as
the store holds it.
"""

from datetime import UTC, datetime

from sqlalchemy import DateTime, TypeDecorator
from sqlalchemy.engine import Dialect


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def in_utc(value: datetime) -> datetime:
    """``value`` in UTC, a time without a zone taken as UTC (``OverflowError`` when UTC cannot
    hold it: ``9999-12-31T23:59:59-00:01``)."""
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # PostgreSQL answers in its session's time zone: say it in UTC, as SQLite does.
        return in_utc(value)


def stored_time(value: datetime) -> str:
    """A time as SQLAlchemy stores it in SQLite: naive UTC with microseconds."""
    # isoformat, not strftime: "%Y" drops the leading zeros of a year before 1000.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def read_time(value: str | datetime | None) -> datetime | None:
    """A stored time, timezone-aware in UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    # PostgreSQL gives times in its session's zone; the API says them in UTC, as SQLite does.
    return in_utc(value)
