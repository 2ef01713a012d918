"""One error shape everywhere: RFC 9457 problem+json, declared in OpenAPI, never a stack trace."""

from typing import Any
from urllib.parse import unquote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.api.app import create_app
from app.ingestion.outcomes import IngestReport
from app.settings import Settings

PROBLEM_KEYS = {"type", "title", "status", "detail", "instance"}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert set(body) >= PROBLEM_KEYS
    assert body["status"] == status
    assert body["detail"]
    assert "Traceback" not in response.text
    return body


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("GET", "/nope", 404),
        ("GET", "/v1/articles/nope", 404),
        ("GET", "/v1/articles/1/raw/extra", 404),
        ("POST", "/v1/articles", 405),
        ("DELETE", "/v1/articles/1", 405),
        ("GET", "/v1/articles?limit=0", 422),
        ("GET", "/v1/articles?limit=101", 422),
        ("GET", "/v1/articles?limit=abc", 422),
        ("GET", "/v1/articles?limit=99999999999999999999", 422),
        ("GET", "/v1/articles?year=99999999999999999999", 422),
        ("GET", "/v1/articles?year=0", 422),
        ("GET", "/v1/articles?sort=relevance", 422),
        ("GET", "/v1/articles?sort=sideways", 422),
        ("GET", "/v1/articles?cursor=not-a-cursor", 400),
        ("GET", "/v1/articles?cursor=W10", 400),
        ("GET", "/v1/articles?cursor=" + "x" * 600, 422),
        ("GET", "/v1/search", 422),
        ("GET", "/v1/search?q=", 400),
        ("GET", "/v1/search?q=x&sort=title", 422),
        ("GET", "/v1/search?q=x&cursor=%%%", 400),
        ("GET", "/v1/search?q=" + "x" * 501, 422),
        ("GET", "/problems/no-such-problem", 404),
        # A NUL character is in no stored text (PostgreSQL cannot even compare one).
        ("GET", "/v1/articles?source=A%00B", 422),
        ("GET", "/v1/search?q=x&dateline=A%00B", 422),
        ("GET", "/v1/articles/a%00b", 404),
        ("GET", "/v1/articles?sort=title&cursor=WyJ0aXRsZSIsIFsiYVx1MDAwMGIiLCAxXV0", 400),
        ("GET", "/v1/articles?" + "&".join(["year=2020"] * 51), 422),
    ],
)
def test_errors_are_problems(
    client: TestClient, seeded: IngestReport, method: str, url: str, status: int
) -> None:
    body = assert_problem(client.request(method, url), status)
    assert body["instance"] == unquote(url.split("?", maxsplit=1)[0])


def test_validation_problem_lists_each_field(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/articles?limit=0&year=abc"), 422)
    assert body["type"] == "/problems/validation-error"
    names = {(error["location"], error["name"]) for error in body["errors"]}
    assert names == {("query", "limit"), ("query", "year")}
    assert "limit" in body["detail"]
    assert "year:" in body["detail"]


def test_a_repeated_parameter_is_named_by_its_name_not_its_position(client: TestClient) -> None:
    body = assert_problem(client.get("/v1/articles?year=2020&year=abc"), 422)
    assert [(error["location"], error["name"]) for error in body["errors"]] == [("query", "year")]
    assert "year.1" not in body["detail"]


@pytest.mark.parametrize(
    "url", ["/healthz", "/readyz", "/v1/articles", "/v1/articles/1", "/v1/articles/1/raw", "/docs"]
)
def test_head_answers_like_get_without_a_body(
    client: TestClient, seeded: IngestReport, url: str
) -> None:
    got, head = client.get(url), client.head(url)
    assert head.status_code == got.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"] == got.headers["content-type"]
    assert head.headers["content-length"] == got.headers["content-length"]


@pytest.mark.parametrize(
    ("method", "url"),
    [("POST", "/v1/articles"), ("OPTIONS", "/v1/articles"), ("OPTIONS", "/v1/search")],
)
def test_method_not_allowed_lists_get_and_head(client: TestClient, method: str, url: str) -> None:
    response = client.request(method, url)
    body = assert_problem(response, 405)
    assert response.headers["allow"] == "GET, HEAD"
    assert body["detail"] == f"{method} is not allowed on {url}."
    assert client.head(url).status_code != 405


@pytest.mark.parametrize(
    "cursor",
    [
        "WyJuZXdlc3QiLFsxLDk5OTk5OTk5OTk5OTk5OTk5OTk5OTldXQ",  # ["newest",[1,99999999999999999999]]
        "WyJuZXdlc3QiLFsiYSIsMV1d",  # ["newest",["a",1]]
        "WyJuZXdlc3QiLDFd",  # ["newest",1]
        "bnVsbA",  # null
    ],
)
def test_forged_cursors_are_400(client: TestClient, seeded: IngestReport, cursor: str) -> None:
    assert_problem(client.get("/v1/articles", params={"cursor": cursor}), 400)


def test_problem_types_are_documented(client: TestClient) -> None:
    body = client.get("/v1/articles/999").json()
    described = client.get(body["type"]).json()
    assert described["status"] == 404
    assert described["title"] == body["title"]


def test_unexpected_failure_is_a_500_problem_without_details(
    settings: Settings, engine: Engine
) -> None:
    cascade = " CASCADE" if engine.dialect.name == "postgresql" else ""
    with engine.begin() as connection:
        connection.execute(text(f"DROP TABLE article{cascade}"))
    allowing = settings.model_copy(update={"cors_origins": ["https://app.example.org"]})
    with TestClient(create_app(allowing), raise_server_exceptions=False) as client:
        answer = client.get("/v1/articles", headers={"Origin": "https://app.example.org"})
        body = assert_problem(answer, 500)
    assert "article" not in body["detail"]
    # Through every layer, as any answer: a page of another origin reads it, nosniff holds.
    assert answer.headers["access-control-allow-origin"] == "https://app.example.org"
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_every_route_declares_its_problems(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            declared = {
                status: response["content"]
                for status, response in operation["responses"].items()
                if "application/problem+json" in response.get("content", {})
            }
            name = f"{method.upper()} {path}"
            if path != "/healthz":
                assert declared, f"{name} declares no problem responses"
            if operation.get("parameters"):
                assert "422" in declared, f"{name} takes parameters but declares no 422"
            for content in declared.values():
                assert list(content) == ["application/problem+json"], name
