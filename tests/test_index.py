"""``/v1`` lists every documented operation with absolute links."""

from pathlib import Path

from fastapi.testclient import TestClient

from app.api.app import create_app
from app.ingestion.outcomes import IngestReport
from app.settings import Settings
from tests.conftest import SEEDS


def test_v1_lists_every_documented_operation(client: TestClient) -> None:
    response = client.get("/v1")
    assert response.status_code == 200
    index = response.json()
    spec = client.get("/openapi.json").json()
    documented = [
        (operation["operationId"], operation["summary"], f"http://testserver{path}")
        for path, operations in spec["paths"].items()
        for operation in operations.values()
        if path != "/v1"
    ]
    listed = [(entry["name"], entry["summary"], entry["href"]) for entry in index["entry_points"]]
    assert listed == documented
    assert {"list_articles", "search_articles", "get_article"} <= {name for name, *_ in listed}
    assert spec["paths"]["/v1"]["get"]["operationId"] == "api_index"


def test_v1_links_are_absolute_and_answer(client: TestClient, seeded: IngestReport) -> None:
    saved = client.post("/v1/saved-searches", json={"name": "Macron", "q": "Macron"})
    index = client.get("/v1").json()
    for entry in index["entry_points"]:
        href = entry["href"].replace("{ref}", "1").replace("{slug}", "not-found")
        href = href.replace("{saved_id}", str(saved.json()["id"]))
        if entry["name"].startswith("search_articles"):  # the search and its feeds
            href += "?q=Macron"
        if entry["method"] == "GET":
            assert client.get(href).status_code == 200, href
        else:
            assert entry["name"] in ("create_saved_search", "delete_saved_search", "redeliver")
    for name in ("openapi", "docs", "redoc"):
        assert index[name].startswith("http://testserver/")
        assert client.get(index[name]).status_code == 200


def test_v1_links_start_with_the_public_url(database_url: str, tmp_path: Path) -> None:
    settings = Settings(
        database_url=database_url,
        seeds_dir=SEEDS,
        ingest_on_start=False,
        public_url="https://news.example/byline/",
    )
    with TestClient(create_app(settings)) as client:
        index = client.get("/v1", headers={"host": "news.example"}).json()
    assert index["openapi"] == "https://news.example/byline/openapi.json"
    assert index["entry_points"][0]["href"].startswith("https://news.example/byline/v1/")
