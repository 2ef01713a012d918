"""The hot read paths (an article, a page of articles, a search's hits): plain SQL on
long-lived read connections.

An ORM session costs about 240 µs to fetch one article here and a SQLAlchemy Core statement
about 36 µs; the DB-API cursor of one connection kept per thread costs about 10 µs (figures
in bench/RESULTS.md). Reads that are always a few index seeks therefore use this module (on
SQLite, on the event loop), and so do a search's reads of its hits and of the texts its name
variants are told from; everything else (ingestion, migrations, revisions) keeps
SQLModel/SQLAlchemy.

Counts and facets of the article list are cached by the reader until the store changes: on
SQLite, ``PRAGMA data_version`` says when another connection has committed; on PostgreSQL, a
counter that triggers move.
"""

import asyncio
import contextvars
import functools
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any, TypeVar

import orjson
import psycopg
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.problems import NotReady
from app.store.articles import (
    FACET_VALUES_LIMIT,
    ArticleFilters,
    Facet,
    FacetCounts,
    ListSort,
    Page,
    article_key,
    missing,
    sort_key_types,
)
from app.store.cursors import Cursor
from app.store.database import SQLITE_BUSY_TIMEOUT_MS, create_db_engine, format_placeholders
from app.store.models import LEDE_LIMIT, ArticleSummary, bounded_lede, in_utc

T = TypeVar("T")
Row = dict[str, Any]
# Runs around a statement, given the DB-API connection that runs it: a request's time budget
# (app/api/budget.py) watches the statement so that it can stop it.
Watch = Callable[[Any], AbstractContextManager[None]]
# A way to read the store: the rows of a query written with ``?`` placeholders.
Read = Callable[[str, Sequence[Any]], list[Row]]

SUMMARY_COLUMNS = (
    "id",
    "slug",
    "title",
    "dateline",
    "source",
    "year",
    "authors",
    "published_at",
    "lede",
    "word_count",
)
DETAIL_COLUMNS = (
    *SUMMARY_COLUMNS,
    "body",
    "copyright",
    "dateline_date",
    "web_url",
    "tags",
    "labels",
    "content_hash",
    "ingested_at",
    "updated_at",
)
# The lede is read only as far as a response needs it (``bounded_lede``, one character more to
# tell that it goes on).
_COLUMN_SQL = {"lede": f"substr(lede, 1, {LEDE_LIMIT + 1}) AS lede"}
SUMMARY_SQL = ", ".join(_COLUMN_SQL.get(column, column) for column in SUMMARY_COLUMNS)
# A summary row with its url appended is laid out as the response model is.
assert (*SUMMARY_COLUMNS, "url") == tuple(ArticleSummary.model_fields)
DETAIL_SQL = ", ".join(_COLUMN_SQL.get(column, column) for column in DETAIL_COLUMNS)
CACHE_LIMIT = 4096
# The responses kept (app/api/caching.py: bodies, keys, next-page URLs) add up to this at most,
# whatever their number.
RESPONSE_CACHE_BYTES = 32 * 1024 * 1024
# Reading one row of the schema is enough for SQLite to begin a read transaction's snapshot.
SNAPSHOT_START = "SELECT 1 FROM sqlite_schema LIMIT 1"
SNAPSHOT_ATTEMPTS = 5
VERSION_SQL = "SELECT version FROM store_version WHERE id = 1"


