"""The hot read paths (app/store/listing.py, app/api/responses.py) answer what the response
models say.

List, detail and search build their JSON with orjson instead of letting FastAPI validate and
serialize the ``response_model``; each body here must be byte for byte what pydantic makes of
the same model, and the cached counts must follow the store when it changes.
"""

import dataclasses
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import BaseModel
from sqlalchemy import Engine

from app.api import dependencies
from app.api.app import create_app
from app.api.routes import articles as article_routes
from app.api.routes import search as search_routes
from app.api.schemas import ArticleDetail, ArticlePage, ArticleSummary, SearchPage
from app.ingestion.outcomes import IngestReport
from app.settings import Settings
from app.store import listing
from app.store.caches import RESPONSE_CACHE_BYTES, VersionedCache
from app.store.filters import ArticleFilters
from app.store.listing import SUMMARY_COLUMNS, read_page
from app.store.readers import open_reader
from app.store.readers.base import Reader
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
    # The body as sent, not compressed, so that its length is Content-Length's.
    response = client.get(url, headers={"Accept-Encoding": "identity"})
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


def test_a_search_kept_while_the_index_was_behind_is_computed_again_once_it_follows(
    settings: Settings, engine: Engine, ingest: Ingest, tmp_path: Path
) -> None:
    # The index follows the store a moment after each commit: what a search answered in that
    # moment must not be kept until the store next changes.
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        client.app.state.index_follower.stop()  # type: ignore[attr-defined]
        index = client.app.state.search_index  # type: ignore[attr-defined]
        generated_article(1).write(tmp_path / "first", "1.txt")
        ingest(tmp_path / "first")
        index.catch_up(engine)
        before = client.get("/v1/search", params={"q": "harbour"}).json()["total"]
        generated_article(2).write(tmp_path / "second", "2.txt")
        ingest(tmp_path / "second")
        behind = client.get("/v1/search", params={"q": "harbour"}).json()["total"]
        assert behind == before  # the index has not applied the new article yet
        index.catch_up(engine)
        assert client.get("/v1/search", params={"q": "harbour"}).json()["total"] == before + 1


def pages_computed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The limits of the pages of articles the app's reader computes from now on, in order."""
    computed: list[int] = []

    def counted(store: Reader, **kwargs: Any) -> Any:
        computed.append(kwargs["limit"])
        return read_page(store, **kwargs)

    monkeypatch.setattr(article_routes, "read_page", counted)
    return computed


