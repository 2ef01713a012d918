"""Ranked candidates for the words in many articles (SQLite; app/impacts.py).

``term_impact`` holds, for each word held by many articles, the articles that can rank among its
best whatever the corpus becomes; ``term_impact_term`` the word's number of articles and a word
as written that the index reads as it; ``term_impact_state`` the newest article the lists
cover. An article at or below that one inserted, changed or deleted marks the lists stale
(``covered`` = -1): the next ingestion builds them again, and until then searches score every
match, as they did before.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COVERED = "(SELECT covered FROM term_impact_state)"
STALE = "UPDATE term_impact_state SET covered = -1;"
TRIGGERS = {
    "term_impact_after_insert": f"AFTER INSERT ON article WHEN new.id <= {COVERED}",
    "term_impact_after_update": (
        f"AFTER UPDATE OF id, title, body ON article WHEN old.id <= {COVERED}"
    ),
    "term_impact_after_delete": f"AFTER DELETE ON article WHEN old.id <= {COVERED}",
}


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute(
        "CREATE TABLE term_impact_state"
        " (id INTEGER PRIMARY KEY CHECK (id = 1), covered INTEGER NOT NULL)"
    )
    # Nothing covered yet: the next ingestion builds the lists of the articles already stored.
    op.execute("INSERT INTO term_impact_state (id, covered) VALUES (1, 0)")
    op.execute(
        "CREATE TABLE term_impact_term"
        " (term TEXT PRIMARY KEY, witness TEXT NOT NULL, documents INTEGER NOT NULL)"
    )
    op.execute(
        "CREATE TABLE term_impact (term TEXT NOT NULL, id INTEGER NOT NULL,"
        " weighted REAL NOT NULL, length INTEGER NOT NULL, PRIMARY KEY (term, id)) WITHOUT ROWID"
    )
    for name, event in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {event} BEGIN {STALE} END")


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.execute("DROP TABLE term_impact")
    op.execute("DROP TABLE term_impact_term")
    op.execute("DROP TABLE term_impact_state")
