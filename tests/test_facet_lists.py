"""The facets ``authors`` and ``tags`` (each name of an article's list counted, the articles
with none under null) and ``month`` (of the publication time, in UTC): the list and the search
count them alike, on both stores."""

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Ingest

ARTICLES: list[dict[str, Any]] = [
    {
        "title": "Macron visits Berlin",
        "author": ["Ana Ruiz", "Ben Cole"],
        "tags": ["France", "Germany"],
        "date": "2024-01-31T23:30:00-01:00",  # February in UTC
    },
    {
        "title": "Macron in Paris",
        "author": ["Ana Ruiz"],
        "tags": ["France"],
        "date": "2024-02-10T10:00:00Z",
    },
    {"title": "Macron speech", "tags": ["Europe"], "date": "2024-03-01T00:00:00Z"},
    {"title": "Storm hits the coast", "author": ["Ben Cole"], "date": "2024-01-05T00:00:00Z"},
    {"title": "Macron note without a date", "author": ["ana ruiz"]},
]

EVERYTHING = {
    "authors": [
        {"value": "Ana Ruiz", "count": 2},
        {"value": "Ben Cole", "count": 2},
        {"value": None, "count": 1},
        {"value": "ana ruiz", "count": 1},
    ],
    "tags": [
        {"value": None, "count": 2},
        {"value": "France", "count": 2},
        {"value": "Europe", "count": 1},
        {"value": "Germany", "count": 1},
    ],
    "month": [
        {"value": "2024-02", "count": 2},
        {"value": None, "count": 1},
        {"value": "2024-01", "count": 1},
        {"value": "2024-03", "count": 1},
    ],
}

MACRON = {
    "authors": [
        {"value": "Ana Ruiz", "count": 2},
        {"value": None, "count": 1},
        {"value": "Ben Cole", "count": 1},
        {"value": "ana ruiz", "count": 1},
    ],
    "tags": [
        {"value": "France", "count": 2},
        {"value": None, "count": 1},
        {"value": "Europe", "count": 1},
        {"value": "Germany", "count": 1},
    ],
    "month": [
        {"value": "2024-02", "count": 2},
        {"value": None, "count": 1},
        {"value": "2024-03", "count": 1},
    ],
}


@pytest.fixture
def news(ingest: Ingest, tmp_path: Path) -> None:
    lines = [json.dumps({**item, "body": f"{item['title']}, in full."}) for item in ARTICLES]
    (tmp_path / "news.jsonl").write_text("\n".join(lines), encoding="utf-8")
    assert ingest(tmp_path).ok


def facets(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params={"facets": "authors,tags,month", **params})
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()["facets"]
    return found


def test_the_list_and_the_search_count_names_tags_and_months(
    client: TestClient, news: None, backend: str
) -> None:
    assert facets(client, "/v1/articles") == EVERYTHING
    assert facets(client, "/v1/search", q="Macron OR Storm") == EVERYTHING
    assert facets(client, "/v1/search", q="Macron") == MACRON
    assert facets(client, "/v1/articles", source="nobody") == {
        "authors": [],
        "tags": [],
        "month": [],
    }


def test_with_filters(client: TestClient, news: None, backend: str) -> None:
    params = {"published_after": "2024-02"}
    expected = {
        "authors": [{"value": "Ana Ruiz", "count": 2}, {"value": "Ben Cole", "count": 1}],
        "tags": [
            {"value": "France", "count": 2},
            {"value": "Europe", "count": 1},
            {"value": "Germany", "count": 1},
        ],
        "month": [{"value": "2024-02", "count": 2}, {"value": "2024-03", "count": 1}],
    }
    # Ana Ruiz twice and the speech without an author: null, once.
    expected["authors"].insert(1, {"value": None, "count": 1})
    assert facets(client, "/v1/articles", **params) == expected
    assert facets(client, "/v1/search", q="Macron", **params) == expected


def test_an_unknown_facet_names_the_known_ones(client: TestClient, backend: str) -> None:
    response = client.get("/v1/articles", params={"facets": "author"})
    assert response.status_code == 400
    assert "source, dateline, year, authors, tags, month" in response.json()["detail"]


def ids_of_titles(client: TestClient, path: str, **params: Any) -> set[str]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    return {item["title"] for item in response.json()["items"]}


def test_a_facets_value_filters_the_list_and_the_search(
    client: TestClient, news: None, backend: str
) -> None:
    # Matched whole and in any case, as the other whole-value filters are.
    by_ana = {"Macron visits Berlin", "Macron in Paris", "Macron note without a date"}
    assert ids_of_titles(client, "/v1/articles", author="ANA RUIZ") == by_ana
    assert ids_of_titles(client, "/v1/search", q="Macron", author="ana ruiz") == by_ana
    assert ids_of_titles(client, "/v1/search", q="Macron", author="Ana") == set()
    france = {"Macron visits Berlin", "Macron in Paris"}
    assert ids_of_titles(client, "/v1/articles", tag="france") == france
    both = ids_of_titles(client, "/v1/articles", tag=["Europe", "Germany"])
    assert both == {"Macron speech", "Macron visits Berlin"}
    assert ids_of_titles(client, "/v1/search", q="Macron", author="Ben Cole", tag="France") == {
        "Macron visits Berlin"
    }
    timeline = client.get("/v1/timeline", params={"author": "Ben Cole", "interval": "year"})
    assert timeline.json()["series"][0]["total"] == 2
