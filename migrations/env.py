"""Alembic environment: runs our migrations on the engine Byline itself would use."""

import logging.config
from typing import Any

from alembic import context
from sqlmodel import SQLModel

import app.store.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from app.settings import get_settings
from app.store.database import create_db_engine

config = context.config
if config.config_file_name is not None:
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)

# What autogenerate must not compare: PostgreSQL's store version counter is made by
# hand-written SQL in the migrations, and has no model.
EXCLUDED: dict[str, tuple[str, ...]] = {"table": ("store_version",)}


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    return not (name is not None and name.startswith(EXCLUDED.get(type_, ())))


def run_migrations() -> None:
    url = config.get_main_option("sqlalchemy.url") or get_settings().database_url
    engine = create_db_engine(url, writer=True)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=SQLModel.metadata,
            include_object=include_object,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            # Our SQLite connections run DDL inside real transactions (app/store/database.py), so
            # a migration that fails half way leaves nothing behind.
            transactional_ddl=True,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    raise SystemExit("Byline's migrations run online only: give them a database URL.")
run_migrations()
