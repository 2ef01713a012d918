"""ASGI middleware of the app."""

import re
from collections.abc import Hashable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.caching import current_version
from app.api.errors import error_response
from app.api.links import ARTICLES_PATH, article_body_key, route_path
from app.problems import BodyTooLarge, InvalidContentLength, UnknownHost
from app.store.readers.base import Reader

NOSNIFF = (b"x-content-type-options", b"nosniff")
# An API's answers are data, never a page: nothing in them may run, load or frame them.
NOTHING_ALLOWED = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")
ANSWER_HEADERS = (NOSNIFF, NOTHING_ALLOWED)


class AllowedHosts:
    """Answer only requests whose ``Host`` is allowed (``*``: any, ``*.example.org``: its
    subdomains), as Django's ``ALLOWED_HOSTS``: links are made from it, so a forged one would
    send clients elsewhere. A request without ``Host`` (HTTP/1.0) is answered: its links use
    the server's own address."""

    def __init__(self, app: ASGIApp, *, hosts: list[str]) -> None:
        self.app = app
        self.any = "*" in hosts
        # As the settings write them: names, addresses, IPv6 ones with or without brackets.
        listed = [host.strip().lower().removeprefix("[").removesuffix("]") for host in hosts]
        self.names = {host.rstrip(".") for host in listed if host and not host.startswith("*.")}
        self.suffixes = tuple(host[1:].rstrip(".") for host in listed if host.startswith("*."))
        self.seen: dict[bytes, bool] = {}  # by Host header: the hot path decides once

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.any or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = next((value for name, value in scope["headers"] if name == b"host"), None)
        if host is None or self._allowed(host):
            await self.app(scope, receive, send)
            return
        shown = host.decode("latin-1")
        error = UnknownHost(
            f"This server does not answer for the host {shown!r}: "
            "see the allowed_hosts and public_url settings."
        )
        await error_response(error, instance=scope["path"])(scope, receive, send)

    def _allowed(self, host: bytes) -> bool:
        allowed = self.seen.get(host)
        if allowed is None:
            name = host_name(host)
            allowed = name in self.names or (
                bool(name) and any(name.endswith(suffix) for suffix in self.suffixes)
            )
            if len(self.seen) >= 256:  # the Host header is the client's: bounded
                self.seen.clear()
            self.seen[host] = allowed
        return allowed


# A Host value (RFC 9110 §7.2): a name or an IPv4 address, or an IPv6 one in brackets, and an
# optional port; anything else (``[::1]@evil.example``, ``evil.example/.example.org``) names no
# host of ours.
_HOST = re.compile(r"(?:\[(?P<ipv6>[0-9a-f:.]+)\]|(?P<name>[a-z0-9_.-]*))(?::[0-9]{1,5})?")


def host_name(host: bytes) -> str:
    """The name of a ``Host`` value, without its port, in lower case (``[::1]:80`` -> ``::1``);
    empty when the value is no host."""
    found = _HOST.fullmatch(host.decode("latin-1").strip().lower())
    if found is None:
        return ""
    return found["ipv6"] or found["name"].rstrip(".")


# The HTTP versions in which a request's body is framed only by Content-Length or chunks.
_WITHOUT_FRAMING = frozenset({"1.0", "1.1"})


class BodyLimit:
    """Refuse a request whose body is larger than ``max_bytes``: at once when its
    ``Content-Length`` says so (nothing of it is read), else (a chunked body) when what the app
    reads passes the limit, whatever the app answers then. A ``Content-Length`` that is not one
    number is a 400: the server cannot tell where the body ends. A route that reads no body
    never holds one, however long."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lengths: set[bytes] = set()
        chunked = False
        for name, value in scope["headers"]:
            if name == b"content-length":
                lengths.add(value)
            elif name == b"transfer-encoding":
                chunked = True
        if not lengths and not chunked and scope.get("http_version") in _WITHOUT_FRAMING:
            # An HTTP/1 request that says neither its length nor its chunks has no body (RFC
            # 9112 §6.3): nothing to count.
            await self.app(scope, receive, send)
            return
        if lengths:
            refusal = self._refusal(lengths)
            if refusal is not None:
                await error_response(refusal, instance=scope["path"])(scope, receive, send)
                return
            if (
                int(lengths.pop().strip(b" \t")) <= self.max_bytes
            ):  # the server reads no more than it says
                await self.app(scope, receive, send)
                return
        await self._counting(scope, receive, send)

    def _refusal(self, lengths: set[bytes]) -> InvalidContentLength | BodyTooLarge | None:
        shown = ", ".join(sorted(repr(value.decode("latin-1")) for value in lengths))
        # Spaces around it are no part of it (RFC 9110 §5.5).
        [length] = [value.strip(b" \t") for value in lengths] if len(lengths) == 1 else [b""]
        if not (length.isdigit() and length.isascii()):
            return InvalidContentLength(
                f"The request's Content-Length ({shown}) is not one decimal number of bytes."
            )
        if int(length) > self.max_bytes:
            return BodyTooLarge(self._too_large(f"its Content-Length says {int(length)}"))
        return None

    async def _counting(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app, refusing the request once the body it reads passes the limit."""
        read = 0
        refusal: BodyTooLarge | None = None
        started = False

        async def receiving() -> Message:
            nonlocal read, refusal
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > self.max_bytes and refusal is None:
                    said = f"it passed that ({read} bytes read)"
                    refusal = BodyTooLarge(self._too_large(said))
                    raise refusal
            return message

        async def sending(message: Message) -> None:
            nonlocal started
            if refusal is not None and not started:
                return  # the app's answer to the refusal (a 400 or a 500): this one's instead
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receiving, sending)
        except BodyTooLarge as error:
            if error is not refusal or started:
                raise
        if refusal is not None and not started:
            await error_response(refusal, instance=scope["path"])(scope, receive, send)

    def _too_large(self, said: str) -> str:
        return (
            f"The request's body may take {self.max_bytes} bytes on this server (the "
            f"max_body_bytes setting); {said}."
        )


