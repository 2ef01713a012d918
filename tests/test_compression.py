"""Compressed answers (app/api/compression.py): the coding a request's ``Accept-Encoding`` asks
for (RFC 9110 §12.5.3), the size threshold, ``Vary``, HEAD, ETags that name the coding and
304s that name the variant the client holds, the compressed bodies kept, and the setting."""

import asyncio
import gzip
from collections.abc import Callable, Iterator
from typing import Any

import brotli
import pytest
import zstandard
from fastapi.testclient import TestClient
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message

from app.api import compression
from app.api.app import create_app
from app.api.compression import Compression, preferred_coding
from app.api.edge import Edge
from app.ingestion.outcomes import IngestReport
from app.settings import Settings
from tests.conftest import SEED_SLUG, CaughtUpClient

# What answers does not depend on the store behind them.
pytestmark = pytest.mark.sqlite_only

BIG = b'{"text": "' + b"the harbour minister said the tidal barrier would hold " * 100 + b'"}'
SMALL = b'{"text": "short"}'
TAG = '"abc123"'
DECODE: dict[str, Callable[[bytes], bytes]] = {
    "gzip": gzip.decompress,
    "br": brotli.decompress,
    "zstd": zstandard.ZstdDecompressor().decompress,
}


@pytest.mark.parametrize(
    ("accept_encoding", "coding"),
    [
        ("gzip", "gzip"),
        ("GZip", "gzip"),
        ("x-gzip", "gzip"),
        ("gzip, deflate", "gzip"),
        ("gzip, deflate, br", "br"),
        ("gzip, deflate, br, zstd", "zstd"),  # what browsers send over HTTPS
        ("br;q=1.0, gzip;q=0.8, *;q=0.1", "br"),
        ("br;q=0.5, gzip", "gzip"),
        ("zstd;q=0.001, br;q=0", "zstd"),
        ("gzip;q=0", None),
        ("gzip;q=0.000", None),
        ("gzip ; q=0.5", "gzip"),
        ("*", "zstd"),
        ("*;q=0", None),
        ("*;q=0, gzip", "gzip"),
        ("*, zstd;q=0, br;q=0", "gzip"),
        ("identity", None),
        ("identity, gzip", "gzip"),
        ("gzip;q=0.5, identity", None),  # the client prefers the body as it is
        ("identity;q=0, gzip;q=0.1", "gzip"),
        ("identity;q=0", None),  # nothing acceptable: the body as it is, not a 406
        ("deflate, compress", None),
        ("", None),
        ("gzip,, ,br", "br"),
        ("gzip;q=0, gzip", None),  # listed twice: the first weight counts
    ],
)
def test_the_coding_follows_the_clients_weights(accept_encoding: str, coding: str | None) -> None:
    assert preferred_coding(accept_encoding) == coding


@pytest.mark.parametrize(
    "accept_encoding",
    [
        "gzip;q=2",
        "gzip;q=abc",
        "gzip;q=0.5000",
        "gzip;q=",
        "gzip;level=9",
        "gz ip",
        '"gzip"',
        ";q=1",
        "gzip;;",
        "gzip\x00",
        "gzip, \u00ff",
        "gzip, " * 1000,
    ],
)
def test_a_bad_accept_encoding_gets_the_body_as_it_is(accept_encoding: str) -> None:
    assert preferred_coding(accept_encoding) is None


def answer_on_match(request: Request, body: bytes, etag: str) -> Response:
    """A route as the validators make them: a strong ETag, a 304 when If-None-Match names it."""
    # If-None-Match compares weakly (RFC 9110 §13.1.2): W/"x" matches "x".
    held = [
        tag.strip().removeprefix("W/")
        for tag in request.headers.get("if-none-match", "").split(",")
    ]
    if etag in held:
        return Response(status_code=304, headers={"etag": etag})
    return Response(body, media_type="application/json", headers={"etag": etag})


async def big(request: Request) -> Response:
    return answer_on_match(request, BIG, TAG)


async def weak(request: Request) -> Response:
    return answer_on_match(request, BIG, 'W/"weak1"')


async def small(request: Request) -> Response:
    return Response(SMALL, media_type="application/json")


async def untagged(request: Request) -> Response:
    return Response(BIG, media_type="text/plain; charset=utf-8")


