"""The version of the parser that read each file (``source_file.parser``): a file read by an
older one is read again by the next ingestion. Files already stored were read by none of the
numbered versions (0), so the next ingestion reads every one of them again, once.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("source_file") as table:
        table.add_column(sa.Column("parser", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("source_file") as table:
        table.drop_column("parser")
