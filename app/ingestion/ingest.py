"""Load article files into the store: idempotent, one savepoint a file, a report of every file.

No entry of a folder stops a run: whatever the walk or a reader meets (a link loop, a folder that
cannot be opened, a name that is not UTF-8, a file that vanishes, a reader's unexpected error) is
that entry's ``failed`` or ``skipped`` result.
"""

import hashlib
import importlib
import os
import stat
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import islice
from pathlib import Path
from typing import Any, Literal, NamedTuple

from slugify import slugify
from sqlalchemy import Engine
from sqlalchemy import insert as sa_insert
from sqlalchemy import select as sa_select
from sqlalchemy.exc import DBAPIError, PendingRollbackError, SQLAlchemyError
from sqlmodel import Session, col, select

from app.ingestion.formats.readers import READERS, reader_for
from app.ingestion.parsed import ArticleRejected, ParsedArticle
from app.store.database import run, session_scope
from app.store.models import Article, ArticleRevision, IngestRun, SourceFile, utc_now

ARTICLE_SUFFIXES = frozenset(READERS)
_SUFFIXES_SHOWN = ", ".join(sorted(ARTICLE_SUFFIXES))
MAX_FILE_BYTES = 10 * 1024 * 1024
SLUG_MAX_LENGTH = 80
BATCH_SIZE = 200
# The dialects' INSERT ... ON CONFLICT DO UPDATE, by module: PostgreSQL's is imported only when used
# (ingestion's memory on SQLite).
UPSERTS = {"sqlite": "sqlalchemy.dialects.sqlite", "postgresql": "sqlalchemy.dialects.postgresql"}


class Outcome(StrEnum):
    """What ingestion did with one file."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    SKIPPED = "skipped"
    PRUNED = "pruned"


@dataclass(frozen=True, slots=True)
class FileResult:
    """The outcome for one file, with the article it maps to or the reason it failed."""

    path: str
    outcome: Outcome
    article_id: int | None = None
    slug: str | None = None
    reason: str | None = None
    warnings: tuple[str, ...] = ()
    count: int = 1  # a file skipped as unchanged stands for all the articles it gave
    # A folder that could not be listed, resolved as the store knows paths: pruning keeps the
    # articles under it, as they are not known to be gone.
    unread_folder: str | None = None


@dataclass(slots=True)
class IngestReport:
    """Counts of each outcome and the files a reader must know about."""

    counts: Counter[Outcome] = field(default_factory=Counter)
    failures: list[FileResult] = field(default_factory=list)
    duplicates: list[FileResult] = field(default_factory=list)
    skipped: list[FileResult] = field(default_factory=list)
    pruned: list[FileResult] = field(default_factory=list)
    warnings: list[FileResult] = field(default_factory=list)

    def record(self, result: FileResult) -> None:
        """Count a file's outcome and keep it when it is worth reporting."""
        self.counts[result.outcome] += result.count
        if result.outcome is Outcome.FAILED:
            self.failures.append(result)
        elif result.outcome is Outcome.DUPLICATE:
            self.duplicates.append(result)
        elif result.outcome is Outcome.SKIPPED:
            self.skipped.append(result)
        elif result.outcome is Outcome.PRUNED:
            self.pruned.append(result)
        if result.warnings:
            self.warnings.append(result)

    @property
    def ok(self) -> bool:
        """Whether every file was taken."""
        return not self.failures

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data, for ``--json``."""
        return {
            "counts": {outcome.value: self.counts[outcome] for outcome in Outcome},
            "failures": [{"path": r.path, "reason": r.reason} for r in self.failures],
            "duplicates": [
                {"path": r.path, "duplicate_of": {"id": r.article_id, "slug": r.slug}}
                for r in self.duplicates
            ],
            "skipped": [{"path": r.path, "reason": r.reason} for r in self.skipped],
            "pruned": [{"path": r.path, "id": r.article_id, "slug": r.slug} for r in self.pruned],
            "warnings": [
                {"path": r.path, "warning": warning}
                for r in self.warnings
                for warning in r.warnings
            ],
        }


def shown_path(path: Path | str) -> str:
    """A path as text, in reports and in the store: the bytes of a name that are not UTF-8 are
    written ``\\xNN`` (the same each run, so re-runs find the file again)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def real_path(path: Path | str) -> str:
    """The path with every symbolic link resolved, as far as they lead (a loop or a dangling
    link is left where it stops, for reading it to fail with its reason)."""
    return os.path.realpath(path)