async def image(request: Request) -> Response:
    return Response(BIG, media_type="image/png")


async def encoded(request: Request) -> Response:
    return Response(
        gzip.compress(BIG), media_type="application/json", headers={"content-encoding": "gzip"}
    )


async def no_transform(request: Request) -> Response:
    return Response(BIG, media_type="application/json", headers={"cache-control": "no-transform"})


async def streamed(request: Request) -> Response:
    async def pieces() -> Any:
        for _ in range(20):
            yield BIG

    return StreamingResponse(pieces(), media_type="application/json")


def routes_app() -> Starlette:
    paths = {
        "/big": big,
        "/weak": weak,
        "/small": small,
        "/untagged": untagged,
        "/image": image,
        "/encoded": encoded,
        "/no-transform": no_transform,
        "/streamed": streamed,
    }
    return Starlette(routes=[Route(path, endpoint) for path, endpoint in paths.items()])


class Answer:
    def __init__(self, messages: list[Message]) -> None:
        start = messages[0]
        self.status: int = start["status"]
        self.raw_headers: list[tuple[bytes, bytes]] = start["headers"]
        self.headers = {name.decode(): value.decode() for name, value in self.raw_headers}
        self.body = b"".join(m.get("body", b"") for m in messages[1:])
        self.pieces = len(messages) - 1

    def decoded(self) -> bytes:
        coding = self.headers.get("content-encoding")
        return DECODE[coding](self.body) if coding else self.body


