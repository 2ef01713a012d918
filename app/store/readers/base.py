"""What every read path of the store offers: rows of a query, the store's version, a
snapshot, where reads run, and the caches emptied when the store changes.

An ORM session costs about 240 µs to fetch one article here and a SQLAlchemy Core statement
about 36 µs; the DB-API cursor of one connection kept per thread costs about 10 µs (figures
in bench/RESULTS.md). Reads that are always a few index seeks therefore go through a reader (on
SQLite, on the event loop), and so do a search's reads of its hits and of the texts its name
variants are told from; everything else (ingestion, migrations, revisions) keeps
SQLModel/SQLAlchemy.
"""

from collections.abc import Callable, Hashable, Sequence
from contextlib import AbstractContextManager
from typing import Any, TypeVar

from app.store.caches import CACHE_LIMIT, RESPONSE_CACHE_BYTES, VersionedCache

T = TypeVar("T")

Row = dict[str, Any]

# Runs around a statement, given the DB-API connection that runs it: a request's time budget
# (app/api/budget.py) watches the statement so that it can stop it.
Watch = Callable[[Any], AbstractContextManager[None]]

LAST_CHANGE_SQL = "SELECT number, at FROM article_change ORDER BY number DESC LIMIT 1"

# A way to read the store: the rows of a query written with ``?`` placeholders.
Read = Callable[[str, Sequence[Any]], list[Row]]


class Reader:
    """The hot read paths on a store, and caches emptied when the store changes.

    A store's reader says how to run a query (``rows``) and what version the store is at, and
    where the routes' reads run (``call``): on SQLite a read is a few microseconds of local I/O,
    so on the event loop; a read over the network (PostgreSQL) on threads of the reader's own.
    """

    dialect: str

    def __init__(self, *, cache_size: int = 0, body_cache_bytes: int = 0) -> None:
        self.counts = VersionedCache(CACHE_LIMIT)
        # Encoded responses (app/api/caching.py), at most ``cache_size`` and RESPONSE_CACHE_BYTES of
        # them: a client paging through the whole store must not fill memory with its pages.
        # Weighed with their keys (the query string, unknown parameters too) and next-page URLs.
        self.responses = VersionedCache(
            RESPONSE_CACHE_BYTES,
            weight=lambda key, answer: len(answer[0]) + len(answer[1] or "") + len(repr(key)),
            entries=cache_size,
        )
        # Whole answers by request (app.api.kept_answers.KeptAnswers), weighed by their bodies.
        self.bodies = VersionedCache(body_cache_bytes, weight=lambda _key, kept: len(kept[1]))
        self._mark: tuple[int, str] | None = None  # change_mark's, with the version it was read at

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``function(*args, **kwargs)``, on the event loop or on the reader's threads."""
        return function(*args, **kwargs)

    def rows(
        self, sql: str, parameters: Sequence[Any] = (), *, watch: Watch | None = None
    ) -> list[Row]:
        """The rows of a query written with ``?`` placeholders, as dicts by column name; the
        statement runs inside ``watch(connection)`` when given."""
        raise NotImplementedError

    def version(self) -> int:
        """A number that changes whenever anything commits a change to the store."""
        raise NotImplementedError

    def change_mark(self, version: int) -> str | None:
        """What names the articles' state in every process and replica of this store: the
        number and time of its last change, as the store was at ``version`` (this process's
        own number, which only says when to read them again); None when a commit fell between
        (the caller cannot tell which state the mark is of). The time tells apart two stores
        that reached the same number, such as a store deleted and ingested again."""
        kept = self._mark
        if kept is not None and kept[0] == version:
            return kept[1]
        rows = self.rows(LAST_CHANGE_SQL)
        if self.version() != version:  # read as snapshot() reads its version: before and after
            return None
        mark = f"{rows[0]['number']}@{rows[0]['at']}" if rows else "0"
        self._mark = (version, mark)
        return mark

    def close(self) -> None:
        """Let go of the store's connections."""
        raise NotImplementedError

    def snapshot(self) -> AbstractContextManager[int | None]:
        """One read transaction for the queries made inside: a page's total, facets and rows
        agree even while an ingestion commits. Gives the version the snapshot is at, or None
        when it could not be told (values computed then are not cached)."""
        raise NotImplementedError

    def cached(self, version: int | None, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()``, remembered until the store changes (``version`` moves)."""
        if version is None:
            return compute()
        value: T | None = self.counts.get(version, key)
        if value is None:
            value = compute()
            self.counts.put(version, key, value)
        return value
