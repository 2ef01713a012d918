"""The server's index follower: a thread in each server process that keeps the search index at
most about a second behind the store, and says whether the index is ready to serve.

Every ``POLL_S`` it reads the store's last change (one key lookup) and compares it with the
change the process's searcher has loaded. Behind: it loads the latest commit (another process
may have made it), and when that is still behind it catches up itself; ``IndexBusy`` means
another process is at it, whose commits this process loads on the next poll. A deleted folder
is opened anew and built from the store, in bounded batches, while the server answers.

On PostgreSQL it also listens for the notification each committed change sends (migration
0017) and polls at once on one, so a replica applies a batch within milliseconds of its
commit. A notification lost (a dropped connection, a store read through a standby, which cannot
listen) costs only the wait until the next poll.

The index is ready once it has caught up with what the store held when the follower started
(a fresh index: once it is built); from then on it stays ready, even when briefly behind. No
error ends the thread: each is logged, and the poll is tried again after a growing pause.
"""

import logging
import threading
import time

import psycopg
from sqlalchemy import Engine

from app.search.index import BATCH_CHANGES, SearchIndex
from app.search.upkeep_reports import IndexBusy, Progress
from app.store.changes import last_change

POLL_S = 0.5
LONGEST_PAUSE_S = 30.0
STOP_TIMEOUT_S = 10.0
# The channel of migration 0017's notifications, and how long after a failed connection to it
# the next is tried (a standby refuses every one).
CHANNEL = "byline_article_change"
RECONNECT_S = 30.0

# A child of uvicorn's server log: its lines go where the server's go, at the server's level.
_log = logging.getLogger("uvicorn.error.index")


class IndexFollower:
    """Follows the store with ``index`` in a thread of its own: ``start``, ``stop``, and
    ``not_ready`` for ``/readyz``."""

    def __init__(
        self,
        index: SearchIndex,
        engine: Engine,
        *,
        poll_s: float = POLL_S,
        batch: int = BATCH_CHANGES,
    ) -> None:
        self.index = index
        self.engine = engine
        self.poll_s = poll_s
        self.batch = batch
        self.failures = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="index-follower", daemon=True)
        self._target: int | None = None  # the store's last change when the follower started
        self._ready = False
        self._progress: Progress | None = None
        self._signal = ChangeSignal(engine) if engine.dialect.name == "postgresql" else None

    def start(self) -> None:
        """Compare the index with the store (an index caught up is ready at once), then follow
        from the thread."""
        try:
            self._compare()
        except Exception:
            _log.exception("the search index could not be compared with the store")
        self._thread.start()

    def stop(self) -> None:
        """Stop following: a catch-up under way drops its uncommitted batch and returns."""
        self._stop.set()
        self._thread.join(STOP_TIMEOUT_S)

    def not_ready(self) -> str | None:
        """Why the index cannot serve yet, or None once it has caught up with the store's
        changes as of the start."""
        if self._ready:
            return None
        if self._target is None:
            return "The search index has not been compared with the store yet."
        progress = self._progress
        if progress is not None and progress.unit == "article":
            return f"The search index is being rebuilt from the store: {progress}."
        applied = progress.done if progress is not None else self.index.applied_change()
        return (
            f"The search index is being built from the store: change {applied:,} of "
            f"{self._target:,} applied."
        )

    def _run(self) -> None:
        try:
            # From this thread, beside the first requests: an index caught up is ready at once;
            # one behind is ready after this (a tenth of a second at 1M articles) and its catch-up.
            self.index.warm()
        except Exception:
            _log.exception("the search index could not be read ahead")
        try:
            self._follow_until_stopped()
        finally:
            if self._signal is not None:
                self._signal.close()

    def _follow_until_stopped(self) -> None:
        pause = 0.0
        while not self._stop.is_set():
            if self.failures == 0 and self._signal is not None:
                self._signal.wait(pause, self._stop)
            else:  # after a failure, the whole pause: a notification does not cut it short
                self._stop.wait(pause)
            if self._stop.is_set():
                return
            try:
                self.follow()
            except Exception:
                self.failures += 1
                pause = min(self.poll_s * 2**self.failures, LONGEST_PAUSE_S)
                _log.exception(
                    "the search index could not follow the store (failure %d in a row); "
                    "trying again in %.1f s",
                    self.failures,
                    pause,
                )
            else:
                self.failures = 0
                pause = self.poll_s

    def follow(self) -> None:
        """One poll: load or make the commits the store is ahead of, and note readiness."""
        if self.index.reopen_if_gone():
            _log.warning("the search index's folder %s was deleted: rebuilding", self.index.folder)
            # Until it holds the store's changes again the index answers partly: not ready.
            self._ready, self._target = False, None
        store = self._compare()
        if self.index.applied_change() < store:
            self.index.reload()
        if self.index.applied_change() < store or self.index.outdated():
            try:
                self.index.catch_up(
                    self.engine, batch=self.batch, stop=self._stop, on_progress=self._note
                )
            except IndexBusy:
                pass  # another process's writer is at it: its commits are loaded next poll
            finally:
                self._progress = None
        self._note_readiness()

    def _compare(self) -> int:
        """The store's last change; the first one read is the target of readiness."""
        with self.engine.connect() as connection:
            store = last_change(connection)
        if self._target is None:
            self._target = store
            _log.info(
                "search index in %s: change %d applied, the store at %d",
                self.index.folder,
                self.index.applied_change(),
                store,
            )
            self._note_readiness()
        return store

    def _note_readiness(self) -> None:
        if self._ready or self._target is None:
            return
        applied = self.index.applied_change()
        if applied >= self._target and not self.index.outdated():
            self._ready = True
            _log.info("search index ready: change %d applied", applied)

    def _note(self, progress: Progress) -> None:
        """Keep a catch-up's progress for ``/readyz``, and log it while the index is not ready."""
        self._progress = progress
        if not self._ready:
            _log.info("search index: %s", progress)


