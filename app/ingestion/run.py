"""One ingestion run: article files into the store, idempotent, one savepoint a file, a report
of every file, the run recorded.

No entry of a folder stops a run: whatever the walk or a reader meets (a link loop, a folder that
cannot be opened, a name that is not UTF-8, a file that vanishes, a reader's unexpected error) is
that entry's ``failed`` or ``skipped`` result.
"""

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path

from sqlalchemy import Engine

from app.ingestion.discovery import discover_files, real_path
from app.ingestion.outcomes import FileResult, IngestReport, shown_path
from app.ingestion.pruning import Seen, prune_articles
from app.ingestion.reading import LoadedFile, known_files, load_file
from app.ingestion.writer import BATCH_SIZE, store_batch
from app.store.database import session_scope
from app.store.models import IngestRun
from app.store.times import utc_now


def ingest_paths(
    engine: Engine,
    paths: Iterable[Path],
    *,
    on_result: Callable[[FileResult], None] | None = None,
    after_commit: Callable[[], None] | None = None,
    prune: bool = False,
) -> IngestReport:
    """Ingest files and folders; a bad file is reported and never stops the others.

    With ``prune``, articles from under ``paths`` whose file (or record) is gone are deleted.
    ``after_commit`` is called after each batch of files the store committed, and after the
    pruning (the search index catches up there).
    """
    paths = list(paths)
    # What the run found is held only when pruning needs it.
    ingestion = _Ingestion(engine, on_result, after_commit, Seen() if prune else None)
    run_id = _start_run(engine, paths)
    files = discover_files(paths, links=ingestion.links)
    while batch := list(islice(files, BATCH_SIZE)):
        ingestion.store(ingestion.prepare(batch))
        ingestion.committed()
    if ingestion.seen is not None:
        ingestion.prune(paths, ingestion.seen)
        ingestion.committed()
    _finish_run(engine, run_id, ingestion.report)
    return ingestion.report


@dataclass(slots=True)
class _Ingestion:
    """A run's steps and what they share: the store, the report and who hears of each result,
    and what the walk and pruning keep between batches."""

    engine: Engine
    on_result: Callable[[FileResult], None] | None
    after_commit: Callable[[], None] | None
    seen: Seen | None
    report: IngestReport = field(default_factory=IngestReport)
    # The files that are symbolic links, as the walk finds them (held for a batch at most).
    links: set[Path] = field(default_factory=set)
    folders: dict[Path, str] = field(default_factory=dict)  # each folder resolved once

    def prepare(self, batch: list[Path | FileResult]) -> list[LoadedFile | FileResult]:
        """Read and parse a batch's files before the write transaction opens, so that the write
        lock is held only for the writes (a slow disk never makes another writer wait). A file
        whose size and modification time are those of its last ingestion is not read at all."""
        keys = {
            item: _resolved(item, self.folders, is_link=item in self.links)
            for item in batch
            if isinstance(item, Path)
        }
        self.links.difference_update(keys)
        known = known_files(self.engine, list(keys.values()))
        return [
            item if isinstance(item, FileResult) else load_file(item, key=keys[item], known=known)
            for item in batch
        ]

    def store(self, prepared: list[LoadedFile | FileResult]) -> None:
        """Store a prepared batch in one transaction, and record each file's results."""
        with session_scope(self.engine) as session:
            # Begin (and on SQLite take the write lock) before any file: a store that stays
            # locked fails the run once, instead of failing every file after a wait.
            session.connection()
            for item, results in zip(prepared, store_batch(session, prepared), strict=True):
                if self.seen is not None and isinstance(item, LoadedFile):
                    self.seen.note(item, results)
                elif self.seen is not None and isinstance(item, FileResult) and item.unread_folder:
                    self.seen.unread_folders.append(item.unread_folder)
                for result in results:
                    self.record(result)

    def prune(self, paths: list[Path], seen: Seen) -> None:
        """Delete what the run did not find under ``paths``, in one transaction."""
        with session_scope(self.engine) as session:
            for result in prune_articles(session, roots=paths, seen=seen):
                self.record(result)

    def record(self, result: FileResult) -> None:
        self.report.record(result)
        if self.on_result is not None:
            self.on_result(result)

    def committed(self) -> None:
        if self.after_commit is not None:
            self.after_commit()


def _resolved(path: Path, folders: dict[Path, str], *, is_link: bool) -> str:
    """The file's resolved path, as the store knows it: its folder's, resolved once a run, and
    its name (a link to a file is resolved itself)."""
    if is_link:
        return shown_path(real_path(path))
    folder = folders.get(path.parent)
    if folder is None:
        folder = folders[path.parent] = real_path(path.parent)
    return shown_path(os.path.join(folder, path.name))


def _start_run(engine: Engine, paths: list[Path]) -> int:
    """Record that a run started (a run killed before its end keeps no ``finished_at``)."""
    with session_scope(engine) as session:
        run = IngestRun(paths=[shown_path(path) for path in paths])
        session.add(run)
        session.flush()
        assert run.id is not None
        return run.id


def _finish_run(engine: Engine, run_id: int, report: IngestReport) -> None:
    with session_scope(engine) as session:
        run = session.get(IngestRun, run_id)
        if run is not None:
            run.finished_at = utc_now()
            run.report = report.as_dict()
            session.add(run)
