"""The search index's upkeep: it follows the store's numbered changes (``article_change``).

The store is the source of truth. Each index commit holds, with the articles it changed, the
number of the last change it applied and the schema version it was made with (the progress
document), so the index says itself how far it has come. Catching up re-reads each changed
article as the store holds it now and replaces it by id (or forgets it when the store no longer
has it): applying a change twice, or a change whose article has changed again since, converges
on the store. A crash between the store's commit and the index's loses nothing: the next
catch-up starts after the last committed batch.

One writer at a time: the engine's writer lock (a lock file in the folder, which the system
lets go when its process dies) is taken for one catch-up or one rebuild and let go at its end,
never kept. Whoever finds the store ahead of the index tries to catch up; ``IndexBusy`` means
another process is doing it. Readers in every process see whole commits only.

A rebuild reads every article in id order and replaces the whole index in one commit: readers
keep the old index until then, and a rebuild cut off leaves it in place. An index made with
another ``SCHEMA_VERSION`` is rebuilt by the next catch-up; a folder holding an index of other
fields, or none at all, starts empty and catches up from the first change.
"""

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import tantivy
from sqlalchemy import Engine, func, select

from app.search.schema import (
    PROGRESS_ID,
    SCHEMA_VERSION,
    article_document,
    open_or_replace_index,
    progress_document,
)
from app.search.store_documents import READ_CHUNK, replace_documents, stored_articles
from app.search.upkeep_reports import CatchUp, IndexBusy, IndexState, OnProgress, Progress
from app.store.changes import changes_after, last_change
from app.store.models import Article

# Changes applied in one index commit: bounds the work a crash redoes.
BATCH_CHANGES = 2_000
WRITER_THREADS = 1

_log = logging.getLogger(__name__)


