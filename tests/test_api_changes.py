"""``/v1/changes``: every change in order, paged, resumable, the articles as they are now, on
both stores and through a real server."""

from pathlib import Path
from typing import Any

import httpx2
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session

from app.api import examples
from app.api.errors import PROBLEM_MEDIA_TYPE
from app.ingestion.outcomes import IngestReport
from app.ingestion.run import ingest_paths
from app.store.change_stream import BAD_SINCE, BEGINNING, other_history, past_the_store
from app.store.cursors import Cursor
from app.store.models import Article
from tests.conftest import Ingest
from tests.factories import ArticleText, generated_article
from tests.live import live_server

Page = dict[str, Any]

# A server that serves the test's store as it is, without ingesting the seeds first.
QUIET = {"BYLINE_INGEST_ON_START": "false"}


def changes(client: TestClient, **params: Any) -> Page:
    response = client.get("/v1/changes", params=params)
    assert response.status_code == 200, response.text
    body: Page = response.json()
    return body


def every_change(client: TestClient, since: str | None = None, *, limit: int = 2) -> Page:
    """Every page from ``since`` on, following ``next``: the items and the last page."""
    params: dict[str, Any] = {"limit": limit}
    if since is not None:
        params["since"] = since
    response = client.get("/v1/changes", params=params)
    items: list[Page] = []
    while True:
        assert response.status_code == 200, response.text
        page: Page = response.json()
        items += page["items"]
        if page["next"] is None:
            assert "link" not in response.headers
            return {**page, "items": items}
        assert response.headers["link"] == f'<{page["next"]}>; rel="next"'
        response = client.get(page["next"])


def summary_of(item: Page) -> tuple[int, str, str | None]:
    article = item["article"]
    return item["number"], item["kind"], None if article is None else article["title"]


def write(folder: Path, number: int) -> Path:
    return generated_article(number).write(folder, f"article-{number}.txt")


def test_an_empty_store_has_no_changes_and_its_point_is_the_beginning(
    client: TestClient, backend: str
) -> None:
    for params in ({}, {"since": "now"}):
        page = changes(client, **params)
        assert page == {
            "items": [],
            "limit": 100,
            "next_cursor": BEGINNING.cursor(),
            "next": None,
        }
        assert changes(client, since=page["next_cursor"])["items"] == []


def test_the_seed_is_listed_as_the_example_shows(
    client: TestClient, seeded: IngestReport, backend: str
) -> None:
    page = changes(client)
    [item] = page["items"]
    at = item["at"]
    assert Cursor.decode(item["cursor"], sort="changes", key_types=(int, str)).key == [1, at]
    assert page["next_cursor"] == item["cursor"]
    shown = {**page, "items": [{**item, "at": examples.CHANGE["at"]}]}
    shown = {**shown, "next_cursor": examples.CHANGE_CURSOR}
    shown["items"][0]["cursor"] = examples.CHANGE_CURSOR
    shown["items"][0]["article"]["url"] = shown["items"][0]["article"]["url"].replace(
        "http://testserver", "http://127.0.0.1:8000"
    )
    assert shown == examples.CHANGE_PAGE


def test_pages_follow_one_another_oldest_first_without_gaps(
    client: TestClient, ingest: Ingest, tmp_path: Path, backend: str
) -> None:
    for number in range(5):
        write(tmp_path, number)
    ingest(tmp_path)
    first = changes(client, limit=2)
    assert len(first["items"]) == 2
    assert first["next"] is not None
    assert first["next_cursor"] == first["items"][-1]["cursor"]
    everything = every_change(client, limit=2)
    assert [item["number"] for item in everything["items"]] == [1, 2, 3, 4, 5]
    assert {item["kind"] for item in everything["items"]} == {"added"}
    titles = sorted(item["article"]["title"] for item in everything["items"])
    assert titles == sorted(generated_article(number).title for number in range(5))
    assert everything["next"] is None
    assert everything["next_cursor"] == everything["items"][-1]["cursor"]
    # An item's own cursor resumes right after it.
    third = everything["items"][2]["cursor"]
    assert [item["number"] for item in changes(client, since=third)["items"]] == [4, 5]
    # ``now`` is the last change's point.
    assert changes(client, since="now") == {**everything, "items": [], "limit": 100}


