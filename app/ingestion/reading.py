"""A file's articles: read and parsed by its format's reader, or skipped as unchanged when its
size and modification time (or its bytes) are those of its last ingestion whole."""

import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import Engine

from app.ingestion.formats.readers import reader_for
from app.ingestion.outcomes import FileResult, Outcome, shown_path
from app.ingestion.parsed import PARSER_VERSION, ArticleRejected, ParsedArticle
from app.store.database import run

MAX_FILE_BYTES = 10 * 1024 * 1024


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


class KnownFile(NamedTuple):
    """What a file looked like when it was last ingested whole."""

    path: str
    size: int
    mtime_ns: int
    sha256: str
    articles: int
    parser: int  # the version of the parser that read it (PARSER_VERSION)


def known_files(engine: Engine, keys: list[str]) -> dict[str, KnownFile]:
    """What the store remembers of the files of these keys (a file it never took is absent)."""
    if not keys:
        return {}
    # Plain SQL: the ORM's expanding IN cost more than the read itself on a run of unchanged files.
    marks = ", ".join("?" for _ in keys)
    columns = ", ".join(KnownFile._fields)
    sql = f"SELECT {columns} FROM source_file WHERE path IN ({marks})"  # noqa: S608
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
    if before is not None and before.parser != PARSER_VERSION:
        before = None  # read by an older parser: read it again, whatever its bytes
    if before is not None and (before.size, before.mtime_ns) == (info.st_size, info.st_mtime_ns):
        unchanged = FileResult(shown_path(path), Outcome.UNCHANGED, count=before.articles)
        return LoadedFile(path, key, [unchanged], None, read=False)
    try:
        data = read_article_bytes(path)
        digest = hashlib.sha256(data).hexdigest()
        if before is not None and before.sha256 == digest:  # touched, not changed
            seen = before._replace(size=info.st_size, mtime_ns=info.st_mtime_ns)
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
    seen = KnownFile(key, info.st_size, info.st_mtime_ns, digest, len(entries), PARSER_VERSION)
    return LoadedFile(path, key, entries, seen)


def _failed(path: Path, key: str, reason: str) -> LoadedFile:
    result = FileResult(shown_path(path), Outcome.FAILED, reason=reason)
    return LoadedFile(path, key, [result], None)


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
