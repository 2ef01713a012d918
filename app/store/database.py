"""Engines, sessions and migrations: the one place that knows how Byline talks to its store."""

import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, CursorResult, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlmodel import Session

if TYPE_CHECKING:  # Alembic is imported when a migration is looked at, not by every command
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 5_000


# Writers to a PostgreSQL store take this transaction-level advisory lock (any 64-bit number
# of our own) before they write, as SQLite's writers take its write lock.
WRITE_LOCK_KEY = 0x6279_6C69_6E65  # "byline"


def create_db_engine(
    database_url: str,
    *,
    writer: bool = False,
    pool_size: int = 5,
    max_overflow: int = 10,
    read_only: bool = False,
    autocommit: bool = False,
) -> Engine:
    """An engine for ``database_url``; SQLite gets WAL, a busy timeout and real transactions.

    A ``writer`` engine takes the store's write lock when a transaction begins (SQLite's own;
    on PostgreSQL an advisory lock), so that two writers queue instead of failing or both
    storing the same new article. A ``read_only`` engine's connections refuse every write
    (SQLite's ``query_only``, PostgreSQL's ``default_transaction_read_only``): the API's.
    PostgreSQL engines keep a pool of ``pool_size`` connections (and up to ``max_overflow``
    more under a burst); an ``autocommit`` one runs each statement in a transaction of its own.
    """
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        return _postgresql_engine(
            url,
            writer=writer,
            pool_size=pool_size,
            max_overflow=max_overflow,
            read_only=read_only,
            autocommit=autocommit,
        )
    if url.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    if url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False})
    event.listen(engine, "connect", _configure_read_only_sqlite if read_only else _configure_sqlite)
    begin = "BEGIN IMMEDIATE" if writer else "BEGIN"
    event.listen(engine, "begin", lambda connection: connection.exec_driver_sql(begin))
    return engine


def _postgresql_engine(
    url: URL, *, writer: bool, pool_size: int, max_overflow: int, read_only: bool, autocommit: bool
) -> Engine:
    # A reader's transaction reads one snapshot, as on SQLite: what a request reads in one
    # session (related articles, revisions, an export) agrees even while an ingestion commits.
    # Writers keep READ COMMITTED: their statements after the write lock must see what the
    # writer before them committed.
    options: dict[str, Any] = {} if writer else {"isolation_level": "REPEATABLE READ"}
    if autocommit:
        # No transaction to end when a connection goes back to the pool.
        options = {"isolation_level": "AUTOCOMMIT", "pool_reset_on_return": None}
    if read_only:
        # Every transaction of the session is read-only, autocommitted statements too.
        server_options = url.query.get("options", "")
        if not isinstance(server_options, str):
            server_options = " ".join(server_options)
        options["connect_args"] = {
            "options": f"{server_options} -c default_transaction_read_only=on".strip()
        }
    # An autocommit engine's users retry a query once on a connection found dead instead (see
    # app/store/readers/): a ping before each query would double the round trips of the hot path.
    engine = create_engine(
        url,
        pool_pre_ping=not autocommit,
        pool_size=pool_size,
        max_overflow=max_overflow,
        **options,
    )
    if writer:
        event.listen(engine, "begin", _take_write_lock)
    return engine


def _take_write_lock(connection: Connection) -> None:
    # Waiting as long as SQLite's busy timeout at most: a writer kept waiting longer stops with
    # a clear line. The lock comes first: the writer's reads come after the last writer's commit.
    connection.exec_driver_sql(f"SET LOCAL lock_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")


def _configure_read_only_sqlite(dbapi_connection: Any, record: Any) -> None:
    _configure_sqlite(dbapi_connection, record)
    # After the journal mode: a query-only connection cannot set it.
    dbapi_connection.execute("PRAGMA query_only=ON")


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite opens transactions lazily and never around DDL or SAVEPOINT; hand that job to
    # SQLAlchemy (the "begin" listener) so that savepoints and transactional migrations work.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while the single writer ingests; NORMAL sync is durable in WAL mode
    # except for the last commits before a power loss, never corrupting.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def alembic_config(database_url: str) -> "Config":
    """Alembic's configuration for our migrations folder, pointed at ``database_url``."""
    from alembic.config import Config  # noqa: PLC0415

    # Standard output as it is now: Alembic's default is the one of its import, which may be a
    # stream replaced and closed since (a test runner's capture).
    config = Config(stdout=sys.stdout)
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    return config


def migrate(database_url: str) -> None:
    """Upgrade the store's schema to the newest migration (a read, when it is there already)."""
    engine = create_db_engine(database_url)
    try:
        if schema_revision(engine) == schema_head(database_url):
            return  # no write lock taken: serve and ingest may start while another writes
    finally:
        engine.dispose()
    from alembic import command  # noqa: PLC0415

    command.upgrade(alembic_config(database_url), "head")


def schema_head(database_url: str) -> str | None:
    """The newest migration revision."""
    from alembic.script import ScriptDirectory  # noqa: PLC0415

    return ScriptDirectory.from_config(alembic_config(database_url)).get_current_head()


def schema_revision(engine: Engine) -> str | None:
    """The migration revision the store is at (None when never migrated)."""
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def ping(engine: Engine) -> None:
    """Raise unless the store answers a trivial query."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))


def run(
    connection: Connection, sql: str, parameters: Sequence[Any] = ()
) -> CursorResult[*tuple[Any, ...]]:
    """Plain SQL written with ``?`` placeholders, on SQLite's driver or psycopg's."""
    if connection.dialect.paramstyle != "qmark":
        sql = format_placeholders(sql)
    return connection.exec_driver_sql(sql, tuple(parameters))


def format_placeholders(sql: str) -> str:
    """SQL with ``?`` placeholders in psycopg's style (``%s``): the ``?`` of string literals
    stay, and every ``%`` is doubled."""
    pieces = _LITERAL.split(sql.replace("%", "%%"))
    # split() with a capturing group: the literals are at the odd positions.
    return "".join(p if i % 2 else p.replace("?", "%s") for i, p in enumerate(pieces))


_LITERAL = re.compile(r"('(?:[^']|'')*')")
