"""The Alembic history: upgrades from empty, downgrades to base, matches the models, on both
stores."""

from pathlib import Path
from typing import Any

import pytest
from alembic import command
from sqlalchemy import Engine, inspect, text

from app.search.name_keys import name_key
from app.store.database import MIGRATIONS_DIR, alembic_config, create_db_engine, migrate


def tables(url: str) -> set[str]:
    engine = create_db_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def holds_full_text(url: str) -> bool:
    """Whether the store has a full-text search of its own (FTS5's table, a ``tsvector``)."""
    engine = create_db_engine(url)
    try:
        inspector = inspect(engine)
        if engine.dialect.name == "postgresql":
            return "search_vector" in {
                column["name"] for column in inspector.get_columns("article")
            }
        return inspector.has_table("article_fts")
    finally:
        engine.dispose()


def test_upgrade_from_empty_then_downgrade_to_base(empty_url: str) -> None:
    migrate(empty_url)
    assert {"article", "alembic_version"} <= tables(empty_url)
    command.downgrade(alembic_config(empty_url), "base")
    assert tables(empty_url) <= {"alembic_version"}
    migrate(empty_url)  # and back up again
    assert "article_change" in tables(empty_url)


ARTICLE = (
    "INSERT INTO article (slug, title, body, raw_text, content_hash, source_path, word_count,"
    " ingested_at, updated_at, tags, labels) VALUES ('quay', 'Quay', 'The quay stood.',"
    " 'Quay', 'h', 'q.txt', 1, '2026-11-25', '2026-11-25', '[]', '[]')"
)


def structure(engine: Engine) -> dict[str, Any]:
    """The store's tables with their columns and indexes, and its triggers."""
    inspector = inspect(engine)
    tables = {
        name: (
            sorted(column["name"] for column in inspector.get_columns(name)),
            sorted(str(index["name"]) for index in inspector.get_indexes(name)),
        )
        for name in inspector.get_table_names()
        if name != "alembic_version"
    }
    triggers = (
        "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        if engine.dialect.name == "postgresql"
        else "SELECT name FROM sqlite_master WHERE type = 'trigger'"
    )
    with engine.connect() as connection:
        names = sorted(connection.exec_driver_sql(triggers).scalars())
    return {"tables": tables, "triggers": names}


def test_0016_drops_the_stores_own_search_and_a_downgrade_builds_it_again(empty_url: str) -> None:
    command.upgrade(alembic_config(empty_url), "0015")
    assert holds_full_text(empty_url)
    engine = create_db_engine(empty_url, writer=True)
    try:
        at_0015 = structure(engine)
        with engine.begin() as connection:
            connection.exec_driver_sql(ARTICLE)
        migrate(empty_url)
        assert not holds_full_text(empty_url)
        assert not {"search_term", "term_impact", "fts_pending"} & tables(empty_url)
        command.downgrade(alembic_config(empty_url), "0015")
        assert structure(engine) == at_0015
        with engine.connect() as connection:
            terms = connection.execute(text("SELECT term, key FROM search_term")).all()
        # The vocabulary held the full-text index's own terms: FTS5's stems, PostgreSQL's words.
        term = "quai" if engine.dialect.name == "sqlite" else "quay"
        assert (term, name_key(term)) in terms
        found = (
            "SELECT count(*) FROM article_fts WHERE article_fts MATCH 'quays'"
            if engine.dialect.name == "sqlite"
            else "SELECT count(*) FROM article WHERE search_vector @@ to_tsquery('byline', 'quays')"
        )
        with engine.connect() as connection:
            assert connection.exec_driver_sql(found).scalar_one() == 1
        migrate(empty_url)  # and up again
        assert not holds_full_text(empty_url)
    finally:
        engine.dispose()


def test_models_and_migrations_agree(empty_url: str) -> None:
    migrate(empty_url)
    command.check(alembic_config(empty_url))  # raises when autogenerate would find a difference