def open_reader(
    database_url: str,
    *,
    cache_size: int = 0,
    body_cache_bytes: int = 0,
    pool_size: int = 5,
    max_overflow: int = 10,
) -> "Reader":
    """The plain read path for the store at ``database_url`` (SQLite or PostgreSQL)."""
    backend = make_url(database_url).get_backend_name()
    caches = {"cache_size": cache_size, "body_cache_bytes": body_cache_bytes}
    if backend == "postgresql":
        return PostgresReader(
            database_url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            **caches,
        )
    if backend == "sqlite":
        return SQLiteReader(database_url, **caches)
    raise ValueError(f"Byline stores articles in SQLite or PostgreSQL, not {backend}")


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
        # Whole responses by article (app.api.middleware.CachedArticles), weighed by their bodies.
        self.bodies = VersionedCache(body_cache_bytes, weight=lambda _key, kept: len(kept[1]))

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

    def article(self, ref: str) -> Row:
        """The whole article with this numeric id or slug; raise ``NotFound`` otherwise."""
        column, value = article_key(ref)  # a column name of ours, never the caller's text
        found = self.rows(f"SELECT {DETAIL_SQL} FROM article WHERE {column} = ?", (value,))
        if not found:
            raise missing(ref)
        return decoded(found[0])

    def articles(
        self,
        *,
        filters: ArticleFilters,
        sort: ListSort = ListSort.NEWEST,
        limit: int = 20,
        cursor: str | None = None,
        facets: Sequence[Facet] = (),
    ) -> Page[Row]:
        """A page of article summaries in ``sort`` order, after ``cursor`` when given.

        Its total, facets and rows show one state of the store: when nothing committed while
        they were read (the version is the same after), each query read the store at that
        version; otherwise they are read again in one snapshot (a transaction costs more).
        """
        before = self.version()
        page = self._articles(before, filters, sort, limit, cursor, facets)
        if self.version() == before:
            return page
        with self.snapshot() as version:
            return self._articles(version, filters, sort, limit, cursor, facets)

    def _articles(
        self,
        version: int | None,
        filters: ArticleFilters,
        sort: ListSort,
        limit: int,
        cursor: str | None,
        facets: Sequence[Facet],
    ) -> Page[Row]:
        where, parameters = filter_sql(filters, dialect=self.dialect)
        total = self.cached(
            version,
            ("count", where, tuple(parameters)),
            lambda: int(
                self.rows(f"SELECT count(*) AS n FROM article WHERE {where}", parameters)[0]["n"]
            ),
        )
        counts = self.facet_counts(version, facets, where, parameters)
        key = None
        if cursor is not None:
            key = Cursor.decode(cursor, sort=sort, key_types=sort_key_types(sort)).key
        rows: list[Row] = []
        for condition, condition_parameters, ordering in keyset_segments(sort, key):
            wanted = limit + 1 - len(rows)
            rows += self.rows(
                f"SELECT {SUMMARY_SQL} FROM article WHERE {where} AND {condition}"
                f" ORDER BY {ordering} LIMIT ?",
                [*parameters, *condition_parameters, wanted],
            )
            if len(rows) > limit:
                break
        next_cursor = None
        if len(rows) > limit:
            rows = rows[:limit]
            last = rows[-1]
            sort_values = [last["title"] if sort == ListSort.TITLE else last["year"], last["id"]]
            next_cursor = Cursor(sort, sort_values).encode()
        items = [decoded(row) for row in rows]
        return Page(items=items, total=total, next_cursor=next_cursor, facets=counts)

    def facet_counts(
        self, version: int | None, facets: Iterable[Facet], where: str, parameters: Sequence[Any]
    ) -> FacetCounts | None:
        """Per facet, its most frequent values over the articles ``where`` keeps (cached)."""
        wanted = list(dict.fromkeys(facets))
        if not wanted:
            return None
        counts: FacetCounts = {}
        for facet in wanted:
            column = facet.value
            sql = (
                f"SELECT {column} AS value, count(*) AS number FROM article WHERE {where}"
                f" GROUP BY {column} ORDER BY number DESC, {column} LIMIT {FACET_VALUES_LIMIT}"
            )
            counts[column] = self.cached(
                version,
                ("facet", sql, tuple(parameters)),
                lambda sql=sql: [
                    (row["value"], row["number"]) for row in self.rows(sql, parameters)
                ],  # type: ignore[misc]
            )
        return counts


