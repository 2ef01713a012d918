"""The ranked lists (SQLite; app/impacts.py) follow changed and deleted articles word by word,
and record what they were built with.

Before, an article at or below the newest the lists cover that was changed or deleted marked
every list stale, and the next ingestion built them all again (minutes at a million articles).
Now:

- an article changed or deleted marks stale only the lists it is in
  (``term_impact_stale``; their ``term_impact_term`` rows go, so they are not read): an article
  outside a list is beaten by ``K`` others, which beat every article it beats, so its going
  changes no other article's place;
- an article changed, or inserted at or below ``covered``, waits in ``term_impact_changed`` to
  be merged into the lists of the words it now holds; a deleted one waits there too (the words'
  numbers of articles changed). While one waits, no list is read.

``built_with`` records BM25's constants, the column weights, the lists' depth and the tokenizer
(JSON); lists built with others are not read and are built again. Stores migrated here have
none recorded: their lists are built again once.

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

COVERED = "(SELECT covered FROM term_impact_state)"
STALE = "UPDATE term_impact_state SET covered = -1;"
OLD_TRIGGERS = {
    "term_impact_after_insert": f"AFTER INSERT ON article WHEN new.id <= {COVERED}",
    "term_impact_after_update": (
        f"AFTER UPDATE OF id, title, body ON article WHEN old.id <= {COVERED}"
    ),
    "term_impact_after_delete": f"AFTER DELETE ON article WHEN old.id <= {COVERED}",
}
# The statements of the triggers: the lists the old article was in go stale; an article waits.
OLD_LISTS_STALE = (
    "INSERT OR IGNORE INTO term_impact_stale (term)"
    " SELECT term FROM term_impact WHERE id = old.id;"
    " DELETE FROM term_impact_term WHERE term IN (SELECT term FROM term_impact WHERE id = old.id);"
)
NEW_WAITS = "INSERT OR IGNORE INTO term_impact_changed (id) VALUES (new.id);"
OLD_WAITS = "INSERT OR IGNORE INTO term_impact_changed (id) VALUES (old.id);"
TRIGGERS = {
    "term_impact_after_insert": (f"AFTER INSERT ON article WHEN new.id <= {COVERED}", NEW_WAITS),
    "term_impact_after_update": (
        "AFTER UPDATE OF id, title, body ON article"
        f" WHEN old.id <= {COVERED} OR new.id <= {COVERED}",
        f"{OLD_LISTS_STALE} {NEW_WAITS}",
    ),
    "term_impact_after_delete": (
        f"AFTER DELETE ON article WHEN old.id <= {COVERED}",
        f"{OLD_LISTS_STALE} {OLD_WAITS}",
    ),
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("ALTER TABLE term_impact_state ADD COLUMN built_with TEXT NOT NULL DEFAULT ''")
    op.execute("CREATE TABLE term_impact_stale (term TEXT PRIMARY KEY)")
    op.execute("CREATE TABLE term_impact_changed (id INTEGER PRIMARY KEY)")
    op.execute("CREATE INDEX term_impact_by_id ON term_impact (id)")
    for name in OLD_TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    for name, (event, statements) in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {event} BEGIN {statements} END")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name}")
    for name, event in OLD_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {event} BEGIN {STALE} END")
    op.execute("DROP INDEX term_impact_by_id")
    op.execute("DROP TABLE term_impact_changed")
    op.execute("DROP TABLE term_impact_stale")
    op.execute("ALTER TABLE term_impact_state DROP COLUMN built_with")
    # The lists may miss changes the old triggers would have marked: build them all again.
    op.execute(STALE)
