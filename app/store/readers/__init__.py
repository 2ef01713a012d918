"""The store's read paths: plain SQL on long-lived read connections, one reader a store.

``base`` says what a reader offers; ``sqlite`` and ``postgresql`` are the two stores'.
"""

from sqlalchemy.engine import make_url

from app.store.readers.base import Reader
from app.store.readers.postgresql import PostgresReader
from app.store.readers.sqlite import SQLiteReader


def open_reader(
    database_url: str,
    *,
    cache_size: int = 0,
    body_cache_bytes: int = 0,
    pool_size: int = 5,
    max_overflow: int = 10,
) -> Reader:
    """The plain read path for the store at ``database_url`` (SQLite or PostgreSQL)."""
    backend = make_url(database_url).get_backend_name()
    caches = {"cache_size": cache_size, "body_cache_bytes": body_cache_bytes}
    if backend == "postgresql":
        return PostgresReader(
            database_url,
            pool_size=pool_size,
            max_overflow=max_overflow,
            **caches,
        )
    if backend == "sqlite":
        return SQLiteReader(database_url, **caches)
    raise ValueError(f"Byline stores articles in SQLite or PostgreSQL, not {backend}")
