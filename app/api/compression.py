"""Compressed answers (``BYLINE_COMPRESSION``): zstd, brotli or gzip, as the request's
``Accept-Encoding`` prefers (RFC 9110 §12.5.3), for bodies of ``BYLINE_COMPRESSION_MIN_BYTES``
or more; the strong ``ETag`` of a compressed answer names its coding.

A body compressed in one piece is kept, compressed, by its strong ETag (else by its bytes) and
coding: the answers the reader's caches keep (articles, pages, searches) are compressed once per
coding, not at every request (bench/RESULTS.md: compressing a page of 100 summaries at every
request cut its requests a second by four fifths with gzip, by half with zstd). A kept body is
checked against the one sent (the same object, or equal bytes), so it is never the wrong one,
whatever the route and its validators do.
"""

import re
import zlib
from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

import brotli
import zstandard
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.store.caches import VersionedCache

# The levels are chosen for speed (bench/RESULTS.md, 2026-12-07): on a page of 100 summaries
# (66 KB) gzip 5 takes 0.55 to 0.8 of gzip 6's time for a body 3% larger, brotli 4 0.4 to 0.65
# of brotli 5's for 5% more, zstd 3 a quarter to a third of zstd 6's for 5% more.
GZIP_LEVEL = 5
BROTLI_QUALITY = 4
ZSTD_LEVEL = 3

# Between codings the client weighs the same, the first here: zstd compresses fastest for the
# same size as brotli 4, gzip is the largest.
PREFERENCE = ("zstd", "br", "gzip")

_zstd = zstandard.ZstdCompressor(level=ZSTD_LEVEL)


def _gzip(body: bytes) -> bytes:
    return zlib.compress(body, GZIP_LEVEL, wbits=31)  # 31: the gzip container, mtime 0


def _brotli(body: bytes) -> bytes:
    compressed: bytes = brotli.compress(body, quality=BROTLI_QUALITY)
    return compressed


COMPRESS: dict[str, Callable[[bytes], bytes]] = {
    "zstd": _zstd.compress,
    "br": _brotli,
    "gzip": _gzip,
}


class Encoder(Protocol):
    """A body compressed as it streams: each piece, then what is left at the end."""

    def compress(self, data: bytes) -> bytes: ...

    def flush(self) -> bytes: ...


class _BrotliStream:
    def __init__(self) -> None:
        self._compressor = brotli.Compressor(quality=BROTLI_QUALITY)

    def compress(self, data: bytes) -> bytes:
        compressed: bytes = self._compressor.process(data)
        return compressed

    def flush(self) -> bytes:
        compressed: bytes = self._compressor.finish()
        return compressed


STREAM: dict[str, Callable[[], Encoder]] = {
    "zstd": lambda: zstandard.ZstdCompressor(level=ZSTD_LEVEL).compressobj(),
    "br": _BrotliStream,
    "gzip": lambda: zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31),
}

# Media types worth compressing: text, JSON and XML (the API's answers, its problems, the raw
# text of articles, the docs pages and their scripts). Images and archives are compressed already.
_TEXT_TYPES = frozenset(
    {b"application/json", b"application/javascript", b"application/xml", b"image/svg+xml"}
)


def compressible(content_type: bytes) -> bool:
    media_type = content_type.partition(b";")[0].strip().lower()
    return (
        media_type.startswith(b"text/")
        or media_type in _TEXT_TYPES
        or media_type.endswith((b"+json", b"+xml"))
    )


# An Accept-Encoding longer than this is no browser's or client's: answered uncompressed rather
# than parsed.
ACCEPT_ENCODING_MAX = 1024
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9a-z-]+")
_QVALUE = re.compile(r"0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?")


