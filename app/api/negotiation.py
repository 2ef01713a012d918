"""Representations asked for by ``Accept``: feeds, and the timeline's CSV (``SuffixNegotiation``).

Feeds: a GET of a list or search that prefers a feed's media type
(``application/atom+xml``, ``application/feed+json``) over JSON is answered as the feed's own
URL (``/v1/search.atom``) would be, from its ETag and kept answers on.

The request's path is given the feed's suffix before the serving layers see it, so that each
representation has its own URL, tag and kept answers; the answer names that URL in
``Content-Location`` (RFC 9110 §8.7). Every answer of those paths carries ``Vary: Accept``,
since what it holds depends on the header.
"""

from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.edge import add_headers
from app.api.feeds import FeedFormat
from app.api.links import route_path, scope_base_url

# Media types that stand for the JSON answer: a feed is served only when preferred over them.
_JSON = ("application/json", "application/*", "*/*")


def preferred_feed(accept: str) -> FeedFormat | None:
    """The feed format ``accept`` prefers over JSON, if any (a tie is JSON's: the default)."""
    weights = _weights(accept)
    json_weight = max((weights.get(name, 0.0) for name in _JSON), default=0.0)
    best = max(FeedFormat, key=lambda format: weights.get(format.media_type, 0.0))
    return best if weights.get(best.media_type, 0.0) > json_weight else None


def prefers(accept: str, media_type: str) -> bool:
    """Whether ``accept`` prefers ``media_type`` over JSON (a tie is JSON's: the default)."""
    weights = _weights(accept)
    json_weight = max((weights.get(name, 0.0) for name in _JSON), default=0.0)
    return weights.get(media_type, 0.0) > json_weight


def _weights(accept: str) -> dict[str, float]:
    """The weight ``accept`` gives each media type it names."""
    weights: dict[str, float] = {}
    for listed in accept.split(","):
        media_type, *parameters = listed.split(";")
        weight = 1.0
        for parameter in parameters:
            name, _, value = parameter.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0  # an unreadable weight asks for nothing
        key = media_type.strip().lower()
        if key:
            weights[key] = max(weight, weights.get(key, 0.0))
    return weights


class FeedNegotiation:
    """Serve the feed of ``paths`` that ``Accept`` prefers, as its suffixed URL answers it."""

    def __init__(self, app: ASGIApp, *, paths: tuple[str, ...]) -> None:
        self.app = app
        self.paths = frozenset(paths)
        # Decided once per value: each list and search request reads it, and clients send few.
        self.preferred: dict[bytes, FeedFormat | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or route_path(scope) not in self.paths
        ):
            await self.app(scope, receive, send)
            return
        accept = b", ".join(value for name, value in scope["headers"] if name == b"accept")
        format = self._preferred(accept)
        added = [(b"vary", b"Accept")]
        if format is not None:
            suffix = format.suffix
            scope = {
                **scope,
                "path": scope["path"] + suffix,
                "raw_path": scope.get("raw_path", scope["path"].encode()) + suffix.encode(),
            }
            location = scope_base_url(scope) + route_path(scope)[1:] + _query(scope)
            added.append((b"content-location", location.encode("latin-1")))
        add_headers(scope, added)  # on whatever answers: a 304, a kept body, a problem
        await self.app(scope, receive, send)

    def _preferred(self, accept: bytes) -> FeedFormat | None:
        if accept in self.preferred:
            return self.preferred[accept]
        format = preferred_feed(accept.decode("latin-1"))
        if len(self.preferred) >= 256:  # the header is the client's: bounded
            self.preferred.clear()
        self.preferred[accept] = format
        return format


def _query(scope: Scope) -> str:
    query: bytes = scope.get("query_string", b"")
    return "?" + query.decode("latin-1") if query else ""


class SuffixNegotiation:
    """Serve ``path`` as ``path + suffix`` (its representation of ``media_type``, such as the
    timeline's CSV) when ``Accept`` prefers that type over JSON, as ``FeedNegotiation`` does."""

    def __init__(self, app: ASGIApp, *, path: str, suffix: str, media_type: str) -> None:
        self.app = app
        self.path = path
        self.suffix = suffix
        self.media_type = media_type
        self.preferred: dict[bytes, bool] = {}  # by the header's value, as ``FeedNegotiation``

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or route_path(scope) != self.path
        ):
            await self.app(scope, receive, send)
            return
        accept = b", ".join(value for name, value in scope["headers"] if name == b"accept")
        added = [(b"vary", b"Accept")]
        if self._prefers(accept):
            suffix = self.suffix
            scope = {
                **scope,
                "path": scope["path"] + suffix,
                "raw_path": scope.get("raw_path", scope["path"].encode()) + suffix.encode(),
            }
            location = scope_base_url(scope) + route_path(scope)[1:] + _query(scope)
            added.append((b"content-location", location.encode("latin-1")))
        add_headers(scope, added)
        await self.app(scope, receive, send)

    def _prefers(self, accept: bytes) -> bool:
        found = self.preferred.get(accept)
        if found is None:
            found = prefers(accept.decode("latin-1"), self.media_type)
            if len(self.preferred) >= 256:  # the header is the client's: bounded
                self.preferred.clear()
            self.preferred[accept] = found
        return found
