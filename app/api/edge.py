"""The edge of the app: the one layer every HTTP request meets first and every answer passes last.

On the way in, in one pass over the request's headers: a foreign ``Host`` is refused (hosts.py),
a CORS preflight answered (cors.py), a body too large refused (body_limit.py), ``User-Agent`` and
``X-Request-ID`` noted for the access log, and a HEAD run as a GET (RFC 9110 §9.3.2: the same
headers; its body is dropped here, so a compressed answer's length is a GET's). On the way out,
in one pass over the answer's headers: the security headers, CORS's, and those the layers inside
asked for (``add_headers``: a client's rate limit); an error no handler knew is answered as the
500 problem; and the request is counted (metrics.py) and logged (access_log.py).

One layer rather than one a concern: each layer and its wrapper of ``send`` cost a kept answer
about a microsecond, and the concerns each read the same headers again (bench/RESULTS.md, the
serving features' cost). What each concern knows stays in its module; this one holds their order.
"""

from collections.abc import Iterable
from time import perf_counter, time_ns

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.access_log import AccessLog
from app.api.body_limit import BodyLimit
from app.api.cors import Added, CrossOrigin
from app.api.errors import error_response, unexpected_error_response
from app.api.hosts import AllowedHosts
from app.api.metrics import RequestMetrics

# What every answer tells a browser: ``nosniff``, a body is taken for what its ``Content-Type``
# says, never for script or HTML it guessed (an article's raw text is the sender's, whatever it
# holds); and unless the answer has a policy of its own (the docs pages), a Content-Security-
# Policy that allows nothing: an answer opened in a browser runs no script, loads nothing and
# cannot be framed, whatever it holds.
NOSNIFF = (b"x-content-type-options", b"nosniff")
NOTHING_ALLOWED = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = (NOSNIFF, NOTHING_ALLOWED)
_SECURITY_NAMES = frozenset(name for name, _ in SECURITY_HEADERS)

# Where a request's scope holds the headers its answer gets from the layers inside.
_ADDED = "byline.added_headers"


def add_headers(scope: Scope, headers: Iterable[tuple[bytes, bytes]]) -> None:
    """Have the answer to the request of ``scope`` carry ``headers`` (whoever answers it)."""
    scope[_ADDED].extend(headers)


