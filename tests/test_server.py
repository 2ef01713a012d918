"""The server layer as ``byline serve`` runs it (uvicorn with app/api/server.py), over raw sockets:
request heads bounded in bytes and time, its own errors as problem+json, hosts and proxy
headers, and the store's points through the real server on both stores."""

import asyncio
import gzip
import json
import logging
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import httpx2
import pytest
from uvicorn.protocols.http.httptools_impl import RequestResponseCycle

from app.api.authentication import KEY_CACHE_SECONDS
from app.api.server import _CheckedOnce
from app.store.database import migrate
from tests.conftest import SEED_SLUG
from tests.live import ROOT, live_server

MAX_HEADER_BYTES = 8192
HEADER_TIMEOUT_S = 0.5
LIMITS = {
    "BYLINE_INGEST_ON_START": "false",
    "BYLINE_MAX_HEADER_BYTES": str(MAX_HEADER_BYTES),
    "BYLINE_HEADER_TIMEOUT": str(HEADER_TIMEOUT_S),
}


@pytest.fixture(scope="module")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the live server's output goes."""
    return tmp_path_factory.mktemp("server-log") / "serve.log"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, server_log: Path) -> Iterator[str]:
    """A live server on an empty SQLite store, with small head limits."""
    url = f"sqlite:///{tmp_path_factory.mktemp('server') / 'byline.db'}"
    migrate(url)
    with live_server(url, server_log, **LIMITS) as base:
        yield base


class Answer:
    """A raw HTTP response: status, headers (lower-case names) and body."""

    def __init__(self, raw: bytes) -> None:
        head, _, self.body = raw.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        self.status = int(status_line.split()[1])
        self.headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in lines)
        }

    def problem(self) -> dict[str, object]:
        assert self.headers["content-type"] == "application/problem+json"
        assert self.headers["connection"] == "close"
        problem: dict[str, object] = json.loads(self.body)
        assert problem["status"] == self.status
        assert {"type", "title", "status", "detail"} <= set(problem)
        return problem


def exchange(
    base: str, chunks: Iterable[bytes], *, pause: float = 0.0, refused: bool = True
) -> tuple[Answer, float]:
    """Send ``chunks`` (stopping when the server stops reading), read until it closes; the
    answer and the seconds it took. A client ``refused`` closes its side once it has sent all,
    so that the server need not linger (uvicorn drops the requests of a half-closed client it
    has not answered yet: such a client is not made to wait for an answer)."""
    parts = urlsplit(base)
    started = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
        try:
            for chunk in chunks:
                connection.sendall(chunk)
                if pause:
                    time.sleep(pause)
            if refused:
                connection.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # the server answered and closed before the client was done
        received = b""
        while data := connection.recv(65536):
            received += data
    return Answer(received), time.monotonic() - started


def request(target: str = "/healthz", *headers: bytes, method: bytes = b"GET") -> bytes:
    lines = [method + b" " + target.encode() + b" HTTP/1.1", b"Host: 127.0.0.1", *headers]
    return b"\r\n".join([*lines, b"Connection: close", b"", b""])


def test_a_64_mb_header_is_a_431_read_no_further(server: str) -> None:
    def huge() -> Iterator[bytes]:
        yield b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: "
        for _ in range(1024):  # 64 MB in 64 KB chunks: never held whole by this test
            yield b"a" * 65536

    answer, seconds = exchange(server, huge())
    assert answer.status == 431
    assert f"{MAX_HEADER_BYTES} bytes" in str(answer.problem()["detail"])
    assert seconds < 5


def test_a_1_mb_query_string_is_a_414(server: str) -> None:
    answer, _ = exchange(server, [request("/v1/articles?q=" + "a" * 2**20)])
    assert answer.status == 414
    assert "request line" in str(answer.problem()["detail"])


def test_a_head_just_within_the_limit_is_answered(server: str) -> None:
    filler = b"X-Fill: " + b"a" * (MAX_HEADER_BYTES - 200)
    answer, _ = exchange(server, [request("/healthz", filler)], refused=False)
    assert answer.status == 200


