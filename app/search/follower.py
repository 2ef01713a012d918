"""The server's index follower: a thread in each server process that keeps the search index at
most about a second behind the store, and says whether the index is ready to serve.

Every ``POLL_S`` it reads the store's last change (one key lookup) and compares it with the
change the process's searcher has loaded. Behind: it loads the latest commit (another process
may have made it), and when that is still behind it catches up itself; ``IndexBusy`` means
another process is at it, whose commits this process loads on the next poll. A deleted folder
is opened anew and built from the store, in bounded batches, while the server answers.

The index is ready once it has caught up with what the store held when the follower started
(a fresh index: once it is built); from then on it stays ready, even when briefly behind. No
error ends the thread: each is logged, and the poll is tried again after a growing pause.
"""

import logging
import threading

from sqlalchemy import Engine

from app.search.index import BATCH_CHANGES, IndexBusy, Progress, SearchIndex
from app.store import last_change

POLL_S = 0.5
LONGEST_PAUSE_S = 30.0
STOP_TIMEOUT_S = 10.0

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
        pause = 0.0
        while not self._stop.wait(pause):
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
