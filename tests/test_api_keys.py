"""API keys: made, stored hashed, verified on /v1 by the middleware (off, optional, required),
refused as 401/403 problems whatever the client sends, guarded by scope, kept briefly, and
declared in the OpenAPI document."""

import asyncio
import dataclasses
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Annotated, Any

import pytest
from fastapi import Depends, FastAPI, Request
from fastapi.testclient import TestClient
from openapi_spec_validator import validate
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from app.api import authentication
from app.api.admission import Admission
from app.api.app import create_app
from app.api.authentication import KeyCheck, require_scope
from app.api.edge import Edge
from app.api.errors import PROBLEM_MEDIA_TYPE
from app.api.rate_limits import RateCounter
from app.ingestion.outcomes import IngestReport
from app.problems import InvalidApiKey, InvalidParameter, NotFound
from app.settings import Settings
from app.store.api_keys import (
    ApiKey,
    KeyScope,
    create_api_key,
    key_digest,
    revoke_api_key,
    verify_api_key,
)
from app.store.database import session_scope
from app.store.models import ApiKeyRecord
from tests.conftest import CaughtUpClient
from tests.test_openapi import problem_examples, replay

ADMIN_ROUTE = "/v1/test-admin"


def make_key(
    engine: Engine, name: str, scope: KeyScope = KeyScope.READ, rate: int | None = None
) -> str:
    with session_scope(engine) as session:
        key, _ = create_api_key(session, name=name, scope=scope, rate_per_minute=rate)
    return key


def revoke(engine: Engine, name: str) -> None:
    with session_scope(engine) as session:
        revoke_api_key(session, name_or_prefix=name)


def keyed_app(settings: Settings, mode: str) -> FastAPI:
    """The app with ``api_keys`` at ``mode``, and two routes of the test's own: one guarded by
    the admin scope, one showing the key the request holds."""
    app = create_app(settings.model_copy(update={"api_keys": mode}))

    @app.post(ADMIN_ROUTE, summary="Change something", description="An admin route.")
    def change(
        key: Annotated[ApiKey | None, Depends(require_scope(KeyScope.ADMIN))],
    ) -> dict[str, Any]:
        return {"changed_by": key.name if key else None}

    @app.get("/v1/test-whoami", summary="Who calls", description="The request's key.")
    def whoami(request: Request) -> dict[str, Any]:
        key = request.scope["state"].get("api_key")
        return dataclasses.asdict(key) if key else {}

    return app


@pytest.fixture
def keyed(settings: Settings) -> Iterator[TestClient]:
    with CaughtUpClient(keyed_app(settings, "required")) as client:
        yield client


def problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    body: dict[str, Any] = response.json()
    assert body["type"] == f"/problems/{slug}"
    assert body["status"] == status
    return body


# The store side.


def test_the_store_keeps_a_digest_and_a_prefix_never_the_key(engine: Engine) -> None:
    key = make_key(engine, "newsroom", rate=120)
    assert key.startswith("byl_")
    assert len(key) == 47
    with Session(engine) as session:
        record = session.exec(select(ApiKeyRecord)).one()
    assert record.digest == key_digest(key) != key
    assert record.prefix == key[:12]
    assert (record.name, record.scope, record.rate_per_minute) == ("newsroom", "read", 120)
    assert record.revoked_at is None


def test_a_name_in_use_is_refused_and_free_again_once_revoked(engine: Engine) -> None:
    make_key(engine, "newsroom")
    with pytest.raises(InvalidParameter, match="exists and is not revoked"):
        make_key(engine, "newsroom")
    revoke(engine, "newsroom")
    make_key(engine, "newsroom")


@pytest.mark.parametrize("name", ["", "two words", "x" * 65, "byl_lookalike", "tab\there"])
def test_a_name_that_is_none_is_refused(engine: Engine, name: str) -> None:
    with pytest.raises(InvalidParameter, match="no key name"):
        make_key(engine, name)


def test_revoke_by_prefix_and_not_twice(engine: Engine) -> None:
    key = make_key(engine, "newsroom")
    revoke(engine, key[:12])
    with pytest.raises(NotFound):
        revoke(engine, key[:12])


@pytest.mark.parametrize("scope", list(KeyScope))
def test_admin_grants_read_and_read_grants_only_read(scope: KeyScope) -> None:
    assert KeyScope.ADMIN.grants(scope)
    assert KeyScope.READ.grants(scope) is (scope is KeyScope.READ)


# The middleware, through the app.


def test_off_by_default_no_key_is_asked(client: TestClient, seeded: IngestReport) -> None:
    assert client.get("/v1/articles").status_code == 200
    assert client.get("/v1/articles", headers={"X-API-Key": "nonsense"}).status_code == 200


