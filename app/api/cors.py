"""Requests from web pages of other origins (CORS), for the origins the ``cors_origins`` setting
lists: Starlette's middleware answers preflights, with a refused one answered as problem+json;
to every other answer ``Edge`` (app/api/edge.py) adds the headers Starlette's would add,
decided here once per ``Origin`` value and written as raw header tuples (Starlette's parses the
request's headers and the answer's on every request, several microseconds of an answer that
takes tens).

Off by default: a browser then keeps a page of another origin from reading any answer. With
``*``, any page may read the API (it holds no credentials: nothing is sent with cookies).
"""

from typing import NamedTuple

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from app.api.errors import error_response
from app.problems import CrossOriginRefused

# The headers of an answer a page may read besides the safelisted ones: the next page's link,
# its entity tag, where a saved search was saved, when to try again after a 503 or a 429, the
# client's rate limit (app/api/rate_limits.py) and what a 401 asks for.
EXPOSED_HEADERS = (
    "ETag",
    "Link",
    "Location",
    "Retry-After",
    "RateLimit",
    "RateLimit-Policy",
    "WWW-Authenticate",
)
# Browsers cache an answered preflight this long (seconds).
PREFLIGHT_MAX_AGE = 600


class CrossOrigin(CORSMiddleware):
    """CORS for ``origins`` (``*``: any), for the API's methods: its reads, and the saving,
    deleting and sending again of saved searches and their deliveries (with a key in a header:
    a page of another origin has no cookie to ride on)."""

    def __init__(self, app: ASGIApp, *, origins: list[str]) -> None:
        super().__init__(
            app,
            allow_origins=origins,
            allow_methods=("GET", "HEAD", "POST", "DELETE"),
            allow_headers=("*",),
            expose_headers=EXPOSED_HEADERS,
            max_age=PREFLIGHT_MAX_AGE,
        )
        self._added: dict[bytes | None, Added] = {}  # by Origin

    async def preflight(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a preflight (an ``OPTIONS`` with ``Origin`` and
        ``Access-Control-Request-Method``) as Starlette's middleware does."""
        await super().__call__(scope, receive, send)

    def added(self, origin: bytes | None) -> "Added":
        """The headers an answer to a request from ``origin`` (None: without ``Origin``) gets."""
        added = self._added.get(origin)
        if added is None:
            added = self._simple_headers(origin)
            if len(self._added) >= 256:  # the Origin header is the client's: bounded
                self._added.clear()
            self._added[origin] = added
        return added

    def _simple_headers(self, origin: bytes | None) -> "Added":
        """What Starlette's ``simple_response`` sets on an answer to a request from
        ``origin`` (None: a request without ``Origin``), Vary aside."""
        if origin is None:
            return Added((), frozenset())
        headers = dict(self.simple_headers)
        shown = origin.decode("latin-1")
        if (not self.allow_all_origins or self.allow_credentials) and self.is_allowed_origin(shown):
            headers["Access-Control-Allow-Origin"] = shown
        added = tuple(
            (name.lower().encode("latin-1"), value.encode("latin-1"))
            for name, value in headers.items()
        )
        return Added(added, frozenset(name for name, _ in added))

    def preflight_response(self, request_headers: Headers) -> Response:
        answer = super().preflight_response(request_headers)
        if answer.status_code != 400:
            return answer
        # Starlette says which parts it refused ("Disallowed CORS origin, method").
        refused = bytes(answer.body).decode().removeprefix("Disallowed CORS ")
        origin = request_headers["origin"]
        method = request_headers["access-control-request-method"]
        # The preflight's own headers (Vary, the methods allowed) go with the problem.
        headers = {
            name: value
            for name, value in answer.headers.items()
            if name.lower() not in ("content-length", "content-type")
        }
        error = CrossOriginRefused(
            f"A page of {origin!r} may not {method} here (refused: {refused}); the origins this "
            "server allows are in its cors_origins setting, and it answers GET and HEAD.",
            headers=headers,
        )
        return error_response(error)


class Added(NamedTuple):
    """The headers added to an answer, and their names."""

    headers: tuple[tuple[bytes, bytes], ...]
    names: frozenset[bytes]
