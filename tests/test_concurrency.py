"""Two writers at once: neither corrupts nor duplicates; a writer kept waiting fails clearly."""

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Engine, text
from typer.testing import CliRunner

from app.cli.commands import cli
from app.store.database import create_db_engine
from tests.crash_safety import assert_whole
from tests.factories import generated_article
from tests.live import ROOT


def test_two_ingestions_at_once_store_each_article_once(
    database_url: str, engine: Engine, tmp_path: Path
) -> None:
    shared, own = tmp_path / "shared", tmp_path / "own"
    for number in range(400):
        generated_article(number).write(shared, f"{number:04}.txt")
    for number in range(400, 500):
        generated_article(number).write(own, f"{number:04}.txt")
    environment = {**os.environ, "BYLINE_DATABASE_URL": database_url}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "app", "ingest", "--json", str(shared), *extra],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for extra in ([], [str(own)])
    ]
    outputs = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM article")).scalar_one() == 500
        distinct = "SELECT count(DISTINCT content_hash) FROM article"
        assert connection.execute(text(distinct)).scalar_one() == 500
    assert_whole(engine)


def test_a_writer_kept_waiting_fails_with_one_clear_line(database_url: str, tmp_path: Path) -> None:
    # Another writer holds the store's write lock (taken as its transaction begins) past the
    # timeout: 5 s on either store.
    holder = create_db_engine(database_url, writer=True)
    blocker = holder.connect()
    transaction = blocker.begin()
    try:
        generated_article(1).write(tmp_path, "a.txt")
        result = CliRunner(env={"BYLINE_DATABASE_URL": database_url}).invoke(
            cli, ["ingest", str(tmp_path)]
        )
    finally:
        transaction.rollback()
        blocker.close()
        holder.dispose()
    assert result.exit_code == 1
    assert "locked" in result.output or "lock timeout" in result.output
    assert "another process holds the write lock" in result.output
    assert "Traceback" not in result.output