def test_required_a_request_without_a_key_is_401(keyed: TestClient) -> None:
    response = keyed.get("/v1/articles")
    body = problem(response, 401, "api-key-required")
    assert response.headers["www-authenticate"] == 'Bearer realm="byline"'
    assert "Authorization: Bearer KEY" in body["detail"]
    assert body["instance"] == "/v1/articles"


@pytest.mark.parametrize("header", ["authorization", "x-api-key"])
def test_required_a_key_in_either_header_is_served(
    keyed: TestClient, engine: Engine, seeded: IngestReport, header: str
) -> None:
    key = make_key(engine, "newsroom")
    value = f"Bearer {key}" if header == "authorization" else key
    response = keyed.get("/v1/articles", headers={header: value})
    assert response.status_code == 200
    assert response.json()["items"]


def test_a_kept_article_body_is_not_sent_without_a_key(
    keyed: TestClient, engine: Engine, seeded: IngestReport
) -> None:
    key = make_key(engine, "newsroom")
    for _ in range(2):  # the second is the kept body (app.api.kept_answers.KeptAnswers)
        assert keyed.get("/v1/articles/1", headers={"X-API-Key": key}).status_code == 200
    problem(keyed.get("/v1/articles/1"), 401, "api-key-required")
    head = keyed.head("/v1/articles/1")
    assert head.status_code == 401
    assert head.headers["content-type"] == PROBLEM_MEDIA_TYPE


@pytest.mark.parametrize(
    "headers",
    [
        {"X-API-Key": ""},
        {"X-API-Key": "byl_short"},
        {"X-API-Key": "ghp_" + "a" * 43},  # another service's token
        {"X-API-Key": "byl_" + "a" * 42 + "!"},
        {"X-API-Key": "byl_" + "a" * 44},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer byl_" + "a" * 43 + " extra"},
        {"X-API-Key": ("byl_" + "é" * 43).encode("utf-8")},  # not ASCII
        {"X-API-Key": ("byl_" + "é" * 43).encode("latin-1")},
        {"X-API-Key": "byl_" + "a" * 60_000},  # within the server's header limit, huge
    ],
    ids=lambda headers: repr(headers)[:40],
)
def test_a_malformed_key_is_a_401_that_does_not_repeat_it(
    keyed: TestClient, headers: dict[str, Any]
) -> None:
    response = keyed.get("/v1/articles", headers=headers)
    body = problem(response, 401, "invalid-api-key")
    assert body["detail"].startswith("The API key is malformed")
    assert "aaaa" not in body["detail"]
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_another_scheme_or_two_keys_are_401(keyed: TestClient, engine: Engine) -> None:
    key = make_key(engine, "newsroom")
    basic = problem(
        keyed.get("/v1", headers={"Authorization": "Basic dXNlcjpwdw=="}), 401, "invalid-api-key"
    )
    assert "Authorization: Basic" in basic["detail"]
    assert "dXNlcjpwdw" not in basic["detail"]
    two = keyed.get("/v1", headers={"Authorization": f"Bearer {key}", "X-API-Key": key + "x"})
    assert "more than one API key" in problem(two, 401, "invalid-api-key")["detail"]
    same = keyed.get("/v1", headers={"Authorization": f"bearer {key}", "X-API-Key": key})
    assert same.status_code == 200
    # Basic for a proxy in front, and the key in its own header: served.
    proxied = keyed.get("/v1", headers={"Authorization": "Basic dXNlcjpwdw==", "X-API-Key": key})
    assert proxied.status_code == 200


def test_an_unknown_key_is_a_401(keyed: TestClient) -> None:
    unknown = "byl_" + "A" * 43
    body = problem(
        keyed.get("/v1/articles", headers={"X-API-Key": unknown}), 401, "invalid-api-key"
    )
    assert body["detail"] == "The API key byl_AAAAAAAA… is not one of this server's."


def test_a_kept_refusal_holds_no_request(keyed: TestClient) -> None:
    """Each refusal of a kept verdict is raised anew: one raised again would gather every
    request's frames (and their scopes) in its traceback."""
    unknown = "byl_" + "B" * 43
    for _ in range(5):
        problem(keyed.get("/v1/articles", headers={"X-API-Key": unknown}), 401, "invalid-api-key")
    layer: Any = keyed.app.middleware_stack  # type: ignore[attr-defined]
    while not isinstance(layer, Admission):
        layer = layer.app
    assert layer.keys is not None
    refusal = layer.keys.verdicts[unknown][1]
    assert isinstance(refusal, InvalidApiKey)
    depth = 0
    trace = refusal.__traceback__
    while trace is not None:
        depth, trace = depth + 1, trace.tb_next
    assert depth < 10