def discover_files(
    paths: Iterable[Path], *, links: set[Path] | None = None
) -> Iterator[Path | FileResult]:
    """Files to ingest, in order: each file given, and the article files under each folder.

    Under a folder, files of an article format's suffix (``READERS``) are read; hidden files and
    folders, README files, files of no suffix or another one, and symbolic links that lead
    outside the folder or to a folder are skipped; a folder that cannot be listed fails. Each
    is one result; nothing met under a folder stops the walk. The files yielded that are
    symbolic links are added to ``links`` (a folder's listing tells them apart for free).
    """
    for path in paths:
        try:
            is_folder = stat.S_ISDIR(path.stat().st_mode)
        except OSError:  # reading it says why
            is_folder = False
        if is_folder:
            yield from _walk(path, root=Path(real_path(path)), links=links)
        else:
            if links is not None and os.path.islink(path):
                links.add(path)
            yield path


def _walk(top: Path, *, root: Path, links: set[Path] | None) -> Iterator[Path | FileResult]:
    """The files under ``top``, folder by folder in name order; without recursion, so that no
    depth of nesting exhausts the stack (a path too long to open fails its folder)."""
    folders = [top]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            yield FileResult(
                shown_path(folder),
                Outcome.FAILED,
                reason=f"cannot list folder: {error.strerror or error}",
                unread_folder=shown_path(real_path(folder)),
            )
            continue
        inner: list[Path] = []
        for entry in entries:
            path = Path(entry.path)
            try:
                found = _entry(entry, path, root=root)
            except Exception as error:  # one entry's surprise is its own result, never the run's
                found = FileResult(
                    shown_path(path),
                    Outcome.FAILED,
                    reason=f"cannot read: {type(error).__name__}: {error}",
                )
            if found == "folder":
                inner.append(path)
            else:
                if links is not None and isinstance(found, Path) and entry.is_symlink():
                    links.add(found)
                yield found
        folders.extend(reversed(inner))


def _entry(
    entry: os.DirEntry[str], path: Path, *, root: Path
) -> Path | FileResult | Literal["folder"]:
    """What a folder's entry is to ingestion: a file to read, a result, or ``"folder"`` to walk
    into."""
    if _is_folder(entry):
        if entry.name.startswith("."):
            return FileResult(shown_path(path), Outcome.SKIPPED, reason="hidden folder")
        if entry.is_symlink():
            linked = "symbolic link to a folder (not followed)"
            return FileResult(shown_path(path), Outcome.SKIPPED, reason=linked)
        return "folder"
    if reason := _skip_reason(entry, path, root=root):
        return FileResult(shown_path(path), Outcome.SKIPPED, reason=reason)
    return path


