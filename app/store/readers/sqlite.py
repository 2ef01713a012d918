"""The read path on SQLite: one query-only connection per thread, the store's version from
``PRAGMA data_version``.
"""

import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any

from sqlalchemy.engine import make_url

from app.store.database import SQLITE_BUSY_TIMEOUT_MS
from app.store.readers.base import Reader, Row, Watch

# Reading one row of the schema is enough for SQLite to begin a read transaction's snapshot.
SNAPSHOT_START = "SELECT 1 FROM sqlite_schema LIMIT 1"

SNAPSHOT_ATTEMPTS = 5


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