def preferred_coding(accept_encoding: str) -> str | None:
    """The coding of ours to answer with (``zstd``, ``br``, ``gzip``), or None for the body as
    it is, by RFC 9110 §12.5.3: the client's weights (``q``; 0: never), ``*`` for any coding not
    listed, the coding of highest weight (the first of PREFERENCE among equals) unless
    ``identity`` (the body as it is) is weighed higher. A value that breaks the grammar, or is
    too long, gets the body as it is."""
    if len(accept_encoding) > ACCEPT_ENCODING_MAX:
        return None
    weights: dict[str, float] = {}
    for element in accept_encoding.split(","):
        coding, *parameters = element.split(";")
        coding = coding.strip().lower()
        if not coding and not parameters:
            continue  # an empty element of the list, which the grammar allows
        if not _TOKEN.fullmatch(coding):
            return None
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() != "q" or not _QVALUE.fullmatch(value.strip()):
                return None
            weight = float(value)
        # x-gzip is gzip (RFC 9110 §8.4.1.3); a coding listed twice keeps its first weight.
        weights.setdefault("gzip" if coding == "x-gzip" else coding, weight)
    anything = weights.get("*")

    def weight_of(coding: str, unlisted: float) -> float:
        return weights.get(coding, unlisted if anything is None else anything)

    best = max(PREFERENCE, key=lambda coding: weight_of(coding, 0.0))  # ties: the first
    best_weight = weight_of(best, 0.0)
    # The body as it is is always acceptable; preferred only when weighed above the coding.
    if best_weight > 0 and best_weight >= weight_of("identity", 0.0):
        return best
    return None


# Validators of a compressed answer. A strong ETag names one representation, and a compressed
# body is another than the plain one (RFC 9110 §8.8.3), so a compressed answer's strong ETag
# gets the coding's suffix ("abc" -> "abc-gzip"). The validators inside only know the plain
# tag: each suffixed tag of If-None-Match is given back without its suffix on the way in, and
# a 304 on the way out names the variant the client holds. Apache's mod_deflate does the same
# (its DeflateAlterETag).
_VARIANT = re.compile(rb'"([^"]*)-(' + b"|".join(c.encode() for c in PREFERENCE) + rb')"')


def variant_tag(etag: bytes, coding: str) -> bytes:
    """The ETag of ``etag``'s answer compressed with ``coding``; a weak tag is left as is (it
    may be shared by representations that differ only in coding)."""
    if len(etag) >= 2 and etag[:1] == b'"' and etag[-1:] == b'"':
        return etag[:-1] + b"-" + coding.encode() + b'"'
    return etag


class Kept(NamedTuple):
    """A body kept compressed: the plain body it was made of, and what is sent."""

    plain: bytes
    compressed: bytes
    length: bytes  # of the compressed body, as Content-Length writes it


