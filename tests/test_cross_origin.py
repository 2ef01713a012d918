"""Pages of other origins (CORS, the ``cors_origins`` setting) and the headers every answer
carries (``X-Content-Type-Options: nosniff``, a Content-Security-Policy)."""

import asyncio
from collections.abc import Iterator

import httpx2
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from starlette.middleware.cors import CORSMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.app import create_app
from app.api.cors import EXPOSED_HEADERS, PREFLIGHT_MAX_AGE, CrossOrigin
from app.api.edge import SECURITY_HEADERS, Edge
from app.ingestion.outcomes import IngestReport
from app.settings import Settings
from tests.conftest import SEED_SLUG, CaughtUpClient

# What answers does not depend on the store behind them.
pytestmark = pytest.mark.sqlite_only

APP_ORIGIN = "https://app.example.org"
PAGES = ("/v1/articles", f"/v1/articles/{SEED_SLUG}", "/v1/search?q=troops", "/healthz")


def client_for(settings: Settings, **changes: object) -> Iterator[TestClient]:
    with CaughtUpClient(create_app(settings.model_copy(update=changes))) as client:
        yield client


@pytest.fixture
def allowing(settings: Settings, seeded: IngestReport) -> Iterator[TestClient]:
    yield from client_for(settings, cors_origins=[APP_ORIGIN])


@pytest.fixture
def allowing_any(settings: Settings, seeded: IngestReport) -> Iterator[TestClient]:
    yield from client_for(settings, cors_origins=["*"])


def preflight(client: TestClient, origin: str, method: str = "GET") -> httpx2.Response:
    return client.options(
        "/v1/search",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": method,
            "Access-Control-Request-Headers": "if-none-match",
        },
    )


def test_a_page_of_an_allowed_origin_reads_every_answer(allowing: TestClient) -> None:
    for url in PAGES:
        for _ in range(2):  # the second article by id is answered from the kept bodies
            response = allowing.get(url, headers={"Origin": APP_ORIGIN})
            assert response.status_code == 200, url
            assert response.headers["access-control-allow-origin"] == APP_ORIGIN
            exposed = response.headers["access-control-expose-headers"]
            assert {"Link", "Retry-After"} <= {name.strip() for name in exposed.split(",")}
            assert "Origin" in response.headers["vary"]


def test_a_page_of_another_origin_gets_no_permission(allowing: TestClient) -> None:
    response = allowing.get("/v1/articles", headers={"Origin": "https://evil.example"})
    assert response.status_code == 200  # the browser, not the server, keeps the page from it
    assert "access-control-allow-origin" not in response.headers


def test_a_preflight_of_an_allowed_origin_is_answered(allowing: TestClient) -> None:
    response = preflight(allowing, APP_ORIGIN)
    assert response.status_code == 200
    headers = response.headers
    assert headers["access-control-allow-origin"] == APP_ORIGIN
    allowed = set(headers["access-control-allow-methods"].split(", "))
    assert allowed == {"GET", "HEAD", "POST", "DELETE"}  # saved searches are saved and deleted
    assert headers["access-control-allow-headers"] == "if-none-match"
    assert headers["access-control-max-age"] == "600"


@pytest.mark.parametrize(
    ("origin", "method", "refused"),
    [
        ("https://evil.example", "GET", "origin"),
        (APP_ORIGIN, "PUT", "method"),
        ("null", "PATCH", "origin, method"),
    ],
)
def test_a_refused_preflight_is_a_400_problem(
    allowing: TestClient, origin: str, method: str, refused: str
) -> None:
    response = preflight(allowing, origin, method)
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "/problems/cross-origin-refused"
    assert f"refused: {refused}" in problem["detail"]
    assert "cors_origins" in problem["detail"]
    assert allowing.get(problem["type"]).status_code == 200  # the type says what it means


