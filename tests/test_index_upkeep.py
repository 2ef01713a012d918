"""The search index follows the store: catch-ups, rebuilds, the schema version, the writer lock,
the server's follower, ``/readyz`` and ``/v1/stats``, and the CLI's share (ingest, reindex)."""

import json
import logging
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import tantivy
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import Engine
from typer.testing import CliRunner

from app.api.app import create_app
from app.cli.commands import cli
from app.ingestion.run import ingest_paths
from app.search.follower import LONGEST_PAUSE_S, IndexFollower
from app.search.index import SearchIndex
from app.search.schema import PROGRESS_ID, SCHEMA_VERSION, open_index
from app.search.upkeep_reports import IndexBusy, Progress
from app.settings import Settings
from app.store.database import create_db_engine
from tests.conftest import Ingest
from tests.factories import generated_article
from tests.index_checks import (
    assert_follows,
    ids_with_title_word,
    index_ids,
    open_search_index,
    store_ids,
    store_last_change,
    wait_for,
)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    for number in range(6):
        generated_article(number).write(folder, f"{number}.txt")
    return folder


def test_catch_up_applies_additions_updates_and_removals_in_batches(
    engine: Engine, ingest: Ingest, corpus: Path, index_folder: Path
) -> None:
    index = open_search_index(index_folder)
    assert ingest(corpus).ok
    seen: list[Progress] = []
    done = index.catch_up(engine, batch=4, on_progress=seen.append)
    assert (done.before, done.after, done.changes) == (0, 6, 6)
    assert [progress.done for progress in seen] == [4, 6]  # one commit a batch
    assert_follows(index, engine)

    updated = generated_article(2)
    updated.title = "Lighthouse keepers return to the harbour"
    updated.write(corpus, "2.txt")
    (corpus / "3.txt").unlink()
    assert ingest_paths(engine, [corpus], prune=True).ok
    index.catch_up(engine, batch=1)
    assert_follows(index, engine)
    [updated_id] = ids_with_title_word(index, "lighthouse")
    assert updated_id not in ids_with_title_word(index, "report")  # replaced, not added
    assert len(index_ids(index)) == 5


def test_applying_changes_again_duplicates_nothing(
    engine: Engine, ingest: Ingest, corpus: Path, index_folder: Path
) -> None:
    index = open_search_index(index_folder)
    assert ingest(corpus).ok
    index.catch_up(engine)
    # As after a crash that lost the index's last progress: every change is applied again.
    writer = index.index.writer(15_000_000, 1)
    writer.delete_documents_by_term("id", PROGRESS_ID)
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    assert index.applied_change() == 0
    assert index.catch_up(engine, batch=2).changes == 6
    assert_follows(index, engine)


def test_nothing_to_apply_takes_no_writer(
    engine: Engine, ingest: Ingest, corpus: Path, index_folder: Path
) -> None:
    index = open_search_index(index_folder)
    assert ingest(corpus).ok
    index.catch_up(engine)
    with holding_the_writer(index_folder):
        assert index.catch_up(engine).changes == 0


def test_a_second_writer_is_told_the_index_is_busy(
    engine: Engine, ingest: Ingest, corpus: Path, index_folder: Path
) -> None:
    index, other = open_search_index(index_folder), open_search_index(index_folder)
    assert ingest(corpus).ok
    with holding_the_writer(index_folder):
        with pytest.raises(IndexBusy):
            index.catch_up(engine)
        with pytest.raises(IndexBusy):
            index.rebuild(engine)
    index.catch_up(engine)  # the lock was let go
    assert_follows(other, engine)  # another process's view loads the commits


