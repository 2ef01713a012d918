"""The search index on a PostgreSQL store: each committed batch wakes every follower through
``NOTIFY`` (polling stays the fallback), a follower whose listening connection is dropped
listens again, an ingestion writes only PostgreSQL on a machine where no server keeps an
index, and an ingestion and a follower get through a restart of the server."""

import json
import logging
import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, make_url
from typer.testing import CliRunner

from app.cli.commands import cli
from app.ingestion.run import ingest_paths
from app.search.follower import IndexFollower
from app.store.database import create_db_engine
from tests.conftest import ROOT, PostgreSQL
from tests.factories import generated_article
from tests.index_checks import (
    assert_follows,
    open_search_index,
    store_ids,
    store_last_change,
    wait_for,
)

# Far longer than any wait below: a follower that catches up in time was woken, not polling.
SLOW_POLL_S = 120.0


@pytest.fixture
def store(postgresql: PostgreSQL) -> Iterator[str]:
    name = f"byline_notify_{uuid.uuid4().hex[:12]}"
    url = postgresql.create(name, template=postgresql.template)
    yield url
    postgresql.drop(name)


@pytest.fixture
def writer(store: str) -> Iterator[Engine]:
    engine = create_db_engine(store, writer=True)
    yield engine
    engine.dispose()


@pytest.fixture
def following(store: str, index_folder: Path) -> Iterator[IndexFollower]:
    """A follower that polls only every two minutes, started and listening."""
    engine = create_db_engine(store)
    follower = IndexFollower(open_search_index(index_folder), engine, poll_s=SLOW_POLL_S)
    follower.start()
    try:
        wait_for(lambda: bool(listeners(engine)))
        yield follower
    finally:
        follower.stop()
        engine.dispose()


def listeners(engine: Engine) -> list[int]:
    """The process ids of the store's connections listening for its changes."""
    with engine.connect() as connection:
        found = connection.exec_driver_sql(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
            " AND query = 'LISTEN byline_article_change'"
        )
        return [int(pid) for pid in found.scalars()]


def write_articles(folder: Path, first: int, count: int) -> Path:
    for number in range(first, first + count):
        generated_article(number).write(folder, f"{number}.txt")
    return folder


def test_a_committed_batch_wakes_the_follower_at_once(
    following: IndexFollower, writer: Engine, tmp_path: Path
) -> None:
    assert ingest_paths(writer, [write_articles(tmp_path / "wire", 0, 5)]).ok
    wait_for(lambda: following.index.applied_change() == store_last_change(writer))
    assert_follows(following.index, writer)