class SQLiteReader(Reader):
    """One read connection per thread to a SQLite store (query-only, its statements cached):
    the event loop's, and those of the worker threads that search; a thread's connection is
    closed once the thread has ended (AnyIO ends a worker idle for 10 s)."""

    dialect = "sqlite"

    def __init__(
        self, database_url: str, *, cache_size: int = 0, body_cache_bytes: int = 0
    ) -> None:
        super().__init__(cache_size=cache_size, body_cache_bytes=body_cache_bytes)
        self.path = make_url(database_url).database or ":memory:"
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: dict[threading.Thread, sqlite3.Connection] = {}
        self._watcher: sqlite3.Connection | None = None

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, cached_statements=256
            )
            connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA query_only=ON")
            self._local.connection = connection
            with self._lock:
                for thread in [thread for thread in self._connections if not thread.is_alive()]:
                    self._connections.pop(thread).close()
                self._connections[threading.current_thread()] = connection
        return connection

    def rows(
        self, sql: str, parameters: Sequence[Any] = (), *, watch: Watch | None = None
    ) -> list[Row]:
        connection = self._connection()
        with watch(connection) if watch is not None else nullcontext():
            cursor = connection.execute(sql, parameters)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    @contextmanager
    def snapshot(self) -> Iterator[int | None]:
        # The version comes from another connection (see version()): read before and after the
        # snapshot begins, the same number twice means that no commit fell in between, so the
        # snapshot is at that version. Otherwise try again; an ingestion commits far less often.
        connection = self._connection()
        version: int | None = None
        connection.execute("BEGIN")
        try:
            for _attempt in range(SNAPSHOT_ATTEMPTS):
                before = self.version()
                connection.execute(SNAPSHOT_START).fetchall()  # a read begins the snapshot
                if self.version() == before:
                    version = before
                    break
                connection.execute("ROLLBACK")
                connection.execute("BEGIN")
            yield version
        finally:
            if connection.in_transaction:
                connection.execute("ROLLBACK")

    def version(self) -> int:
        """A number that changes whenever any other connection commits a change to the store.

        One connection, shared under a lock, answers for the whole process: values of
        ``PRAGMA data_version`` from different connections cannot be compared.
        """
        with self._lock:
            if self._watcher is None:
                self._watcher = sqlite3.connect(
                    self.path, check_same_thread=False, isolation_level=None
                )
                self._watcher.execute("PRAGMA query_only=ON")
            version: int = self._watcher.execute("PRAGMA data_version").fetchone()[0]
            return version

    def close(self) -> None:
        with self._lock:
            if self._watcher is not None:
                self._watcher.close()
                self._watcher = None
            for connection in self._connections.values():
                connection.close()
            self._connections.clear()


