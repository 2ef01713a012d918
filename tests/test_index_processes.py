"""The search index across processes: SIGKILL between the store's commit and the index's, in
the middle of an index batch, and of a server building its index, converges on the next
catch-up; readers in other processes see whole batches only; two server workers follow an
ingestion made by another process."""

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx2
from sqlalchemy import Engine

from app.ingestion.run import ingest_paths
from app.ingestion.writer import BATCH_SIZE
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
from tests.live import ROOT, free_port, live_server

# Ingests a folder as `byline ingest` does (the index catching up after each committed batch),
# and kills itself with SIGKILL when the store has committed its Nth batch, before the index
# has caught up with it.
KILLED_AFTER_A_STORE_COMMIT = """
import os, signal, sys
from pathlib import Path
from app.store.database import create_db_engine
from app.ingestion.run import ingest_paths
from app.search.index import SearchIndex
from app.settings import Settings

settings = Settings()
engine = create_db_engine(settings.database_url, writer=True)
index = SearchIndex(settings.index_folder, writer_mb=settings.index_writer_mb)
commits = 0

def after_commit():
    global commits
    commits += 1
    if commits == int(sys.argv[2]):
        os.kill(os.getpid(), signal.SIGKILL)
    index.catch_up(engine)

ingest_paths(engine, [Path(sys.argv[1])], after_commit=after_commit, prune=True)
"""

# Catches the index up with the store, in batches of argv[1] changes; says when it starts.
CATCH_UP = """
import sys
from app.store.database import create_db_engine
from app.search.index import SearchIndex
from app.settings import Settings

settings = Settings()
engine = create_db_engine(settings.database_url)
index = SearchIndex(settings.index_folder, writer_mb=settings.index_writer_mb)
print("started", flush=True)
index.catch_up(engine, batch=int(sys.argv[1]))
"""

# Reads the index over and over until it has applied change argv[2]: prints each distinct
# (change applied, articles held) it saw, both read from one searcher (one commit).
READER = """
import json, sys, time
from pathlib import Path
import tantivy
from app.search.index import SearchIndex
from app.search.schema import PROGRESS_ID

index = SearchIndex(Path(sys.argv[1]), writer_mb=15)
final = int(sys.argv[2])
seen = []
deadline = time.monotonic() + 120
while time.monotonic() < deadline:
    index.reload()
    searcher = index.searcher()
    query = tantivy.Query.term_query(index.index.schema, "id", PROGRESS_ID)
    found = searcher.search(query, 1).hits
    applied = searcher.doc(found[0][1])["applied_change"][0] if found else 0
    observed = [applied, searcher.num_docs - len(found)]
    if not seen or seen[-1] != observed:
        seen.append(observed)
    if applied >= final:
        break
print(json.dumps(seen))
"""


def write_corpus(folder: Path, count: int) -> Path:
    for number in range(count):
        generated_article(number).write(folder / f"{number // 100:02}", f"{number:04}.txt")
    return folder


def run_python(script: str, *arguments: str, database_url: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "BYLINE_DATABASE_URL": database_url}
    return subprocess.Popen(
        [sys.executable, "-c", script, *arguments],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def byline(*arguments: str, database_url: str) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "BYLINE_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "app", *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )


def test_sigkill_between_the_stores_commit_and_the_indexs_converges(
    tmp_path: Path, database_url: str, engine: Engine, index_folder: Path
) -> None:
    corpus = write_corpus(tmp_path / "corpus", 2 * BATCH_SIZE + 50)
    killed = run_python(KILLED_AFTER_A_STORE_COMMIT, str(corpus), "2", database_url=database_url)
    _, errors = killed.communicate(timeout=120)
    assert killed.returncode == -signal.SIGKILL, errors
    index = open_search_index(index_folder)
    assert index_ids(index) == store_ids(engine)[:BATCH_SIZE]  # the first batch only
    assert len(store_ids(engine)) == 2 * BATCH_SIZE

    # Then updates and removals, killed after the pruning committed (the run's last commit).
    for number in range(0, 40):
        changed = generated_article(number)
        changed.title = f"Lighthouse {number} relit after the storm"
        changed.write(corpus / "00", f"{number:04}.txt")
    for number in range(40, 80):
        (corpus / "00" / f"{number:04}.txt").unlink()
    killed = run_python(KILLED_AFTER_A_STORE_COMMIT, str(corpus), "4", database_url=database_url)
    _, errors = killed.communicate(timeout=120)
    assert killed.returncode == -signal.SIGKILL, errors
    assert index.applied_change() < store_last_change(engine)

    finish = byline("ingest", str(corpus), database_url=database_url)
    assert finish.returncode == 0, finish.stderr
    assert_follows(index, engine)  # nothing missing, nothing held twice, nothing removed kept
    assert len(index_ids(index)) == 2 * BATCH_SIZE + 50 - 40
    assert len(ids_with_title_word(index, "lighthouse")) == 40
    assert not set(ids_with_title_word(index, "lighthouse")) & set(
        ids_with_title_word(index, "report")
    )


def test_sigkill_in_the_middle_of_an_index_batch_converges(
    tmp_path: Path, database_url: str, engine: Engine, index_folder: Path
) -> None:
    assert ingest_paths(engine, [write_corpus(tmp_path / "corpus", 1200)]).ok
    open_search_index(index_folder)  # made once, before the processes race to
    rng = random.Random(7)
    applied_after_kills = []
    for _ in range(4):
        process = run_python(CATCH_UP, "300", database_url=database_url)
        assert process.stdout is not None
        assert process.stdout.readline().strip() == "started"
        time.sleep(rng.uniform(0.05, 0.6))
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=60)
        applied = open_search_index(index_folder).applied_change()
        applied_after_kills.append(applied)
        assert applied % 300 == 0 or applied == store_last_change(engine)  # whole batches
    index = open_search_index(index_folder)
    index.catch_up(engine)
    assert_follows(index, engine)
    assert applied_after_kills == sorted(applied_after_kills)


