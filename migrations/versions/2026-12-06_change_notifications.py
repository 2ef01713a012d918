"""PostgreSQL tells listeners when changes to articles commit: ``NOTIFY byline_article_change``.

Each server process's index follower listens on the channel (``app/search/follower.py``), so a
replica applies an ingestion's batch as soon as it commits instead of at its next poll. The
notification is sent by the trigger that numbers each change; PostgreSQL sends it at commit
only (never for a transaction rolled back) and folds a transaction's identical notifications
into one, so a batch of any size wakes each listener once. Polling stays as the fallback for a
lost connection. SQLite has no such channel: its followers poll.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The function of migration 0015, which numbers each change, and (from here) announces it.
NOTIFYING_FUNCTION = """
CREATE OR REPLACE FUNCTION byline_article_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO article_change (article_id, kind, at)
        VALUES (OLD.id, 'removed', clock_timestamp());
    ELSE
        INSERT INTO article_change (article_id, kind, at)
        VALUES (NEW.id, CASE TG_OP WHEN 'INSERT' THEN 'added' ELSE 'updated' END,
                clock_timestamp());
    END IF;
    PERFORM pg_notify('byline_article_change', '');
    RETURN NULL;
END
$$
"""
SILENT_FUNCTION = NOTIFYING_FUNCTION.replace(
    "    PERFORM pg_notify('byline_article_change', '');\n", ""
)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(NOTIFYING_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(SILENT_FUNCTION)
