"""PostgreSQL compresses article bodies with LZ4: a search reads 20 bodies to highlight them.

A body of a few kilobytes is compressed in its row. PostgreSQL's default method, pglz, took
about 15 µs to give back each body of the generated corpus (4 KB), so that reading a page's 20
bodies cost 0.5 ms where LZ4 takes 0.25 ms, for a quarter more room (bench/RESULTS.md,
2026-12-07). LZ4 is there from PostgreSQL 14 on, when the server was built with it (the
official images and Debian's packages are); elsewhere nothing changes. Bodies already stored
keep their method until they are written again: no table is rewritten.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The server lists the compression methods it was built with among this setting's values.
LZ4_AVAILABLE = (
    "SELECT count(*) FROM pg_settings"
    " WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
)


def _compress_bodies_with(method: str) -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql" and bind.exec_driver_sql(LZ4_AVAILABLE).scalar():
        op.execute(f"ALTER TABLE article ALTER COLUMN body SET COMPRESSION {method}")


def upgrade() -> None:
    _compress_bodies_with("lz4")


def downgrade() -> None:
    _compress_bodies_with("DEFAULT")