class SearchIndex:
    """The index in one folder: its searcher, and its catch-up with the store.

    ``writer_mb`` is the writer's memory budget: past it, the writer writes what it holds to
    disk (uncommitted), so a catch-up's or a rebuild's memory stays bounded whatever it writes.
    """

    def __init__(self, folder: Path, *, writer_mb: int, index: tantivy.Index | None = None) -> None:
        self.folder = folder
        self.writer_heap = writer_mb * 2**20
        # ``index``: one made elsewhere (in memory: app/search/arrivals.py), ``folder`` then
        # only its name, which tells it from every other (what is remembered of an index's
        # words is remembered by its folder).
        self.index = index if index is not None else open_or_replace_index(folder)

    def searcher(self) -> tantivy.Searcher:
        """A searcher over the latest commit this process has loaded. Commits of any process
        are loaded on their own shortly after they are made (the engine watches the folder)."""
        return self.index.searcher()

    def warm(self) -> None:
        """Read once what searches read first from each segment of the loaded commit (the
        columns of the sort keys, a dictionary's blocks): the engine loads them on their first
        use, which made a fresh server's first searches at 1M articles take 150 to 300 ms
        against 10 to 30 after."""
        searcher = self.index.searcher()
        everything = tantivy.Query.all_query()
        for field in ("newest", "oldest"):
            searcher.search(everything, 1, count=True, order_by_field=field)
        searcher.search(everything, 1, count=False)

    def reload(self) -> None:
        """Load the latest commit (of any process) now."""
        self.index.reload()

    def reopen_if_gone(self) -> bool:
        """Open the folder anew (empty) when it was deleted under this process; whether it was."""
        if self.folder.is_dir() and tantivy.Index.exists(str(self.folder)):
            return False
        self.index = open_or_replace_index(self.folder)
        return True

    def _progress(self, searcher: tantivy.Searcher | None = None) -> tuple[int, int | None, bool]:
        """The loaded commit's (or ``searcher``'s) last change applied (0 when none), the
        schema version it was made with (None when it says none), and whether it has a
        progress document."""
        searcher = searcher or self.index.searcher()
        found = searcher.search(
            tantivy.Query.term_query(self.index.schema, "id", PROGRESS_ID), 1
        ).hits
        if not found:
            return 0, None, False
        document = searcher.doc(found[0][1])
        applied = document.get_first("applied_change")
        version = document.get_first("schema_version")
        return (
            int(applied) if applied is not None else 0,
            int(version) if version is not None else None,
            True,
        )

    def applied_change(self, searcher: tantivy.Searcher | None = None) -> int:
        """The number of the last change the loaded commit (or ``searcher``'s) applied; 0 for
        an empty index."""
        return self._progress(searcher)[0]

    def outdated(self) -> bool:
        """Whether the loaded commit was made with another schema version (to be rebuilt)."""
        _, version, found = self._progress()
        return found and version != SCHEMA_VERSION

    def articles(self, searcher: tantivy.Searcher | None = None) -> int:
        """The articles the loaded commit (or ``searcher``'s) holds: its documents but the
        progress document."""
        searcher = searcher or self.index.searcher()
        return searcher.num_docs - int(self._progress(searcher)[2])

    def state(self) -> IndexState:
        """The loaded commit's progress, its articles and the folder's size."""
        searcher = self.index.searcher()
        return IndexState(
            applied_change=self.applied_change(searcher),
            documents=self.articles(searcher),
            size_bytes=_size(self.folder),
        )

    def catch_up(
        self,
        engine: Engine,
        *,
        batch: int = BATCH_CHANGES,
        stop: threading.Event | None = None,
        on_progress: OnProgress | None = None,
    ) -> CatchUp:
        """Apply every change the store has committed after the index's, ``batch`` changes a
        commit (an index of another schema version is rebuilt first). Raises ``IndexBusy``
        when another writer holds the index. Once ``stop`` is set, returns after the batch at
        hand, which is dropped uncommitted."""
        with engine.connect() as connection:
            target = last_change(connection)
        self.reload()
        before = self.applied_change()
        if before >= target and not self.outdated():
            return CatchUp(before=before, after=before, changes=0)  # no writer needed
        with self._writer() as writer:
            self.reload()  # what another writer committed before this one took the lock
            before = applied = self.applied_change()
            rebuilt = self.outdated()
            if rebuilt:
                _log.warning("%s was made with another schema: rebuilding it", self.folder)
                rebuilt_to = self._rebuild(writer, engine, stop=stop, on_progress=on_progress)
                if rebuilt_to is None:
                    return CatchUp(before=before, after=before, changes=0)
                applied = rebuilt_to
            count = 0
            while stop is None or not stop.is_set():
                with engine.connect() as connection:
                    changes = changes_after(connection, applied, limit=batch)
                    if not changes:
                        break
                    target = max(target, changes[-1].number)
                    latest = {change.article_id: change.number for change in changes}
                    if not replace_documents(writer, connection, latest, stop=stop):
                        break
                writer.delete_documents_by_term("id", PROGRESS_ID)
                applied = changes[-1].number
                writer.add_document(progress_document(applied))
                writer.commit()
                count += len(changes)
                if on_progress is not None:
                    on_progress(Progress("change", applied, target))
        self.reload()
        return CatchUp(before=before, after=applied, changes=count, rebuilt=rebuilt)

    def rebuild(
        self,
        engine: Engine,
        *,
        stop: threading.Event | None = None,
        on_progress: OnProgress | None = None,
    ) -> CatchUp:
        """Replace the whole index with every article the store holds, in one commit that
        records the store's last change as read before the articles. Raises ``IndexBusy``
        when another writer holds the index; once ``stop`` is set, returns with nothing done."""
        with self._writer() as writer:
            self.reload()
            before = self.applied_change()
            applied = self._rebuild(writer, engine, stop=stop, on_progress=on_progress)
        self.reload()
        if applied is None:
            return CatchUp(before=before, after=before, changes=0)
        return CatchUp(before=before, after=applied, changes=0, rebuilt=True)

    def _rebuild(
        self,
        writer: tantivy.IndexWriter,
        engine: Engine,
        *,
        stop: threading.Event | None,
        on_progress: OnProgress | None,
    ) -> int | None:
        """Write every article anew and commit once; the change committed with them (None
        when ``stop`` cut the rebuild off, nothing committed)."""
        article = Article.__table__.c  # type: ignore[attr-defined]
        with engine.connect() as connection:
            # The change first: the articles read after it hold at least every change up to it,
            # and a change committed meanwhile is applied again by the next catch-up.
            target = last_change(connection)
            total = connection.execute(select(func.count(article.id))).scalar_one()
        writer.delete_all_documents()
        after, done = 0, 0
        while True:
            if stop is not None and stop.is_set():
                writer.rollback()
                return None
            with engine.connect() as connection:
                rows = stored_articles(
                    connection, article.id > after, order_by=article.id, limit=READ_CHUNK
                )
            if not rows:
                break
            for row in rows:
                # Change 0: a cursor made before the rebuild keeps every article it could
                # show (app/search/engine.py); the next catch-ups number the changes again.
                writer.add_document(article_document(row, change=0))
            after, done = rows[-1]["id"], done + len(rows)
            if on_progress is not None:
                on_progress(Progress("article", done, max(total, done)))
        writer.add_document(progress_document(target))
        writer.commit()
        return target

    @contextmanager
    def _writer(self) -> Iterator[tantivy.IndexWriter]:
        """The index's writer, for one catch-up or rebuild; ``IndexBusy`` when another holds it."""
        try:
            writer = self.index.writer(self.writer_heap, WRITER_THREADS)
        except ValueError as error:
            if "LockBusy" in str(error):
                raise IndexBusy(f"another writer holds the search index in {self.folder}") from None
            raise
        try:
            yield writer
        finally:
            # Ends the writer whatever happened: the merges its commits started finish (so that
            # an index written by many short catch-ups keeps few segments), what it did not
            # commit is dropped, and the lock is let go.
            try:
                writer.wait_merging_threads()
            except Exception:
                _log.exception("the search index's writer did not end cleanly")


def _size(folder: Path) -> int:
    """The bytes the files in ``folder`` take (0 when it was deleted)."""
    size = 0
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.is_file(follow_symlinks=False):
                    size += entry.stat(follow_symlinks=False).st_size
    except FileNotFoundError:  # the folder, or a file the writer just let go of
        pass
    return size