def test_a_follower_whose_connection_is_dropped_listens_again(
    following: IndexFollower,
    writer: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr("app.search.follower.RECONNECT_S", 0.2)
    reader = following.engine  # the writer's connections would wait for each other's lock
    [dropped] = listeners(reader)
    with caplog.at_level(logging.INFO, logger="uvicorn.error.index"):
        with reader.connect() as admin:
            admin.exec_driver_sql(f"SELECT pg_terminate_backend({dropped})")
        wait_for(lambda: listeners(reader) not in ([], [dropped]))
    assert "cannot listen for the store's changes" in caplog.text
    assert "listening for the store's changes again" in caplog.text
    assert ingest_paths(writer, [write_articles(tmp_path / "wire", 0, 3)]).ok
    wait_for(lambda: following.index.applied_change() == store_last_change(writer))
    assert_follows(following.index, writer)


def test_ingestion_writes_only_postgresql_where_no_server_keeps_an_index(
    store: str, writer: Engine, index_folder: Path, tmp_path: Path
) -> None:
    runner = CliRunner(env={"BYLINE_DATABASE_URL": store})
    corpus = write_articles(tmp_path / "wire", 0, 4)
    result = runner.invoke(cli, ["ingest", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "search index: none on this machine; each server's index follows the store" in (
        result.output
    )
    assert not index_folder.exists()
    shown = json.loads(runner.invoke(cli, ["ingest", "--json", str(corpus)]).stdout)["index"]
    assert shown == {
        "kept_here": False,
        "applied_change": None,
        "last_change": 4,
        "lag": None,
        "documents": None,
        "left_to_another_process": False,
        "error": None,
    }
    # A server's follower builds the machine's index from the store.
    follower = IndexFollower(open_search_index(index_folder), writer)
    follower.follow()
    assert follower.not_ready() is None
    assert_follows(follower.index, writer)
    # Where a server keeps one, an ingestion keeps it up to date as it goes.
    more = write_articles(tmp_path / "more", 4, 2)
    assert runner.invoke(cli, ["ingest", str(more)]).exit_code == 0
    assert_follows(open_search_index(index_folder), writer)


def test_every_connection_dropped_during_an_ingestion_converges(
    store: str, writer: Engine, index_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As when PostgreSQL restarts mid-ingestion: the run stops with a clear error, the next run
    completes it, and a serving follower recovers by itself and holds each article once."""

    def drop_every_connection(run: subprocess.Popen[bytes], reader: Engine) -> None:
        # Again and again until the run ends: some land mid-batch.
        while run.poll() is None:
            with reader.connect() as admin:
                admin.exec_driver_sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            time.sleep(0.05)

    monkeypatch.setattr("app.search.follower.RECONNECT_S", 0.2)
    ingest_through(drop_every_connection, store, writer, index_folder, tmp_path / "wire", 3)


def ingest_through(
    fault: Callable[[subprocess.Popen[bytes], Engine], None],
    store: str,
    writer: Engine,
    index_folder: Path,
    corpus: Path,
    batches: int,
) -> None:
    """Ingest ``batches`` of 200 articles with `byline ingest` while a follower serves, bring
    on ``fault`` (given the run and a reader of the store) once the store holds a change, and
    check that the run stops with one clear line or completes, that the next run completes it,
    and that the follower catches up by itself with each article once."""
    for batch in range(batches):
        write_articles(corpus / str(batch), batch * 200, 200)
    reader = create_db_engine(store)
    follower = IndexFollower(open_search_index(index_folder), reader, poll_s=0.1)
    follower.start()
    command = [sys.executable, "-m", "app", "ingest", str(corpus)]
    environment = {**os.environ, "BYLINE_DATABASE_URL": store}
    try:
        run = subprocess.Popen(command, cwd=ROOT, env=environment, stderr=subprocess.PIPE)
        wait_for(lambda: store_last_change(reader) > 0, timeout=60)
        fault(run, reader)
        _, errors = run.communicate(timeout=120)
        if run.returncode != 0:  # cut off: one clear line, no traceback
            assert b"Traceback" not in errors, errors.decode()
            assert b"error: the store refused" in errors, errors.decode()
        finish = subprocess.run(
            command, cwd=ROOT, env=environment, capture_output=True, check=False
        )
        assert finish.returncode == 0, finish.stderr.decode()
        assert len(store_ids(writer)) == batches * 200
        wait_for(lambda: follower.index.applied_change() == store_last_change(writer), timeout=60)
        assert_follows(follower.index, writer)
    finally:
        follower.stop()
        reader.dispose()


def restart_command(url: str) -> list[str] | None:
    """The command that restarts the PostgreSQL cluster serving ``url`` on this machine
    (Debian's ``pg_ctlcluster``, as root), or None where it cannot be had."""
    if os.geteuid() != 0 or not (shutil.which("pg_ctlcluster") and shutil.which("pg_lsclusters")):
        return None
    where = make_url(url)
    if where.host not in ("127.0.0.1", "localhost"):
        return None
    listed = subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=False
    ).stdout
    for line in listed.splitlines():
        version, cluster, port, status, *_ = [*line.split(), "", "", "", ""]
        if port == str(where.port or 5432) and status == "online":
            return ["pg_ctlcluster", version, cluster, "restart", "-m", "fast"]
    return None


def test_postgresql_restarted_during_an_ingestion_converges(
    store: str, writer: Engine, index_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server itself restarted while an ingestion writes and a follower serves: the run
    stops with one clear line or completes, the next run completes it, and the follower, whose
    connections were refused for a while, catches up by itself with each article once."""
    restart = restart_command(store)
    if restart is None:
        pytest.skip("restarting the test's PostgreSQL needs root and pg_ctlcluster for its cluster")

    def restart_the_server(run: subprocess.Popen[bytes], reader: Engine) -> None:
        subprocess.run(restart, check=True, capture_output=True, timeout=120)

    monkeypatch.setattr("app.search.follower.RECONNECT_S", 0.2)
    ingest_through(restart_the_server, store, writer, index_folder, tmp_path / "wire", 4)
