"""The vocabulary behind name variants and corrections.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "search_term",
        sa.Column("term", sa.Text(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("term"),
    )
    op.create_index("ix_search_term_key", "search_term", ["key"])
    if op.get_bind().dialect.name == "sqlite":
        # The index's own vocabulary: one row per term with the number of articles holding it.
        # Filled by ingestion, never here: a migration runs none of the app's code.
        op.execute("CREATE VIRTUAL TABLE article_fts_vocab USING fts5vocab(article_fts, 'row')")
    elif op.get_bind().dialect.name == "postgresql":
        # Terms compared by code point (the prefix ranges of app/search/completions.py assume it);
        # trigrams find the corpus words a misspelt one is close to.
        op.execute('ALTER TABLE search_term ALTER COLUMN term TYPE text COLLATE "C"')
        op.execute(
            "CREATE INDEX ix_search_term_trigrams ON search_term USING gin (term gin_trgm_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS article_fts_vocab")
    elif op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_search_term_trigrams")
    op.drop_index("ix_search_term_key", table_name="search_term")
    op.drop_table("search_term")
