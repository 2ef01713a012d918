"""Ingestion killed with SIGKILL at random moments: the store stays whole and a re-run finishes.

Each kill is followed by SQLite's integrity check and a check that every article is whole (with
its text and its change); the last run must give exactly what one uninterrupted run gives.
"""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.ingestion.run import ingest_paths
from app.store.database import create_db_engine, migrate
from tests.crash_safety import assert_whole
from tests.factories import generated_article
from tests.index_checks import assert_follows, open_search_index
from tests.live import ROOT

KILLS = 8
ARTICLES = 3000


def snapshot(engine: Engine) -> set[tuple[str, str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT source_path, content_hash, title FROM article"))
        return {(row[0], row[1], row[2]) for row in rows}


def last_run(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(text("SELECT coalesce(max(id), 0) FROM ingest_run")).scalar_one()
        )


@pytest.mark.parametrize("seed", [1])
def test_sigkill_at_random_moments_never_corrupts(
    tmp_path: Path, database_url: str, engine: Engine, seed: int, index_folder: Path
) -> None:
    open_search_index(index_folder)  # as a server on this machine keeps it, on either store
    corpus = tmp_path / "corpus"
    for number in range(ARTICLES):
        generated_article(number).write(corpus / f"{number // 100}", f"{number:05}.txt")
    environment = {**os.environ, "BYLINE_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "app", "ingest", str(corpus)]
    rng = random.Random(seed)
    kills = 0
    for _ in range(KILLS):
        runs = last_run(engine)
        process = subprocess.Popen(
            command, cwd=ROOT, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        # Kill once the run has begun writing (its run record is committed first), a random
        # moment into it: a few hundred files at most, so that every kill can land mid-run.
        deadline = time.monotonic() + 30
        while last_run(engine) == runs and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(rng.uniform(0.05, 0.3))
        if process.poll() is None:
            process.send_signal(signal.SIGKILL)
            kills += 1
        process.wait()
        assert_whole(engine)
    assert kills >= KILLS - 1  # every kill but at most one landed mid-run
    finish = subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, check=False)
    assert finish.returncode == 0, finish.stderr
    assert_whole(engine)
    # The search index, killed with the runs (in a batch of its own, too), follows the store.
    assert_follows(open_search_index(index_folder), engine)

    reference_url = f"sqlite:///{tmp_path / 'reference.db'}"
    migrate(reference_url)
    reference = create_db_engine(reference_url, writer=True)
    try:
        ingest_paths(reference, [corpus])
        assert snapshot(engine) == snapshot(reference)
    finally:
        reference.dispose()


def test_the_api_answers_consistently_while_ingesting(
    tmp_path: Path, database_url: str, client: TestClient
) -> None:
    corpus = tmp_path / "corpus"
    for number in range(1500):
        generated_article(number).write(corpus, f"{number:05}.txt")
    environment = {**os.environ, "BYLINE_DATABASE_URL": database_url}
    process = subprocess.Popen(
        [sys.executable, "-m", "app", "ingest", str(corpus)],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    totals, hits = [], []
    try:
        while process.poll() is None:
            listing = client.get("/v1/articles", params={"limit": 5}).json()
            assert len(listing["items"]) == min(5, listing["total"])
            found = client.get("/v1/search", params={"q": "harbour", "limit": 100})
            assert found.status_code == 200
            assert len(found.json()["items"]) == min(100, found.json()["total"])
            totals.append(listing["total"])
            hits.append(found.json()["total"])
    finally:
        process.wait(timeout=120)
    # Never going back: batches commit whole, and readers see whole batches.
    assert totals == sorted(totals)
    assert hits == sorted(hits)
    assert len(set(totals)) > 1  # the API answered while the ingestion was under way
    assert client.get("/v1/articles").json()["total"] == 1500