def test_updates_and_removals_are_listed_each_and_earlier_entries_show_what_is_known(
    client: TestClient, ingest: Ingest, engine: Engine, tmp_path: Path, backend: str
) -> None:
    kept, changed, pruned = write(tmp_path, 1), write(tmp_path, 2), write(tmp_path, 3)
    ingest(tmp_path)
    point = changes(client, since="now")["next_cursor"]
    ArticleText(title="Harbour works finished early, says the authority").write(
        tmp_path, changed.name
    )
    pruned.unlink()
    ingest_paths(engine, [tmp_path], prune=True)
    after = every_change(client, point)["items"]
    assert [(item["kind"], item["number"]) for item in after] == [("updated", 4), ("removed", 5)]
    updated, removed = after
    assert updated["article"]["title"] == "Harbour works finished early, says the authority"
    assert removed["article"] is None
    assert removed["article_id"] not in {updated["article_id"]}
    # From the beginning: one entry a change, each article as it is now; the added entry of
    # the removed article stays, with its id only.
    whole = every_change(client)["items"]
    assert len(whole) == 5
    by_id = {item["article_id"]: item for item in whole[:3]}
    assert by_id[removed["article_id"]]["article"] is None
    assert by_id[updated["article_id"]]["article"] == updated["article"]
    assert kept.exists()


def test_an_id_given_again_shows_the_removed_article_as_gone(
    client: TestClient, engine: Engine, ingest: Ingest, tmp_path: Path, backend: str
) -> None:
    first = write(tmp_path / "one", 1)
    ingest(tmp_path / "one")
    first.unlink()
    ingest_paths(engine, [tmp_path / "one"], prune=True)
    with Session(engine) as session:  # the id SQLite gives again, given on both stores
        session.add(
            Article(
                id=1,
                slug="given-the-same-id",
                title="Given the same id",
                body="",
                raw_text="",
                content_hash="0" * 64,
                source_path="elsewhere",
                word_count=0,
            )
        )
        session.commit()
    listed = [summary_of(item) for item in every_change(client)["items"]]
    assert listed == [(1, "added", None), (2, "removed", None), (3, "added", "Given the same id")]


def test_bad_cursors_are_refused_with_what_to_do(
    client: TestClient, seeded: IngestReport, backend: str
) -> None:
    last = changes(client)["items"][0]
    foreign = Cursor("newest", [2025, 1]).encode()
    future = Cursor("changes", [7, last["at"]]).encode()
    elsewhere = Cursor("changes", [1, "2020-01-01T00:00:00Z"]).encode()
    for since, detail in [
        ("nonsense", BAD_SINCE),
        (foreign, BAD_SINCE),
        (Cursor("changes", [-1, None]).encode(), BAD_SINCE),
        (Cursor("changes", [3, None]).encode(), BAD_SINCE),
        (future, past_the_store(7, 1)),
        (elsewhere, other_history(1)),
    ]:
        response = client.get("/v1/changes", params={"since": since})
        assert response.status_code == 400, since
        assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
        assert response.json()["detail"] == detail
    for limit in (0, 501):
        assert client.get("/v1/changes", params={"limit": limit}).status_code == 422
    assert client.get("/v1/changes", params={"since": "x" * 501}).status_code == 422


def test_the_stream_is_tagged_and_revalidated(
    client: TestClient, seeded: IngestReport, backend: str
) -> None:
    response = client.get("/v1/changes")
    tag = response.headers["etag"]
    assert client.get("/v1/changes", headers={"if-none-match": tag}).status_code == 304


def test_a_reader_resumes_across_ingestions_and_restarts_without_missing_or_repeating(
    database_url: str, engine: Engine, tmp_path: Path, backend: str
) -> None:
    corpus = tmp_path / "corpus"
    for number in range(7):
        write(corpus, number)
    ingest_paths(engine, [corpus])
    seen: list[Page] = []

    def read_on(base: str, since: str | None) -> str:
        """Read every page after ``since`` from the server at ``base``; the point to resume."""
        url: str | None = f"{base}/v1/changes?limit=3" + (f"&since={since}" if since else "")
        point = since
        while url is not None:
            response = httpx2.get(url, timeout=10)
            assert response.status_code == 200, response.text
            page = response.json()
            seen.extend(page["items"])
            point, url = page["next_cursor"], page["next"]
        assert point is not None
        return point

    with live_server(database_url, tmp_path / "first.log", **QUIET) as base:
        point = read_on(base, None)
        assert len(seen) == 7
        ArticleText(title="An update to report number two").write(corpus, "article-2.txt")
        (corpus / "article-5.txt").unlink()
        write(corpus, 8)
        ingest_paths(engine, [corpus], prune=True)
        point = read_on(base, point)
    write(corpus, 9)
    (corpus / "article-0.txt").unlink()
    ingest_paths(engine, [corpus], prune=True)
    with live_server(database_url, tmp_path / "second.log", **QUIET) as base:
        read_on(base, point)
        assert httpx2.get(f"{base}/v1/changes?since={point}&limit=1").json()["next"]
    numbers = [item["number"] for item in seen]
    assert numbers == sorted(set(numbers))  # none repeated, in order
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT number, kind FROM article_change ORDER BY 1"))
        assert [(item["number"], item["kind"]) for item in seen] == [tuple(row) for row in stored]
    kinds = [item["kind"] for item in seen[7:]]
    assert sorted(kinds) == ["added", "added", "removed", "removed", "updated"]