class HeadAsGet:
    """Answer HEAD as GET without the body (RFC 9110 §9.3.2): probes and link checkers use it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def send_without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, send_without_body)


class CachedArticles:
    """Keep the responses of ``GET /v1/articles/{ref}`` until the store changes, and send them
    again before FastAPI routes the request.

    Routing and solving path parameters is most of the time an article takes once its body is
    made. A response kept is the route's own (status 200, headers and body as it sent them),
    in the reader's ``bodies`` cache, by reference and base URL (the body holds absolute URLs);
    the store's version is checked on every request, as for the search cache. Anything else,
    errors included, is the route's to answer.
    """

    PREFIX = ARTICLES_PATH + "/"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ref = self._ref(scope)
        store: Reader | None = getattr(scope["app"].state, "reader", None) if ref else None
        if ref is None or store is None or not store.bodies.size:
            await self.app(scope, receive, send)
            return
        try:
            version = await current_version(scope, store)
        except Exception:  # the route asks again, and answers the error as usual
            await self.app(scope, receive, send)
            return
        key = article_body_key(scope, ref)
        kept = store.bodies.get(version, key)
        if kept is None:
            await self.app(scope, receive, _keeping(send, store, version, key))
            return
        headers, body = kept
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _ref(self, scope: Scope) -> str | None:
        """The ``ref`` of a GET of one article, else None."""
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        path = route_path(scope)
        ref = path[len(self.PREFIX) :]
        return ref if path.startswith(self.PREFIX) and ref and "/" not in ref else None


def _keeping(send: Send, store: Reader, version: int, key: Hashable) -> Send:
    """``send``, keeping the response in ``store.bodies`` when it is a 200 in one body."""
    start: Message = {}

    async def keep_and_send(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif start.get("status") == 200 and not message.get("more_body", False):
            store.bodies.put(version, key, (start.get("headers", []), message.get("body", b"")))
            start = {}  # a body in several messages was not kept; nor is anything after
        else:
            start = {}
        await send(message)

    return keep_and_send


class SecurityHeaders:
    """What every answer tells a browser: ``X-Content-Type-Options: nosniff`` (a body is taken
    for what its ``Content-Type`` says, never for script or HTML it guessed: an article's raw
    text is the sender's, whatever it holds), and unless the answer has a policy of its own (the
    docs pages), a Content-Security-Policy that allows nothing: an answer opened in a browser
    runs no script, loads nothing and cannot be framed, whatever it holds."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, _Secured(send).send)


_ANSWER_HEADER_NAMES = frozenset(name for name, _ in ANSWER_HEADERS)


class _Secured:
    """One answer on its way out, given ANSWER_HEADERS that it does not have."""

    __slots__ = ("out",)

    def __init__(self, send: Send) -> None:
        self.out = send

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = message.get("headers", [])
            # A message of its own: an inner middleware may keep the one it sent (the kept
            # article bodies keep their headers).
            for name, _ in headers:
                if name in _ANSWER_HEADER_NAMES:  # the answer's own (the docs pages' policy)
                    names = {name for name, _ in headers}
                    added = [header for header in ANSWER_HEADERS if header[0] not in names]
                    if added:
                        message = {**message, "headers": [*headers, *added]}
                    break
            else:
                message = {**message, "headers": [*headers, *ANSWER_HEADERS]}
        await self.out(message)
