"""Labels: a wire service's markers of a story's state (corrected, refile, update 2), taken out
of its headline.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Plain ALTER TABLE, not a batch: on SQLite a batch copies the table, dropping the triggers that
# keep the search index and the ranked lists in step with it.
def upgrade() -> None:
    op.add_column("article", sa.Column("labels", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    op.drop_column("article", "labels")