def test_migration_files_are_date_prefixed() -> None:
    names = [path.name for path in (MIGRATIONS_DIR / "versions").glob("*.py")]
    assert names
    for name in names:
        date, _, slug = name.partition("_")
        assert len(date) == 10, name
        assert date[4] == date[7] == "-", name
        assert slug.endswith(".py"), name


@pytest.mark.sqlite_only
def test_a_pending_index_is_built_before_0010_is_undone(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'p.db'}"
    command.upgrade(alembic_config(url), "0015")
    engine = create_db_engine(url, writer=True)
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql("INSERT INTO fts_pending (id) VALUES (1)")
            connection.exec_driver_sql(
                "INSERT INTO article (slug, title, body, raw_text, content_hash, source_path,"
                " word_count, ingested_at, updated_at) VALUES ('quay', 'Quay', '[\"Quay\"]',"
                " 'Quay', 'h', 'q.txt', 1, '2026-11-25', '2026-11-25')"
            )
        found = "SELECT count(*) FROM article_fts WHERE article_fts MATCH 'quay'"
        with engine.connect() as connection:
            assert connection.exec_driver_sql(found).scalar_one() == 0  # left for later
        command.downgrade(alembic_config(url), "0009")
        with engine.connect() as connection:
            assert connection.exec_driver_sql(found).scalar_one() == 1
            check = "INSERT INTO article_fts(article_fts, rank) VALUES ('integrity-check', 1)"
            connection.exec_driver_sql(check)
    finally:
        engine.dispose()


def stored_keys(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT term, key FROM search_term")).all()
    return {str(term): str(key) for term, key in rows}


def test_0014_gives_the_terms_of_an_older_store_their_keys_of_today(empty_url: str) -> None:
    command.upgrade(alembic_config(empty_url), "0013")
    # "sh9nk": the key both spellings had under the earlier rules, which Yuschenko ("shnk") missed.
    engine = create_db_engine(empty_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO search_term (term, key, documents) VALUES (:t, :k, 1)"),
                [{"t": "yushchenko", "k": "sh9nk"}, {"t": "juschtschenko", "k": "sh9nk"}],
            )
        command.upgrade(alembic_config(empty_url), "0014")
        assert stored_keys(engine) == {"yushchenko": name_key("Yuschenko"), "juschtschenko": "shnk"}
        command.downgrade(alembic_config(empty_url), "0013")
        assert stored_keys(engine) == {"yushchenko": "sh9nk", "juschtschenko": "sh9nk"}
    finally:
        engine.dispose()


def test_0018_compresses_new_bodies_with_lz4_on_postgresql(empty_url: str) -> None:
    if not empty_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's column compression")
    migrate(empty_url)
    engine = create_db_engine(empty_url, writer=True)
    compression = (
        "SELECT attcompression FROM pg_attribute"
        " WHERE attrelid = 'article'::regclass AND attname = 'body'"
    )
    try:
        with engine.connect() as connection:
            if not connection.exec_driver_sql(
                "SELECT 'lz4' = ANY(enumvals) FROM pg_settings"
                " WHERE name = 'default_toast_compression'"  # no such setting before 14
            ).scalar():
                pytest.skip("this PostgreSQL was built without LZ4")
            assert connection.exec_driver_sql(compression).scalar_one() == "l"
        long_body = " ".join(f"word{number}" for number in range(2_000))  # compressed in its row
        with engine.begin() as connection:
            connection.exec_driver_sql(ARTICLE.replace("'The quay stood.'", f"'{long_body}'"))
        with engine.connect() as connection:
            held = "SELECT pg_column_compression(body), body FROM article"
            assert connection.exec_driver_sql(held).one() == ("lz4", long_body)
        command.downgrade(alembic_config(empty_url), "0017")
        with engine.connect() as connection:  # the server's default method, as before
            assert connection.exec_driver_sql(compression).scalar_one() == ""
    finally:
        engine.dispose()