def test_any_origin_with_a_star(allowing_any: TestClient) -> None:
    response = allowing_any.get("/v1/articles", headers={"Origin": "https://anywhere.example"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert preflight(allowing_any, "https://anywhere.example").status_code == 200


def test_without_the_setting_no_page_of_another_origin_may_read(client: TestClient) -> None:
    response = client.get("/v1/articles", headers={"Origin": APP_ORIGIN})
    assert "access-control-allow-origin" not in response.headers
    assert preflight(client, APP_ORIGIN).status_code == 405


@pytest.mark.parametrize(
    "origins",
    ["app.example.org", "https://app.example.org/path", "ftp://app.example.org", "https://"],
)
def test_an_origin_that_is_none_is_refused_at_start(
    origins: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BYLINE_CORS_ORIGINS", origins)
    with pytest.raises(ValidationError, match="is no origin"):
        Settings()


def test_origins_are_read_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYLINE_CORS_ORIGINS", "https://a.example, http://localhost:3000/")
    assert Settings().cors_origins == ["https://a.example", "http://localhost:3000"]


def test_every_answer_says_not_to_sniff_and_allows_nothing(allowing: TestClient) -> None:
    answers = [
        *(allowing.get(url) for url in PAGES),
        allowing.get(f"/v1/articles/{SEED_SLUG}"),  # kept, sent before routing
        allowing.get(f"/v1/articles/{SEED_SLUG}/raw"),
        allowing.get("/v1/articles/no-such-article"),
        allowing.get("/v1/articles", headers={"Host": "evil.example"}),
        preflight(allowing, "https://evil.example"),
        allowing.get("/problems/not-found"),
    ]
    for answer in answers:
        assert answer.headers["x-content-type-options"] == "nosniff"
        policy = answer.headers["content-security-policy"]
        assert policy == "default-src 'none'; frame-ancestors 'none'", answer.url
    for page in ("/docs", "/redoc"):  # a policy of their own, which their assets satisfy
        answer = allowing.get(page)
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers.get_list("content-security-policy") == [
            answer.headers["content-security-policy"]
        ]
        assert "default-src 'self'" in answer.headers["content-security-policy"]


@pytest.mark.parametrize("origins", [[APP_ORIGIN], ["*"]])
@pytest.mark.parametrize("origin", [APP_ORIGIN, "https://evil.example", None])
@pytest.mark.parametrize(
    "answered",
    [
        [(b"content-type", b"application/json")],
        [(b"vary", b"Accept-Encoding"), (b"etag", b'"a"'), (b"vary", b"Accept")],
        [(b"access-control-allow-origin", b"https://other.example"), (b"vary", b"Origin")],
    ],
)
def test_a_simple_request_gets_the_headers_starlettes_middleware_gives(
    origins: list[str], origin: str | None, answered: list[tuple[bytes, bytes]]
) -> None:
    """The simple (not preflight) requests skip Starlette's middleware for speed: the answer's
    headers are the ones it gives, in any order."""

    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": list(answered)})
        await send({"type": "http.response.body", "body": b"{}"})

    def headers_of(app: ASGIApp) -> list[tuple[bytes, bytes]]:
        sent: list[Message] = []

        async def receive() -> Message:
            return {"type": "http.request", "body": b""}

        async def send(message: Message) -> None:
            sent.append(message)

        request = [(b"host", b"testserver")]
        if origin is not None:
            request.append((b"origin", origin.encode()))
        scope = {"type": "http", "method": "GET", "path": "/v1", "headers": request}
        asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
        return sorted(header for header in sent[0]["headers"] if header not in SECURITY_HEADERS)

    starlettes = CORSMiddleware(
        route,
        allow_origins=origins,
        allow_methods=("GET", "HEAD", "POST", "DELETE"),
        allow_headers=("*",),
        expose_headers=EXPOSED_HEADERS,
        max_age=PREFLIGHT_MAX_AGE,
    )
    ours = Edge(route, cross_origin=CrossOrigin(route, origins=origins))
    for _ in range(2):  # decided once per Origin, then kept
        assert headers_of(ours) == headers_of(starlettes)