def _is_folder(entry: os.DirEntry[str]) -> bool:
    """Whether the entry is a folder or a link to one (an entry that cannot be examined is
    taken as a file, for reading it to fail with the reason)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _skip_reason(entry: os.DirEntry[str], path: Path, *, root: Path) -> str | None:
    """Why a file under a folder is not read, or None: it is hidden (``.DS_Store`` too), a
    README, of no suffix or another suffix than an article format's, or a link leading out."""
    if entry.name.startswith("."):
        return "hidden file"
    if entry.name.lower().startswith("readme"):
        return "README file"
    if not path.suffix:
        return "no suffix (article files end in " + _SUFFIXES_SHOWN + ")"
    if path.suffix.lower() not in ARTICLE_SUFFIXES:
        return f"unsupported suffix {shown_path(path.suffix)}"
    if entry.is_symlink() and not Path(real_path(entry.path)).is_relative_to(root):
        return "symbolic link leading outside the folder"
    return None


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
    report = IngestReport()
    paths = list(paths)
    seen = _Seen() if prune else None  # what the run found, held only when pruning needs it
    run = _start_run(engine, paths)
    links: set[Path] = set()  # the files that are symbolic links, as the walk finds them
    files = discover_files(paths, links=links)
    folders: dict[Path, str] = {}  # each folder resolved once
    while batch := list(islice(files, BATCH_SIZE)):
        # Files are read and parsed before the write transaction opens, so that the write lock
        # is held only for the writes (a slow disk never makes another writer wait). A file
        # whose size and modification time are those of its last ingestion is not read at all.
        keys = {
            item: _resolved(item, folders, is_link=item in links)
            for item in batch
            if isinstance(item, Path)
        }
        links.difference_update(keys)  # held for a batch at most
        known = _known_files(engine, list(keys.values()))
        prepared = [
            item if isinstance(item, FileResult) else load_file(item, key=keys[item], known=known)
            for item in batch
        ]
        with session_scope(engine) as session:
            # Begin (and on SQLite take the write lock) before any file: a store that stays
            # locked fails the run once, instead of failing every file after a wait.
            session.connection()
            for item, results in zip(prepared, store_batch(session, prepared), strict=True):
                if seen is not None and isinstance(item, LoadedFile):
                    seen.note(item, results)
                elif seen is not None and isinstance(item, FileResult) and item.unread_folder:
                    seen.unread_folders.append(item.unread_folder)
                for result in results:
                    report.record(result)
                    if on_result is not None:
                        on_result(result)
        if after_commit is not None:
            after_commit()
    if seen is not None:
        with session_scope(engine) as session:
            for result in prune_articles(session, roots=paths, seen=seen):
                report.record(result)
                if on_result is not None:
                    on_result(result)
        if after_commit is not None:
            after_commit()
    _finish_run(engine, run, report)
    return report


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


@dataclass(frozen=True, slots=True)
class Loaded:
    """A parsed article and where it came from: ``shown`` in reports, ``key`` in the store."""

    article: ParsedArticle
    shown: str
    key: str


@dataclass(frozen=True, slots=True)
class LoadedFile:
    """A file read and parsed, or found unchanged: what to store and what to remember of it."""

    path: Path
    key: str
    entries: list[Loaded | FileResult]
    seen: "KnownFile | None"  # None: read without a stat, or failed: not remembered
    read: bool = True  # False when skipped as unchanged


@dataclass(slots=True)
class _Seen:
    """What a run found, for pruning: article keys taken, files present, files read whole."""

    kept: set[str] = field(default_factory=set)
    present: set[str] = field(default_factory=set)
    read_whole: set[str] = field(default_factory=set)
    unread_folders: list[str] = field(default_factory=list)

    def note(self, loaded: LoadedFile, results: list[FileResult]) -> None:
        key = loaded.key
        self.present.add(key)
        self.kept.update(entry.key for entry in loaded.entries if isinstance(entry, Loaded))
        if loaded.read and all(result.outcome is not Outcome.FAILED for result in results):
            self.read_whole.add(key)

    def keeps(self, source_path: str) -> bool:
        """Whether an article stays: taken this run, or from a file present but not read whole
        (unchanged, or failed: its articles are not the run's to judge)."""
        if source_path in self.kept:
            return True
        if any(source_path.startswith(f"{folder}{os.sep}") for folder in self.unread_folders):
            return True  # under a folder the run could not list: not the run's to judge
        file = source_path if source_path in self.present else source_path.rpartition("#")[0]
        return file in self.present and file not in self.read_whole


def prune_articles(session: Session, *, roots: list[Path], seen: _Seen) -> list[FileResult]:
    """Delete the articles from under ``roots`` that this run did not find, and their files."""
    pruned = []
    for root in roots:
        resolved = shown_path(real_path(root))
        # Under a folder: its files; of a file: its records (``file#3``), never another file
        # whose name it begins (``one.txt`` is no prefix of ``one.txtdir/b.txt``).
        inside = f"{resolved}{os.sep}" if root.is_dir() else f"{resolved}#"
        candidates = session.exec(
            select(Article).where(
                (col(Article.source_path) == resolved)
                | col(Article.source_path).startswith(inside, autoescape=True)
            )
        )
        for article in candidates:
            if seen.keeps(article.source_path):
                continue
            pruned.append(
                FileResult(
                    article.source_path, Outcome.PRUNED, article.id, article.slug, "file is gone"
                )
            )
            session.delete(article)
            for file in {article.source_path, article.source_path.rpartition("#")[0]}:
                if file not in seen.present and (known := session.get(SourceFile, file)):
                    session.delete(known)
    return pruned


