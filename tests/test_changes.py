"""Numbered changes to the articles (migration 0015): what each write records, on both stores."""

import io
import threading
import time
import uuid
from pathlib import Path

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import Engine, inspect, text
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from app.ingestion.outcomes import Outcome
from app.ingestion.run import ingest_paths
from app.store.changes import Change, changes_after, last_change
from app.store.database import alembic_config, create_db_engine, migrate
from app.store.models import Article, ChangeKind
from app.store.transfer import export_store, import_store
from tests.conftest import PostgreSQL
from tests.factories import ArticleText, generated_article

ADDED, UPDATED, REMOVED = ChangeKind.ADDED, ChangeKind.UPDATED, ChangeKind.REMOVED


def changes(engine: Engine, after: int = 0) -> list[Change]:
    with engine.connect() as connection:
        return changes_after(connection, after, limit=10_000)


def article_ids(engine: Engine, where: str = "1 = 1", **values: str) -> list[int]:
    with engine.connect() as connection:
        found = connection.execute(
            text(f"SELECT id FROM article WHERE {where} ORDER BY id"), values
        )
        return [int(id_) for id_ in found.scalars()]


def latest(engine: Engine) -> int:
    with engine.connect() as connection:
        return last_change(connection)


def kinds(found: list[Change]) -> list[tuple[int, ChangeKind]]:
    return [(change.article_id, change.kind) for change in found]


def assert_increasing(found: list[Change]) -> None:
    numbers = [change.number for change in found]
    assert numbers == sorted(set(numbers))


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    for number in range(5):
        generated_article(number).write(folder, f"{number}.txt")
    return folder


def test_an_empty_store_is_at_change_0(engine: Engine) -> None:
    assert latest(engine) == 0
    assert changes(engine) == []


def test_each_added_article_gets_the_next_number(engine: Engine, corpus: Path) -> None:
    report = ingest_paths(engine, [corpus])
    assert report.counts[Outcome.ADDED] == 5
    found = changes(engine)
    assert kinds(found) == [(id_, ADDED) for id_ in article_ids(engine)]
    assert_increasing(found)
    assert latest(engine) == found[-1].number
    assert all(change.at.tzinfo is not None for change in found)


def test_changes_after_pages_from_a_number(engine: Engine, corpus: Path) -> None:
    ingest_paths(engine, [corpus])
    every = changes(engine)
    with engine.connect() as connection:
        assert changes_after(connection, every[1].number, limit=2) == every[2:4]
        assert changes_after(connection, every[-1].number, limit=2) == []


def test_an_update_records_one_change_and_an_unchanged_rerun_none(
    engine: Engine, corpus: Path
) -> None:
    ingest_paths(engine, [corpus])
    before = latest(engine)
    ingest_paths(engine, [corpus])
    assert latest(engine) == before  # nothing changed: nothing recorded
    ArticleText(title="Report number 3, revised").write(corpus, "3.txt")
    (corpus / "4.txt").touch()  # read again, found the same
    report = ingest_paths(engine, [corpus])
    assert report.counts[Outcome.UPDATED] == 1
    after = changes(engine, before)
    [revised] = article_ids(engine, "title = :title", title="Report number 3, revised")
    assert kinds(after) == [(revised, UPDATED)]
    assert after[0].number > before


def test_a_pruned_article_is_recorded_as_removed_with_its_id(engine: Engine, corpus: Path) -> None:
    ingest_paths(engine, [corpus])
    [gone] = article_ids(engine, "source_path LIKE :path", path="%/2.txt")
    before = latest(engine)
    (corpus / "2.txt").unlink()
    report = ingest_paths(engine, [corpus], prune=True)
    assert [result.article_id for result in report.pruned] == [gone]
    assert kinds(changes(engine, before)) == [(gone, REMOVED)]
    assert gone not in article_ids(engine)


def test_a_duplicate_records_nothing(engine: Engine, tmp_path: Path) -> None:
    # Two files with the same text: the second is a duplicate, stored nowhere, recorded nowhere.
    folder = tmp_path / "twins"
    generated_article(1).write(folder, "a.txt")
    generated_article(1).write(folder, "b.txt")
    report = ingest_paths(engine, [folder])
    assert (report.counts[Outcome.ADDED], report.counts[Outcome.DUPLICATE]) == (1, 1)
    assert kinds(changes(engine)) == [(article_ids(engine)[0], ADDED)]


def test_an_import_records_one_addition_per_article_in_id_order(
    engine: Engine, database_url: str, corpus: Path, empty_url: str
) -> None:
    ingest_paths(engine, [corpus])
    (corpus / "0.txt").unlink()
    ingest_paths(engine, [corpus], prune=True)  # a gap in the ids, and a removal
    dump = io.BytesIO()
    export_store(engine, database_url, dump)
    migrate(empty_url)
    target = create_db_engine(empty_url, writer=True)
    try:
        import_store(target, dump.getvalue().splitlines(keepends=True))
        found = changes(target)
        assert kinds(found) == [(id_, ADDED) for id_ in article_ids(engine)]
        assert_increasing(found)
        ArticleText(title="After the import").write(corpus, "new.txt")
        ingest_paths(target, [corpus])
        new = changes(target, found[-1].number)
        assert kinds(new) == [(max(article_ids(target)), ADDED)]
    finally:
        target.dispose()


