"""Validators and freshness: a strong ``ETag`` on every answer read from the store, a 304 for an
``If-None-Match`` that names it, and ``Cache-Control`` by route (RFC 9111, RFC 9110 §13).

An entity tag must name one representation for every process and replica that could answer, so
it is made from what is the same everywhere the store is: the number and time of the store's
last change (``Reader.change_mark``), the last change the search index applied for what the
index answers (search, related articles), the base URL (bodies hold absolute links), the
request's path and query, and the app's version and schema. A matching request is answered
before any route runs: a 304 costs a look at the store's version and a hash.

``/v1/stats`` is not tagged: it shows the answering process's own index (its size on disk) and
the last run as it goes, which no store-wide number names. Health probes are never kept.
"""

import hashlib
from enum import Enum, auto

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import __version__
from app.api.feeds import feed_resource
from app.api.links import (
    ARTICLES_PATH,
    CHANGES_PATH,
    PAGE_ARTICLES_PATH,
    PROBE_PATHS,
    TIMELINE_CSV_PATH,
    TIMELINE_PATH,
    route_path,
    scope_base_url,
)
from app.api.metrics import METRICS_PATH
from app.store.readers.base import Reader


class Freshness(Enum):
    """What an answer of a route depends on, so how it is validated and kept."""

    STORE = auto()  # the store's articles: tagged by the store's last change
    INDEX = auto()  # the search index too: tagged by its applied change as well
    STATIC = auto()  # the app alone (the index of the API, problem types, the OpenAPI document)
    LIVE = auto()  # the moment's state (health, statistics): never kept


def freshness(path: str) -> Freshness | None:
    """What the answer to a GET of ``path`` depends on; None for what this module leaves alone
    (the docs pages, unknown paths)."""
    if path == ARTICLES_PATH or path.startswith(ARTICLES_PATH + "/"):
        return Freshness.INDEX if path.endswith("/related") else Freshness.STORE
    if path == CHANGES_PATH:
        return Freshness.STORE
    if path in ("/v1/search", TIMELINE_PATH, TIMELINE_CSV_PATH):
        return Freshness.INDEX
    # The page for people: a search, its timeline, an article with its related articles.
    if path == "/" or path.startswith(PAGE_ARTICLES_PATH + "/"):
        return Freshness.INDEX
    if path in ("/v1", "/openapi.json") or path.startswith("/problems/"):
        return Freshness.STATIC
    if path in PROBE_PATHS or path in ("/v1/stats", METRICS_PATH):
        return Freshness.LIVE
    resource = feed_resource(path)  # a feed depends on what its list or search does
    return freshness(resource) if resource != path else None


# Paths and queries longer than this are tagged but their tags not kept: a 60 KB query string a
# request must not hold memory past its answer.
TAG_KEY_BYTES = 1024

# The app's own answers change only with a new release: an hour is what a reader of the docs
# would wait for a new problem type to show.
STATIC_MAX_AGE = 3600

# Entity tags kept by what they are made of: more than the kept articles and pages a process
# answers again and again.
TAGS_KEPT = 8192


