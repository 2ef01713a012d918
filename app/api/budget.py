"""A request's time budget: a search or a related-articles request stops its work when the
budget (``BYLINE_REQUEST_TIMEOUT``) is spent or its client has gone, and answers 503.

The work runs in the thread pool, reading the store through the reader's connections
(``Budget.read``) or a session of its own (``Budget.session``). On the event loop,
``within_budget`` watches the client and the clock; when either runs out it stops the work:
SQLite's progress handler interrupts the statement under way, PostgreSQL's is cancelled (and,
in a session, bounded by ``statement_timeout`` besides), and no further statement starts.
"""

import asyncio
import logging
import math
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar

import psycopg
from sqlalchemy import Engine, event
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from app.problems import SearchTimeout
from app.store.readers.base import Read, Reader, Row

T = TypeVar("T")
# SQLite calls the progress handler every this many virtual machine steps (tens of µs).
_PROGRESS_STEPS = 1_000
_CANCEL_SECONDS = 5.0
_QUERY_CANCELED = "57014"  # PostgreSQL: canceled by statement_timeout or a cancel request
_log = logging.getLogger(__name__)


class Budget:
    """The time a request's work may take, and whether it has been stopped."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.deadline = time.monotonic() + seconds
        self.client_gone = False
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._cancels: list[Callable[[], Any]] = []

    def spent(self) -> bool:
        """Whether the work must stop: stopped, or past the deadline."""
        return self._stopped.is_set() or time.monotonic() >= self.deadline

    def stop(self, *, client_gone: bool = False) -> None:
        """Stop the work: what runs is cancelled, what comes next refused."""
        # Under the lock: a connection given back to the pool (the cancels cleared) is never
        # cancelled in another request's work.
        with self._lock:
            self.client_gone = self.client_gone or client_gone
            self._stopped.set()
            for cancel in self._cancels:
                try:
                    cancel()
                except Exception:  # a server out of reach: the statement fails or runs out
                    _log.warning("could not cancel a statement past its budget", exc_info=True)

    def check(self) -> None:
        """Raise ``SearchTimeout`` when the budget is spent."""
        if self.spent():
            raise self.error()

    def error(self) -> SearchTimeout:
        """The problem that a stopped request answers."""
        if self.client_gone:
            detail = "The client went away before the answer was ready; the work was stopped."
        else:
            detail = (
                f"The request needed more than the server's time budget of {self.seconds:g} s"
                " (BYLINE_REQUEST_TIMEOUT) and was stopped; narrow it, or try again later."
            )
        return SearchTimeout(
            detail, retry_after=max(1, math.ceil(self.seconds)), client_gone=self.client_gone
        )

    def read(self, reader: Reader) -> Read:
        """Reads of the store through ``reader`` that stop when the budget is spent
        (``SearchTimeout``)."""

        def watched_read(sql: str, parameters: Sequence[Any] = ()) -> list[Row]:
            self.check()
            try:
                return reader.rows(sql, parameters, watch=self._watching)
            except (psycopg.Error, sqlite3.Error) as error:
                if self._stopped_by(error):
                    raise self.error() from error
                raise

        return watched_read

    @contextmanager
    def _watching(self, connection: Any) -> Iterator[None]:
        """Around the statements on ``connection`` (SQLite's or psycopg's): stopped with the
        budget."""
        if isinstance(connection, sqlite3.Connection):
            connection.set_progress_handler(lambda: int(self.spent()), _PROGRESS_STEPS)
            try:
                yield
            finally:
                connection.set_progress_handler(None, 0)
            return
        cancel_failed = False

        def cancel() -> None:
            nonlocal cancel_failed
            try:
                # A cancel opens a connection of its own to the server: bounded in time.
                connection.cancel_safe(timeout=_CANCEL_SECONDS)
            except Exception:
                cancel_failed = True
                raise

        with self._lock:
            self._cancels.append(cancel)
        try:
            self.check()  # stopped before the cancel was there to be called
            yield
        finally:
            with self._lock:
                self._cancels.remove(cancel)
                if cancel_failed:
                    # The cancel may still reach the server, and stop whatever statement this
                    # connection runs next: it is closed, and the pool replaces it.
                    connection.close()

    @contextmanager
    def session(self, engine: Engine) -> Iterator[Session]:
        """A session whose statements stop when the budget is spent (``SearchTimeout``)."""
        with Session(engine) as session:
            connection = session.connection()
            raw = connection.connection.dbapi_connection

            def before_statement(*_: Any) -> None:
                self.check()

            event.listen(connection, "before_cursor_execute", before_statement)
            try:
                if not isinstance(raw, sqlite3.Connection):
                    remaining_ms = max(1, int((self.deadline - time.monotonic()) * 1000))
                    # An integer of ours, never the caller's text: SET takes no parameters.
                    connection.exec_driver_sql(f"SET LOCAL statement_timeout = {remaining_ms}")
                with self._watching(raw):
                    yield session
            except (DBAPIError, sqlite3.Error) as error:
                if self._stopped_by(error):
                    raise self.error() from error
                raise
            finally:
                event.remove(connection, "before_cursor_execute", before_statement)

    def _stopped_by(self, error: Exception) -> bool:
        """Whether a store's error is this budget stopping its statement (PostgreSQL's
        statement_timeout may fire a moment before the clock says spent)."""
        return self.spent() or _sqlstate(error) == _QUERY_CANCELED


async def within_budget(request: Request, work: Callable[[Budget], T]) -> T:
    """``work(budget)`` in the thread pool, stopped when the app's time budget is spent or the
    client disconnects."""
    budget = Budget(request.app.state.request_timeout)
    watcher = asyncio.create_task(_watch(request, budget))
    try:
        return await run_in_threadpool(work, budget)
    finally:
        watcher.cancel()


async def _watch(request: Request, budget: Budget) -> None:
    """Stop ``budget`` at its deadline, or when the client disconnects before it (off the
    event loop: cancelling a PostgreSQL statement is a round trip to the server)."""
    try:
        async with asyncio.timeout(budget.seconds):
            # A GET has read its (empty) body: what comes next is the disconnection.
            while (await request.receive())["type"] != "http.disconnect":
                pass
    except TimeoutError:
        await asyncio.to_thread(budget.stop)
    else:
        await asyncio.to_thread(budget.stop, client_gone=True)


def _sqlstate(error: Exception) -> str | None:
    """The SQLSTATE of a database error (PostgreSQL's, or SQLAlchemy's wrapping it), if it has
    one."""
    return getattr(getattr(error, "orig", error), "sqlstate", None)