def test_rebuild_replaces_the_index_in_one_commit(
    engine: Engine, ingest: Ingest, corpus: Path, index_folder: Path
) -> None:
    index, reader = open_search_index(index_folder), open_search_index(index_folder)
    assert ingest(corpus).ok
    index.catch_up(engine, batch=2)
    # Something the store does not hold: the rebuild forgets it.
    writer = index.index.writer(15_000_000, 1)
    writer.add_document(tantivy.Document(id=999))
    writer.commit()
    writer.wait_merging_threads()
    assert 999 in index_ids(index)

    seen_by_reader: list[list[int]] = []

    def during(progress: Progress) -> None:
        assert progress.unit == "article"
        seen_by_reader.append(index_ids(reader))

    done = index.rebuild(engine, on_progress=during)
    assert done.rebuilt
    assert done.after == store_last_change(engine)
    assert seen_by_reader
    assert all(999 in ids for ids in seen_by_reader)  # readers keep the old index until then
    assert_follows(index, engine)
    assert_follows(reader, engine)


def test_a_rebuild_cut_off_leaves_the_old_index(
    engine: Engine, ingest: Ingest, corpus: Path, index_folder: Path
) -> None:
    index = open_search_index(index_folder)
    assert ingest(corpus).ok
    index.catch_up(engine)
    stop = threading.Event()
    stop.set()
    assert not index.rebuild(engine, stop=stop).rebuilt
    assert_follows(index, engine)


def test_an_index_of_another_schema_version_is_rebuilt(
    engine: Engine, ingest: Ingest, corpus: Path, index_folder: Path
) -> None:
    index = open_search_index(index_folder)
    assert ingest(corpus).ok
    writer = index.index.writer(15_000_000, 1)
    writer.add_document(tantivy.Document(id=77))
    progress = tantivy.Document(id=PROGRESS_ID, applied_change=store_last_change(engine))
    progress.add_integer("schema_version", SCHEMA_VERSION - 1)
    writer.add_document(progress)
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    assert index.outdated()
    done = index.catch_up(engine)
    assert done.rebuilt
    assert not index.outdated()
    assert_follows(index, engine)


def test_a_folder_with_an_index_of_other_fields_starts_anew(
    engine: Engine, ingest: Ingest, corpus: Path, index_folder: Path
) -> None:
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("headline", stored=True)
    index_folder.mkdir()
    foreign = tantivy.Index(builder.build(), path=str(index_folder))
    writer = foreign.writer(15_000_000, 1)
    writer.add_document(tantivy.Document(headline="an index of other fields"))
    writer.commit()
    writer.wait_merging_threads()
    index = open_search_index(index_folder)
    assert index.applied_change() == 0
    assert ingest(corpus).ok
    index.catch_up(engine)
    assert_follows(index, engine)


def test_the_writers_memory_is_a_setting(database_url: str) -> None:
    assert Settings(database_url=database_url).index_writer_mb == 64
    with pytest.raises(ValidationError, match="index_writer_mb"):
        Settings(database_url=database_url, index_writer_mb=10)
    index = open_search_index(Path(Settings(database_url=database_url).index_folder))
    assert index.writer_heap == 64 * 2**20


@contextmanager
def holding_the_writer(folder: Path) -> Iterator[None]:
    """Hold the index's writer lock, as another process writing it would."""
    writer = open_index(folder).writer(15_000_000, 1)
    try:
        yield
    finally:
        writer.wait_merging_threads()


def stats(client: TestClient) -> dict[str, int]:
    body = client.get("/v1/stats").json()
    return {"last_change": body["last_change"], **body["index"]}


def test_the_server_follows_the_store_and_reports_it(
    client: TestClient, ingest: Ingest, corpus: Path
) -> None:
    assert client.get("/readyz").status_code == 200  # an empty store: ready at once
    assert ingest(corpus).ok
    wait_for(lambda: stats(client)["applied_change"] == 6)
    shown = stats(client)
    assert (shown["last_change"], shown["lag"], shown["documents"]) == (6, 0, 6)
    assert shown["size_bytes"] > 0
    assert client.get("/readyz").status_code == 200


