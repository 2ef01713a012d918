"""``/v1/saved-searches``: saved, listed, fetched and deleted (with an admin key when keys are
required), validated as a search is, and the articles that matched since, on both stores and
through a real server."""

import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.api import examples
from app.api.app import create_app
from app.api.errors import PROBLEM_MEDIA_TYPE
from app.ingestion.outcomes import IngestReport
from app.settings import Settings
from app.store.api_keys import KeyScope, create_api_key
from app.store.change_stream import BAD_SINCE, BEGINNING
from app.store.database import session_scope
from tests.conftest import CaughtUpClient, Ingest
from tests.factories import ArticleText, generated_article
from tests.live import live_server
from tests.test_openapi import in_readme_terms

Body = dict[str, Any]
PATH = "/v1/saved-searches"
HARBOUR = {"name": "Harbour in Paris", "q": "harbour", "filters": {"dateline": ["PARIS"]}}


def save(client: TestClient, body: Body, **headers: str) -> Body:
    response = client.post(PATH, json=body, headers=headers)
    assert response.status_code == 201, response.text
    saved: Body = response.json()
    assert response.headers["location"] == saved["url"]
    return saved


def problem(response: Any, status: int, slug: str) -> Body:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: Body = response.json()
    assert body["type"] == f"/problems/{slug}"
    return body


def write(folder: Path, number: int) -> Path:
    return generated_article(number).write(folder, f"article-{number}.txt")


def test_saved_listed_fetched_and_deleted(client: TestClient, backend: str) -> None:
    assert client.get(PATH).json() == {"items": []}
    saved = save(client, HARBOUR)
    base = "http://testserver/v1/"
    assert saved["name"] == "Harbour in Paris"
    assert saved["q"] == "harbour"
    assert saved["filters"]["dateline"] == ["PARIS"]
    assert saved["filters"]["fuzzy"] is True
    assert saved["last_change"] == 0
    assert saved["url"] == f"{base}saved-searches/{saved['id']}"
    assert saved["matches_url"] == saved["url"] + "/matches"
    assert saved["search_url"] == f"{base}search?q=harbour&dateline=PARIS"
    assert saved["atom_url"] == f"{base}search.atom?q=harbour&dateline=PARIS"
    assert saved["json_feed_url"] == f"{base}search.feed.json?q=harbour&dateline=PARIS"
    assert client.get(saved["url"]).json() == saved
    other = save(client, {"name": "Not fuzzy", "q": "Zelensky", "filters": {"fuzzy": False}})
    assert other["search_url"] == f"{base}search?q=Zelensky&fuzzy=false"
    assert client.get(PATH).json() == {"items": [saved, other]}

    assert client.delete(saved["url"]).status_code == 204
    assert client.get(PATH).json() == {"items": [other]}
    detail = problem(client.get(saved["url"]), 404, "not-found")["detail"]
    assert detail.startswith(f"No saved search has the id {saved['id']}")
    problem(client.delete(saved["url"]), 404, "not-found")


def test_the_example_is_what_the_api_answers(client: TestClient, seeded: IngestReport) -> None:
    saved = save(client, examples.SAVED_SEARCH_CREATE)
    shown = {**in_readme_terms(saved), "created_at": examples.SAVED_SEARCH["created_at"]}
    assert shown == examples.SAVED_SEARCH
    assert list(shown) == list(examples.SAVED_SEARCH)


def test_its_links_answer_as_the_search_does(client: TestClient, tmp_path: Path) -> None:
    saved = save(client, HARBOUR)
    for url, media_type in (
        (saved["search_url"], "application/json"),
        (saved["atom_url"], "application/atom+xml"),
        (saved["json_feed_url"], "application/feed+json"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith(media_type)


@pytest.mark.parametrize(
    ("body", "name", "detail"),
    [
        ({"name": "Blank", "q": "  "}, "q", "The query `q` is blank"),
        ({"name": "Nothing", "q": "-alone"}, "q", "only excludes words"),
        ({"name": "x", "q": "a" * 501}, "q", "at most 500 characters"),
        ({"q": "harbour"}, "name", "Field required"),
        ({"name": " ", "q": "harbour"}, "name", "at least 1 character"),
        ({"name": "x", "q": "harbour", "filters": {"year": ["soon"]}}, "filters.year.0", "integer"),
        (
            {"name": "x", "q": "harbour", "filters": {"published_after": "1700000000"}},
            "filters.published_after",
            "ISO 8601",
        ),
        (
            {"name": "x", "q": "harbour", "filters": {"search_in": ["lede"]}},
            "filters.search_in.0",
            "",
        ),
        ({"name": "x", "q": "harbour", "filters": {"colour": ["red"]}}, "filters.colour", ""),
        ({"name": "x", "q": "harbour", "limit": 5}, "limit", "not permitted"),
    ],
)
def test_an_invalid_search_is_a_422_naming_the_field(
    client: TestClient, body: Body, name: str, detail: str
) -> None:
    answer = problem(client.post(PATH, json=body), 422, "validation-error")
    [error] = answer["errors"]
    assert error["location"] == "body"
    assert error["name"] == name
    assert detail.lower() in error["detail"].lower()
    assert client.get(PATH).json() == {"items": []}


def test_a_body_that_is_no_json_is_a_422(client: TestClient) -> None:
    response = client.post(PATH, content=b"{", headers={"content-type": "application/json"})
    problem(response, 422, "validation-error")


@pytest.mark.parametrize("url", [f"{PATH}/0", f"{PATH}/abc", f"{PATH}/{2**31}"])
def test_an_id_out_of_range_is_a_422(client: TestClient, url: str) -> None:
    for method in ("GET", "DELETE"):
        [error] = problem(client.request(method, url), 422, "validation-error")["errors"]
        assert error == {"location": "path", "name": "saved_id", "detail": error["detail"]}


def test_a_large_body_is_refused_by_the_body_limit(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"max_body_bytes": 100}))
    with CaughtUpClient(app) as client:
        response = client.post(PATH, json={**HARBOUR, "name": "x" * 200})
        problem(response, 413, "body-too-large")
        assert client.get(PATH).json() == {"items": []}