class Edge:
    """Refuse, answer or pass on each request, and see its answer out (the module's docstring
    says in which order). Each part is optional: none, and the request is only passed on."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        hosts: AllowedHosts | None = None,
        body_limit: BodyLimit | None = None,
        cross_origin: CrossOrigin | None = None,
        metrics: RequestMetrics | None = None,
        access_log: AccessLog | None = None,
    ) -> None:
        self.app = app
        self.hosts = hosts if hosts is not None and not hosts.any else None
        self.body_limit = body_limit
        self.cross_origin = cross_origin
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._not_http(scope, receive, send)
            return
        host = origin = agent = request_id = None
        preflight = chunked = False
        lengths: list[bytes] = []
        for name, value in scope["headers"]:
            if name == b"host":
                host = value
            elif name == b"user-agent":
                agent = value
            elif name == b"origin":
                if origin is None:
                    origin = value
            elif name == b"x-request-id":
                request_id = value
            elif name == b"access-control-request-method":
                preflight = True
            elif name == b"content-length":
                lengths.append(value)
            elif name == b"transfer-encoding":
                chunked = True
        method = scope["method"]
        answer = _Answer(send, head=method == "HEAD")
        scope[_ADDED] = answer.added
        counted = self.metrics is not None and self.metrics.counts_requests_to(scope)
        came = time_ns() if self.access_log is not None else 0
        started = perf_counter()
        try:
            refusal = None if self.hosts is None else self.hosts.refusal(host)
            if refusal is not None:
                await error_response(refusal, instance=scope["path"])(scope, receive, answer.send)
            elif (
                preflight
                and origin is not None
                and method == "OPTIONS"
                and self.cross_origin is not None
            ):
                await self.cross_origin.preflight(scope, receive, answer.send)
            else:
                if self.cross_origin is not None:
                    answer.cors = self.cross_origin.added(origin)
                inner = {**scope, "method": "GET"} if answer.head else scope
                limit = self.body_limit
                if limit is not None and limit.has_body(inner, bool(lengths) or chunked):
                    await limit.run(self.app, inner, receive, answer.send, lengths)
                else:
                    await self.app(inner, receive, answer.send)
        except Exception as error:
            if answer.began:
                raise  # Starlette's handler outside this layer logs it and ends the answer
            answer.status = 500
            response = await unexpected_error_response(Request(scope), error)
            await response(scope, receive, answer.send)
        finally:
            self._done(scope, answer, counted, came, started, agent, request_id)

    def _done(
        self,
        scope: Scope,
        answer: "_Answer",
        counted: bool,
        came: int,
        started: float,
        agent: bytes | None,
        request_id: bytes | None,
    ) -> None:
        """Count and log a request answered (``came`` by the clock in nanoseconds, ``started``
        by ``perf_counter``; ``agent`` and ``request_id`` as its headers said)."""
        ended = perf_counter()
        if counted and self.metrics is not None:
            self.metrics.count(scope, answer.status, started, ended)
        if self.access_log is not None:
            self.access_log.record(
                scope, answer.status, answer.sent, came, ended - started, agent, request_id
            )

    async def _not_http(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The lifespan (and websockets, which the app has none of)."""
        if scope["type"] == "lifespan" and self.metrics is not None:
            self.metrics.know_routes(scope["app"])  # its routes are all in by now
        try:
            await self.app(scope, receive, send)
        finally:
            if self.access_log is not None:
                self.access_log.flush()  # the last requests' lines, as the server stops


class _Answer:
    """One answer on its way out: its status and body's bytes noted, the headers of the edge and
    the layers inside added, a HEAD's body dropped."""

    __slots__ = ("added", "began", "cors", "head", "out", "sent", "status")

    def __init__(self, send: Send, *, head: bool) -> None:
        self.out = send
        self.head = head
        self.added: list[tuple[bytes, bytes]] = []
        self.cors: Added | None = None
        self.began = False
        self.status = 500  # unless an answer starts: the app raised
        self.sent = 0

    async def send(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            self.began = True
            self.status = message["status"]
            # A message of its own: an inner layer may keep the one it sent (the kept article
            # bodies keep their headers).
            message = {**message, "headers": self._headers(message.get("headers", ()))}
        elif kind == "http.response.body":
            if self.head:
                if message.get("body"):
                    message = {**message, "body": b""}
            else:
                self.sent += len(message.get("body", b""))
        await self.out(message)

    def _headers(self, headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
        """The answer's ``headers`` with CORS's (replacing headers of the same names, and Origin
        in its Vary, as Starlette's ``CORSMiddleware.send`` does), those asked for, and the
        security headers it does not have of its own (the docs pages' policy), in one pass over
        the answer's headers."""
        own: list[bytes] | None = None
        if self.cors is None:
            out = list(headers)
            for name, _ in out:
                if name in _SECURITY_NAMES:
                    own = [*(own or ()), name]
        else:
            replaced = self.cors.names
            out = []
            varies: list[bytes] = []
            for header in headers:
                name = header[0]
                if name == b"vary":
                    varies.append(header[1])
                elif name not in replaced:
                    out.append(header)
                    if name in _SECURITY_NAMES:
                        own = [*(own or ()), name]
            out += self.cors.headers
            out.append((b"vary", b", ".join(varies) + b", Origin" if varies else b"Origin"))
        if own is None:
            out += SECURITY_HEADERS
        else:
            out += [header for header in SECURITY_HEADERS if header[0] not in own]
        if self.added:
            out += self.added
        return out