def _resolved(path: Path, folders: dict[Path, str], *, is_link: bool) -> str:
    """The file's resolved path, as the store knows it: its folder's, resolved once a run, and
    its name (a link to a file is resolved itself)."""
    if is_link:
        return shown_path(real_path(path))
    folder = folders.get(path.parent)
    if folder is None:
        folder = folders[path.parent] = real_path(path.parent)
    return shown_path(os.path.join(folder, path.name))


class KnownFile(NamedTuple):
    """What a file looked like when it was last ingested whole."""

    path: str
    size: int
    mtime_ns: int
    sha256: str
    articles: int


def _known_files(engine: Engine, keys: list[str]) -> dict[str, KnownFile]:
    if not keys:
        return {}
    # Plain SQL: the ORM's expanding IN cost more than the read itself on a run of unchanged files.
    marks = ", ".join("?" for _ in keys)
    sql = f"SELECT path, size, mtime_ns, sha256, articles FROM source_file WHERE path IN ({marks})"  # noqa: S608
    with engine.connect() as connection:
        return {row[0]: KnownFile(*row) for row in run(connection, sql, keys)}


def load_file(path: Path, *, key: str, known: dict[str, KnownFile]) -> LoadedFile:
    """Read a file's articles, unless it is as it was when last ingested whole.

    ``key`` is the file's resolved path, as the store knows it.
    """
    try:
        return _load_file(path, key=key, known=known)
    except Exception as error:  # a reader's surprise fails its file, never the run
        return _failed(path, key, f"cannot read: {type(error).__name__}: {error}")


def _load_file(path: Path, *, key: str, known: dict[str, KnownFile]) -> LoadedFile:
    try:
        info = path.stat()
    except OSError as error:
        return _failed(path, key, f"cannot read: {error.strerror or error}")
    before = known.get(key)
    if before is not None and (before.size, before.mtime_ns) == (info.st_size, info.st_mtime_ns):
        unchanged = FileResult(shown_path(path), Outcome.UNCHANGED, count=before.articles)
        return LoadedFile(path, key, [unchanged], None, read=False)
    try:
        data = read_article_bytes(path)
        digest = hashlib.sha256(data).hexdigest()
        if before is not None and before.sha256 == digest:  # touched, not changed
            seen = KnownFile(key, info.st_size, info.st_mtime_ns, digest, before.articles)
            unchanged = FileResult(shown_path(path), Outcome.UNCHANGED, count=before.articles)
            return LoadedFile(path, key, [unchanged], seen, read=False)
        records = reader_for(path.suffix)(data)
    except ArticleRejected as rejection:
        return _failed(path, key, str(rejection))
    except OSError as error:
        return _failed(path, key, f"cannot read: {error.strerror or error}")
    entries: list[Loaded | FileResult] = []
    file_shown = shown_path(path)  # once a file: an export has many records
    for record in records:
        shown = file_shown if record.part is None else f"{file_shown}#{record.part}"
        if record.article is None:
            entries.append(FileResult(shown, Outcome.FAILED, reason=record.rejection))
        else:
            where = key if record.part is None else f"{key}#{record.part}"
            entries.append(Loaded(record.article, shown, where))
    seen = KnownFile(key, info.st_size, info.st_mtime_ns, digest, len(entries))
    return LoadedFile(path, key, entries, seen)


def _failed(path: Path, key: str, reason: str) -> LoadedFile:
    result = FileResult(shown_path(path), Outcome.FAILED, reason=reason)
    return LoadedFile(path, key, [result], None)