def test_with_keys_required_saving_and_deleting_need_an_admin_key(
    settings: Settings, engine: Engine
) -> None:
    with session_scope(engine) as session:
        admin, _ = create_api_key(session, name="editor", scope=KeyScope.ADMIN)
        reader, _ = create_api_key(session, name="reader", scope=KeyScope.READ)
    app = create_app(settings.model_copy(update={"api_keys": "required"}))
    with CaughtUpClient(app) as client:
        problem(client.post(PATH, json=HARBOUR), 401, "api-key-required")
        problem(
            client.post(PATH, json=HARBOUR, headers={"X-API-Key": reader}),
            403,
            "insufficient-scope",
        )
        saved = save(client, HARBOUR, authorization=f"Bearer {admin}")
        problem(client.get(PATH), 401, "api-key-required")
        listed = client.get(PATH, headers={"X-API-Key": reader}).json()
        assert [item["id"] for item in listed["items"]] == [saved["id"]]
        problem(client.delete(saved["url"]), 401, "api-key-required")
        problem(
            client.delete(saved["url"], headers={"X-API-Key": reader}), 403, "insufficient-scope"
        )
        assert client.delete(saved["url"], headers={"X-API-Key": admin}).status_code == 204


def matches(client: TestClient, url: str, **params: Any) -> Body:
    response = client.get(url, params=params) if params else client.get(url)
    assert response.status_code == 200, response.text
    body: Body = response.json()
    return body


def test_matches_are_the_articles_that_arrived_since_it_was_saved(
    client: TestClient, ingest: Ingest, tmp_path: Path, backend: str
) -> None:
    before = tmp_path / "before"
    before.mkdir()
    for number in (1, 2):  # 1 is in PARIS: it matches, but came before the search was saved
        write(before, number)
    ingest(before)
    saved = save(client, HARBOUR)
    assert saved["last_change"] == 2
    assert matches(client, saved["matches_url"])["items"] == []

    after = tmp_path / "after"
    after.mkdir()
    for number in range(3, 15):  # PARIS: 6 and 11
        write(after, number)
    ArticleText(title="Paris opera season", dateline="PARIS").write(after, "opera.txt")
    ingest(after)
    every = matches(client, saved["matches_url"])
    titles = [item["article"]["title"] for item in every["items"]]
    # In the order of their changes (files are ingested in the order of their names).
    assert titles == ["Report number 11 on harbour works", "Report number 6 on harbour works"]
    assert every["next"] is None
    assert [item["kind"] for item in every["items"]] == ["added", "added"]

    # Paged by the change cursor.
    seen: list[str] = []
    page = matches(client, saved["matches_url"], limit=1)
    pages = 1
    while True:
        seen += [item["article"]["title"] for item in page["items"]]
        if page["next"] is None:
            break
        page = matches(client, page["next"])
        pages += 1
    assert seen == titles
    assert pages == 2
    assert matches(client, saved["matches_url"], since=page["next_cursor"])["items"] == []

    # From the beginning: what arrived before the search was saved was never matched.
    early = matches(client, saved["matches_url"], since=BEGINNING.cursor())
    assert [item["article"]["title"] for item in early["items"]] == titles


def test_matches_apply_where_words_are_looked_for(
    client: TestClient, ingest: Ingest, tmp_path: Path
) -> None:
    saved = save(client, {"name": "Titles", "q": "dredging", "filters": {"search_in": ["title"]}})
    anywhere = save(client, {"name": "Anywhere", "q": "dredging"})
    write(tmp_path, 1)  # "dredging" is in the body only
    ingest(tmp_path)
    assert matches(client, saved["matches_url"])["items"] == []
    assert matches(client, anywhere["matches_url"])["items"]


def test_a_bad_cursor_is_a_400(client: TestClient, seeded: IngestReport) -> None:
    saved = save(client, HARBOUR)
    response = client.get(saved["matches_url"], params={"since": "nonsense"})
    assert problem(response, 400, "invalid-parameter")["detail"] == BAD_SINCE


def test_through_a_real_server(database_url: str, tmp_path: Path, engine: Engine) -> None:
    with live_server(database_url, BYLINE_INGEST_ON_START="false") as base:
        created = httpx2.post(f"{base}{PATH}", json=HARBOUR)
        assert created.status_code == 201, created.text
        saved = created.json()
        assert created.headers["location"] == saved["url"] == f"{base}{PATH}/{saved['id']}"
        for number in range(1, 8):
            write(tmp_path, number)
        Ingest(engine)(tmp_path)
        # The server's index follows the store on its own time: wait for the matches.
        paris = ["Report number 1 on harbour works", "Report number 6 on harbour works"]
        for _ in range(200):
            found = httpx2.get(saved["matches_url"]).json()
            titles = [item["article"]["title"] for item in found["items"]]
            if titles == paris:
                break
            time.sleep(0.05)
        assert titles == paris
        assert httpx2.get(saved["atom_url"]).status_code == 200
        assert httpx2.delete(saved["url"]).status_code == 204
        assert httpx2.get(saved["url"]).status_code == 404