class PostgresReader(Reader):
    """The read path on PostgreSQL: plain SQL on the DB-API connections of a pool of its own,
    in autocommit (one round trip a query) and read-only.

    The store's version is the counter that migration 0009's triggers move with each change, so
    that every replica empties its caches after an ingestion made anywhere.
    """

    dialect = "postgresql"

    def __init__(
        self,
        database_url: str,
        *,
        cache_size: int = 0,
        body_cache_bytes: int = 0,
        pool_size: int = 5,
        max_overflow: int = 10,
    ) -> None:
        super().__init__(cache_size=cache_size, body_cache_bytes=body_cache_bytes)
        self.engine = create_db_engine(
            database_url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            read_only=True,
            autocommit=True,
        )
        self._local = threading.local()  # the connection of a snapshot() under way
        # Threads of the reader's own, as many as the pool keeps connections: a read is a round
        # trip of some 60 µs, and handing it to AnyIO's thread pool cost 0.4 ms more (its worker
        # threads, and forty of them taking the GIL in turn). A plain executor of 2 to 5 threads
        # doubled the rate of articles by id; 8 gave back most of it (bench/RESULTS.md).
        self._threads = ThreadPoolExecutor(pool_size, thread_name_prefix="byline-reader")

    async def call(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        # The caller's context goes with the work, as asyncio.to_thread gives it.
        work = functools.partial(contextvars.copy_context().run, function, *args, **kwargs)
        return await asyncio.get_running_loop().run_in_executor(self._threads, work)

    def rows(
        self, sql: str, parameters: Sequence[Any] = (), *, watch: Watch | None = None
    ) -> list[Row]:
        sql = format_placeholders(sql)

        def fetched(connection: Any) -> list[Row]:
            with watch(connection.dbapi_connection) if watch is not None else nullcontext():
                return _fetched(connection.cursor(), sql, parameters)

        pinned = getattr(self._local, "connection", None)  # inside snapshot(): no second try
        try:
            return self._pooled(fetched) if pinned is None else fetched(pinned)
        except psycopg.errors.QueryCanceled:  # before its parent, OperationalError
            if watch is not None:
                raise  # the watcher says why (a request's time budget)
            raise NotReady(
                "The store stopped the query: it ran longer than the store's statement_timeout."
            ) from None
        except psycopg.OperationalError as error:  # a snapshot's: _pooled handles its own
            if pinned is not None:
                pinned.invalidate()
            raise NotReady(f"The store is unreachable: {type(error).__name__}.") from None

    def version(self) -> int:
        return int(self.rows(VERSION_SQL)[0]["version"])

    @contextmanager
    def snapshot(self) -> Iterator[int | None]:
        connection = self._begin()
        self._local.connection = connection
        try:
            yield self.version()  # the first query: the snapshot is taken here
        finally:
            self._local.connection = None
            try:
                if connection.dbapi_connection is not None:
                    connection.cursor().execute("ROLLBACK")
            except psycopg.Error:
                connection.invalidate()
            finally:
                connection.close()  # back to the pool

    def _begin(self) -> Any:
        """A pooled connection in a read-only REPEATABLE READ transaction (the caller's to
        close)."""

        def begin(connection: Any) -> Any:
            connection.cursor().execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            return connection

        return self._pooled(begin, keep=True)

    def _pooled(self, work: Callable[[Any], T], *, keep: bool = False) -> T:
        """``work(connection)`` on a pooled DB-API connection, given back to the pool after
        unless ``keep`` (and ``work`` succeeded)."""
        for attempt in (1, 2):
            try:
                connection = self.engine.raw_connection()
            except DBAPIError as error:
                raise NotReady(f"The store is unreachable: {type(error.orig).__name__}.") from None
            except PoolTimeout:
                raise NotReady("Every connection to the store is busy; try again.") from None
            try:
                result = work(connection)
            except psycopg.errors.QueryCanceled:
                # Stopped (a time budget, statement_timeout): the connection is sound, the
                # work is not to be done again.
                connection.close()
                raise
            except psycopg.OperationalError as error:
                # The server closed its connections (a restart, a failover): every pooled one
                # is dropped, and the work done once more on a new one.
                connection.invalidate()
                connection.close()
                self.engine.dispose(close=False)
                if attempt == 2:
                    raise NotReady(f"The store is unreachable: {type(error).__name__}.") from None
                continue
            except BaseException:
                connection.close()
                raise
            if not keep:
                connection.close()  # back to the pool
            return result
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._threads.shutdown(wait=True, cancel_futures=True)
        self.engine.dispose()


def _fetched(cursor: Any, sql: str, parameters: Sequence[Any]) -> list[Row]:
    cursor.execute(sql, tuple(parameters))
    names = [column[0] for column in cursor.description or ()]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


class VersionedCache:
    """Values by key (counts, whole responses) for as long as the store does not change.

    Like Solr's query result cache, which is dropped at every commit: a repeated search is
    answered without scoring its matches again, and an ingestion empties the cache. LRU, holding
    at most ``size`` entries, or, with ``weight``, entries whose weights (of key and value) add up
    to at most ``size`` (such as bodies by their length in bytes), and then at most ``entries``
    of them. 0: nothing is kept.
    """

    def __init__(
        self,
        size: int,
        *,
        weight: Callable[[Hashable, Any], int] = lambda _key, _value: 1,
        entries: int | None = None,
    ) -> None:
        self.size = size
        self.entries = size if entries is None else entries
        self._weight = weight
        self._held = 0
        self._lock = threading.Lock()
        self._version: int | None = None
        self._entries: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, version: int, key: Hashable) -> Any:
        with self._lock:
            if version != self._version:
                self._entries.clear()
                self._held = 0
                self._version = version
                return None
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, version: int, key: Hashable, value: Any) -> None:
        weight = self._weight(key, value)
        if weight > self.size or not self.entries:
            return
        with self._lock:
            if version != self._version:
                return
            replaced = self._entries.pop(key, None)
            if replaced is not None:
                self._held -= self._weight(key, replaced)
            self._entries[key] = value
            self._held += weight
            while self._held > self.size or len(self._entries) > self.entries:
                gone, dropped = self._entries.popitem(last=False)
                self._held -= self._weight(gone, dropped)


