"""A version number of the store that moves with every change, for the caches of many servers.

SQLite tells each connection when another has committed (``PRAGMA data_version``); PostgreSQL
does not, so a statement trigger counts the changes to the articles and their vocabulary, and
every API replica compares that one number before trusting what it cached.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGERS = (("article", "article_store_version"), ("search_term", "search_term_store_version"))


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE TABLE store_version ("
        " id integer PRIMARY KEY CHECK (id = 1), version bigint NOT NULL)"
    )
    op.execute("INSERT INTO store_version (id, version) VALUES (1, 0)")
    op.execute(
        """
        CREATE FUNCTION byline_store_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            UPDATE store_version SET version = version + 1 WHERE id = 1;
            RETURN NULL;
        END
        $$
        """
    )
    for table, trigger in TRIGGERS:
        op.execute(
            f"CREATE TRIGGER {trigger} AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION byline_store_changed()"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, trigger in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table}")
    op.execute("DROP FUNCTION IF EXISTS byline_store_changed()")
    op.execute("DROP TABLE IF EXISTS store_version")
