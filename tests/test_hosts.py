"""Absolute links (``url``, ``next``, ``Link``, ``raw_url``) never carry a host the server was not
told of: the ``public_url`` setting, or a ``Host`` among ``allowed_hosts`` (others get a 400)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.api.app import create_app
from app.api.hosts import host_name
from app.ingestion.outcomes import IngestReport
from app.settings import Settings
from tests.conftest import SEED_SLUG, CaughtUpClient, Ingest
from tests.factories import generated_article

DEFAULT_HOSTS = Settings.model_fields["allowed_hosts"].default


def client_for(settings: Settings, **changes: object) -> Iterator[TestClient]:
    with CaughtUpClient(create_app(settings.model_copy(update=changes))) as client:
        yield client


@pytest.fixture
def strict(settings: Settings) -> Iterator[TestClient]:
    """The app with the default ``allowed_hosts``."""
    yield from client_for(settings, allowed_hosts=DEFAULT_HOSTS)


@pytest.fixture
def public(settings: Settings) -> Iterator[TestClient]:
    """The app behind a proxy that serves it under ``/news/`` of a public name."""
    yield from client_for(
        settings, public_url="https://example.org/news/", allowed_hosts=DEFAULT_HOSTS
    )


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example:8000",
        "127.0.0.1.evil.example",
        "localhost:x",
        "",
        "[::1]@evil.example",
        "localhost@evil.example",
    ],
)
def test_an_unknown_host_is_a_400_problem(strict: TestClient, host: str) -> None:
    for url in ("/v1/articles", f"/v1/articles/{SEED_SLUG}", "/v1/search?q=troops", "/healthz"):
        response = strict.get(url, headers={"Host": host})
        assert response.status_code == 400, (url, host)
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["type"] == "/problems/unknown-host"
        assert repr(host) in problem["detail"]
        assert "allowed_hosts" in problem["detail"]
    assert strict.get("/problems/unknown-host", headers={"Host": "localhost"}).status_code == 200


@pytest.mark.parametrize("host", ["localhost", "localhost:8000", "127.0.0.1:80", "[::1]:8000"])
def test_loopback_names_are_answered_by_default(
    strict: TestClient, seeded: IngestReport, host: str
) -> None:
    response = strict.get("/v1/articles", headers={"Host": host})
    assert response.status_code == 200
    assert response.json()["items"][0]["url"] == f"http://{host}/v1/articles/{SEED_SLUG}"


@pytest.mark.parametrize(
    ("allowed", "host", "answered"),
    [
        (["*"], "anything.example", True),
        (["*.example.org"], "news.example.org:443", True),
        (["*.example.org"], "NEWS.Example.ORG", True),
        (["*.example.org"], "example.org", False),
        (["*.example.org"], "evilexample.org", False),
        (["news.example.org"], "news.example.org", True),
        (["news.example.org"], "news.example.org:bad", False),
        (["*.example.org"], "evil.example/.example.org", False),
        (["*.example.org"], "evil.example#.example.org", False),
    ],
)
def test_allowed_hosts_names_and_wildcards(
    settings: Settings, allowed: list[str], host: str, answered: bool
) -> None:
    for client in client_for(settings, allowed_hosts=allowed):
        status = client.get("/healthz", headers={"Host": host}).status_code
        assert status == (200 if answered else 400)


def test_allowed_hosts_read_from_the_environment_comma_separated(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("BYLINE_ALLOWED_HOSTS", " news.example.org, *.example.net ,")
    assert Settings().allowed_hosts == ["news.example.org", "*.example.net"]


def test_host_names_lose_their_port_case_and_final_dot() -> None:
    assert host_name(b"News.Example.org.:8080") == "news.example.org"
    assert host_name(b"[::1]:8000") == "::1"
    assert host_name(b"[::1") == ""
    assert host_name(b"a:b") == ""


def test_every_link_starts_with_the_public_url_whatever_the_host(
    public: TestClient, ingest: Ingest, tmp_path: Path
) -> None:
    folder = tmp_path / "corpus"
    for number in range(3):
        generated_article(number).write(folder, f"{number}.txt")
    assert ingest(folder).ok
    base = "https://example.org/news/"
    for host in ("localhost", "example.org"):
        page = public.get("/v1/articles", params={"limit": 1}, headers={"Host": host})
        body = page.json()
        assert body["items"][0]["url"].startswith(f"{base}v1/articles/")
        assert body["next"] == f"{base}v1/articles?limit=1&cursor={body['next_cursor']}"
        assert page.headers["link"] == f'<{body["next"]}>; rel="next"'
        url = body["items"][0]["url"]
        detail = public.get("/" + url.removeprefix(base), headers={"Host": host}).json()
        assert (detail["url"], detail["raw_url"]) == (url, f"{url}/raw")
        params: dict[str, str | int] = {"q": "harbour", "limit": 1}
        found = public.get("/v1/search", params=params, headers={"Host": host}).json()
        assert found["next"].startswith(f"{base}v1/search?q=harbour&limit=1&cursor=")
    # The public URL's host is answered; other hosts still are not.
    assert public.get("/healthz", headers={"Host": "evil.example"}).status_code == 400


def test_cached_articles_keep_each_host_s_links_apart(
    settings: Settings, seeded: IngestReport
) -> None:
    for client in client_for(settings, allowed_hosts=["a.example", "b.example"]):
        for _ in range(2):  # the second time from the article cache
            for host in ("a.example", "b.example"):
                body = client.get(f"/v1/articles/{SEED_SLUG}", headers={"Host": host}).json()
                assert body["url"] == f"http://{host}/v1/articles/{SEED_SLUG}"


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("ftp://example.org/", "not an absolute http"),
        ("example.org", "not an absolute http"),
        ("https:///news", "not an absolute http"),
        ("https://example.org/?a=1", "query or a fragment"),
    ],
)
def test_a_public_url_must_be_an_absolute_base(value: str, reason: str) -> None:
    with pytest.raises(ValidationError, match=reason):
        Settings(public_url=value)


def test_a_public_url_ends_with_one_slash() -> None:
    assert Settings(public_url="https://example.org/news//").public_url == (
        "https://example.org/news/"
    )
    assert Settings(public_url="").public_url is None


def test_every_operation_declares_the_unknown_host_problem(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            declared = operation["responses"]["400"]
            assert "`Host`" in declared["description"], (method, path)
            assert "application/problem+json" in declared["content"]
