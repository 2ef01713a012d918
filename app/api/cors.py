"""Requests from web pages of other origins (CORS), for the origins the ``cors_origins`` setting
lists: Starlette's middleware, with a refused preflight answered as problem+json.

Off by default: a browser then keeps a page of another origin from reading any answer. With
``*``, any page may read the API (it holds no credentials: nothing is sent with cookies).
"""

from starlette.datastructures import Headers
from starlette.middleware.cors import CORSMiddleware
from starlette.responses import Response
from starlette.types import ASGIApp

from app.api.errors import error_response
from app.problems import CrossOriginRefused

# The headers of an answer a page may read besides the safelisted ones: the next page's link,
# its entity tag, when to try again after a 503 or a 429, the client's rate limit
# (app/api/rate_limits.py) and what a 401 asks for.
EXPOSED_HEADERS = (
    "ETag",
    "Link",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
    "RateLimit-Policy",
    "WWW-Authenticate",
)
# Browsers cache an answered preflight this long (seconds).
PREFLIGHT_MAX_AGE = 600


class CrossOrigin(CORSMiddleware):
    """CORS for ``origins`` (``*``: any), for the API's reading methods."""

    def __init__(self, app: ASGIApp, *, origins: list[str]) -> None:
        super().__init__(
            app,
            allow_origins=origins,
            allow_methods=("GET", "HEAD"),
            allow_headers=("*",),
            expose_headers=EXPOSED_HEADERS,
            max_age=PREFLIGHT_MAX_AGE,
        )

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