def store_batch(session: Session, batch: list[LoadedFile | FileResult]) -> list[list[FileResult]]:
    """Store a batch of files' articles; the results of each item, in order.

    New articles (no article has their file or their text yet) are inserted together, in one
    statement; every other article (an update, a duplicate, an unchanged record) is stored on
    its own as before. A file is remembered (``source_file``) when all its articles were taken.
    """
    writer = _BatchWriter(session, batch)
    results: list[list[FileResult | _Pending]] = []
    for item in batch:
        if isinstance(item, FileResult):
            results.append([item])
            continue
        results.append([writer.store(entry) for entry in item.entries])
    writer.flush()
    done = [[writer.result(entry) for entry in item_results] for item_results in results]
    remembered = [
        item.seen
        for item, item_results in zip(batch, done, strict=True)
        if isinstance(item, LoadedFile)
        and item.seen is not None
        and all(result.outcome is not Outcome.FAILED for result in item_results)
    ]
    _remember_files(session, remembered)
    return done


@dataclass(slots=True)
class _Pending:
    """A new article waiting for the batch's insert; ``result`` is set by ``flush``."""

    loaded: Loaded
    row: dict[str, Any]
    result: FileResult | None = None


class _BatchWriter:
    """Sorts a batch's articles into new ones (inserted together) and the others."""

    def __init__(self, session: Session, batch: list[LoadedFile | FileResult]) -> None:
        self.session = session
        entries = [
            entry
            for item in batch
            if isinstance(item, LoadedFile)
            for entry in item.entries
            if isinstance(entry, Loaded)
        ]
        article = Article.__table__.c  # type: ignore[attr-defined]
        self.known_keys = self._present(article.source_path, [entry.key for entry in entries])
        self.known_texts = self._present(
            article.content_hash, [entry.article.content_hash for entry in entries]
        )
        # Every slug a new article of the batch could collide with, with one query; the slugs
        # given in the batch are added as they are given.
        self.slugs = slugs_taken(session, (slug_base(entry.article.title) for entry in entries))
        self.pending: list[_Pending] = []

    def _rows(self, columns: list[Any], where_in: Any, values: list[str]) -> list[Any]:
        """The rows of ``columns`` whose ``where_in`` is one of ``values`` (in chunks)."""
        connection = self.session.connection()
        rows: list[Any] = []
        for start in range(0, len(values), BATCH_SIZE):
            chunk = values[start : start + BATCH_SIZE]
            rows += connection.execute(sa_select(*columns).where(where_in.in_(chunk)))
        return rows

    def _present(self, column: Any, values: list[str]) -> set[str]:
        return {row[0] for row in self._rows([column], column, values)}

    def store(self, entry: Loaded | FileResult) -> "FileResult | _Pending":
        if isinstance(entry, FileResult):
            return entry
        key, digest = entry.key, entry.article.content_hash
        if key in self.known_keys or digest in self.known_texts:
            self.flush()  # an update or a duplicate may refer to an article of this batch
            result = store_article(self.session, entry)
            if result.slug is not None:
                self.slugs.add(result.slug)
            return result
        self.known_keys.add(key)
        self.known_texts.add(digest)
        now = utc_now()
        slug = free_slug(slug_base(entry.article.title), self.slugs)
        self.slugs.add(slug)
        row = {
            "slug": slug,
            "source_path": key,
            "ingested_at": now,
            "updated_at": now,
            **_fields(entry.article),
        }
        pending = _Pending(entry, row)
        self.pending.append(pending)
        return pending

    def flush(self) -> None:
        """Insert the new articles waiting, in one statement inside a savepoint; should it
        fail, each is stored alone, so that one bad article fails alone."""
        pending, self.pending = self.pending, []
        if not pending:
            return
        try:
            with self.session.begin_nested():
                # executemany without RETURNING (with it, SQLAlchemy inserts row by row on
                # SQLite to keep the order); the ids are read back by file key.
                self.session.connection().execute(
                    sa_insert(Article.__table__),  # type: ignore[attr-defined]
                    [item.row for item in pending],
                )
                ids = self._ids([item.row["source_path"] for item in pending])
        except SQLAlchemyError as error:
            if connection_lost(error):
                raise
            for item in pending:
                item.result = store_article(self.session, item.loaded)
            return
        for item in pending:
            loaded = item.loaded
            item.result = FileResult(
                loaded.shown,
                Outcome.ADDED,
                ids[item.row["source_path"]],
                item.row["slug"],
                warnings=loaded.article.warnings,
            )

    def _ids(self, keys: list[str]) -> dict[str, int]:
        article = Article.__table__.c  # type: ignore[attr-defined]
        rows = self._rows([article.source_path, article.id], article.source_path, keys)
        return dict(rows)

    @staticmethod
    def result(entry: "FileResult | _Pending") -> FileResult:
        if isinstance(entry, FileResult):
            return entry
        assert entry.result is not None
        return entry.result