def call(app: ASGIApp, path: str, method: str = "GET", **headers: str) -> Answer:
    """The messages ``app`` sends for one request, as a server would get them."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (name.replace("_", "-").lower().encode(), value.encode("latin-1"))
            for name, value in headers.items()
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    sent: list[Message] = []
    requested = False

    async def receive() -> Message:
        nonlocal requested
        if not requested:
            requested = True
            return {"type": "http.request", "body": b"", "more_body": False}
        while not sent or sent[-1].get("more_body", True):  # the client waits for the answer
            await asyncio.sleep(0.001)
        return {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    return Answer(sent)


@pytest.fixture
def app() -> ASGIApp:
    """Compression inside the edge, which runs a HEAD as a GET, as the app serves it."""
    return Edge(Compression(routes_app(), min_bytes=1024, kept_bytes=2**20))


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
def test_a_large_answer_is_compressed_with_the_coding_asked_for(app: ASGIApp, coding: str) -> None:
    answer = call(app, "/big", accept_encoding=coding)
    assert answer.status == 200
    assert answer.headers["content-encoding"] == coding
    assert int(answer.headers["content-length"]) == len(answer.body) < len(BIG) / 5
    assert answer.decoded() == BIG
    assert answer.headers["vary"] == "Accept-Encoding"
    assert answer.headers["etag"] == f'"abc123-{coding}"'


def test_without_accept_encoding_the_body_is_sent_as_it_is(app: ASGIApp) -> None:
    answer = call(app, "/big")
    assert "content-encoding" not in answer.headers
    assert answer.body == BIG
    assert answer.headers["content-length"] == str(len(BIG))
    assert answer.headers["etag"] == TAG
    assert answer.headers["vary"] == "Accept-Encoding"  # a cache must still tell them apart


def test_a_body_below_the_threshold_is_sent_as_it_is_with_vary(app: ASGIApp) -> None:
    answer = call(app, "/small", accept_encoding="gzip")
    assert "content-encoding" not in answer.headers
    assert answer.body == SMALL
    assert answer.headers["vary"] == "Accept-Encoding"
    higher = Compression(routes_app(), min_bytes=len(BIG) + 1, kept_bytes=0)
    assert call(higher, "/big", accept_encoding="gzip").body == BIG
    assert (
        call(
            Compression(routes_app(), min_bytes=0, kept_bytes=0), "/small", accept_encoding="gzip"
        ).decoded()
        == SMALL
    )


@pytest.mark.parametrize("path", ["/image", "/encoded", "/no-transform"])
def test_images_encoded_bodies_and_no_transform_are_left_alone(app: ASGIApp, path: str) -> None:
    plain = call(routes_app(), path, accept_encoding="gzip")
    answer = call(app, path, accept_encoding="gzip")
    assert answer.body == plain.body
    assert answer.headers.get("content-encoding") == plain.headers.get("content-encoding")
    assert "vary" not in answer.headers  # never compressed: the answer does not vary


def test_an_existing_vary_is_added_to(app: ASGIApp) -> None:
    async def varying(request: Request) -> Response:
        return Response(BIG, media_type="application/json", headers={"vary": "Origin"})

    inner = Starlette(routes=[Route("/varying", varying)])
    answer = call(
        Compression(inner, min_bytes=1024, kept_bytes=0), "/varying", accept_encoding="br"
    )
    assert answer.headers["vary"] == "Origin, Accept-Encoding"


def test_a_streamed_body_is_compressed_as_it_streams(app: ASGIApp) -> None:
    answer = call(app, "/streamed", accept_encoding="gzip")
    assert answer.headers["content-encoding"] == "gzip"
    assert "content-length" not in answer.headers
    assert answer.decoded() == BIG * 20
    assert answer.pieces > 1


@pytest.mark.parametrize("accept_encoding", [None, "gzip", "br", "zstd", "identity"])
@pytest.mark.parametrize("path", ["/big", "/small", "/untagged", "/image"])
def test_head_has_the_headers_of_get_and_no_body(
    app: ASGIApp, path: str, accept_encoding: str | None
) -> None:
    headers = {"accept_encoding": accept_encoding} if accept_encoding else {}
    got = call(app, path, **headers)
    head = call(app, path, method="HEAD", **headers)
    assert head.status == got.status == 200
    assert head.body == b""
    assert head.raw_headers == got.raw_headers  # Content-Length and Content-Encoding too


def test_a_weak_etag_is_left_as_it_is(app: ASGIApp) -> None:
    answer = call(app, "/weak", accept_encoding="gzip")
    assert answer.headers["content-encoding"] == "gzip"
    assert answer.headers["etag"] == 'W/"weak1"'


@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
def test_the_compressed_answers_etag_revalidates_as_a_304(app: ASGIApp, coding: str) -> None:
    etag = call(app, "/big", accept_encoding=coding).headers["etag"]
    answer = call(app, "/big", accept_encoding=coding, if_none_match=etag)
    assert answer.status == 304
    assert answer.body == b""
    assert answer.headers["etag"] == etag
    assert answer.headers["vary"] == "Accept-Encoding"


@pytest.mark.parametrize(
    ("if_none_match", "accept_encoding", "etag"),
    [
        ('"abc123"', "gzip", '"abc123"'),
        ('"old-gzip", "abc123-zstd"', "zstd", '"abc123-zstd"'),
        ('"abc123-gzip", "abc123-zstd"', "zstd", '"abc123-zstd"'),  # the one it would get now
        ('W/"abc123-gzip"', "gzip", '"abc123-gzip"'),  # If-None-Match compares weakly
    ],
)
def test_a_304_names_the_variant_the_client_holds(
    app: ASGIApp, if_none_match: str, accept_encoding: str, etag: str
) -> None:
    answer = call(app, "/big", accept_encoding=accept_encoding, if_none_match=if_none_match)
    assert answer.status == 304
    assert answer.headers["etag"] == etag


@pytest.mark.parametrize(
    ("if_none_match", "accept_encoding"),
    [
        ('"abc123-br"', "gzip"),
        ('"abc123-gzip", "abc123-zstd"', "br"),
        ('"abc123-gzip"', "identity"),
    ],
)
def test_a_variant_of_another_coding_is_not_this_answer(
    app: ASGIApp, if_none_match: str, accept_encoding: str
) -> None:
    """A cache holding the gzip copy must not be told to serve it to a client that takes br or
    nothing compressed: the whole answer, in the coding this request gets."""
    answer = call(app, "/big", accept_encoding=accept_encoding, if_none_match=if_none_match)
    assert answer.status == 200
    assert answer.headers.get("content-encoding") == (
        None if accept_encoding == "identity" else accept_encoding
    )


@pytest.mark.parametrize(
    "if_none_match",
    ['"abc123-deflate"', '"other-gzip"', '"abc123-gzip-gzip"', '"abc123gzip"', "*x"],
)
def test_other_tags_do_not_match(app: ASGIApp, if_none_match: str) -> None:
    answer = call(app, "/big", accept_encoding="gzip", if_none_match=if_none_match)
    assert answer.status == 200
    assert answer.decoded() == BIG


@pytest.mark.parametrize(
    "accept_encoding", ["gzip;q=2", "\x01\x02garbage;;;", "ü", "gzip, " * 10_000, "br;q=nan"]
)
def test_a_bad_accept_encoding_is_answered_uncompressed(app: ASGIApp, accept_encoding: str) -> None:
    answer = call(app, "/big", accept_encoding=accept_encoding)
    assert answer.status == 200
    assert "content-encoding" not in answer.headers
    assert answer.body == BIG


@pytest.fixture
def compressions(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The codings of each compression in one piece, as they happen."""
    done: list[str] = []
    for coding, compress in dict(compression.COMPRESS).items():

        def counted(body: bytes, coding: str = coding, compress: Any = compress) -> bytes:
            done.append(coding)
            return compress(body)  # type: ignore[no-any-return]

        monkeypatch.setitem(compression.COMPRESS, coding, counted)
    return done