def filter_sql(
    filters: ArticleFilters, *, prefix: str = "", dialect: str = "sqlite"
) -> tuple[str, list[Any]]:
    """The SQL condition (and its parameters) that ``filters`` put on ``article`` (named with
    ``prefix``, such as ``a.``, in a join)."""
    # SQLite compares the text SQLAlchemy stored; PostgreSQL compares timestamps.
    when: Callable[[datetime], Any] = stored_time if dialect == "sqlite" else _utc
    conditions = ["1 = 1"]
    parameters: list[Any] = []
    # Case-insensitive on both sides, so that `dateline=london` finds LONDON.
    for column, values in (("source", filters.source), ("dateline", filters.dateline)):
        if values:
            marks = ", ".join("lower(?)" for _ in values)
            conditions.append(f"lower({prefix}{column}) IN ({marks})")
            parameters += values
    if filters.label:
        marks = ", ".join("lower(?)" for _ in filters.label)
        elements = (
            f"json_each({prefix}labels)"
            if dialect == "sqlite"
            else f"json_array_elements_text({prefix}labels) AS element(value)"
        )
        conditions.append(f"EXISTS (SELECT 1 FROM {elements} WHERE lower(value) IN ({marks}))")
        parameters += filters.label
    if filters.year:
        conditions.append(f"{prefix}year IN ({', '.join('?' for _ in filters.year)})")
        parameters += filters.year
    if filters.published_after is not None:
        conditions.append(f"{prefix}published_at >= ?")
        parameters.append(when(filters.published_after))
    if filters.published_before is not None:
        conditions.append(f"{prefix}published_at < ?")
        parameters.append(when(filters.published_before))
    return " AND ".join(conditions), parameters


def keyset_segments(sort: ListSort, key: list[Any] | None) -> list[tuple[str, list[Any], str]]:
    """The rows after ``key`` in ``sort`` order, as consecutive index range scans.

    One OR-ed keyset condition would make SQLite walk the index from the start, so a deep page
    would cost more than the first; each segment here is a seek, so every page costs the same.
    """
    if sort == ListSort.TITLE:
        ordering = "title ASC, id ASC"
        if key is None:
            return [("1 = 1", [], ordering)]
        return [
            ("title = ? AND id > ?", [key[0], key[1]], ordering),
            ("title > ?", [key[0]], ordering),
        ]
    newest = sort == ListSort.NEWEST
    by_id = "id DESC" if newest else "id ASC"
    by_year = f"year {'DESC' if newest else 'ASC'}, {by_id}"
    beyond_id = "id < ?" if newest else "id > ?"
    if key is None:
        return [("year IS NOT NULL", [], by_year), ("year IS NULL", [], by_id)]
    last_year, last_id = key
    if last_year is None:
        return [(f"year IS NULL AND {beyond_id}", [last_id], by_id)]
    later_years = "year < ?" if newest else "year > ?"
    return [
        (f"year = ? AND {beyond_id}", [last_year, last_id], by_id),
        (f"year IS NOT NULL AND {later_years}", [last_year], by_year),
        ("year IS NULL", [], by_id),
    ]


def stored_time(value: datetime) -> str:
    """A time as SQLAlchemy stores it in SQLite: naive UTC with microseconds."""
    # isoformat, not strftime: "%Y" drops the leading zeros of a year before 1000.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def _utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def read_time(value: str | datetime | None) -> datetime | None:
    """A stored time, timezone-aware in UTC."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    # PostgreSQL gives times in its session's zone; the API says them in UTC, as SQLite does.
    return in_utc(value)


def decoded(row: Row) -> Row:
    """A row with its JSON lists and times as Python values, its lede bounded, and the body as
    paragraphs."""
    for name in ("authors", "tags", "labels"):
        value = row.get(name)
        if isinstance(value, str | bytes):
            row[name] = [] if value == "[]" else orjson.loads(value)
    for name in ("published_at", "ingested_at", "updated_at"):
        if row.get(name) is not None:
            row[name] = read_time(row[name])
    if "lede" in row:
        row["lede"] = bounded_lede(row["lede"])
    if "body" in row:
        body = row.pop("body")
        row["paragraphs"] = body.split("\n") if body else []
    return row
