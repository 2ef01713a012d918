"""``/v1/articles``: list with filters, sorts and keyset pages; detail; raw text."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.schemas import ArticleSummary
from app.ingestion.outcomes import IngestReport
from tests.conftest import SEED_FILE, SEED_SLUG, SEED_TITLE, Ingest
from tests.factories import ArticleText, generated_article

CORPUS_SIZE = 300


@pytest.fixture
def corpus(ingest: Ingest, tmp_path: Path) -> IngestReport:
    folder = tmp_path / "corpus"
    for number in range(CORPUS_SIZE):
        generated_article(number).write(folder, f"{number:04}.txt")
    ArticleText(title="No year or source", copyright=None, dateline=None).write(folder, "z.txt")
    return ingest(folder)


def all_pages(client: TestClient, url: str, **params: Any) -> list[dict[str, Any]]:
    """Follow ``next`` links from the first page to the last."""
    items: list[dict[str, Any]] = []
    response = client.get(url, params={"limit": 7, **params})
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        items.extend(body["items"])
        if body["next"] is None:
            assert "Link" not in response.headers
            return items
        assert response.headers["Link"] == f'<{body["next"]}>; rel="next"'
        response = client.get(body["next"])


def test_list_shows_the_seed(client: TestClient, seeded: IngestReport) -> None:
    response = client.get("/v1/articles")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1
    assert body["limit"] == 20
    assert body["next_cursor"] is None
    [item] = body["items"]
    assert set(item) == set(ArticleSummary.model_fields)
    assert item["title"] == SEED_TITLE
    assert item["slug"] == SEED_SLUG
    assert item["dateline"] == "LONDON"
    assert item["lede"].startswith("Talks are ongoing")
    assert item["url"] == f"http://testserver/v1/articles/{SEED_SLUG}"


def test_empty_store_lists_nothing(client: TestClient) -> None:
    body = client.get("/v1/articles").json()
    assert (body["items"], body["total"], body["next"]) == ([], 0, None)


@pytest.mark.parametrize("sort", ["newest", "oldest", "title"])
def test_paging_visits_every_article_exactly_once(
    client: TestClient, corpus: IngestReport, sort: str
) -> None:
    items = all_pages(client, "/v1/articles", sort=sort)
    ids = [item["id"] for item in items]
    assert len(ids) == CORPUS_SIZE + 1
    assert len(set(ids)) == len(ids)


def test_newest_orders_by_year_then_latest_added_unknown_years_last(
    client: TestClient, corpus: IngestReport
) -> None:
    items = all_pages(client, "/v1/articles", sort="newest")
    keys = [(item["year"], item["id"]) for item in items[:-1]]
    assert keys == sorted(keys, reverse=True)
    assert items[-1]["year"] is None


def test_oldest_is_the_reverse_with_unknown_years_last(
    client: TestClient, corpus: IngestReport
) -> None:
    items = all_pages(client, "/v1/articles", sort="oldest")
    keys = [(item["year"], item["id"]) for item in items[:-1]]
    assert keys == sorted(keys)
    assert items[-1]["year"] is None


def test_title_sort(client: TestClient, corpus: IngestReport) -> None:
    items = all_pages(client, "/v1/articles", sort="title")
    keys = [(item["title"], item["id"]) for item in items]
    assert keys == sorted(keys)


@pytest.mark.parametrize(
    ("params", "check"),
    [
        ({"source": "Reuters"}, lambda item: item["source"] == "Reuters"),
        ({"source": "reuters"}, lambda item: item["source"] == "Reuters"),
        ({"dateline": "kyiv"}, lambda item: item["dateline"] == "KYIV"),
        ({"year": 2020}, lambda item: item["year"] == 2020),
        ({"year": [2020, 2021]}, lambda item: item["year"] in (2020, 2021)),
        (
            {"source": ["Reuters", "ABC Audio"], "dateline": "PARIS"},
            lambda item: item["source"] in ("Reuters", "ABC Audio") and item["dateline"] == "PARIS",
        ),
    ],
)
def test_filters(
    client: TestClient, corpus: IngestReport, params: dict[str, Any], check: Any
) -> None:
    items = all_pages(client, "/v1/articles", **params)
    assert items
    assert all(check(item) for item in items)
    expected = sum(check(item) for item in all_pages(client, "/v1/articles", limit=100))
    assert len(items) == expected
    assert client.get("/v1/articles", params=params).json()["total"] == expected


def test_detail_by_id_and_slug(client: TestClient, seeded: IngestReport) -> None:
    by_slug = client.get(f"/v1/articles/{SEED_SLUG}").json()
    by_id = client.get(f"/v1/articles/{by_slug['id']}").json()
    assert by_slug == by_id
    assert by_slug["title"] == SEED_TITLE
    assert len(by_slug["paragraphs"]) == 14
    assert by_slug["paragraphs"][0].startswith("Talks are ongoing between Paris and Kyiv")
    assert by_slug["copyright"] == "Copyright © 2025, ABC Audio. All rights reserved."
    assert by_slug["year"] == 2025
    assert by_slug["source"] == "ABC Audio"
    assert by_slug["word_count"] == 406
    assert by_slug["raw_url"] == f"http://testserver/v1/articles/{SEED_SLUG}/raw"
    assert by_slug["ingested_at"].endswith("Z") or by_slug["ingested_at"].endswith("+00:00")


def test_raw_is_the_text_as_received(client: TestClient, seeded: IngestReport) -> None:
    response = client.get(f"/v1/articles/{SEED_SLUG}/raw")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.content == SEED_FILE.read_bytes()
    assert client.get("/v1/articles/1/raw").content == SEED_FILE.read_bytes()


@pytest.mark.parametrize(
    "ref", ["999", "99999999999999999999", "no-such-slug", "0", "%20", "-1", "1.5", "１"]
)
def test_unknown_article_is_404(client: TestClient, seeded: IngestReport, ref: str) -> None:
    for suffix in ("", "/raw"):
        response = client.get(f"/v1/articles/{ref}{suffix}")
        assert response.status_code == 404, (ref, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]


@pytest.mark.parametrize("sort", ["newest", "oldest", "title"])
def test_articles_added_while_paging_never_repeat_or_skip_the_others(
    client: TestClient, corpus: IngestReport, ingest: Ingest, tmp_path: Path, sort: str
) -> None:
    before = {item["id"] for item in all_pages(client, "/v1/articles", limit=100)}
    seen: list[int] = []
    response = client.get("/v1/articles", params={"limit": 50, "sort": sort})
    added = 0
    while True:
        body = response.json()
        seen.extend(item["id"] for item in body["items"])
        if body["next"] is None:
            break
        added += 1
        ingest(generated_article(10_000 + added).write(tmp_path / "late", f"{added}.txt"))
        response = client.get(body["next"])
    original = [article_id for article_id in seen if article_id in before]
    assert sorted(original) == sorted(before)
    assert len(seen) == len(set(seen))


def test_facets_count_the_whole_filtered_list(client: TestClient, corpus: IngestReport) -> None:
    every = all_pages(client, "/v1/articles", limit=100)
    body = client.get("/v1/articles", params={"facets": "source,dateline,year", "limit": 5}).json()
    assert len(body["items"]) == 5
    for name in ("source", "dateline", "year"):
        expected: dict[Any, int] = {}
        for item in every:
            expected[item[name]] = expected.get(item[name], 0) + 1
        counted = {entry["value"]: entry["count"] for entry in body["facets"][name]}
        assert counted == expected, name
        counts = [entry["count"] for entry in body["facets"][name]]
        assert counts == sorted(counts, reverse=True)
    filtered = client.get(
        "/v1/articles", params=[("facets", "year"), ("facets", "source"), ("year", 2020)]
    ).json()
    assert [entry["value"] for entry in filtered["facets"]["year"]] == [2020]
    assert sum(entry["count"] for entry in filtered["facets"]["source"]) == filtered["total"]


def test_unknown_facet_is_400(client: TestClient) -> None:
    response = client.get("/v1/articles", params={"facets": "source,colour"})
    assert response.status_code == 400
    assert "colour" in response.json()["detail"]
