"""Several API processes on one store: stateless, each following the others' writes, and reads
sent to a read URL when there is one."""

from pathlib import Path

import httpx2
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.ingestion.run import ingest_paths
from app.settings import Settings
from app.store.database import create_db_engine, migrate
from tests.conftest import SEED_TITLE, Ingest
from tests.factories import ArticleText, generated_article
from tests.index_checks import wait_for
from tests.live import live_server


def totals(base: str, q: str) -> tuple[int, int]:
    """(articles listed, hits of ``q``), over HTTP."""
    listed = httpx2.get(f"{base}/v1/articles", timeout=10).json()["total"]
    found = httpx2.get(f"{base}/v1/search", params={"q": q}, timeout=10).json()["total"]
    return listed, found


def test_replicas_with_workers_follow_an_ingestion_made_elsewhere(
    database_url: str, ingest: Ingest, tmp_path: Path
) -> None:
    folder = tmp_path / "corpus"
    for number in range(40):
        generated_article(number).write(folder, f"{number:02}.txt")
    assert ingest(folder).ok
    replicas = {"BYLINE_INGEST_ON_START": "false", "BYLINE_WORKERS": "2"}
    with live_server(database_url, **replicas) as one, live_server(database_url, **replicas) as two:
        for _ in range(6):  # enough requests to reach both workers of each replica, and cache
            assert totals(one, "harbour") == totals(two, "harbour") == (40, 40)
        ArticleText(title="Harbour master retires").write(tmp_path / "more", "retires.txt")
        assert ingest(tmp_path / "more").ok  # by another process than either replica
        # Each replica's index follows the store within about a second.
        wait_for(
            lambda: all(
                totals(one, "harbour") == totals(two, "harbour") == (41, 41) for _ in range(6)
            )
        )


def test_the_api_reads_from_the_read_url(database_url: str, seeded: object, tmp_path: Path) -> None:
    # The primary holds the seed; the "replica" (another store here) holds another article.
    replica_url = f"sqlite:///{tmp_path / 'replica.db'}"
    migrate(replica_url)
    replica = create_db_engine(replica_url, writer=True)
    try:
        ArticleText(title="Only on the replica").write(tmp_path / "replica", "a.txt")
        assert ingest_paths(replica, [tmp_path / "replica"]).ok
    finally:
        replica.dispose()
    settings = Settings(
        database_url=database_url, database_read_url=replica_url, ingest_on_start=False
    )
    with TestClient(create_app(settings)) as client:
        listed = client.get("/v1/articles").json()
        assert [item["title"] for item in listed["items"]] == ["Only on the replica"]
        # Ready once the search index, new, is built from what the replica holds.
        wait_for(lambda: client.get("/readyz").status_code == 200)
        assert client.get("/v1/search", params={"q": "replica"}).json()["total"] == 1
    assert SEED_TITLE not in str(listed)