def test_a_kept_body_is_compressed_once_per_coding(app: ASGIApp, compressions: list[str]) -> None:
    for coding in ["gzip", "br", "gzip", "br", "zstd", "gzip"]:
        assert call(app, "/big", accept_encoding=coding).decoded() == BIG
        assert call(app, "/big", method="HEAD", accept_encoding=coding).body == b""
    assert compressions == ["gzip", "br", "zstd"]


def test_with_no_room_every_answer_is_compressed_again(compressions: list[str]) -> None:
    app = Compression(routes_app(), min_bytes=1024, kept_bytes=0)
    for _ in range(3):
        assert call(app, "/big", accept_encoding="gzip").decoded() == BIG
    assert compressions == ["gzip"] * 3


def test_the_kept_bodies_are_bounded(compressions: list[str]) -> None:
    app = Compression(routes_app(), min_bytes=1024, kept_bytes=len(BIG) * 2)
    for coding in ["gzip", "br", "zstd", "gzip"]:
        call(app, "/big", accept_encoding=coding)
    assert compressions == ["gzip", "br", "zstd", "gzip"]  # room for one plain body and its gzip


def test_a_kept_body_is_found_by_its_tag_and_never_the_wrong_one(
    compressions: list[str],
) -> None:
    """Kept by ETag, a body is compressed once whatever object carries it; a tag that a route
    gives to another body (which no route should) still gets that body compressed."""
    bodies = [BIG, bytes(BIG), BIG.replace(b"harbour", b"harbor")]

    async def tagged(request: Request) -> Response:
        body = bodies[int(request.query_params["n"])]
        return Response(body, media_type="application/json", headers={"etag": TAG})

    inner = Starlette(routes=[Route("/tagged", tagged)])
    app = Compression(inner, min_bytes=1024, kept_bytes=2**20)

    def get(n: int) -> bytes:
        return call_with_query(app, "/tagged", f"n={n}").decoded()

    assert [get(0), get(1), get(0)] == [BIG, BIG, BIG]
    assert compressions == ["gzip"]
    assert get(2) == bodies[2]
    assert compressions == ["gzip", "gzip"]


def call_with_query(app: ASGIApp, path: str, query: str) -> Answer:
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"accept-encoding", b"gzip")],
        "server": ("127.0.0.1", 8000),
    }
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    return Answer(sent)


# The app as served: the article and list routes, their kept bodies, HEAD, the setting.


@pytest.fixture
def served(settings: Settings, seeded: IngestReport) -> Iterator[TestClient]:
    # A threshold below the one-article page's size.
    served = settings.model_copy(update={"compression_min_bytes": 200})
    with CaughtUpClient(create_app(served)) as client:
        yield client


ARTICLE = f"/v1/articles/{SEED_SLUG}"


