"""Rate limits (the ``rate_limit`` and ``rate_limit_storage`` settings): per API key or client
address, the ``RateLimit`` and ``RateLimit-Policy`` fields, the 429 problem, the probes left
alone, and the counters shared through Redis by two real servers."""

import asyncio
import logging
import math
import re
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx2
import pytest
import redis
from fastapi.testclient import TestClient
from limits import parse
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from typer.testing import CliRunner

from app.api import rate_limits
from app.api.admission import Admission
from app.api.app import create_app
from app.api.authentication import KeyCheck
from app.api.edge import Edge
from app.api.rate_limits import KEY_PREFIX, RateCounter, client_of
from app.cli.commands import cli
from app.ingestion.outcomes import IngestReport
from app.settings import Settings
from app.store.api_keys import ApiKey, KeyScope
from tests.conftest import SEED_SLUG, CaughtUpClient
from tests.live import live_server

# What is counted does not depend on the store behind the answers.
pytestmark = pytest.mark.sqlite_only

HEADERS = ("ratelimit", "ratelimit-policy")
# A RateLimit field of one item (draft-ietf-httpapi-ratelimit-headers-08 and later): the policy,
# the requests remaining, the seconds until one more is freed.
SERVICE_LIMIT = re.compile(r'"(default|key)";r=(\d+);t=(\d+)')
# A database of the local Redis the tests alone use; they delete their own keys in it.
REDIS_URL = "redis://127.0.0.1:6379/15"
ARTICLE = f"/v1/articles/{SEED_SLUG}"


def service_limit(field: str) -> tuple[str, int, int]:
    """The policy, remaining requests and seconds to reset a ``RateLimit`` field says."""
    found = SERVICE_LIMIT.fullmatch(field)
    assert found is not None, field
    return found[1], int(found[2]), int(found[3])


def client_for(settings: Settings, **changes: object) -> Iterator[TestClient]:
    with CaughtUpClient(create_app(settings.model_copy(update=changes))) as client:
        yield client


@pytest.fixture
def limited(settings: Settings, seeded: IngestReport) -> Iterator[TestClient]:
    yield from client_for(settings, rate_limit="3/minute", cors_origins=["https://app.example"])


def test_no_limit_by_default(client: TestClient, seeded: IngestReport) -> None:
    for _ in range(5):
        response = client.get(ARTICLE)
        assert response.status_code == 200
        assert not set(HEADERS) & set(response.headers)


@pytest.mark.parametrize("url", ["/v1/articles", ARTICLE, "/v1/search?q=troops"])
def test_each_answer_says_what_remains_and_the_fourth_is_refused(
    limited: TestClient, url: str
) -> None:
    for remaining in (2, 1, 0):
        # An article's second and third answers are the kept body, sent before routing.
        response = limited.get(url)
        assert response.status_code == 200
        assert response.headers["ratelimit-policy"] == '"default";q=3;w=60'
        policy, left, reset = service_limit(response.headers["ratelimit"])
        assert (policy, left) == ("default", remaining)
        assert 0 <= reset <= 60
        # One field each: nothing of one answer's count was kept with the body for the next.
        assert len(response.headers.get_list("ratelimit")) == 1
        assert len(response.headers.get_list("ratelimit-policy")) == 1

    refused = limited.get(url)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= 60
    assert service_limit(refused.headers["ratelimit"]) == ("default", 0, retry_after)
    assert refused.headers["ratelimit-policy"] == '"default";q=3;w=60'
    assert refused.headers["x-content-type-options"] == "nosniff"
    problem = refused.json()
    assert problem == {
        "type": "/problems/rate-limited",
        "title": "Too many requests",
        "status": 429,
        "detail": "More than 3 requests in 1 minute from this address: "
        f"try again in {retry_after} s.",
        "instance": url.partition("?")[0],
    }


def test_probes_are_never_limited(limited: TestClient) -> None:
    for _ in range(6):
        for probe in ("/healthz", "/readyz"):
            response = limited.get(probe)
            # /readyz may still say the follower's first pass is under way: a 503, never a 429.
            assert response.status_code in (200, 503)
            assert not set(HEADERS) & set(response.headers)
    assert service_limit(limited.get("/v1/articles").headers["ratelimit"])[1] == 2


