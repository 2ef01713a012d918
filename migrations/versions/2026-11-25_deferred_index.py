"""A first load into an empty SQLite store builds the full-text index once, at its end.

While ``fts_pending`` holds its row, the triggers leave ``article_fts`` alone; the ingestion
that set the row rebuilds the index from the article table and deletes the row in one
transaction. A run killed before that leaves the row, and the next run rebuilds.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The triggers of 0001, each with the condition (or none).
TRIGGERS = {
    "article_fts_after_insert": (
        "AFTER INSERT ON article",
        "INSERT INTO article_fts(rowid, title, body) VALUES (new.id, new.title, new.body);",
    ),
    "article_fts_after_delete": (
        "AFTER DELETE ON article",
        "INSERT INTO article_fts(article_fts, rowid, title, body)"
        " VALUES ('delete', old.id, old.title, old.body);",
    ),
    "article_fts_after_update": (
        "AFTER UPDATE OF title, body ON article",
        "INSERT INTO article_fts(article_fts, rowid, title, body)"
        " VALUES ('delete', old.id, old.title, old.body);"
        " INSERT INTO article_fts(rowid, title, body) VALUES (new.id, new.title, new.body);",
    ),
}
UNLESS_PENDING = "WHEN NOT EXISTS (SELECT 1 FROM fts_pending)"


def _create_triggers(condition: str) -> None:
    for name, (event, body) in TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(f"CREATE TRIGGER {name} {event} {condition} BEGIN {body} END")


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE TABLE fts_pending (id INTEGER PRIMARY KEY CHECK (id = 1))")
    _create_triggers(UNLESS_PENDING)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    # An index still pending is built before the triggers go back to keeping it always.
    op.execute(
        "INSERT INTO article_fts(article_fts) SELECT 'rebuild' WHERE EXISTS"
        " (SELECT 1 FROM fts_pending)"
    )
    _create_triggers("")
    op.execute("DROP TABLE fts_pending")