def test_stats_show_the_lag_of_an_index_behind(
    settings: Settings, engine: Engine, ingest: Ingest, corpus: Path
) -> None:
    assert ingest(corpus).ok
    # Held from before the server starts: no catch-up can commit (dropped, it lets the lock go).
    held = open_index(settings.index_folder).writer(15_000_000, 1)
    with TestClient(create_app(settings)) as client:
        shown = stats(client)
        assert (shown["applied_change"], shown["lag"], shown["documents"]) == (0, 6, 0)
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.headers["content-type"] == "application/problem+json"
        assert "change 0 of 6 applied" in ready.json()["detail"]
        held.wait_merging_threads()
        wait_for(lambda: client.get("/readyz").status_code == 200)
        assert stats(client)["documents"] == 6


def test_readyz_stays_200_once_caught_up(
    settings: Settings, engine: Engine, ingest: Ingest, corpus: Path
) -> None:
    with TestClient(create_app(settings)) as client:
        assert client.get("/readyz").status_code == 200
        with holding_the_writer(settings.index_folder):
            assert ingest(corpus).ok
            assert stats(client)["lag"] == 6
            assert client.get("/readyz").status_code == 200


def test_a_deleted_folder_is_rebuilt_while_serving(
    client: TestClient, ingest: Ingest, corpus: Path, settings: Settings
) -> None:
    assert ingest(corpus).ok
    wait_for(lambda: stats(client)["documents"] == 6)
    shutil.rmtree(settings.index_folder)
    wait_for(lambda: settings.index_folder.exists() and stats(client)["documents"] == 6)
    assert stats(client)["applied_change"] == 6


def test_a_deleted_folder_leaves_the_server_unready_until_rebuilt(
    engine: Engine, ingest: Ingest, corpus: Path, index_folder: Path
) -> None:
    assert ingest(corpus).ok
    follower = IndexFollower(open_search_index(index_folder), engine)
    follower.follow()
    assert follower.not_ready() is None
    shutil.rmtree(index_folder)
    follower._stop.set()  # the rebuild is cut off before its first commit
    follower.follow()
    assert "change 0 of 6 applied" in (follower.not_ready() or "")
    follower._stop.clear()
    follower.follow()
    assert follower.not_ready() is None
    assert_follows(follower.index, engine)


