"""Parsed articles into the store: a batch's new articles inserted together in one statement,
every other article (an update keeping a revision, a duplicate, an unchanged one) in its own
savepoint, and the files whose articles were all taken remembered."""

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert as sa_insert
from sqlalchemy import select as sa_select
from sqlalchemy.exc import DBAPIError, PendingRollbackError, SQLAlchemyError
from sqlmodel import Session, select

from app.ingestion.article_rows import apply_fields, article_fields, revision_of
from app.ingestion.outcomes import FileResult, Outcome
from app.ingestion.parsed import ParsedArticle
from app.ingestion.reading import KnownFile, Loaded, LoadedFile
from app.ingestion.slugs import free_slug, slug_base, slugs_taken, unique_slug
from app.store.models import Article, SourceFile
from app.store.times import in_utc, utc_now

# Files a run reads before one write transaction stores them (and values a query looks up at once).
BATCH_SIZE = 200
# The dialects' INSERT ... ON CONFLICT DO UPDATE, by module: PostgreSQL's is imported only when used
# (ingestion's memory on SQLite).
UPSERTS = {"sqlite": "sqlalchemy.dialects.sqlite", "postgresql": "sqlalchemy.dialects.postgresql"}


def store_batch(session: Session, batch: list[LoadedFile | FileResult]) -> list[list[FileResult]]:
    """Store a batch of files' articles; the results of each item, in order.

    New articles (no article has their file or their text yet) are inserted together, in one
    statement; every other article (an update, a duplicate, an unchanged record) is stored on
    its own. A file is remembered (``source_file``) when all its articles were taken.
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
            **article_fields(entry.article),
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
            name: statement.excluded[name]
            for name in ("size", "mtime_ns", "sha256", "articles", "parser")
        },
    )
    session.connection().execute(statement, [file._asdict() for file in files])


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


def _read_anew(article: Article, parsed: ParsedArticle) -> list[str]:
    """The stored fields that parsing the article's unchanged text now gives otherwise."""
    return [
        name
        for name, value in article_fields(parsed).items()
        if getattr(article, name) != value and not _same_time(getattr(article, name), value)
    ]


def _same_time(stored: object, parsed: object) -> bool:
    """Whether two times are the same instant (SQLite gives a stored one back without zone)."""
    if not isinstance(stored, datetime) or not isinstance(parsed, datetime):
        return False
    return in_utc(stored) == in_utc(parsed)


def _store(session: Session, parsed: ParsedArticle, *, path: str, key: str) -> FileResult:
    digest, warnings = parsed.content_hash, parsed.warnings
    existing = session.exec(select(Article).where(Article.source_path == key)).first()
    if existing is not None and existing.content_hash == digest:
        if changed := _read_anew(existing, parsed):
            # The same text, read by a newer parser (PARSER_VERSION): the new fields, with no
            # revision, since no text was replaced.
            apply_fields(existing, parsed)
            session.add(existing)
            session.flush()
            warnings += (f"the same text read anew by a newer parser: {', '.join(changed)}",)
            return FileResult(path, Outcome.UPDATED, existing.id, existing.slug, warnings=warnings)
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
        session.add(revision_of(existing))
        apply_fields(existing, parsed)
        existing.updated_at = utc_now()
        session.add(existing)
        session.flush()
        return FileResult(path, Outcome.UPDATED, existing.id, existing.slug, warnings=warnings)
    article = Article(
        slug=unique_slug(session, title=parsed.title), source_path=key, **article_fields(parsed)
    )
    session.add(article)
    session.flush()
    return FileResult(path, Outcome.ADDED, article.id, article.slug, warnings=warnings)
