"""The hot read paths (app/reader.py, app/responses.py) answer what the response models say.

List, detail and search build their JSON with orjson instead of letting FastAPI validate and
serialize the ``response_model``; each body here must be byte for byte what pydantic makes of
the same model, and the cached counts must follow the store when it changes.
"""

import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel

from app.ingest import IngestReport
from app.models import ArticleDetail, ArticlePage, SearchPage
from app.routes import search as search_routes
from tests.conftest import Ingest
from tests.factories import ArticleText, generated_article


@pytest.fixture
def corpus(ingest: Ingest, tmp_path: Path) -> IngestReport:
    folder = tmp_path / "corpus"
    for number in range(30):
        generated_article(number).write(folder, f"{number:04}.txt")
    ArticleText(title="No year, no source", copyright=None, dateline=None).write(folder, "z.txt")
    front = "---\ntitle: Dated harbour story\ndate: 2024-03-01T12:30:00.5+02:00\n"
    front += "author: [Ann Lee]\ntags: [ports]\n---\nThe harbour reopened on Friday.\n"
    (folder / "dated.md").write_text(front, encoding="utf-8")
    return ingest(folder)


def assert_is_model(body: bytes, model: type[BaseModel]) -> None:
    assert model.model_validate_json(body).model_dump_json().encode() == body


@pytest.mark.parametrize(
    "url",
    [
        "/v1/articles",
        "/v1/articles?limit=3&facets=source,dateline,year",
        "/v1/articles?sort=title&limit=5",
        "/v1/articles?sort=oldest&year=2019&year=2020",
        "/v1/articles?published_after=2024-01-01",
        "/v1/articles?source=nobody",
    ],
)
def test_list_bodies_are_the_model(client: TestClient, corpus: IngestReport, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert int(response.headers["content-length"]) == len(response.content)
    assert_is_model(response.content, ArticlePage)


def test_detail_bodies_are_the_model(client: TestClient, corpus: IngestReport) -> None:
    for item in client.get("/v1/articles", params={"limit": 40}).json()["items"]:
        response = client.get(item["url"])
        assert response.status_code == 200
        assert_is_model(response.content, ArticleDetail)
    dated = client.get("/v1/search", params={"q": "title:dated"}).json()["items"][0]
    detail = client.get(dated["url"]).json()
    assert detail["published_at"] == "2024-03-01T10:30:00.500000Z"
    assert detail["authors"] == ["Ann Lee"]
    assert detail["tags"] == ["ports"]


@pytest.mark.parametrize(
    "params",
    [
        {"q": "harbour"},
        {"q": "harbour", "facets": "source,year", "limit": 2},
        {"q": "harbour report", "year": 2020},
        {"q": "nothingmatches"},
    ],
)
def test_search_bodies_are_the_model(
    client: TestClient, corpus: IngestReport, params: dict[str, str]
) -> None:
    response = client.get("/v1/search", params=params)
    assert response.status_code == 200
    assert_is_model(response.content, SearchPage)


def test_cached_counts_follow_the_store(
    client: TestClient, corpus: IngestReport, ingest: Ingest, tmp_path: Path
) -> None:
    before = client.get("/v1/articles", params={"facets": "year"}).json()
    folder = tmp_path / "more"
    for number in range(100, 105):
        generated_article(number).write(folder, f"{number}.txt")
    ingest(folder)  # another connection commits: the cache must not be served
    after = client.get("/v1/articles", params={"facets": "year"}).json()
    assert after["total"] == before["total"] + 5
    counted = {entry["value"]: entry["count"] for entry in after["facets"]["year"]}
    assert sum(counted.values()) == after["total"]


def test_cached_searches_follow_the_store(
    client: TestClient, corpus: IngestReport, ingest: Ingest, tmp_path: Path
) -> None:
    first = client.get("/v1/search", params={"q": "harbour", "limit": 3})
    again = client.get("/v1/search", params={"q": "harbour", "limit": 3})
    assert again.content == first.content
    assert again.headers["link"] == first.headers["link"]
    other_host = client.get(
        "/v1/search", params={"q": "harbour", "limit": 3}, headers={"host": "news.example"}
    )
    assert other_host.json()["items"][0]["url"].startswith("http://news.example/v1/articles/")
    folder = tmp_path / "more"
    for number in range(200, 203):
        generated_article(number).write(folder, f"{number}.txt")
    ingest(folder)
    after = client.get("/v1/search", params={"q": "harbour", "limit": 3}).json()
    assert after["total"] == first.json()["total"] + 3


def test_the_same_search_asked_at_once_is_computed_once(
    client: TestClient, seeded: IngestReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed = []
    original = search_routes._search

    def slow_search(request: Any, params: Any) -> Any:
        computed.append(params.q)
        time.sleep(0.3)  # long enough for every request to arrive while it runs
        return original(request, params)

    monkeypatch.setattr(search_routes, "_search", slow_search)
    with ThreadPoolExecutor(max_workers=6) as pool:
        asked = ["Macron"] * 6 + ["Kyiv"]
        responses = list(pool.map(lambda q: client.get("/v1/search", params={"q": q}), asked))
    assert [response.status_code for response in responses] == [200] * 7
    assert len({response.content for response in responses[:6]}) == 1
    assert sorted(computed) == ["Kyiv", "Macron"]  # one computation each
