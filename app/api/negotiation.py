"""Representations asked for by ``Accept`` (``Negotiation``): feeds, and the timeline's CSV.

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
    chosen = _preferred(accept, [format.media_type for format in FeedFormat])
    return next((format for format in FeedFormat if format.media_type == chosen), None)


def _preferred(accept: str, media_types: list[str]) -> str | None:
    """The one of ``media_types`` that ``accept`` prefers over JSON, if any (a tie is JSON's,
    the default; between two of them, the first listed)."""
    weights = _weights(accept)
    json_weight = max((weights.get(name, 0.0) for name in _JSON), default=0.0)
    best = max(media_types, key=lambda media_type: weights.get(media_type, 0.0))
    return best if weights.get(best, 0.0) > json_weight else None


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


class Negotiation:
    """Serve a path of ``offers`` (by path, the suffix of each media type it is also served as)
    as the suffixed URL of the representation ``Accept`` prefers over JSON."""

    def __init__(self, app: ASGIApp, *, offers: dict[str, dict[str, str]]) -> None:
        self.app = app
        self.offers = offers
        # Decided once per path and value: each list and search request reads it, and clients
        # send few.
        self.chosen: dict[tuple[str, bytes], str | None] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = route_path(scope) if scope["type"] == "http" else ""
        if path not in self.offers or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        accept = b", ".join(value for name, value in scope["headers"] if name == b"accept")
        suffix = self._suffix(path, accept)
        added = [(b"vary", b"Accept")]
        if suffix is not None:
            scope = {
                **scope,
                "path": scope["path"] + suffix,
                "raw_path": scope.get("raw_path", scope["path"].encode()) + suffix.encode(),
            }
            location = scope_base_url(scope) + route_path(scope)[1:] + _query(scope)
            added.append((b"content-location", location.encode("latin-1")))
        add_headers(scope, added)  # on whatever answers: a 304, a kept body, a problem
        await self.app(scope, receive, send)

    def _suffix(self, path: str, accept: bytes) -> str | None:
        key = (path, accept)
        if key in self.chosen:
            return self.chosen[key]
        offered = self.offers[path]
        chosen = _preferred(accept.decode("latin-1"), list(offered))
        if len(self.chosen) >= 256:  # the header is the client's: bounded
            self.chosen.clear()
        suffix = self.chosen[key] = None if chosen is None else offered[chosen]
        return suffix


def feed_offers(paths: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """The feeds each of ``paths`` is also served as, by media type."""
    feeds = {format.media_type: format.suffix for format in FeedFormat}
    return dict.fromkeys(paths, feeds)


def _query(scope: Scope) -> str:
    query: bytes = scope.get("query_string", b"")
    return "?" + query.decode("latin-1") if query else ""