@pytest.mark.parametrize(
    ("raw", "status", "detail"),
    [
        (request("/healthz", b"X-Control: a\x01b"), 400, "not valid HTTP/1.1"),
        (request("/healthz", b"X-Newline: a\rb"), 400, "not valid HTTP/1.1"),
        (b"GET /healthz HTTP/9.9\r\n\r\n", 400, "not valid HTTP/1.1"),
        (request("/healthz", method=b"FOO"), 501, "method"),
        (request("/healthz", method=b"BREW"), 501, "method"),
    ],
)
def test_what_the_server_layer_refuses_is_a_problem(
    server: str, raw: bytes, status: int, detail: str
) -> None:
    answer, _ = exchange(server, [raw])
    assert answer.status == status
    assert detail in str(answer.problem()["detail"])
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert "server" not in answer.headers


def test_an_answer_names_no_server_and_says_not_to_sniff(server: str) -> None:
    answer, _ = exchange(server, [request("/healthz")], refused=False)
    assert answer.status == 200
    assert "server" not in answer.headers  # no banner naming the server and its version
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_a_gzip_answer_of_the_real_server_decodes_to_the_plain_one(server: str) -> None:
    plain, _ = exchange(server, [request("/openapi.json")], refused=False)
    gzipped, _ = exchange(
        server, [request("/openapi.json", b"Accept-Encoding: gzip")], refused=False
    )
    head, _ = exchange(
        server, [request("/openapi.json", b"Accept-Encoding: gzip", method=b"HEAD")], refused=False
    )
    assert plain.status == gzipped.status == head.status == 200
    assert "content-encoding" not in plain.headers
    assert gzipped.headers["content-encoding"] == head.headers["content-encoding"] == "gzip"
    assert int(gzipped.headers["content-length"]) == len(gzipped.body) < len(plain.body)
    assert gzip.decompress(gzipped.body) == plain.body
    assert head.body == b""
    assert head.headers == gzipped.headers | {"date": head.headers["date"]}
    assert plain.headers["vary"] == gzipped.headers["vary"] == "Accept-Encoding"
    garbage, _ = exchange(
        server, [request("/openapi.json", b"Accept-Encoding: gzip;q=\xff" * 300)], refused=False
    )
    assert garbage.status == 200
    assert garbage.body == plain.body


def test_a_method_the_app_does_not_serve_is_its_405_problem(server: str) -> None:
    answer, _ = exchange(server, [request("/healthz", method=b"DELETE")], refused=False)
    assert answer.status == 405
    assert answer.headers["content-type"] == "application/problem+json"


def test_a_slow_client_gets_a_408_once_the_header_timeout_is_over(server: str) -> None:
    slowly = [b"GET /healthz HTTP/1.1\r\n", *[b"X-Drip: 1\r\n"] * 12]  # 1.2 s of drips
    answer, seconds = exchange(server, slowly, pause=0.1)
    assert answer.status == 408
    assert "did not come within 0.5 s" in str(answer.problem()["detail"])
    assert seconds < 3


def test_a_connection_that_sends_nothing_is_closed(server: str) -> None:
    parts = urlsplit(server)
    started = time.monotonic()
    with socket.create_connection((parts.hostname, parts.port), timeout=10) as connection:
        assert connection.recv(1024) == b""
    assert HEADER_TIMEOUT_S <= time.monotonic() - started < 3


def test_a_head_in_pieces_within_the_timeout_and_pipelined_requests_are_answered(
    server: str,
) -> None:
    keep = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    pieces = [keep[:10], keep[10:30], keep[30:] + keep + request("/healthz")]
    answer, _ = exchange(server, pieces, pause=HEADER_TIMEOUT_S / 5, refused=False)
    assert answer.status == 200
    assert answer.body.count(b"HTTP/1.1 200 OK") == 2  # the two after the first


