"""The changes of each article, by number: an index on ``article_change (article_id, number)``.

The change stream (``/v1/changes``) shows with each change the article as it is now, unless
the article was removed after that change (on SQLite a removed article's id can be given to a
later one): it asks, for the articles of a page, whether and when each was last removed. The
index makes that a seek per article instead of a scan of every later change.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_article_change_article_id_number", "article_change", ["article_id", "number"]
    )


def downgrade() -> None:
    op.drop_index("ix_article_change_article_id_number", table_name="article_change")