def _remember_files(session: Session, files: list[KnownFile]) -> None:
    """Record (insert or update) what the files looked like, in one statement."""
    if not files:
        return
    dialect = session.get_bind().dialect.name
    if dialect not in UPSERTS:
        for file in files:
            session.merge(SourceFile(**file._asdict()))
        return
    upsert: Callable[..., Any] = importlib.import_module(UPSERTS[dialect]).insert
    statement = upsert(SourceFile.__table__)  # type: ignore[attr-defined]
    statement = statement.on_conflict_do_update(
        index_elements=["path"],
        set_={
            name: statement.excluded[name] for name in ("size", "mtime_ns", "sha256", "articles")
        },
    )
    session.connection().execute(statement, [file._asdict() for file in files])


def read_article_bytes(path: Path) -> bytes:
    """The bytes of a regular file, refusing what is too large to be an article."""
    mode = path.stat().st_mode
    if not stat.S_ISREG(mode):  # a FIFO or a device would block or never end
        raise ArticleRejected("not a regular file")
    with path.open("rb") as file:
        # Asked for its own size (and one byte more, to see it grow), not for the limit: reading
        # into a buffer of the limit allocated 10 MB a file, which raised the allocator's
        # thresholds and with them the ingestion's resident memory.
        size = min(os.fstat(file.fileno()).st_size, MAX_FILE_BYTES)
        data = file.read(size + 1)
        if len(data) > size:  # longer than it was: read on, up to the limit
            data += file.read(MAX_FILE_BYTES + 1 - len(data))
    if len(data) > MAX_FILE_BYTES:
        raise ArticleRejected(f"too large: more than {MAX_FILE_BYTES} bytes")
    return data


def connection_lost(error: SQLAlchemyError) -> bool:
    """Whether ``error`` is the store's, not one article's: the connection was lost (the server
    restarted or ended it), so no later file of the batch can be stored either and the run
    stops; its batch rolls back whole, and the next run stores it."""
    lost = isinstance(error, DBAPIError) and error.connection_invalidated
    return lost or isinstance(error, PendingRollbackError)


def store_article(session: Session, loaded: Loaded) -> FileResult:
    """Store one parsed article inside its own savepoint, so a failure leaves nothing behind."""
    try:
        with session.begin_nested():
            return _store(session, loaded.article, path=loaded.shown, key=loaded.key)
    except SQLAlchemyError as error:
        if connection_lost(error):
            raise
        reason = f"database error: {type(error).__name__}: {error.args[0] if error.args else ''}"
        return FileResult(
            loaded.shown, Outcome.FAILED, reason=reason, warnings=loaded.article.warnings
        )


def _store(session: Session, parsed: ParsedArticle, *, path: str, key: str) -> FileResult:
    digest, warnings = parsed.content_hash, parsed.warnings
    existing = session.exec(select(Article).where(Article.source_path == key)).first()
    if existing is not None and existing.content_hash == digest:
        return FileResult(
            path, Outcome.UNCHANGED, existing.id, existing.slug, None, parsed.warnings
        )
    twin = session.exec(select(Article).where(Article.content_hash == digest)).first()
    if twin is not None:
        if existing is not None:
            warnings += (
                f"this file's earlier text stays as article {existing.slug}, "
                "as no file holds it any more",
            )
        return FileResult(path, Outcome.DUPLICATE, twin.id, twin.slug, warnings=warnings)
    if existing is not None:
        session.add(_revision_of(existing))
        _apply(existing, parsed)
        existing.updated_at = utc_now()
        session.add(existing)
        session.flush()
        return FileResult(path, Outcome.UPDATED, existing.id, existing.slug, warnings=warnings)
    article = Article(
        slug=unique_slug(session, title=parsed.title), source_path=key, **_fields(parsed)
    )
    session.add(article)
    session.flush()
    return FileResult(path, Outcome.ADDED, article.id, article.slug, warnings=warnings)