def ingest_at_0014(engine: Engine, paths: list[Path], *, prune: bool = False) -> None:
    """Ingest into a store at revision 0014 with today's code, which records the version of the
    parser that read each file (``source_file.parser``, migration 0023): the column is lent for
    the run when the store lacks it, and taken back."""
    with engine.begin() as connection:
        columns = {column["name"] for column in inspect(connection).get_columns("source_file")}
        lent = "parser" not in columns
        if lent:
            connection.exec_driver_sql(
                "ALTER TABLE source_file ADD COLUMN parser INTEGER NOT NULL DEFAULT 0"
            )
    try:
        ingest_paths(engine, paths, prune=prune)
    finally:
        if lent:
            with engine.begin() as connection:
                connection.exec_driver_sql("ALTER TABLE source_file DROP COLUMN parser")


def test_upgrading_a_store_with_articles_adds_each_in_id_order(
    empty_url: str, corpus: Path
) -> None:
    command.upgrade(alembic_config(empty_url), "0014")
    engine = create_db_engine(empty_url, writer=True)
    try:
        ingest_at_0014(engine, [corpus])
        (corpus / "1.txt").unlink()
        ingest_at_0014(engine, [corpus], prune=True)
        ids = article_ids(engine)
        migrate(empty_url)
        found = changes(engine)
        assert kinds(found) == [(id_, ADDED) for id_ in ids]
        assert_increasing(found)
        with Session(engine) as session:
            ingested = [article.ingested_at for article in session.exec(select(Article))]
        assert sorted(change.at for change in found) == sorted(ingested)
        ArticleText(title="After the upgrade").write(corpus, "new.txt")
        ingest_paths(engine, [corpus])
        assert kinds(changes(engine, found[-1].number)) == [(max(article_ids(engine)), ADDED)]
        command.downgrade(alembic_config(empty_url), "0014")
        ingest_at_0014(engine, [corpus])  # the article table writes without its triggers
    finally:
        engine.dispose()


def test_stats_report_the_last_change(client: TestClient, engine: Engine, corpus: Path) -> None:
    assert client.get("/v1/stats").json()["last_change"] == 0
    ingest_paths(engine, [corpus])
    assert client.get("/v1/stats").json()["last_change"] == latest(engine) > 0


def new_article(name: str) -> Article:
    return Article(
        slug=name,
        title=name,
        body=name,
        raw_text=name,
        content_hash=name,
        source_path=name,
        word_count=1,
    )


def test_postgresql_numbers_commit_in_their_order(postgresql: PostgreSQL) -> None:
    """A transaction writing articles takes no number while another that has taken one is open
    (so it cannot commit a lower number after a higher one), even without the advisory lock."""
    name = f"byline_changes_{uuid.uuid4().hex[:12]}"
    url = postgresql.create(name, template=postgresql.template)
    engine = create_db_engine(url)  # no advisory write lock
    try:
        with Session(engine) as first, Session(engine) as second:
            first.add(new_article("first"))
            first.flush()  # a number taken, not committed
            second.connection().exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
            second.add(new_article("second"))
            with pytest.raises(OperationalError, match="lock timeout"):
                second.flush()
            first.commit()
        with Session(engine) as third:
            third.add(new_article("third"))
            third.commit()
        # The writer that waited took no number: the next one follows the first's.
        assert [change.number for change in changes(engine)] == [1, 2]
    finally:
        engine.dispose()
        postgresql.drop(name)


def test_postgresql_writers_of_different_articles_wait_for_each_other(
    postgresql: PostgreSQL,
) -> None:
    """A transaction holding an article row, and another that then writes a second article,
    never wait for each other in a circle: the change table is locked before any row."""
    name = f"byline_changes_{uuid.uuid4().hex[:12]}"
    url = postgresql.create(name, template=postgresql.template)
    engine = create_db_engine(url)
    errors: list[BaseException] = []
    try:
        with Session(engine) as session:
            session.add_all([new_article("one"), new_article("two")])
            session.commit()
        with engine.connect() as first, engine.connect() as second:
            first.exec_driver_sql("UPDATE article SET title = 'x' WHERE slug = 'one'")

            def write_two() -> None:
                try:
                    second.exec_driver_sql("UPDATE article SET title = 'y' WHERE slug = 'two'")
                    second.commit()
                except OperationalError as error:  # reported below
                    errors.append(error)

            waiting = threading.Thread(target=write_two)
            waiting.start()
            time.sleep(0.3)  # the second now waits; had it locked row two, this would deadlock
            first.exec_driver_sql("UPDATE article SET title = 'z' WHERE slug = 'two'")
            first.commit()
            waiting.join(timeout=10)
        # The second may still fail to serialise after the first's write of the same row (the
        # store's transactions read one snapshot); what it must never meet is a deadlock.
        assert not [error for error in errors if "deadlock" in str(error)]
        assert [change.kind for change in changes(engine)][-2:] == ["updated"] * 2
    finally:
        engine.dispose()
        postgresql.drop(name)
