"""``/healthz``, ``/readyz`` and ``/v1/stats``."""

from pathlib import Path

from alembic import command
from fastapi.testclient import TestClient

from app.store.database import alembic_config
from tests.conftest import Ingest
from tests.factories import generated_article


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_on_a_migrated_store(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ready"


def test_readyz_fails_when_not_at_head(client: TestClient, database_url: str) -> None:
    command.downgrade(alembic_config(database_url), "base")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert "byline migrate" in response.json()["detail"]


def test_stats_count_articles_and_show_the_last_run(client: TestClient, seeded: object) -> None:
    body = client.get("/v1/stats").json()
    assert body["articles"] == 1
    assert body["last_run"]["counts"]["added"] == 1
    assert body["last_run"]["finished_at"] is not None


def test_stats_on_an_empty_store(client: TestClient) -> None:
    body = client.get("/v1/stats").json()
    index = body.pop("index")
    assert body == {"articles": 0, "last_run": None, "search_index": "complete", "last_change": 0}
    assert {name: index[name] for name in ("applied_change", "lag", "documents")} == {
        "applied_change": 0,
        "lag": 0,
        "documents": 0,
    }
    assert index["size_bytes"] > 0  # the engine's files of an empty index


def test_stats_name_the_folders_ingested_without_where_they_are(
    client: TestClient, ingest: Ingest, tmp_path: Path
) -> None:
    folder = tmp_path / "private" / "corpus"
    generated_article(1).write(folder, "one.txt")
    single = generated_article(2).write(tmp_path / "other", "two.txt")
    assert ingest(folder, single).ok
    shown = client.get("/v1/stats").json()["last_run"]["paths"]
    assert shown == ["corpus", "two.txt"]
    assert str(tmp_path) not in client.get("/v1/stats").text