def test_a_revoked_key_is_refused_once_its_verdict_expires(
    keyed: TestClient, engine: Engine
) -> None:
    key = make_key(engine, "newsroom")
    assert keyed.get("/v1", headers={"X-API-Key": key}).status_code == 200
    revoke(engine, "newsroom")
    # Within KEY_CACHE_SECONDS this process still holds its verdict.
    assert keyed.get("/v1", headers={"X-API-Key": key}).status_code == 200
    # Once the verdict expires (the test below times it), the store is read again.
    _expire_verdicts(keyed.app)  # type: ignore[arg-type]
    body = problem(keyed.get("/v1", headers={"X-API-Key": key}), 401, "invalid-api-key")
    assert body["detail"] == f"The API key {key[:12]}… (newsroom) was revoked; ask for a new one."


def _expire_verdicts(app: FastAPI) -> None:
    layer: Any = app.middleware_stack
    while not isinstance(layer, Admission):
        layer = layer.app
    assert layer.keys is not None
    layer.keys.verdicts.clear()


@pytest.mark.parametrize(
    "path", ["/healthz", "/readyz", "/openapi.json", "/docs", "/redoc", "/problems/invalid-api-key"]
)
def test_the_probes_docs_and_problem_types_stay_open(keyed: TestClient, path: str) -> None:
    assert keyed.get(path).status_code == 200


def test_a_store_that_cannot_be_read_is_a_503_never_a_500(
    keyed: TestClient, engine: Engine
) -> None:
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE api_key"))
    response = keyed.get("/v1", headers={"X-API-Key": "byl_" + "C" * 43})
    problem(response, 503, "not-ready")


def test_the_request_holds_the_key_for_what_comes_after(keyed: TestClient, engine: Engine) -> None:
    key = make_key(engine, "partner", rate=60)
    held = keyed.get("/v1/test-whoami", headers={"X-API-Key": key}).json()
    assert held == {"id": 1, "name": "partner", "scope": "read", "rate_per_minute": 60}
    assert dataclasses.is_dataclass(ApiKey)
    assert ApiKey.__dataclass_params__.frozen  # type: ignore[attr-defined]


# The scope guard.


def test_the_admin_route_needs_an_admin_key(keyed: TestClient, engine: Engine) -> None:
    reader, admin = make_key(engine, "reader"), make_key(engine, "ops", KeyScope.ADMIN)
    refused = keyed.post(ADMIN_ROUTE, headers={"X-API-Key": reader})
    body = problem(refused, 403, "insufficient-scope")
    assert body["detail"] == "The API key 'reader' has the scope 'read'; this needs 'admin'."
    assert refused.headers["www-authenticate"] == (
        'Bearer realm="byline", error="insufficient_scope", scope="admin"'
    )
    assert keyed.post(ADMIN_ROUTE, headers={"X-API-Key": admin}).json() == {"changed_by": "ops"}
    assert keyed.get("/v1/articles", headers={"X-API-Key": admin}).status_code == 200
    problem(keyed.post(ADMIN_ROUTE), 401, "api-key-required")


def test_optional_reads_without_a_key_but_refuses_a_bad_one_and_guards_admin(
    settings: Settings, engine: Engine
) -> None:
    with CaughtUpClient(keyed_app(settings, "optional")) as client:
        assert client.get("/v1/articles").status_code == 200
        problem(client.get("/v1", headers={"X-API-Key": "byl_x"}), 401, "invalid-api-key")
        problem(client.post(ADMIN_ROUTE), 401, "api-key-required")
        admin = make_key(engine, "ops", KeyScope.ADMIN)
        assert (
            client.post(ADMIN_ROUTE, headers={"Authorization": f"Bearer {admin}"}).status_code
            == 200
        )


@pytest.mark.parametrize("mode", ["required", "optional"])
def test_metrics_need_an_admin_key_when_keys_are_on(
    settings: Settings, engine: Engine, mode: str
) -> None:
    with CaughtUpClient(keyed_app(settings, mode)) as client:
        problem(client.get("/metrics"), 401, "api-key-required")
        reader = make_key(engine, "reader")
        problem(client.get("/metrics", headers={"X-API-Key": reader}), 403, "insufficient-scope")
        admin = make_key(engine, "ops", KeyScope.ADMIN)
        answer = client.get("/metrics", headers={"Authorization": f"Bearer {admin}"})
        assert answer.status_code == 200
        assert "byline_http_requests_total" in answer.text


def test_off_the_guard_lets_everything_through(settings: Settings) -> None:
    with CaughtUpClient(keyed_app(settings, "off")) as client:
        assert client.post(ADMIN_ROUTE).json() == {"changed_by": None}
        assert client.get("/metrics").status_code == 200


