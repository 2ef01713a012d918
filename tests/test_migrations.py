"""The Alembic history: upgrades from empty, downgrades to base, matches the models."""

from pathlib import Path

from alembic import command
from sqlalchemy import inspect

from app.database import MIGRATIONS_DIR, alembic_config, create_db_engine, migrate


def tables(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_from_empty_then_downgrade_to_base(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate(url)
    assert {"article", "article_fts", "alembic_version"} <= tables(url)
    migrate_down = alembic_config(url)
    command.downgrade(migrate_down, "base")
    assert tables(url) <= {"alembic_version"}
    migrate(url)  # and back up again
    assert "article_fts" in tables(url)


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'm.db'}"
    migrate(url)
    command.check(alembic_config(url))  # raises when autogenerate would find a difference


def test_migration_files_are_date_prefixed() -> None:
    names = [path.name for path in (MIGRATIONS_DIR / "versions").glob("*.py")]
    assert names
    for name in names:
        date, _, slug = name.partition("_")
        assert len(date) == 10, name
        assert date[4] == date[7] == "-", name
        assert slug.endswith(".py"), name
