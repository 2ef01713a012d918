"""The store's articles as the index's documents: the columns a document is made of, the
articles read from the store a chunk at a time, and an article's document replaced by what the
store holds now (or forgotten when the store no longer has it).
"""

import threading
from typing import Any

import tantivy
from sqlalchemy import Connection, select

from app.search.schema import article_document
from app.store.filters import WHOLE_VALUE_FILTERS, Facet
from app.store.models import Article

# Articles read from the store at once: bounds the memory a batch of long articles takes.
READ_CHUNK = 200

# The columns a document is made of (``app/search/schema.py``): the texts, the sorts' values,
# and the column of every whole-value filter and every facet.
INDEXED_COLUMNS = tuple(
    dict.fromkeys(
        (
            *("id", "title", "body", "year", "published_at"),
            *(declared.column for declared in WHOLE_VALUE_FILTERS),
            *(facet.column for facet in Facet),
        )
    )
)


def stored_articles(
    connection: Connection, where: Any, *, order_by: Any = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """The articles the store holds that match ``where``, as the index reads them."""
    table = Article.__table__.c  # type: ignore[attr-defined]
    statement = select(*(table[name] for name in INDEXED_COLUMNS)).where(where)
    if order_by is not None:
        statement = statement.order_by(order_by)
    if limit is not None:
        statement = statement.limit(limit)
    return [dict(row._mapping) for row in connection.execute(statement)]


def replace_documents(
    writer: tantivy.IndexWriter,
    connection: Connection,
    latest: dict[int, int],
    *,
    stop: threading.Event | None,
) -> bool:
    """Forget the articles ``latest`` names, then add again those the store holds, each with
    the number of its latest change, a chunk of reads at a time; False when ``stop`` cut it
    off (the batch is then not to be committed)."""
    table = Article.__table__.c  # type: ignore[attr-defined]
    ids = sorted(latest)
    for start in range(0, len(ids), READ_CHUNK):
        if stop is not None and stop.is_set():
            writer.rollback()
            return False
        chunk = ids[start : start + READ_CHUNK]
        for id in chunk:
            writer.delete_documents_by_term("id", id)
        for article in stored_articles(connection, table.id.in_(chunk)):
            writer.add_document(article_document(article, change=latest[article["id"]]))
    return True