class Compression:
    """Compress answers of a compressible type whose body has ``min_bytes`` or more, with the
    coding the request prefers; keep the compressed bodies (``kept_bytes`` of plain and
    compressed bodies at most, 0: none). Every compressible answer says
    ``Vary: Accept-Encoding``, compressed or not (a HEAD is a GET here: ``Edge``, app/api/edge.py,
    runs it as one, so that it gets a GET's headers)."""

    def __init__(self, app: ASGIApp, *, min_bytes: int, kept_bytes: int) -> None:
        self.app = app
        self.min_bytes = min_bytes
        # One version for ever: a kept body is checked against the one sent, never stale.
        self.kept = VersionedCache(kept_bytes, weight=_weight)
        # Decided once per value; both are bounded (the first is the client's header, the
        # second the app's few media types).
        self._negotiated: dict[bytes, str | None] = {}
        self._compressible: dict[bytes, bool] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        accepted: bytes | None = None
        held_tags: list[tuple[bytes, str]] = []  # (plain tag, coding) of If-None-Match's variants
        headers = scope["headers"]
        for name, value in headers:
            if name == b"accept-encoding":
                accepted = value if accepted is None else accepted + b", " + value
            elif name == b"if-none-match" and b"-" in value:
                held_tags += [
                    (b'"' + tag + b'"', code.decode()) for tag, code in _VARIANT.findall(value)
                ]
        coding = None if accepted is None else self._negotiate(accepted)
        # Only a variant of the coding this request gets is this answer: another coding's tag
        # stays as it is, and matches nothing (RFC 9110 §8.8.3).
        held_tags = [(tag, code) for tag, code in held_tags if code == coding]
        if held_tags:
            suffix = b"-" + str(coding).encode() + b'"'

            def plain(found: re.Match[bytes]) -> bytes:
                whole = found.group(0)
                return whole[: -len(suffix)] + b'"' if whole.endswith(suffix) else whole

            headers = [
                (name, _VARIANT.sub(plain, value) if name == b"if-none-match" else value)
                for name, value in headers
            ]
            scope = {**scope, "headers": headers}
        await self.app(scope, receive, _Answer(self, coding, held_tags, send).send)

    def _negotiate(self, accept_encoding: bytes) -> str | None:
        coding = self._negotiated.get(accept_encoding, "")
        if coding == "":
            coding = preferred_coding(accept_encoding.decode("latin-1"))
            if len(accept_encoding) <= ACCEPT_ENCODING_MAX:  # the header is the client's: bounded
                if len(self._negotiated) >= 256:
                    self._negotiated.clear()
                self._negotiated[accept_encoding] = coding
        return coding

    def is_compressible(self, content_type: bytes) -> bool:
        found = self._compressible.get(content_type)
        if found is None:
            found = compressible(content_type)
            if len(self._compressible) >= 64:
                self._compressible.clear()
            self._compressible[content_type] = found
        return found

    def compressed(self, body: bytes, coding: str, etag: bytes | None = None) -> Kept:
        """``body`` compressed with ``coding`` and its length, kept or compressed now (and
        kept). A body with a strong ``etag`` is kept by it: looking it up hashes the short tag,
        not the body, and the kept answer of one article or page is found whether the body
        sent is the same object (a kept answer) or made again. A tag is not trusted to name
        the bytes: the kept plain body is compared with the one sent (the same object, or a
        comparison of bytes, far cheaper than hashing them), so a body is never the wrong one."""
        key: tuple[bytes, str] = (
            (etag, coding) if etag is not None and etag[:1] == b'"' else (body, coding)
        )
        kept: Kept | None = self.kept.get(0, key)
        if kept is None or (kept.plain is not body and kept.plain != body):
            compressed = COMPRESS[coding](body)
            kept = Kept(body, compressed, b"%d" % len(compressed))
            self.kept.put(0, key, kept)
        return kept


def _weight(_key: Any, kept: Kept) -> int:
    """What a kept body holds: the plain body and the compressed one."""
    return len(kept.plain) + len(kept.compressed)


# Headers a compressed answer does not pass on as they are.
_REWRITTEN = frozenset({b"content-length", b"accept-ranges", b"etag"})
_SUFFIX = {coding: b"-" + coding.encode() + b'"' for coding in PREFERENCE}
_CODING = {coding: (b"content-encoding", coding.encode()) for coding in PREFERENCE}
_VARY = (b"vary", b"Accept-Encoding")