def test_kept_pages_of_articles_follow_the_store(
    client: TestClient,
    corpus: IngestReport,
    ingest: Ingest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    computed = pages_computed(monkeypatch)
    params: dict[str, str | int] = {"limit": 3, "facets": "year"}
    first = client.get("/v1/articles", params=params)
    again = client.get("/v1/articles", params=params)
    assert again.content == first.content
    assert again.headers["link"] == first.headers["link"]
    assert computed == [3]  # the second was the kept page
    other_host = client.get("/v1/articles", params=params, headers={"host": "news.example"})
    assert other_host.json()["items"][0]["url"].startswith("http://news.example/v1/articles/")
    assert other_host.headers["link"].startswith("<http://news.example/v1/articles?")
    assert computed == [3, 3]
    folder = tmp_path / "more"
    for number in range(300, 304):
        generated_article(number).write(folder, f"{number}.txt")
    ingest(folder)  # another connection commits: the kept page must not be served
    after = client.get("/v1/articles", params=params).json()
    assert after["total"] == first.json()["total"] + 4
    assert computed == [3, 3, 3]


def test_pages_of_articles_with_the_cache_off(
    settings: Settings, corpus: IngestReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Both caches off: the search cache's pages, and the whole answers (app/api/kept_answers.py).
    off = {"search_cache": 0, "article_cache_mb": 0}
    with TestClient(create_app(settings.model_copy(update=off))) as client:
        computed = pages_computed(monkeypatch)
        bodies = {client.get("/v1/articles", params={"limit": 2}).content for _ in range(3)}
        assert len(bodies) == 1
        assert computed == [2, 2, 2]


def _slow_searches(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The queries searches compute from now on, each slow enough for every request sent at
    once to arrive while it runs."""
    computed: list[str] = []
    original = search_routes._search

    def slow_search(request: Any, params: Any, budget: Any) -> Any:
        computed.append(params.q)
        time.sleep(0.3)
        return original(request, params, budget)

    monkeypatch.setattr(search_routes, "_search", slow_search)
    return computed


def test_the_same_search_asked_at_once_is_computed_once(
    client: TestClient, seeded: IngestReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    computed = _slow_searches(monkeypatch)
    with ThreadPoolExecutor(max_workers=6) as pool:
        asked = ["Macron"] * 6 + ["Kyiv"]
        responses = list(pool.map(lambda q: client.get("/v1/search", params={"q": q}), asked))
    assert [response.status_code for response in responses] == [200] * 7
    assert len({response.content for response in responses[:6]}) == 1
    assert sorted(computed) == ["Kyiv", "Macron"]  # one computation each


def test_with_nothing_kept_a_search_reads_the_version_once_and_is_still_computed_once(
    settings: Settings, seeded: IngestReport, monkeypatch: pytest.MonkeyPatch
) -> None:
    with TestClient(create_app(settings.model_copy(update={"search_cache": 0}))) as client:
        store = client.app.state.reader  # type: ignore[attr-defined]
        versions_read: list[int] = []
        version = store.version

        def counted_version() -> int:
            versions_read.append(version())
            return versions_read[-1]

        monkeypatch.setattr(store, "version", counted_version)
        computed = _slow_searches(monkeypatch)
        with ThreadPoolExecutor(max_workers=4) as pool:
            asked = ["Macron"] * 4
            responses = list(pool.map(lambda q: client.get("/v1/search", params={"q": q}), asked))
        assert [response.status_code for response in responses] == [200] * 4
        assert computed == ["Macron"]  # one computation for those asking at once
        assert client.get("/v1/search", params={"q": "Macron"}).status_code == 200
        assert computed == ["Macron", "Macron"]  # and none kept
        # Once a request, for its ETag (never again for a key), and once more by each request
        # that reads the store's mark before one is kept (the 4 at once may): no commit may fall
        # between the two.
        assert 5 + 1 <= len(versions_read) <= 5 + 4


def test_kept_article_bodies_are_the_routes_and_follow_the_store(
    client: TestClient,
    ingest: Ingest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    folder = tmp_path / "kept"
    generated_article(1).write(folder, "story.txt")
    ingest(folder)
    slug = client.get("/v1/articles").json()["items"][0]["slug"]
    made: list[str] = []
    original = article_routes._article_body

    def counted(store: Any, request: Any, ref: str) -> bytes:
        made.append(ref)
        return original(store, request, ref)

    routed: list[str] = []  # the requests that reached the route
    store_of = dependencies.reader

    def reader_in_route(request: Any) -> Any:
        routed.append(request.path_params["ref"])
        return store_of(request)

    monkeypatch.setattr(article_routes, "_article_body", counted)
    monkeypatch.setattr(article_routes, "reader", reader_in_route)
    for ref in ("1", slug):
        first = client.get(f"/v1/articles/{ref}")
        again = client.get(f"/v1/articles/{ref}")  # app.api.kept_answers.KeptAnswers answers
        assert first.status_code == again.status_code == 200
        assert again.content == first.content
        assert again.headers.items() == first.headers.items()
        head = client.head(f"/v1/articles/{ref}")
        assert head.content == b""
        assert head.headers.items() == first.headers.items()
    assert made == ["1", slug]  # one body made for each reference
    assert routed == made  # the requests after the first were answered before the route
    other = client.get("/v1/articles/1", headers={"host": "news.example"}).json()
    assert other["url"] == f"http://news.example/v1/articles/{slug}"
    assert made == ["1", slug, "1"]
    by_id = client.get("/v1/articles/1").content
    assert client.get("/v1/articles/1?unknown=1").content == by_id
    assert client.get("/v1/articles/1/", follow_redirects=False).status_code == 307

    dataclasses.replace(generated_article(1), title="A changed headline").write(folder, "story.txt")
    ingest(folder)  # another connection commits: the kept bodies are dropped
    assert client.get("/v1/articles/1").json()["title"] == "A changed headline"
    assert client.get(f"/v1/articles/{slug}").json()["title"] == "A changed headline"


def test_article_bodies_under_a_root_path_and_with_the_cache_off(
    settings: Settings, ingest: Ingest, tmp_path: Path
) -> None:
    generated_article(1).write(tmp_path / "one", "story.txt")
    ingest(tmp_path / "one")
    with TestClient(create_app(settings), root_path="/api") as client:
        for _ in range(2):
            body = client.get("/api/v1/articles/1").json()
            assert body["url"].startswith("http://testserver/api/v1/articles/")
    off = settings.model_copy(update={"article_cache_mb": 0})
    with TestClient(create_app(off)) as client:
        first, again = client.get("/v1/articles/1"), client.get("/v1/articles/1")
        assert first.status_code == 200
        assert again.content == first.content
        assert client.get("/v1/articles/" + "9" * 201).status_code == 422


def test_weighed_caches_hold_at_most_their_size() -> None:
    bodies = VersionedCache(10, weight=lambda _key, value: len(value))
    assert bodies.get(1, "a") is None  # the first look sets the version
    bodies.put(1, "a", b"12345")
    bodies.put(1, "b", b"12345")
    assert bodies.get(1, "a") == b"12345"  # a is now the most recent
    bodies.put(1, "c", b"123")
    assert bodies.get(1, "b") is None  # the least recent went to make room
    assert bodies.get(1, "a") == b"12345"
    assert bodies.get(1, "c") == b"123"
    bodies.put(1, "big", b"x" * 11)  # larger than the whole cache: not kept
    assert bodies.get(1, "big") is None
    bodies.put(1, "a", b"1")  # replaced: its old weight is given back
    bodies.put(1, "d", b"123456")
    assert [bodies.get(1, key) for key in "acd"] == [b"1", b"123", b"123456"]
    assert bodies.get(2, "a") is None  # the store changed: everything is dropped


def test_caches_weighed_and_counted_hold_both_bounds() -> None:
    # Responses are bounded by their bytes and by their number: many small pages (a client
    # paging through the store) and a few large ones are both held in bounds.
    responses = VersionedCache(10, weight=lambda _key, value: len(value), entries=2)
    assert responses.get(1, "a") is None
    for key in "abc":
        responses.put(1, key, b"1")
    assert [responses.get(1, key) for key in "abc"] == [None, b"1", b"1"]
    responses.put(1, "big", b"x" * 10)
    assert [responses.get(1, key) for key in ("b", "c", "big")] == [None, None, b"x" * 10]
    off = VersionedCache(10, weight=lambda _key, value: len(value), entries=0)
    off.get(1, "a")
    off.put(1, "a", b"1")
    assert off.get(1, "a") is None  # no entries: nothing is kept


def test_kept_responses_are_weighed_with_their_keys() -> None:
    # The query string is part of a response's key, unknown parameters too: long ones count
    # against the byte bound as bodies do, however small the bodies.
    store = Reader(cache_size=1_000_000)
    store.responses.get(1, "the first look sets the version")
    padding = "x" * (RESPONSE_CACHE_BYTES // 100)
    keys = [
        ("/v1/search", "http://testserver", (("pad", f"{number}{padding}"), ("q", "a")))
        for number in range(300)
    ]
    for key in keys:
        store.responses.put(1, key, (b"{}", "http://testserver/v1/search?cursor=" + padding))
    kept = sum(store.responses.get(1, key) is not None for key in keys)
    assert 40 <= kept <= 50  # each weighs 2% of the bound: its key and its next page's URL


def test_a_page_counts_and_reads_one_snapshot(
    database_url: str, ingest: Ingest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Ingestions commit after the page's total is counted and before its rows are read: the
    # page still shows one state of the store (its total is the number of its rows).
    generated_article(0).write(tmp_path / "first", "0.txt")
    for number in range(1, 6):
        generated_article(number).write(tmp_path / f"more-{number % 2}", f"{number}.txt")
    ingest(tmp_path / "first")
    store = open_reader(database_url, cache_size=16)
    try:
        assert read_page(store, filters=ArticleFilters()).total == 1  # the count is cached
        counted = listing.facet_counts
        folders = [tmp_path / "more-0", tmp_path / "more-1"]

        def commit_between(*args: Any) -> Any:
            if folders:
                ingest(folders.pop())
            return counted(*args)

        monkeypatch.setattr(listing, "facet_counts", commit_between)
        # The first reading saw a commit (1 counted, 4 rows) and is read again in one
        # snapshot, which the second commit, made inside it, does not change.
        page = read_page(store, filters=ArticleFilters(), limit=10)
        assert (page.total, len(page.items)) == (4, 4)
        monkeypatch.undo()
        page = read_page(store, filters=ArticleFilters(), limit=10)
        assert (page.total, len(page.items)) == (6, 6)
    finally:
        store.close()


@pytest.mark.sqlite_only
def test_a_sqlite_readers_connections_end_with_their_threads(database_url: str) -> None:
    """Searches read on worker threads, which AnyIO ends when idle: their connections go too."""
    store = open_reader(database_url)
    database = os.path.realpath(database_url.removeprefix("sqlite:///"))

    def open_files() -> int:
        descriptors = Path("/proc/self/fd")
        return sum(
            1
            for descriptor in descriptors.iterdir()
            if os.path.realpath(descriptor) == database  # the database file, not its WAL
        )

    try:
        store.rows("SELECT 1 AS one")
        held = open_files()
        for _ in range(5):
            worker = threading.Thread(target=store.rows, args=("SELECT 1 AS one",))
            worker.start()
            worker.join()
        store.rows("SELECT 1 AS one")  # this thread's connection is open already
        worker = threading.Thread(target=store.rows, args=("SELECT 1 AS one",))
        worker.start()  # a new thread's connection closes those of the ended ones
        worker.join()
        assert open_files() <= held + 1
    finally:
        store.close()


def test_the_summary_columns_are_the_summary_models_fields_in_order() -> None:
    # The list route lays a row out without FastAPI's second pass: its columns, then the URL.
    assert (*SUMMARY_COLUMNS, "url") == tuple(ArticleSummary.model_fields)