def test_a_page_of_another_origin_reads_the_counts_and_the_refusal(limited: TestClient) -> None:
    origin = {"Origin": "https://app.example"}
    answers = [limited.get("/v1/articles", headers=origin) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    for answer in answers:
        assert answer.headers["access-control-allow-origin"] == "https://app.example"
        exposed = {
            name.strip() for name in answer.headers["access-control-expose-headers"].split(",")
        }
        assert {"RateLimit", "RateLimit-Policy", "Retry-After"} <= exposed
    # A preflight is not counted: it carries nothing the browser would send with it.
    preflight = limited.options(
        "/v1/articles", headers={**origin, "Access-Control-Request-Method": "GET"}
    )
    assert preflight.status_code == 200


def test_the_documented_refusals_are_what_the_api_answers(
    settings: Settings, seeded: IngestReport
) -> None:
    """Each operation's 429 example (at 600 a minute), replayed at 2 a minute."""
    app = create_app(settings.model_copy(update={"rate_limit": "2/minute"}))
    shown = [
        (operation["responses"]["429"], path)
        for path, operations in app.openapi()["paths"].items()
        for operation in operations.values()
        if "429" in operation["responses"]
    ]
    assert len(shown) >= 8
    assert all(path not in ("/healthz", "/readyz") for _, path in shown)
    with CaughtUpClient(app) as client:
        for declared, _ in shown:
            example = declared["content"]["application/problem+json"]["examples"]["rate-limited"]
            asked = re.fullmatch(r"The answer to `(\w+) (\S+)`\.", example["description"])
            assert asked is not None, example["description"]
            method, target = asked.groups()
            # One client: its first two requests spend its rate, whatever they ask.
            refused = [client.request(method, target) for _ in range(3)][-1]
            assert refused.status_code == 429, target
            # The headers declared are sent, as their declared type.
            assert set(declared["headers"]) == {"Retry-After", "RateLimit", "RateLimit-Policy"}
            for name, header in declared["headers"].items():
                value = refused.headers[name]
                assert value.isdigit() == (header["schema"]["type"] == "integer"), (name, value)
            body = refused.json()
            retry_after = refused.headers["retry-after"]
            assert body == {
                **example["value"],
                "detail": example["value"]["detail"]
                .replace("600", "2")
                .replace("12 s", f"{retry_after} s"),
            }


def test_the_problem_type_is_documented(client: TestClient) -> None:
    response = client.get("/problems/rate-limited")
    assert response.status_code == 200
    assert response.json()["status"] == 429


@pytest.mark.parametrize(
    "rate", ["lots", "600/fortnight", "10/second;600/minute", "/minute", "0/minute"]
)
def test_a_rate_that_is_none_stops_the_server_at_start(
    rate: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BYLINE_RATE_LIMIT", rate)
    with pytest.raises(ValidationError, match="is no rate"):
        Settings()
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 2
    [line] = result.output.splitlines()
    assert line.startswith(f"error: BYLINE_RATE_LIMIT: {rate!r} is no rate")


@pytest.mark.parametrize(
    "url", ["memcached://127.0.0.1:11211", "redis", "mongodb://user:secret@db.example/x"]
)
def test_a_store_that_is_none_stops_the_server_at_start(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BYLINE_RATE_LIMIT_STORAGE", url)
    with pytest.raises(ValidationError, match="names no store for rate limits") as refused:
        Settings()
    [error] = refused.value.errors()
    assert "secret" not in error["msg"]  # what the command prints


def test_rates_are_read_in_the_limits_notation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYLINE_RATE_LIMIT", " 10 per second ")
    assert Settings().default_rate == parse("10/second")
    assert Settings(rate_limit="").default_rate is None


# The middleware alone, on an app that answers 200, with the scopes a server would make.


def key(id: int, rate_per_minute: int | None) -> ApiKey:
    return ApiKey(id=id, name=f"key {id}", scope=KeyScope.READ, rate_per_minute=rate_per_minute)


async def answer_ok(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def admitting(rates: RateCounter, *keys: ApiKey) -> ASGIApp:
    """The admission of the app, under its edge, before a route that answers 200; ``keys`` known
    to it (as verified, sent as ``X-API-Key: key-ID``)."""
    check = KeyCheck(required=False)
    for known in keys:
        check.verdicts[f"key-{known.id}"] = (math.inf, known)
    return Edge(Admission(answer_ok, keys=check, rates=rates))


def request_scope(address: str = "192.0.2.1", key: ApiKey | None = None) -> Scope:
    return {
        "type": "http",
        "method": "GET",
        "path": "/v1/articles",
        "root_path": "",
        "headers": [(b"x-api-key", f"key-{key.id}".encode())] if key else [],
        "client": (address, 40000),
    }


async def answers(app: ASGIApp, scopes: list[Scope]) -> list[dict[str, str]]:
    """The status and headers of each request, in turn."""
    found = []
    for scope in scopes:
        started: dict[str, str] = {}

        async def receive() -> Message:
            return {"type": "http.request", "body": b""}

        async def send(message: Message, started: dict[str, str] = started) -> None:
            if message["type"] == "http.response.start":
                started["status"] = str(message["status"])
                started.update(
                    (name.decode(), value.decode()) for name, value in message["headers"]
                )

        await app(dict(scope), receive, send)
        found.append(started)
    return found


def statuses(found: list[dict[str, str]]) -> list[str]:
    return [answer["status"] for answer in found]


def test_each_address_has_its_own_count() -> None:
    limits = admitting(RateCounter(rate=parse("2/minute")))
    scopes = [request_scope("192.0.2.1")] * 3 + [request_scope("2001:db8::1")] * 2
    found = asyncio.run(answers(limits, scopes))
    assert statuses(found) == ["200", "200", "429", "200", "200"]


def test_a_key_is_counted_apart_from_its_address_at_its_own_rate() -> None:
    generous, plain = key(7, rate_per_minute=4), key(8, rate_per_minute=None)
    limits = admitting(RateCounter(rate=parse("2/minute")), generous, plain)
    scopes = [request_scope(key=generous)] * 5 + [request_scope(key=plain)] * 3
    scopes += [request_scope()] * 2  # the same address without a key: a count of its own
    found = asyncio.run(answers(limits, scopes))
    assert statuses(found) == ["200"] * 4 + ["429"] + ["200", "200", "429"] + ["200", "200"]
    assert found[0]["ratelimit-policy"] == '"key";q=4;w=60'
    assert service_limit(found[0]["ratelimit"])[:2] == ("key", 3)
    assert found[5]["ratelimit-policy"] == '"default";q=2;w=60'
    assert service_limit(found[5]["ratelimit"])[:2] == ("default", 1)


def test_a_key_has_its_rate_when_no_default_is_set() -> None:
    bot = key(9, rate_per_minute=1)
    limits = admitting(RateCounter(rate=None), bot)
    found = asyncio.run(answers(limits, [request_scope(key=bot)] * 2 + [request_scope()] * 3))
    assert statuses(found) == ["200", "429", "200", "200", "200"]
    assert "ratelimit" not in found[2]


def test_refused_keys_are_counted_against_their_address() -> None:
    """Guessing keys is as limited as any request: past the address's rate, a 429, not a 401."""
    limits = admitting(RateCounter(rate=parse("2/minute")))
    guess = {**request_scope(), "headers": [(b"x-api-key", b"byl_guessed")]}
    found = asyncio.run(answers(limits, [guess] * 3 + [request_scope()]))
    assert statuses(found) == ["401", "401", "429", "429"]
    assert "ratelimit" in found[2]


def test_the_allowance_comes_back_one_request_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """3 a minute: one request freed every 20 s, up to 3; a refusal is not counted."""
    now = [0.0]
    monkeypatch.setattr(rate_limits, "time", SimpleNamespace(monotonic=lambda: now[0]))
    limits = admitting(RateCounter(rate=parse("3/minute")))

    def at(seconds: float, requests: int) -> list[tuple[str, int, int]]:
        now[0] = 1000.0 + seconds
        found = asyncio.run(answers(limits, [request_scope()] * requests))
        return [(answer["status"], *service_limit(answer["ratelimit"])[1:]) for answer in found]

    first = [("200", 2, 20), ("200", 1, 20), ("200", 0, 20), ("429", 0, 20)]
    assert at(0, 4) == first
    assert at(15, 1) == [("429", 0, 5)]
    assert at(20, 2) == [("200", 0, 20), ("429", 0, 20)]
    assert at(70, 1) == [("200", 1, 10)]
    assert at(500, 1) == [("200", 2, 20)]


def test_the_clients_in_memory_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    """A client back to its full allowance needs no entry: they are dropped as clients come."""
    monkeypatch.setattr(rate_limits, "MEMORY_CLIENTS", 10)
    counter = RateCounter(rate=parse("1000/second"))
    limits = admitting(counter)
    scopes = [request_scope(f"192.0.2.{number}") for number in range(100)]

    async def visit() -> int:
        largest = 0
        for scope in scopes:
            await answers(limits, [scope])
            largest = max(largest, len(counter.arrivals))
            # A millisecond later, each earlier client has its whole allowance again.
            await asyncio.sleep(0.002)
        return largest

    assert asyncio.run(visit()) <= 10


@pytest.mark.parametrize(("limit", "warned"), [("60/minute", True), ("", False)])
def test_serving_workers_with_counts_in_memory_is_warned_of(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, limit: str, warned: bool
) -> None:
    """Each process counts its own clients in memory: with 2, a client may make twice its
    rate, which ``byline serve`` says (and nothing when no rate limits anyone)."""
    import uvicorn  # noqa: PLC0415 (its run is replaced: no server starts)

    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    monkeypatch.setenv("BYLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'byline.db'}")
    monkeypatch.setenv("BYLINE_INGEST_ON_START", "false")
    monkeypatch.setenv("BYLINE_RATE_LIMIT", limit)
    result = CliRunner().invoke(cli, ["serve", "--workers", "2"])
    assert result.exit_code == 0, result.output
    assert ("up to 2 times its rate" in " ".join(result.output.split())) is warned


def test_who_is_counted() -> None:
    assert client_of(request_scope("192.0.2.1"), None) == ("address:192.0.2.1", None)
    own = key(3, rate_per_minute=60)
    assert client_of(request_scope(key=own), own) == ("key:3", 60)
    assert client_of({"type": "http", "client": None}, None) == ("address:unknown", None)


def test_who_is_counted_at_which_rate_is_made_once_a_key() -> None:
    counter = RateCounter(rate=parse("10/minute"))
    scope = request_scope("192.0.2.1")
    assert counter.counted_as(scope, None) == ("address:192.0.2.1", counter.default_rate)
    plain, own = key(4, rate_per_minute=None), key(5, rate_per_minute=60)
    assert counter.counted_as(scope, plain) == ("key:4", counter.default_rate)
    who, rate = counter.counted_as(scope, own)
    assert who == "key:5"
    assert rate is not None
    assert (rate.requests, rate.window_s) == (60, 60)
    assert counter.counted_as(scope, own)[0] is who  # kept, not made again
    # The same key read again with another rate (its verdict is kept a few seconds): that rate.
    rerated = counter.counted_as(scope, key(5, rate_per_minute=120))[1]
    assert rerated is not None
    assert rerated.requests == 120


def test_a_store_that_cannot_be_reached_lets_requests_through(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Nothing listens on port 1: the connection is refused at once.
    limits = admitting(RateCounter(rate=parse("1/minute"), storage_url="redis://127.0.0.1:1/0"))
    with caplog.at_level(logging.WARNING, logger="byline"):
        found = asyncio.run(answers(limits, [request_scope()] * 3))
    assert statuses(found) == ["200", "200", "200"]
    assert "ratelimit" not in found[0]
    # Tried once, then left alone for a while: one line in the log, not one a request.
    [record] = [record for record in caplog.records if "rate limits" in record.message]
    assert "requests go unlimited" in record.message


# Redis: the counters two servers share.


@pytest.fixture
def shared_redis() -> Iterator[str]:
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        connection.ping()
    except redis.RedisError as error:
        pytest.skip(f"no Redis answers at {REDIS_URL} ({error}): the shared counters are untested")

    def clean() -> None:
        for key in connection.scan_iter(f"{KEY_PREFIX}:*"):
            connection.delete(key)

    clean()
    yield REDIS_URL
    clean()
    connection.close()


def test_two_servers_share_their_counts_in_redis(shared_redis: str, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'byline.db'}"
    limit = {"BYLINE_RATE_LIMIT": "3/minute", "BYLINE_RATE_LIMIT_STORAGE": shared_redis}
    with live_server(database, **limit) as first, live_server(database, **limit) as second:
        bases = [first, second, first, second]
        answers = [httpx2.get(f"{base}/v1/articles?limit=1") for base in bases]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    assert [service_limit(answer.headers["ratelimit"])[1] for answer in answers] == [2, 1, 0, 0]
    assert answers[3].json()["type"] == "/problems/rate-limited"
    assert int(answers[3].headers["retry-after"]) >= 1


def test_the_redis_store_counts_in_the_app(
    shared_redis: str, settings: Settings, seeded: IngestReport
) -> None:
    changes: dict[str, Any] = {"rate_limit": "2/minute", "rate_limit_storage": shared_redis}
    for client in client_for(settings, **changes):
        found = [client.get(ARTICLE) for _ in range(3)]
        assert [answer.status_code for answer in found] == [200, 200, 429]
        assert service_limit(found[1].headers["ratelimit"])[1] == 0