# Longer headlines are cut here (the raw text keeps them whole): a line this long is not a
# headline, and PostgreSQL's btree index of titles takes entries of about 2,700 bytes at most.
MAX_TITLE = 1000


def clipped(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def _fields(parsed: ParsedArticle) -> dict[str, Any]:
    """The stored columns that come from the parsed text."""
    return {
        "title": clipped(parsed.title, MAX_TITLE),
        "dateline": clipped(parsed.dateline, 120),
        "source": clipped(parsed.source, 200),
        "year": parsed.year,
        "lede": parsed.lede,
        "body": "\n".join(parsed.paragraphs),
        "word_count": parsed.word_count,
        "copyright": parsed.copyright,
        "authors": list(parsed.authors),
        "dateline_date": clipped(parsed.dateline_date, 40),
        "published_at": parsed.published_at,
        "web_url": parsed.web_url,
        "tags": list(parsed.tags),
        "labels": list(parsed.labels),
        "raw_text": parsed.raw_text,
        "content_hash": parsed.content_hash,
    }


def _revision_of(article: Article) -> ArticleRevision:
    """The article as it is now, kept as a revision before an update replaces it."""
    assert article.id is not None
    return ArticleRevision(
        article_id=article.id,
        title=article.title,
        dateline=article.dateline,
        source=article.source,
        year=article.year,
        body=article.body,
        raw_text=article.raw_text,
        content_hash=article.content_hash,
        ingested_at=article.updated_at,
    )


def _apply(article: Article, parsed: ParsedArticle) -> None:
    """Copy the parsed fields onto a stored article (its id, slug and path stay)."""
    for name, value in _fields(parsed).items():
        setattr(article, name, value)


def slug_base(title: str) -> str:
    """The slug of a headline, before any number that tells it from another article's."""
    # The slug's 80 characters come from the headline's start; transliterating the rest of a
    # headline megabytes long would cost seconds for nothing.
    base = slugify(title[:MAX_TITLE], max_length=SLUG_MAX_LENGTH, word_boundary=True) or "article"
    return f"article-{base}" if base.isdigit() else base  # a slug must not read as an id


def slugs_taken(session: Session, bases: Iterable[str]) -> set[str]:
    """The slugs in the store that a new article with one of these slug bases could collide
    with: each base, and each base numbered (``base-2``, ...); one query a hundred bases."""
    bases = sorted(set(bases))
    connection = session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    taken: set[str] = set()
    for start in range(0, len(bases), 100):
        chunk = bases[start : start + 100]
        # Slugs are [a-z0-9-], so "base-…" sorts between "base-" and "base.": an index range
        # each, where LIKE (case-insensitive in SQLite) would scan the whole table.
        ranges = " OR ".join([f"(slug >= {mark} AND slug < {mark})"] * len(chunk))
        marks = ", ".join([mark] * len(chunk))  # placeholders only: the values are parameters
        sql = f"SELECT slug FROM article WHERE slug IN ({marks})"  # noqa: S608
        parameters = [*chunk, *(bound for base in chunk for bound in (f"{base}-", f"{base}."))]
        rows = connection.exec_driver_sql(f"{sql} OR {ranges}", tuple(parameters))
        taken.update(row[0] for row in rows)
    return taken


def free_slug(base: str, taken: set[str]) -> str:
    """``base``, or the first of ``base-2``, ``base-3``, ... that is not ``taken``."""
    slug, suffix = base, 2
    while slug in taken:
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


def unique_slug(session: Session, *, title: str) -> str:
    """A slug from the headline that no article has yet and that cannot be read as an id."""
    base = slug_base(title)
    return free_slug(base, slugs_taken(session, [base]))