def test_readers_in_other_processes_see_whole_batches(
    tmp_path: Path, database_url: str, engine: Engine, index_folder: Path
) -> None:
    total = 5 * BATCH_SIZE
    corpus = write_corpus(tmp_path / "corpus", total)
    open_search_index(index_folder)
    readers = [
        run_python(READER, str(index_folder), str(total), database_url=database_url)
        for _ in range(3)
    ]
    ingestion = byline("ingest", str(corpus), database_url=database_url)
    assert ingestion.returncode == 0, ingestion.stderr
    for reader in readers:
        output, errors = reader.communicate(timeout=120)
        assert reader.returncode == 0, errors
        seen = json.loads(output)
        assert seen[-1] == [total, total]
        for applied, articles in seen:
            # A fresh store numbers its changes as its ids: change N applied is N articles.
            assert articles == applied
            assert applied % BATCH_SIZE == 0  # whole batches only
        assert [applied for applied, _ in seen] == sorted(applied for applied, _ in seen)
    assert_follows(open_search_index(index_folder), engine)


def test_two_server_workers_follow_an_ingestion_by_another_process(
    tmp_path: Path, database_url: str, engine: Engine, index_folder: Path
) -> None:
    corpus = write_corpus(tmp_path / "corpus", 3 * BATCH_SIZE)
    server = {"BYLINE_INGEST_ON_START": "false", "BYLINE_WORKERS": "2"}
    with live_server(database_url, tmp_path / "serve.log", **server) as base:
        environment = {**os.environ, "BYLINE_DATABASE_URL": database_url}
        with (tmp_path / "ingest.log").open("w") as log:
            ingestion = subprocess.Popen(
                [sys.executable, "-m", "app", "ingest", str(corpus)],
                cwd=ROOT,
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
            while ingestion.poll() is None:
                assert httpx2.get(f"{base}/v1/stats", timeout=10).status_code == 200
                time.sleep(0.05)
        assert ingestion.returncode == 0, (tmp_path / "ingest.log").read_text()
        answers: list[dict[str, int]] = []

        def caught_up() -> bool:
            body = httpx2.get(f"{base}/v1/stats", timeout=10).json()
            answers.append(body["index"] | {"last_change": body["last_change"]})
            last = answers[-10:]
            return len(last) == 10 and all(
                (shown["applied_change"], shown["lag"], shown["documents"])
                == (shown["last_change"], 0, 3 * BATCH_SIZE)
                for shown in last
            )

        wait_for(caught_up, timeout=20)  # ten answers in a row, from either worker
        assert httpx2.get(f"{base}/readyz", timeout=10).status_code == 200
    assert_follows(open_search_index(index_folder), engine)


def test_a_server_killed_while_it_builds_its_index_converges_when_started_again(
    tmp_path: Path, database_url: str, engine: Engine, index_folder: Path
) -> None:
    """SIGKILL a server whose follower is building the index from the store (its ``/readyz``
    says so); the next start finishes it, and search finds every article once."""
    assert ingest_paths(engine, [write_corpus(tmp_path / "corpus", 1200)]).ok
    environment = {
        **os.environ,
        "BYLINE_DATABASE_URL": database_url,
        "BYLINE_INGEST_ON_START": "false",
    }
    rng = random.Random(11)
    killed_while_building: list[str] = []
    # Twice killed while building; a start that built the whole index before its `/readyz`
    # first answered (a fast machine) has its folder removed, so that the next one builds again.
    for _ in range(8):
        if len(killed_while_building) == 2:
            break
        port = free_port()
        process = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(port)],
            cwd=ROOT,
            env=environment,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            building = None
            deadline = time.monotonic() + 60
            while building is None and time.monotonic() < deadline:
                try:
                    answer = httpx2.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                    if answer.status_code == 503:
                        building = answer.json()["detail"]
                    elif answer.status_code == 200:
                        break  # built before it could be killed: the loop tries again
                except httpx2.TransportError:
                    time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.3))
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
        if building is None:
            shutil.rmtree(index_folder, ignore_errors=True)
        else:
            killed_while_building.append(building)
    with live_server(database_url, BYLINE_INGEST_ON_START="false") as base:
        found = httpx2.get(f"{base}/v1/search", params={"q": "report"}, timeout=10).json()
        listed = httpx2.get(f"{base}/v1/articles", timeout=10).json()
    assert killed_while_building, "no start was caught building its index"
    assert listed["total"] == found["total"] == 1200  # every article, once
    assert_follows(open_search_index(index_folder), engine)
