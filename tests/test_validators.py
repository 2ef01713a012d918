"""Entity tags, 304s and ``Cache-Control`` (app/api/validators.py), on both stores."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.api.validators import Validators
from app.ingestion.outcomes import IngestReport
from app.settings import Settings
from app.store.database import create_db_engine, migrate
from tests.conftest import SEED_SLUG, CaughtUpClient, Ingest
from tests.factories import generated_article

STORE_ANSWERS = (
    "/v1/articles",
    "/v1/articles?limit=1&facets=source",
    f"/v1/articles/{SEED_SLUG}",
    f"/v1/articles/{SEED_SLUG}/raw",
    f"/v1/articles/{SEED_SLUG}/revisions",
    f"/v1/articles/{SEED_SLUG}/related",
    "/v1/search?q=troops",
)


@pytest.fixture
def seeded_client(client: TestClient, seeded: IngestReport) -> TestClient:
    return client


@pytest.mark.parametrize("url", STORE_ANSWERS)
def test_an_unchanged_answer_is_a_304_without_a_body(seeded_client: TestClient, url: str) -> None:
    first = seeded_client.get(url)
    assert first.status_code == 200
    tag = first.headers["etag"]
    assert tag.startswith('"')  # strong: no W/
    assert tag.endswith('"')
    assert first.headers["cache-control"] == "public, no-cache"

    again = seeded_client.get(url, headers={"If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == tag
    assert again.headers["cache-control"] == "public, no-cache"
    assert "content-type" not in again.headers

    # HEAD is validated as GET, and a cached article is tagged as one made anew.
    assert seeded_client.head(url, headers={"If-None-Match": tag}).status_code == 304
    assert seeded_client.head(url).headers["etag"] == tag
    assert seeded_client.get(url).headers["etag"] == tag


def test_a_304_runs_no_search(seeded_client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    tag = seeded_client.get("/v1/search?q=troops").headers["etag"]

    def no_search(*args: object, **kwargs: object) -> None:
        raise AssertionError("the search ran for a 304")

    monkeypatch.setattr("app.api.routes.search.search_index", no_search)
    monkeypatch.setattr(seeded_client.app.state.reader, "responses", None)  # type: ignore[attr-defined]
    response = seeded_client.get("/v1/search?q=troops", headers={"If-None-Match": tag})
    assert response.status_code == 304


@pytest.mark.parametrize(
    ("if_none_match", "status"),
    [
        ("{tag}", 304),
        ("W/{tag}", 304),  # If-None-Match compares weakly (RFC 9110 §13.1.2)
        ('"other", {tag}', 304),
        ("*", 304),
        ('"0123456789abcdef0123456789abcdef"', 200),  # forged
        ("{tag}-gzip-but-not-really", 200),
        ("not a tag at all \x7f", 200),
        ("," * 2000, 200),
        ("", 200),
    ],
)
def test_if_none_match_is_read_as_rfc_9110_says(
    seeded_client: TestClient, if_none_match: str, status: int
) -> None:
    url = f"/v1/articles/{SEED_SLUG}"
    tag = seeded_client.get(url).headers["etag"]
    response = seeded_client.get(url, headers={"If-None-Match": if_none_match.format(tag=tag)})
    assert response.status_code == status
    if status == 200:
        assert response.json()["slug"] == SEED_SLUG


def test_a_change_to_the_store_changes_every_tag(
    seeded_client: TestClient, ingest: Ingest, tmp_path: Path
) -> None:
    tags = {url: seeded_client.get(url).headers["etag"] for url in STORE_ANSWERS}
    ingest(generated_article(1).write(tmp_path / "later", "one.txt"))
    for url, tag in tags.items():
        response = seeded_client.get(url, headers={"If-None-Match": tag})
        assert response.status_code == 200, url
        assert response.headers["etag"] != tag, url


def test_tags_name_the_request_and_its_base_url(seeded_client: TestClient) -> None:
    tags = {
        seeded_client.get("/v1/articles?limit=1").headers["etag"],
        seeded_client.get("/v1/articles?limit=2").headers["etag"],
        seeded_client.get("/v1/articles?limit=1", headers={"Host": "localhost"}).headers["etag"],
        seeded_client.get("/v1/search?q=troops").headers["etag"],
    }
    assert len(tags) == 4


def test_every_server_of_a_store_gives_the_same_tag(
    settings: Settings, seeded: IngestReport
) -> None:
    urls = (f"/v1/articles/{SEED_SLUG}", "/v1/search?q=troops")
    tags = []
    for _ in range(2):  # two processes of one store: each its own caches and versions
        with CaughtUpClient(create_app(settings)) as client:
            tags.append([client.get(url).headers["etag"] for url in urls])
    assert tags[0] == tags[1]


@pytest.mark.sqlite_only
def test_a_store_made_again_is_never_taken_for_the_old_one(
    settings: Settings, tmp_path: Path
) -> None:
    """Two stores with as many changes (a store deleted and ingested again) answer with other
    tags: the time of the last change is in them."""
    tags = []
    for store in ("first", "second"):
        url = f"sqlite:///{tmp_path / store}.db"
        changed = settings.model_copy(
            update={"database_url": url, "index_path": tmp_path / f"{store}.index"}
        )
        migrate(url)
        engine = create_db_engine(url, writer=True)
        Ingest(engine)(generated_article(1).write(tmp_path / store, "one.txt"))
        engine.dispose()
        with CaughtUpClient(create_app(changed)) as client:
            response = client.get("/v1/articles")
            assert response.json()["total"] == 1
            tags.append(response.headers["etag"])
    assert tags[0] != tags[1]


def test_errors_are_not_tagged(seeded_client: TestClient) -> None:
    for url in ("/v1/articles/no-such-article", "/v1/search?q=%22", "/v1/articles?limit=0"):
        response = seeded_client.get(url, headers={"If-None-Match": "*"})
        assert response.status_code in (400, 404, 422), url
        assert "etag" not in response.headers
        assert "cache-control" not in response.headers


def test_live_answers_are_never_kept(seeded_client: TestClient) -> None:
    for url in ("/healthz", "/readyz", "/v1/stats"):
        response = seeded_client.get(url, headers={"If-None-Match": "*"})
        assert response.status_code == 200, url
        assert response.headers["cache-control"] == "no-store"
        assert "etag" not in response.headers


def test_the_apps_own_documents_are_tagged_and_kept_an_hour(seeded_client: TestClient) -> None:
    for url in ("/v1", "/openapi.json", "/problems/not-found"):
        response = seeded_client.get(url)
        assert response.headers["cache-control"] == "public, max-age=3600", url
        again = seeded_client.get(url, headers={"If-None-Match": response.headers["etag"]})
        assert again.status_code == 304, url


@pytest.fixture
def kept_a_minute(settings: Settings, seeded: IngestReport) -> Iterator[TestClient]:
    with CaughtUpClient(create_app(settings.model_copy(update={"cache_max_age": 60}))) as client:
        yield client


def test_cache_max_age_sets_the_lifetime(kept_a_minute: TestClient) -> None:
    response = kept_a_minute.get(f"/v1/articles/{SEED_SLUG}")
    assert response.headers["cache-control"] == "public, max-age=60"


def test_a_commit_between_the_version_and_the_mark_leaves_the_answer_untagged(
    seeded_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mark must be of the state the version names (the caches keep answers by version):
    when the version moved while the mark was read, no tag can be trusted."""
    store = seeded_client.app.state.reader  # type: ignore[attr-defined]
    versions = iter(range(1000, 2000))
    monkeypatch.setattr(store, "version", lambda: next(versions))
    response = seeded_client.get("/v1/articles")
    assert response.status_code == 200
    assert "etag" not in response.headers
    assert response.json()["total"] == 1


def test_a_very_long_query_is_tagged_but_its_tag_not_kept(seeded_client: TestClient) -> None:
    long = "/v1/articles?unknown=" + "x" * 5000
    seeded_client.get("/v1/articles")
    first = seeded_client.get(long)
    again = seeded_client.get(long, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    layer = seeded_client.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(layer, Validators):
        layer = layer.app
    assert layer._tags  # the short requests' tags are kept
    assert all(len(key[5]) < 1024 for key in layer._tags)