class Validators:
    """Tag, revalidate and set the freshness of GET answers (HEAD is a GET here: ``Edge`` runs
    it as one). Only 200 answers are tagged and given a lifetime; errors go out as they are."""

    def __init__(
        self, app: ASGIApp, *, max_age: int, shared: bool = True, shaping: str = ""
    ) -> None:
        self.app = app
        # What besides the release shapes the app's own documents (the OpenAPI document shows
        # the keys and the rate limit a server asks for): a digest of the settings.
        self.shaping = shaping
        # Answers a key was needed for are no shared cache's to keep.
        audience = b"public" if shared else b"private"
        self.kept = audience + (b", max-age=%d" % max_age if max_age else b", no-cache")
        self.static = audience + b", max-age=%d" % STATIC_MAX_AGE
        self.live = b"no-store"
        self.schema = ""
        # Tags by what they are made of: a kept answer's tag is looked up, not hashed again.
        self._tags: dict[tuple[str, ...], bytes] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        path = route_path(scope)
        kind = freshness(path)
        if kind is None:
            await self.app(scope, receive, send)
            return
        if kind is Freshness.LIVE:
            await self.app(scope, receive, _with_headers(send, [(b"cache-control", self.live)]))
            return
        try:
            tag = await self._tag(scope, path, kind)
        except Exception:  # the store cannot say: the route answers (its error) untagged
            tag = None
        if tag is None:  # no tag names this answer for sure: it goes out untagged
            await self.app(scope, receive, send)
            return
        control = self.static if kind is Freshness.STATIC else self.kept
        headers = [(b"etag", tag), (b"cache-control", control)]
        match = _match(scope, tag)
        if match is Match.TAG:
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        if match is Match.ANY:  # "if it exists": only the route can tell
            await self.app(scope, receive, _not_modified_if_found(send, headers))
            return
        await self.app(scope, receive, _with_headers(send, headers))

    async def _tag(self, scope: Scope, path: str, kind: Freshness) -> bytes | None:
        """The strong entity tag of the answer to this request as the store is now; None when
        a commit fell between the reads that make it."""
        state = scope["app"].state
        if not self.schema:
            self.schema = getattr(state, "schema_head", None) or ""
        parts = [__version__, self.schema, self.shaping, scope_base_url(scope), path]
        parts.append(scope.get("query_string", b"").decode("latin-1"))
        if kind is not Freshness.STATIC:
            store: Reader = state.reader
            version = await store.call(store.version)
            mark = await store.call(store.change_mark, version)
            if mark is None:
                return None
            # The routes' caches read the same version again: once a request is enough. Their
            # answers kept at it are of the state the mark names.
            scope.setdefault("state", {})["store_version"] = version
            parts.append(mark)
        if kind is Freshness.INDEX:
            parts.append(str(state.search_index.applied_change()))
        key = tuple(parts)
        tag = self._tags.get(key)
        if tag is None:
            digest = hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()
            tag = b'"' + digest.encode() + b'"'
            if len(self._tags) >= TAGS_KEPT:  # paths and queries are the client's: bounded
                self._tags.clear()
            if len(parts[4]) + len(parts[5]) <= TAG_KEY_BYTES:
                self._tags[key] = tag
        return tag


class Match(Enum):
    """What the request's ``If-None-Match`` says of an answer."""

    NONE = auto()  # absent, or names other answers: the whole answer
    TAG = auto()  # names this answer: a 304
    ANY = auto()  # ``*``: a 304 when there is an answer at all


def _match(scope: Scope, tag: bytes) -> Match:
    """How the request's ``If-None-Match`` stands to ``tag``, compared weakly as RFC 9110
    §13.1.2 says (``W/"x"`` matches ``"x"``). Anything unreadable matches nothing: the client
    gets the whole answer."""
    match = Match.NONE
    for name, value in scope["headers"]:
        if name != b"if-none-match":
            continue
        for listed in value.split(b","):
            candidate = listed.strip()
            if candidate.removeprefix(b"W/") == tag:
                return Match.TAG
            if candidate == b"*":
                match = Match.ANY
    return match


def _not_modified_if_found(send: Send, headers: list[tuple[bytes, bytes]]) -> Send:
    """``send``, turning a 200 into a 304 with ``headers`` and no body."""
    found = False

    async def send_not_modified(message: Message) -> None:
        nonlocal found
        if message["type"] == "http.response.start" and message["status"] == 200:
            found = True
            await send({"type": "http.response.start", "status": 304, "headers": headers})
        elif not found:
            await send(message)
        elif not message.get("more_body", False):
            await send({"type": "http.response.body", "body": b""})

    return send_not_modified


def _with_headers(send: Send, headers: list[tuple[bytes, bytes]]) -> Send:
    """``send``, adding ``headers`` to a 200's start."""
    return _WithHeaders(send, headers).send


class _WithHeaders:
    """A send that adds headers to a 200's start (a class: no closure made per request)."""

    __slots__ = ("headers", "out")

    def __init__(self, send: Send, headers: list[tuple[bytes, bytes]]) -> None:
        self.out = send
        self.headers = headers

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] == 200:
            message = {**message, "headers": [*message.get("headers", []), *self.headers]}
        await self.out(message)