def test_a_body_the_app_did_not_read_is_no_head(server: str) -> None:
    """An app may answer before it reads a request's body: the body that follows, larger than
    a head may be and sent after a pause, is read as a body, not counted as the next head."""
    body = b"a" * (MAX_HEADER_BYTES * 2)
    early = b"GET /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: %d\r\n\r\n" % len(body)
    pieces = [early, body[: len(body) // 2], body[len(body) // 2 :], request("/healthz")]
    answer, _ = exchange(server, pieces, pause=HEADER_TIMEOUT_S / 2, refused=False)
    assert answer.status == 404
    statuses = [int(status) for status in re.findall(rb"HTTP/1\.1 (\d{3}) ", answer.body)]
    assert statuses == [200]  # the next request's answer, and no 408, 414 or 431 between


def test_a_bad_request_pipelined_after_a_good_one_is_answered_without_an_error(
    server: str, server_log: Path
) -> None:
    good = b"GET /v1/articles?limit=1 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    bad = b"GET /healthz HTTP/1.1\r\nHo st: x\r\n\r\n"
    answer, _ = exchange(server, [good + bad])
    assert answer.status == 400
    assert "not valid HTTP/1.1" in str(answer.problem()["detail"])
    time.sleep(0.2)  # the app's task of the good request has run
    assert "Exception in ASGI application" not in server_log.read_text()


def test_keep_alive_connections_serve_many_requests(server: str) -> None:
    with httpx2.Client(base_url=server) as client:
        for _ in range(2):
            assert client.get("/healthz").status_code == 200
            time.sleep(HEADER_TIMEOUT_S * 1.5)  # idle between requests is keep-alive's to end


def test_an_unknown_host_is_refused_by_the_real_server(server: str) -> None:
    response = httpx2.get(f"{server}/v1/articles", headers={"Host": "evil.example"})
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/unknown-host"


@pytest.mark.parametrize(("trusted", "scheme"), [("127.0.0.1", "https"), ("10.9.9.9", "http")])
def test_proxy_headers_count_only_from_trusted_proxies(
    tmp_path: Path, trusted: str, scheme: str
) -> None:
    url = f"sqlite:///{tmp_path / 'byline.db'}"
    env = {"BYLINE_FORWARDED_ALLOW_IPS": trusted, "BYLINE_SEEDS_DIR": "seeds"}
    with live_server(url, **env) as base:
        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}
        item = httpx2.get(f"{base}/v1/articles", headers=headers).json()["items"][0]
        assert item["url"] == f"{scheme}://{base.split('://')[1]}/v1/articles/{SEED_SLUG}"


def test_the_store_through_the_real_server(database_url: str) -> None:
    """On each store: the start's ingestion writes; dates that cannot be read are 422s;
    the public URL makes every link; stats show folder names only."""
    env = {"BYLINE_SEEDS_DIR": "seeds", "BYLINE_PUBLIC_URL": "https://news.example.org/"}
    with live_server(database_url, **env) as base:
        stats = httpx2.get(f"{base}/v1/stats").json()
        assert (stats["articles"], stats["last_run"]["paths"]) == (1, ["seeds"])
        for path, base_params in (("/v1/articles", {}), ("/v1/search", {"q": "troops"})):
            for name in ("published_after", "published_before"):
                params = {**base_params, name: "9999-12-31T23:59:59-00:01"}
                response = httpx2.get(f"{base}{path}", params=params)
                assert response.status_code == 422
                assert response.json()["errors"][0]["name"] == name
            params = {**base_params, "published_before": "2024"}
            found = httpx2.get(f"{base}{path}", params=params).json()
            assert found["total"] == 0  # the seed has no publication time
        listed = httpx2.get(f"{base}/v1/articles").json()["items"][0]
        assert listed["url"] == f"https://news.example.org/v1/articles/{SEED_SLUG}"


def test_api_keys_through_the_real_server(tmp_path: Path) -> None:
    # A key made by the real command, sent to a real server that requires keys (2 workers:
    # each verifies for itself); a revocation is refused once the verdicts kept expire.
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    migrate(url)
    environment = {**os.environ, "BYLINE_DATABASE_URL": url}
    made = subprocess.run(
        [sys.executable, "-m", "app", "keys", "create", "newsroom"],
        capture_output=True,
        text=True,
        check=True,
        env=environment,
        cwd=ROOT,
    )
    key = made.stdout.strip()
    with live_server(
        url, None, BYLINE_INGEST_ON_START="false", BYLINE_API_KEYS="required", BYLINE_WORKERS="2"
    ) as base:
        assert httpx2.get(f"{base}/healthz").status_code == 200
        missing = httpx2.get(f"{base}/v1/articles")
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"] == 'Bearer realm="byline"'
        assert missing.json()["type"] == "/problems/api-key-required"
        bearer = httpx2.get(f"{base}/v1/articles", headers={"Authorization": f"Bearer {key}"})
        assert bearer.status_code == 200
        assert httpx2.get(f"{base}/v1/stats", headers={"X-API-Key": key}).status_code == 200
        huge, _ = exchange(base, [request("/v1", b"X-API-Key: byl_" + b"a" * 6000)])
        assert huge.status == 401
        assert huge.problem()["type"] == "/problems/invalid-api-key"
        subprocess.run(
            [sys.executable, "-m", "app", "keys", "revoke", "newsroom"],
            capture_output=True,
            check=True,
            env=environment,
            cwd=ROOT,
        )
        deadline = time.monotonic() + KEY_CACHE_SECONDS + 5
        refused = 0
        while refused < 4 and time.monotonic() < deadline:  # both workers, several times
            answer = httpx2.get(f"{base}/v1/stats", headers={"X-API-Key": key})
            refused = refused + 1 if answer.status_code == 401 else 0
            time.sleep(0.2)
        assert refused == 4
        assert "was revoked" in answer.json()["detail"]


class _Written:
    """A transport keeping what is written."""

    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> None:
        self.data += data


def _head_written(
    cycle_class: type, headers: list[tuple[bytes, bytes]], *, method: str = "GET"
) -> tuple[bytes, object]:
    """What a cycle of ``cycle_class`` writes for a 200 with ``headers``, or the error it
    raises."""

    transport = _Written()
    cycle = cycle_class(
        scope={"method": method},
        transport=transport,
        flow=SimpleNamespace(write_paused=False),
        logger=logging.getLogger("test"),
        access_logger=logging.getLogger("test.access"),
        access_log=False,
        default_headers=[(b"date", b"Mon, 07 Dec 2026 22:00:00 GMT")],
        message_event=None,
        expect_100_continue=False,
        keep_alive=True,
        on_response=lambda: None,
    )
    message = {"type": "http.response.start", "status": 200, "headers": headers}
    try:
        asyncio.run(cycle.send(message))
    except RuntimeError as error:
        return transport.data, str(error)
    state = (cycle.chunked_encoding, cycle.expected_content_length, cycle.keep_alive)
    return transport.data, state


@pytest.mark.parametrize(
    "headers",
    [
        [(b"Content-Length", b"12"), (b"Content-Type", b"application/json"), (b"ETag", b'"x"')],
        [(b"content-type", b"text/plain"), (b"x-a", b"tab\tand \x80 obs-text")],
        [(b"transfer-encoding", b"Chunked"), (b"Connection", b"keep-alive, Close")],
        [],
        [(b"bad name", b"1")],
        [(b"x-b", b"a\r\nset-cookie: 1")],
        [(b"x-c", b"\x7f")],
        [(b"x-d:", b"1"), (b"x-e", b"\x00")],
    ],
)
@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_the_head_is_written_and_checked_as_uvicorn_does(
    headers: list[tuple[bytes, bytes]], method: str
) -> None:
    assert _head_written(_CheckedOnce, headers, method=method) == _head_written(
        RequestResponseCycle, headers, method=method
    )