@pytest.mark.parametrize("url", [ARTICLE, "/v1/articles", "/v1/search?q=troops", "/openapi.json"])
@pytest.mark.parametrize("coding", ["gzip", "br", "zstd"])
def test_the_apps_answers_are_compressed(served: TestClient, url: str, coding: str) -> None:
    plain = served.get(url, headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["vary"]
    for _ in range(2):  # the second article is the kept one
        with served.stream("GET", url, headers={"Accept-Encoding": coding}) as response:
            raw = b"".join(response.iter_raw())
        assert response.headers["content-encoding"] == coding
        assert int(response.headers["content-length"]) == len(raw)
        assert DECODE[coding](raw) == plain.content
        assert response.headers["x-content-type-options"] == "nosniff"
        head = served.head(url, headers={"Accept-Encoding": coding})
        assert head.content == b""
        assert head.headers["content-length"] == response.headers["content-length"]
        assert head.headers["content-encoding"] == coding


def test_a_kept_article_is_kept_as_sent_for_each_coding(
    served: TestClient, compressions: list[str]
) -> None:
    """A kept article is the answer as compression and the validators sent it, one for each
    coding asked for: sent again, it is neither compressed nor tagged anew; a request with
    ``If-None-Match`` still gets its 304."""
    answers: dict[str, set[tuple[bytes, str]]] = {}
    for coding in ["gzip", "zstd", "gzip", "identity", "zstd"]:
        with served.stream("GET", ARTICLE, headers={"Accept-Encoding": coding}) as response:
            raw = b"".join(response.iter_raw())
        answers.setdefault(coding, set()).add((raw, response.headers["etag"]))
    assert all(len(kept) == 1 for kept in answers.values())
    assert compressions == ["gzip", "zstd"]
    [(_, tag)] = answers["zstd"]
    assert tag.endswith('-zstd"')
    again = served.get(ARTICLE, headers={"Accept-Encoding": "zstd", "If-None-Match": tag})
    assert again.status_code == 304


def test_the_docs_assets_are_compressed_and_revalidated(served: TestClient) -> None:
    for url in ["/docs-assets/swagger-ui.css", "/docs-assets/redoc.standalone.js"]:
        plain = served.get(url, headers={"Accept-Encoding": "identity"})
        with served.stream("GET", url, headers={"Accept-Encoding": "br"}) as response:
            raw = b"".join(response.iter_raw())
        assert response.headers["content-encoding"] == "br"
        assert "accept-ranges" not in response.headers  # ranges are the plain body's
        assert brotli.decompress(raw) == plain.content
        # The static files' own ETag and 304, through the variant's tag.
        etag = response.headers["etag"]
        assert etag == plain.headers["etag"][:-1] + '-br"'
        again = served.get(url, headers={"Accept-Encoding": "br", "If-None-Match": etag})
        assert again.status_code == 304
        assert again.headers["etag"] == etag


def test_errors_are_problems_compressed_or_not(served: TestClient) -> None:
    for accept_encoding in ["gzip", "gzip;q=7", "x" * 5000]:
        response = served.get(
            "/v1/articles/no-such-article", headers={"Accept-Encoding": accept_encoding}
        )
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


def test_the_setting_turns_it_off(settings: Settings, seeded: IngestReport) -> None:
    with CaughtUpClient(create_app(settings.model_copy(update={"compression": False}))) as client:
        response = client.get("/openapi.json", headers={"Accept-Encoding": "gzip, br"})
    assert "content-encoding" not in response.headers
    assert "vary" not in response.headers


def test_the_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYLINE_COMPRESSION", "false")
    monkeypatch.setenv("BYLINE_COMPRESSION_MIN_BYTES", "200")
    monkeypatch.setenv("BYLINE_COMPRESSION_CACHE_MB", "0")
    settings = Settings()
    assert (settings.compression, settings.compression_min_bytes) == (False, 200)
    assert settings.compression_cache_mb == 0
    monkeypatch.setenv("BYLINE_COMPRESSION_MIN_BYTES", "-1")
    with pytest.raises(ValidationError, match="compression_min_bytes"):
        Settings()


def test_a_range_is_of_the_plain_body(served: TestClient) -> None:
    url = "/docs-assets/swagger-ui.css"
    whole = served.get(url, headers={"Accept-Encoding": "identity"}).content
    part = served.get(url, headers={"Accept-Encoding": "gzip", "Range": "bytes=0-99"})
    assert part.status_code == 206
    assert "content-encoding" not in part.headers
    assert part.content == whole[:100]
