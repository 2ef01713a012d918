"""What the ranked lists were built with (SQLite; app/impacts.py): BM25's constants, the column
weights, the lists' depth and the tokenizer, as JSON. Lists built with others are not read and
are built again by the next ingestion. Stores migrated here have none recorded: their lists are
built again once.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("ALTER TABLE term_impact_state ADD COLUMN built_with TEXT NOT NULL DEFAULT ''")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("ALTER TABLE term_impact_state DROP COLUMN built_with")
