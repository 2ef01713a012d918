"""Matching saved searches on arrival, and their webhooks: how far matching has come, the
matches it recorded, each saved search's webhook and base URL, and the deliveries to make.

``saved_search_progress`` is one row: the number of the last change whose articles every saved
search was matched against. It starts at the oldest point a saved search already stored was
saved at (its matches are owed), or at the store's last change when there is none.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NUMBER = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    # On SQLite the table is made anew with AUTOINCREMENT, so that a deleted search's id is
    # never given to another (matching and deliveries tell searches by id).
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table(
        "saved_search",
        recreate="always" if sqlite else "auto",
        table_kwargs={"sqlite_autoincrement": True},
    ) as table:
        table.add_column(sa.Column("base_url", sa.String(length=2000), nullable=True))
        table.add_column(sa.Column("webhook_url", sa.String(length=2000), nullable=True))
        table.add_column(sa.Column("webhook_secret", sa.String(length=100), nullable=True))
    progress = op.create_table(
        "saved_search_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("matched_change", _NUMBER, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    bind = op.get_bind()
    start = bind.execute(
        sa.text(
            "SELECT coalesce((SELECT min(last_change) FROM saved_search),"
            " (SELECT max(number) FROM article_change), 0)"
        )
    ).scalar_one()
    op.bulk_insert(progress, [{"id": 1, "matched_change": start}])
    op.create_table(
        "saved_search_match",
        sa.Column("saved_search_id", sa.Integer(), nullable=False),
        sa.Column("change_number", _NUMBER, nullable=False),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["saved_search_id"], ["saved_search.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("saved_search_id", "change_number"),
    )
    op.create_table(
        "webhook_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("saved_search_id", sa.Integer(), nullable=False),
        sa.Column("first_change", _NUMBER, nullable=False),
        sa.Column("last_change", _NUMBER, nullable=False),
        sa.Column("matches", sa.Integer(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("leased_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["saved_search_id"], ["saved_search.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,  # the id is the `webhook-id`: never given twice
    )
    op.create_index(
        "ix_webhook_delivery_saved_search_id", "webhook_delivery", ["saved_search_id", "id"]
    )
    op.create_index("ix_webhook_delivery_due", "webhook_delivery", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("webhook_delivery")
    op.drop_table("saved_search_match")
    op.drop_table("saved_search_progress")
    with op.batch_alter_table("saved_search") as table:
        table.drop_column("webhook_secret")
        table.drop_column("webhook_url")
        table.drop_column("base_url")
