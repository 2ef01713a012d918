"""Request bodies bounded in bytes (``max_body_bytes``): a 413 problem when ``Content-Length``
says more, or when a body read in chunks passes the limit; a ``Content-Length`` that is not a
number is a 400. Through the real server over raw sockets, and around a route that reads."""

import asyncio
import json
from collections.abc import Iterator

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from pydantic import BaseModel
from starlette.types import Message, Receive, Scope, Send

from app.api.body_limit import BodyLimit
from app.api.edge import Edge
from app.api.errors import install_problem_handlers
from app.store.database import migrate
from tests.live import live_server
from tests.test_server import exchange

pytestmark = pytest.mark.sqlite_only  # no store is read

LIMIT = 1000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = f"sqlite:///{tmp_path_factory.mktemp('body-limit') / 'byline.db'}"
    migrate(url)
    env = {"BYLINE_INGEST_ON_START": "false", "BYLINE_MAX_BODY_BYTES": str(LIMIT)}
    with live_server(url, **env) as base:
        yield base


def post(*headers: bytes, body: bytes = b"") -> bytes:
    head = [b"POST /v1/articles HTTP/1.1", b"Host: 127.0.0.1", *headers]
    return b"\r\n".join([*head, b"", b""]) + body


def test_a_body_said_to_be_too_large_is_a_413_unread(server: str) -> None:
    declared = 10 * 2**20
    answer, seconds = exchange(server, [post(b"Content-Length: %d" % declared, body=b"x" * 2**18)])
    # Answered before the body came: the client stops sending (the rest would be read and
    # dropped, as any body a route does not read).
    assert answer.status == 413
    assert answer.headers["content-type"] == "application/problem+json"
    problem = json.loads(answer.body)
    assert problem["type"] == "/problems/body-too-large"
    assert problem["detail"] == (
        f"The request's body may take {LIMIT} bytes on this server (the max_body_bytes setting); "
        f"its Content-Length says {declared}."
    )
    assert seconds < 5


@pytest.mark.parametrize("length", [b"0", b"5", b"1000", b"5 "])
def test_a_body_within_the_limit_reaches_the_route(server: str, length: bytes) -> None:
    body = b"x" * int(length)
    answer, _ = exchange(
        server, [post(b"Content-Length: " + length, b"Connection: close", body=body)]
    )
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.status == 405  # the route's own answer: the list takes no POST


@pytest.mark.parametrize(
    "header",
    [
        b"Content-Length: abc",
        b"Content-Length: -1",
        b"Content-Length: 1, 1",
        b"Content-Length: 0x10",
        b"Content-Length: 5\r\nContent-Length: 6",
        b"Content-Length: 99999999999999999999999",
        b"Content-Length: 5\r\nTransfer-Encoding: chunked",
    ],
)
def test_a_malformed_content_length_is_a_400_of_the_server(server: str, header: bytes) -> None:
    answer, _ = exchange(server, [post(header, body=b"hello")])
    assert answer.status == 400
    assert "Content-Length" in str(answer.problem()["detail"])


@pytest.fixture
def reading() -> Iterator[TestClient]:
    """An app whose routes read their bodies (the raw bytes, a model), under the limit."""
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(Edge, body_limit=BodyLimit(LIMIT))

    @app.post("/raw")
    async def raw(request: Request) -> dict[str, int]:
        return {"read": len(await request.body())}

    class Note(BaseModel):
        text: str

    @app.post("/model")
    def model(note: Note) -> dict[str, int]:
        return {"read": len(note.text)}

    with TestClient(app) as client:
        yield client


def chunks(size: int) -> Iterator[bytes]:
    """A body of ``size`` bytes with no Content-Length: sent in chunks, counted as read."""
    yield b'{"text": "'
    for _ in range((size - 12) // 100):
        yield b"a" * 100
    yield b'"}'


@pytest.mark.parametrize("route", ["/raw", "/model"])
def test_a_chunked_body_passing_the_limit_as_read_is_a_413(reading: TestClient, route: str) -> None:
    response = reading.post(route, content=chunks(5000))
    assert response.status_code == 413
    problem = response.json()
    assert problem["type"] == "/problems/body-too-large"
    assert "max_body_bytes" in problem["detail"]
    assert problem["instance"] == route


def test_a_chunked_body_within_the_limit_is_read_whole(reading: TestClient) -> None:
    response = reading.post("/raw", content=chunks(900))
    assert response.status_code == 200
    assert response.json() == {"read": len(b"".join(chunks(900)))}


@pytest.mark.parametrize("value", [b"abc", b"-1", b"1e3", b"\xd9\xa5"])
def test_a_malformed_content_length_reaching_the_app_is_a_400(value: bytes) -> None:
    """The server layer refuses these itself; another server might pass them on."""
    reached: list[bool] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        reached.append(True)

    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {
        "type": "http",
        "method": "POST",
        "path": "/v1/articles",
        "headers": [(b"host", b"127.0.0.1"), (b"content-length", value)],
    }
    asyncio.run(Edge(app, body_limit=BodyLimit(LIMIT))(scope, receive, send))
    assert reached == []
    assert sent[0]["status"] == 400
    assert b"/problems/invalid-content-length" in sent[1]["body"]


def test_the_problem_types_are_described(client: TestClient) -> None:
    for slug in ("body-too-large", "invalid-content-length"):
        described = client.get(f"/problems/{slug}").json()
        assert described["type"] == f"/problems/{slug}"
        assert described["status"] in (400, 413)


def test_the_limit_is_a_setting_of_the_app(client: TestClient) -> None:
    response = client.get("/healthz", headers={"Content-Length": str(2**20 + 1)})
    assert response.status_code == 413
    assert "1048576 bytes" in response.json()["detail"]
