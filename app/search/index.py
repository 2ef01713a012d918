"""The search index's upkeep: it follows the store's numbered changes (``article_change``).

The store is the source of truth. Each index commit holds, with the articles it changed, the
number of the last change it applied (the progress document), so the index says itself how far
it has come. Catching up re-reads each changed article as the store holds it now and replaces
it by id (or forgets it when the store no longer has it): applying a change twice, or a change
whose article has changed again since, converges on the store. A crash between the store's
commit and the index's loses nothing: the next catch-up starts after the last committed batch.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tantivy
from sqlalchemy import Connection, Engine, select

from app.models import Article
from app.search.schema import PROGRESS_ID, article_document, open_index, progress_document
from app.store import changes_after

# Changes applied in one index commit: bounds the writer's memory and the work a crash redoes.
BATCH_CHANGES = 2_000
# The writer's memory budget, in bytes, shared by its threads (the engine wants 15 MB a thread).
WRITER_HEAP = 64_000_000
WRITER_THREADS = 1


class IndexBusy(Exception):
    """Another writer (this process or another) holds the index's writer lock."""


@dataclass(frozen=True, slots=True)
class CatchUp:
    """What a catch-up did: the change the index had applied before and after, and the number
    of changes it applied."""

    before: int
    after: int
    changes: int


class SearchIndex:
    """The index in one folder: its searcher, and its catch-up with the store."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.index = open_index(folder)

    def searcher(self) -> tantivy.Searcher:
        """A searcher over the latest commit this process has loaded."""
        return self.index.searcher()

    def reload(self) -> None:
        """Load the latest commit (of any process)."""
        self.index.reload()

    def applied_change(self, searcher: tantivy.Searcher | None = None) -> int:
        """The number of the last change the loaded commit (or ``searcher``'s) applied; 0 for
        an empty index."""
        searcher = searcher or self.index.searcher()
        found = searcher.search(
            tantivy.Query.term_query(self.index.schema, "id", PROGRESS_ID), 1
        ).hits
        if not found:
            return 0
        value = searcher.doc(found[0][1]).get_first("applied_change")
        return int(value) if value is not None else 0

    def catch_up(self, engine: Engine, *, batch: int = BATCH_CHANGES) -> CatchUp:
        """Apply every change the store has committed after the index's, ``batch`` changes a
        commit. Raises ``IndexBusy`` when another writer holds the index."""
        try:
            writer = self.index.writer(WRITER_HEAP, WRITER_THREADS)
        except ValueError as error:
            if "LockBusy" in str(error):
                raise IndexBusy(str(error)) from None
            raise
        try:
            self.reload()
            before = applied = self.applied_change()
            count = 0
            while True:
                with engine.connect() as connection:
                    changes = changes_after(connection, applied, limit=batch)
                    if not changes:
                        break
                    ids = sorted({change.article_id for change in changes})
                    articles = _articles(connection, ids)
                latest = {change.article_id: change.number for change in changes}
                _replace(writer, ids, articles, latest)
                writer.delete_documents_by_term("id", PROGRESS_ID)
                applied = changes[-1].number
                writer.add_document(progress_document(applied))
                writer.commit()
                count += len(changes)
            self.reload()
            return CatchUp(before=before, after=applied, changes=count)
        finally:
            del writer  # releases the lock; anything not committed is dropped


def _articles(connection: Connection, ids: list[int]) -> list[dict[str, Any]]:
    """The articles with these ids that the store holds, as the index reads them."""
    table = Article.__table__.c  # type: ignore[attr-defined]
    rows = connection.execute(
        select(
            table.id,
            table.title,
            table.body,
            table.source,
            table.dateline,
            table.labels,
            table.year,
            table.published_at,
        ).where(table.id.in_(ids))
    )
    return [dict(row._mapping) for row in rows]


def _replace(
    writer: tantivy.IndexWriter,
    ids: Iterable[int],
    articles: Iterable[dict[str, Any]],
    latest: dict[int, int],
) -> None:
    """Forget the articles with these ids, then add them again as the store holds them, each
    with the number of its latest change (``latest``)."""
    for id in ids:
        writer.delete_documents_by_term("id", id)
    for article in articles:
        writer.add_document(article_document(article, change=latest[article["id"]]))