# The verdicts kept.


class CountingReader:
    """A reader that knows one key and counts its reads."""

    def __init__(self, key: str) -> None:
        self.key, self.reads, self.revoked = key, 0, False

    async def call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        return function(*args, **kwargs)

    def rows(self, _sql: str, parameters: Any) -> list[dict[str, Any]]:
        self.reads += 1
        if parameters[0] != key_digest(self.key):
            return []
        revoked_at = "2026-12-08" if self.revoked else None
        return [
            {
                "id": 7,
                "name": "n",
                "scope": "read",
                "rate_per_minute": None,
                "revoked_at": revoked_at,
            }
        ]


def test_a_verdict_is_kept_for_key_cache_seconds_then_read_again() -> None:
    asyncio.run(_verdicts_kept())


async def _verdicts_kept() -> None:
    key = "byl_" + "k" * 43
    reader, now = CountingReader(key), [100.0]
    answered: list[Any] = []

    async def inner(scope: Any, receive: Any, send: Any) -> None:
        answered.append(scope["state"]["api_key"])

    async def send(message: Any) -> None:
        answered.append(message.get("status"))

    keys = KeyCheck(required=True, clock=lambda: now[0])
    middleware = Edge(Admission(inner, keys=keys, rates=RateCounter(rate=None)))
    scope = {
        "type": "http",
        "method": "GET",
        "path": "/v1",
        "headers": [(b"x-api-key", key.encode())],
        "app": SimpleNamespace(state=SimpleNamespace(reader=reader)),
    }
    for _ in range(3):
        await middleware({**scope, "state": {}}, None, send)  # type: ignore[arg-type]
    assert reader.reads == 1
    assert len(answered) == 3
    reader.revoked = True
    now[0] += authentication.KEY_CACHE_SECONDS - 0.1
    await middleware({**scope, "state": {}}, None, send)  # type: ignore[arg-type]
    assert reader.reads == 1
    assert isinstance(answered[-1], ApiKey)
    now[0] += 0.2
    await middleware({**scope, "state": {}}, None, send)  # type: ignore[arg-type]
    assert reader.reads == 2
    assert answered[-2:] == [401, None]  # the problem's start and body


def test_verify_reads_one_row_by_digest() -> None:
    key = "byl_" + "k" * 43
    reader = CountingReader(key)
    assert verify_api_key(reader.rows, key=key).id == 7
    with pytest.raises(InvalidApiKey, match="not one of"):
        verify_api_key(reader.rows, key="byl_" + "j" * 43)


# The OpenAPI document.


def test_the_document_declares_the_schemes_but_requires_none_when_off(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["BearerKey"]["type"] == "http"
    assert schemes["BearerKey"]["scheme"] == "bearer"
    assert schemes["ApiKeyHeader"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": schemes["ApiKeyHeader"]["description"],
    }
    assert "security" not in spec
    assert all(
        "401" not in op["responses"] for ops in spec["paths"].values() for op in ops.values()
    )


def test_the_document_requires_a_key_when_the_server_does(keyed: TestClient) -> None:
    spec = keyed.get("/openapi.json").json()
    validate(spec)
    assert spec["security"] == [{"BearerKey": []}, {"ApiKeyHeader": []}]
    for path, ops in spec["paths"].items():
        for operation in ops.values():
            if path.startswith("/v1"):
                assert "401" in operation["responses"], path
                assert (
                    "security" not in operation
                    or path == ADMIN_ROUTE
                    or (
                        operation["operationId"]
                        in ("create_saved_search", "delete_saved_search", "redeliver")
                    )
                ), path
            else:
                assert operation["security"] == [], path
    admin = spec["paths"][ADMIN_ROUTE]["post"]
    assert {"401", "403"} <= set(admin["responses"])
    # Each example shown is what the API answers.
    checked = 0
    for name, status, kind, example in problem_examples(spec):
        if status == 401 and not name.startswith("POST"):
            if kind == "invalid-api-key":
                response = keyed.get(example["value"]["instance"], headers={"X-API-Key": ""})
                assert response.json() == example["value"]
            else:
                assert replay(keyed, example) == example["value"]
            checked += 1
    assert checked >= 14


def test_the_document_makes_a_key_optional_when_the_server_does(settings: Settings) -> None:
    with CaughtUpClient(keyed_app(settings, "optional")) as client:
        spec = client.get("/openapi.json").json()
    validate(spec)
    assert spec["security"] == [{}, {"BearerKey": []}, {"ApiKeyHeader": []}]
    examples = spec["paths"]["/v1/articles"]["get"]["responses"]["401"]["content"][
        PROBLEM_MEDIA_TYPE
    ]["examples"]
    assert set(examples) == {"invalid-api-key"}