def test_the_follower_logs_its_errors_and_goes_on(
    index_folder: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    broken = create_db_engine(f"sqlite:///{tmp_path / 'never-migrated.db'}")
    follower = IndexFollower(open_search_index(index_folder), broken, poll_s=0.01)
    try:
        with caplog.at_level(logging.ERROR, logger="uvicorn.error.index"):
            follower.start()
            wait_for(lambda: follower.failures >= 3)
        assert "could not follow the store" in caplog.text
        assert "no such table" in caplog.text  # the error itself, with its traceback
        assert follower.not_ready() is not None
    finally:
        follower.stop()
        broken.dispose()


def test_stopping_the_follower_ends_its_pause_at_once(index_folder: Path, tmp_path: Path) -> None:
    broken = create_db_engine(f"sqlite:///{tmp_path / 'never-migrated.db'}")
    follower = IndexFollower(open_search_index(index_folder), broken, poll_s=LONGEST_PAUSE_S)
    try:
        follower.start()
        wait_for(lambda: follower.failures == 1)  # now pausing 30 s before it tries again
        started = time.monotonic()
        follower.stop()
        assert time.monotonic() - started < 10  # not the pause's 30 s
        assert not follower._thread.is_alive()
    finally:
        broken.dispose()


def test_ingest_catches_up_the_index_and_says_so(
    ingest: Ingest, corpus: Path, database_url: str, engine: Engine, index_folder: Path
) -> None:
    open_search_index(index_folder)  # as a server keeps it (tests/test_index_postgresql.py)
    runner = CliRunner(env={"BYLINE_DATABASE_URL": database_url})
    result = runner.invoke(cli, ["ingest", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "search index: change 6 of 6 applied, 6 articles" in result.output
    assert_follows(open_search_index(index_folder), engine)


def test_ingest_leaves_the_index_to_the_process_writing_it(
    corpus: Path, database_url: str, engine: Engine, index_folder: Path
) -> None:
    runner = CliRunner(env={"BYLINE_DATABASE_URL": database_url})
    with holding_the_writer(index_folder):
        result = runner.invoke(cli, ["ingest", str(corpus)])
        assert result.exit_code == 0, result.output
        busy = "search index: another process (a server) is writing it"
        assert result.output.count(busy) == 1
        assert "change 0 of 6 applied, 0 articles (left to the process writing it)" in (
            result.output
        )
        report = runner.invoke(cli, ["ingest", "--json", str(corpus)])
        assert report.exit_code == 0
    shown = json.loads(report.stdout)["index"]
    assert shown["left_to_another_process"]
    assert shown["lag"] == 6
    # Once the lock is free, the next run catches up.
    assert runner.invoke(cli, ["ingest", str(corpus)]).exit_code == 0
    assert_follows(open_search_index(index_folder), engine)


def test_a_deleted_folder_is_rebuilt_by_the_next_ingest_beside_sqlite(
    corpus: Path, database_url: str, engine: Engine, index_folder: Path, backend: str
) -> None:
    open_search_index(index_folder)
    runner = CliRunner(env={"BYLINE_DATABASE_URL": database_url})
    assert runner.invoke(cli, ["ingest", str(corpus)]).exit_code == 0
    shutil.rmtree(index_folder)
    result = runner.invoke(cli, ["ingest", str(corpus)])
    assert "6 unchanged" in result.output
    if backend == "sqlite":
        assert_follows(open_search_index(index_folder), engine)
    else:  # no server keeps one on this machine now: each server's follower rebuilds its own
        assert "search index: none on this machine" in result.output
        assert not index_folder.exists()


def test_reindex_rebuilds_from_the_store(
    ingest: Ingest, corpus: Path, database_url: str, engine: Engine, index_folder: Path
) -> None:
    assert ingest(corpus).ok
    result = CliRunner(env={"BYLINE_DATABASE_URL": database_url}).invoke(cli, ["reindex"])
    assert result.exit_code == 0, result.output
    assert "reindexed: 6 articles, change 6 applied" in result.output
    assert_follows(open_search_index(index_folder), engine)
    assert store_ids(engine) == index_ids(open_search_index(index_folder))


def test_reindex_waits_for_the_writer_then_says_why_it_gave_up(
    corpus: Path, database_url: str, index_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.cli.commands.REINDEX_WAIT_S", 0.3)
    runner = CliRunner(env={"BYLINE_DATABASE_URL": database_url})
    with holding_the_writer(index_folder):
        result = runner.invoke(cli, ["reindex"])
    assert result.exit_code == 1
    assert "another process kept the search index's writer" in result.output


def test_an_index_that_cannot_be_written_never_stops_an_ingestion(
    corpus: Path,
    database_url: str,
    engine: Engine,
    index_folder: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    open_search_index(index_folder)

    def failing(*_: object, **__: object) -> None:
        raise ValueError("An IO error occurred: No space left on device")

    monkeypatch.setattr(SearchIndex, "catch_up", failing)
    runner = CliRunner(env={"BYLINE_DATABASE_URL": database_url})
    result = runner.invoke(cli, ["ingest", str(corpus)])
    assert result.exit_code == 0, result.output
    assert result.output.count("search index: cannot catch up: An IO error occurred") == 1
    assert "6 added" in result.output
    assert len(store_ids(engine)) == 6
    report = json.loads(runner.invoke(cli, ["ingest", "--json", str(corpus)]).stdout)
    assert report["index"]["error"] == "An IO error occurred: No space left on device"
    assert report["index"]["lag"] == 6
