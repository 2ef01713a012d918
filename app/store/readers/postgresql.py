"""The read path on PostgreSQL: a pool of its own, in autocommit, its reads on threads of its
own, the store's version from the counter migration 0009's triggers move.
"""

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from typing import Any

import psycopg
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.problems import NotReady
from app.store.database import create_db_engine, format_placeholders
from app.store.readers.base import Reader, Row, T, Watch

VERSION_SQL = "SELECT version FROM store_version WHERE id = 1"


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