class _Answer:
    """One answer on its way out: its start held until its first body says how to send it."""

    __slots__ = ("coding", "compression", "encoder", "etag", "held_tags", "out", "passed", "start")

    def __init__(
        self,
        compression: Compression,
        coding: str | None,
        held_tags: list[tuple[bytes, str]],
        send: Send,
    ) -> None:
        self.compression = compression
        self.coding = coding
        self.held_tags = held_tags
        self.out = send
        self.start: Message | None = None  # held until the first body
        self.encoder: Encoder | None = None  # a streamed body being compressed
        self.etag: bytes | None = None  # the plain body's tag, of a held answer
        self.passed: list[tuple[bytes, bytes]] = []  # the held answer's headers if compressed

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            await self._started(message)
        elif kind != "http.response.body":
            await self.out(message)
        elif self.start is not None:
            await self._first_body(self.start, message)
        elif self.encoder is not None:
            more = message.get("more_body", False)
            data = self.encoder.compress(message.get("body", b""))
            if not more:
                data += self.encoder.flush()
            if data or not more:
                await self.out({"type": "http.response.body", "body": data, "more_body": more})
        else:
            await self.out(message)

    async def _started(self, start: Message) -> None:
        status = start["status"]
        # Raw headers, as Starlette writes them (lower-case names), read in one pass and
        # written to a new list: an inner middleware may keep the message it sent
        # (KeptAnswers does).
        headers: list[tuple[bytes, bytes]] = start.get("headers", [])
        if status == 304:
            etag = _header(headers, b"etag")
            held = [coding for tag, coding in self.held_tags if tag == etag]
            if etag is not None and held:
                # The client's tag that matched: the variant it holds, preferably the one it
                # would get now.
                variant = self.coding if self.coding in held else held[0]
                headers = _replaced(headers, b"etag", variant_tag(etag, variant))
            await self.out({**start, "headers": _varying(headers)})
            return
        content_type = b""
        etags = varies = 0
        # The headers of the answer if it is compressed: those of the plain body's length,
        # ranges (they would count the plain body's bytes: a compressed answer offers none, as
        # nginx's gzip does) and tag are rewritten.
        passed: list[tuple[bytes, bytes]] = []
        for header in headers:
            name = header[0]
            if name in _REWRITTEN:
                if name == b"etag":
                    self.etag = header[1]
                    etags += 1
                continue
            if name == b"content-type":
                content_type = header[1]
            elif name == b"vary":
                varies += 1
            elif name == b"content-encoding" or (  # the route's own coding
                name == b"cache-control" and b"no-transform" in header[1]
            ):
                await self.out(start)
                return
            passed.append(header)
        coding = self.coding
        if (
            status < 200
            or status in (204, 206)
            or not self.compression.is_compressible(content_type)
        ):
            await self.out(start)
            return
        if varies:
            headers = _varying(headers)
            passed = [header for header in headers if header[0] not in _REWRITTEN]
        else:
            headers = [*headers, _VARY]
            passed.append(_VARY)
        start = {**start, "headers": headers}
        if coding is None:
            await self.out(start)
            return
        if etags > 1:
            self.etag = _header(headers, b"etag")
        etag = self.etag
        if etag is not None:
            # A strong tag names one representation, and the compressed body is another (see
            # variant_tag); a weak one is left as it is.
            passed.append((b"etag", etag[:-1] + _SUFFIX[coding] if etag[:1] == b'"' else etag))
        passed.append(_CODING[coding])
        self.start = start
        self.passed = passed

    async def _first_body(self, start: Message, message: Message) -> None:
        self.start = None
        coding = self.coding
        assert coding is not None  # a start is held only to compress
        body: bytes = message.get("body", b"")
        more: bool = message.get("more_body", False)
        headers: list[tuple[bytes, bytes]] = start["headers"]
        length = len(body) if not more else int(_header(headers, b"content-length") or -1)
        if 0 <= length < self.compression.min_bytes:
            await self.out(start)
            await self.out(message)
            return
        headers = self.passed
        if more:  # streamed: compressed as it comes, sent chunked
            self.encoder = STREAM[coding]()
            await self.out({**start, "headers": headers})
            body = self.encoder.compress(body)
            await self.out({"type": "http.response.body", "body": body, "more_body": True})
            return
        kept = self.compression.compressed(body, coding, self.etag)
        headers.append((b"content-length", kept.length))
        await self.out({**start, "headers": headers})
        await self.out({"type": "http.response.body", "body": kept.compressed})


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    """The value of the header ``name`` (lower case), its lines joined; None without it."""
    values = [value for key, value in headers if key == name]
    return b", ".join(values) if values else None


def _replaced(
    headers: list[tuple[bytes, bytes]], name: bytes, value: bytes
) -> list[tuple[bytes, bytes]]:
    return [*((key, old) for key, old in headers if key != name), (name, value)]


def _varying(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """``headers`` with Accept-Encoding in ``Vary``."""
    vary = _header(headers, b"vary")
    if vary is None:
        return [*headers, _VARY]
    named = {field.strip().lower() for field in vary.split(b",")}
    if b"accept-encoding" in named or b"*" in named:
        return headers
    return _replaced(headers, b"vary", vary + b", Accept-Encoding")