class ChangeSignal:
    """PostgreSQL's notifications of committed changes, on a connection of the follower's own
    (``LISTEN`` needs one held open, outside the pools). Any error drops the connection; the
    waits fall back to plain pauses until a new one is made, ``RECONNECT_S`` later."""

    def __init__(self, engine: Engine) -> None:
        self.conninfo = engine.url.set(drivername="postgresql").render_as_string(
            hide_password=False
        )
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None
        self._next_try = 0.0
        self._failing = False

    def wait(self, seconds: float, stop: threading.Event) -> None:
        """Return on a notification, after ``seconds``, or once ``stop`` is set (within
        ``POLL_S``), whichever comes first."""
        deadline = time.monotonic() + seconds
        while not stop.is_set() and (left := deadline - time.monotonic()) > 0:
            connection = self._connected()
            if connection is None:
                stop.wait(min(left, POLL_S))
                continue
            try:
                for _ in connection.notifies(timeout=min(left, POLL_S), stop_after=1):
                    return
            except psycopg.Error as error:
                self._failed(error)

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _connected(self) -> "psycopg.Connection[tuple[object, ...]] | None":
        if self._connection is not None:
            return self._connection
        if time.monotonic() < self._next_try:
            return None
        try:
            connection = psycopg.connect(self.conninfo, autocommit=True, connect_timeout=5)
            connection.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error as error:
            self._failed(error)
            return None
        self._connection = connection
        if self._failing:
            _log.info("listening for the store's changes again")
            self._failing = False
        return connection

    def _failed(self, error: psycopg.Error) -> None:
        """Drop the connection; say so once, until a connection works again."""
        self.close()
        self._next_try = time.monotonic() + RECONNECT_S
        if not self._failing:
            _log.warning(
                "cannot listen for the store's changes (%s): polling every %.1f s",
                str(error).strip(),
                POLL_S,
            )
            self._failing = True
