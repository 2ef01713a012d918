"""The search index answers every search: the store's own full-text structures go.

The Tantivy index (app/search/) follows the store's numbered changes and answers search, name
variants, corrections and related articles on both stores, so what the store kept for its own
full-text search is dropped: on SQLite the FTS5 table ``article_fts`` with its triggers and its
vocabulary tables, the pending-build flag, and the ranked lists (``term_impact*``) with their
triggers; on PostgreSQL the generated ``search_vector``, its GIN index and the ``byline`` text
search configuration; on both the ``search_term`` vocabulary. The next server start or
ingestion builds the index from the articles.

A downgrade builds those structures again with the statements of the migrations that made them
(read from their files), and fills them from the articles: the full-text index and, with the
similarity keys of migration 0014, the vocabulary.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06
"""

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_TRIGGERS = (
    "article_fts_after_insert",
    "article_fts_after_update",
    "article_fts_after_delete",
    "term_impact_after_insert",
    "term_impact_after_update",
    "term_impact_after_delete",
)
# Virtual tables first: dropping ``article_fts`` drops its shadow tables.
SQLITE_TABLES = (
    "article_fts_vocab",
    "article_fts_instances",
    "article_fts",
    "fts_pending",
    "term_impact",
    "term_impact_term",
    "term_impact_state",
    "term_impact_stale",
    "term_impact_changed",
)
POSTGRESQL_STATEMENTS = (
    "DROP INDEX IF EXISTS ix_search_term_trigrams",
    "DROP INDEX IF EXISTS ix_article_search_vector",
    "ALTER TABLE article DROP COLUMN IF EXISTS search_vector",
    "DROP TEXT SEARCH CONFIGURATION IF EXISTS byline",
    "DROP TEXT SEARCH DICTIONARY IF EXISTS byline_stem",
)
# The migrations whose structures a downgrade makes again, in the order they made them.
REMADE_BY = (
    "2026-11-24_search_terms.py",
    "2026-11-24_index_instances.py",
    "2026-11-25_deferred_index.py",
    "2026-11-25_term_impacts.py",
    "2026-11-25_term_impact_changes.py",
)


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        for table in SQLITE_TABLES:
            op.execute(f"DROP TABLE IF EXISTS {table}")
    elif dialect == "postgresql":
        for statement in POSTGRESQL_STATEMENTS:
            op.execute(statement)
    op.execute("DROP INDEX IF EXISTS ix_search_term_key")
    op.execute("DROP TABLE IF EXISTS search_term")


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    created = _migration("2026-11-24_create_article.py")
    if dialect == "sqlite":
        for statement in created.FTS5_SQL:
            op.execute(statement)
    elif dialect == "postgresql":
        # The dictionary, the configuration, the generated column and its index: the collations
        # and the extensions stayed.
        stayed = ("ALTER TABLE article ALTER COLUMN", "CREATE EXTENSION")
        for statement in created.POSTGRESQL_SQL:
            if not statement.strip().startswith(stayed):
                op.execute(statement)
    for name in REMADE_BY:
        _migration(name).upgrade()
    if dialect == "postgresql":
        # The vocabulary moved the store's version (migration 0009): its trigger went with it.
        op.execute(
            "CREATE TRIGGER search_term_store_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
            " ON search_term FOR EACH STATEMENT EXECUTE FUNCTION byline_store_changed()"
        )
    _fill_vocabulary(dialect)


def _fill_vocabulary(dialect: str) -> None:
    """``search_term`` from the full-text index's own vocabulary, each term with its key."""
    keys = _migration("2026-12-06_name_keys.py")
    vocabulary = (
        "SELECT term, doc FROM article_fts_vocab"
        if dialect == "sqlite"
        else "SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM article')"
    )
    connection = op.get_bind()
    rows = [
        {"term": term, "key": key, "documents": documents}
        for term, documents in connection.execute(sa.text(vocabulary))
        if (key := keys._key(term, keys._WIDENED)) is not None
    ]
    if rows:
        connection.execute(
            sa.text(
                "INSERT INTO search_term (term, key, documents) VALUES (:term, :key, :documents)"
            ),
            rows,
        )


def _migration(file_name: str) -> ModuleType:
    """The module of an earlier migration of this folder, loaded from its file."""
    path = Path(__file__).with_name(file_name)
    spec = importlib.util.spec_from_file_location(f"byline_migration_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
