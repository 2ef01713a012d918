"""Publication time, the article's own address and tags, from richer input formats.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("article") as batch:
        batch.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("web_url", sa.Text(), nullable=True))
        batch.add_column(sa.Column("tags", sa.JSON(), nullable=False, server_default="[]"))
    op.create_index("ix_article_published_at", "article", ["published_at"])


def downgrade() -> None:
    op.drop_index("ix_article_published_at", table_name="article")
    with op.batch_alter_table("article") as batch:
        batch.drop_column("tags")
        batch.drop_column("web_url")
        batch.drop_column("published_at")
