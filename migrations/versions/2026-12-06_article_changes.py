"""Numbered changes: every addition, update and removal of an article gets the next number.

Triggers on the article table write the changes, so that every write (ingestion, pruning, an
import, a later migration, a hand-written statement) records its changes in its own transaction,
and a removal keeps the id of the article it removed. A store upgraded with articles in it gets
one ``added`` change per article, in id order, dated when the article was ingested: a follower
starting from 0 sees the whole corpus.

Why a reader never later finds a committed change below one it has seen: on SQLite one writer
at a time holds the write lock from its first write to its commit, and ``AUTOINCREMENT`` hands
out numbers above every number ever given. On PostgreSQL a sequence hands out numbers when they
are asked for, not at commit, so a trigger before each statement that writes articles first
locks the change table against every other writer until its transaction ends (readers are
not held up): two transactions that change articles then commit in the order of their numbers,
whether or not they took Byline's advisory write lock.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite's time of the statement as SQLAlchemy writes a UTC time there (microseconds, no zone).
SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now') || '000'"
# (trigger, event, the article whose id is recorded, kind) on SQLite.
SQLITE_TRIGGERS = (
    ("article_change_after_insert", "AFTER INSERT ON article", "new", "added"),
    ("article_change_after_update", "AFTER UPDATE ON article", "new", "updated"),
    ("article_change_after_delete", "AFTER DELETE ON article", "old", "removed"),
)
# Before each statement that writes articles, so that it is taken before any article row is
# locked (taken after a row lock, two writers of different rows could each wait for the other):
# held until the transaction ends (taken again at once by the same transaction), so numbers are
# committed in their order. Readers (ACCESS SHARE) are not held up.
POSTGRESQL_LOCK_FUNCTION = """
CREATE FUNCTION byline_article_change_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    LOCK TABLE article_change IN EXCLUSIVE MODE;
    RETURN NULL;
END
$$
"""
POSTGRESQL_FUNCTION = """
CREATE FUNCTION byline_article_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO article_change (article_id, kind, at)
        VALUES (OLD.id, 'removed', clock_timestamp());
    ELSE
        INSERT INTO article_change (article_id, kind, at)
        VALUES (NEW.id, CASE TG_OP WHEN 'INSERT' THEN 'added' ELSE 'updated' END,
                clock_timestamp());
    END IF;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.create_table(
        "article_change",
        sa.Column(
            "number",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            primary_key=True,
            autoincrement=True,
        ),
        sa.Column("article_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=7), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    if dialect == "postgresql":
        op.execute(POSTGRESQL_LOCK_FUNCTION)
        op.execute(POSTGRESQL_FUNCTION)
        op.execute(
            "CREATE TRIGGER article_change_lock BEFORE INSERT OR UPDATE OR DELETE ON article"
            " FOR EACH STATEMENT EXECUTE FUNCTION byline_article_change_lock()"
        )
        # Creating the trigger locks the article table against writers until this migration
        # commits, so no article is written between the triggers and the backfill below.
        op.execute(
            "CREATE TRIGGER article_change AFTER INSERT OR UPDATE OR DELETE ON article"
            " FOR EACH ROW EXECUTE FUNCTION byline_article_changed()"
        )
    else:
        for name, event, row, kind in SQLITE_TRIGGERS:
            op.execute(  # every part is one of the constants above
                f"CREATE TRIGGER {name} {event} BEGIN INSERT INTO article_change"  # noqa: S608
                f" (article_id, kind, at) VALUES ({row}.id, '{kind}', {SQLITE_NOW}); END"
            )
    op.execute(
        "INSERT INTO article_change (article_id, kind, at)"
        " SELECT id, 'added', ingested_at FROM article ORDER BY id"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS article_change ON article")
        op.execute("DROP FUNCTION IF EXISTS byline_article_changed()")
        op.execute("DROP TRIGGER IF EXISTS article_change_lock ON article")
        op.execute("DROP FUNCTION IF EXISTS byline_article_change_lock()")
    else:
        for name, *_ in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("article_change")
