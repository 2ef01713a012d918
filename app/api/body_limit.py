"""The limit on a request's body (the ``max_body_bytes`` setting): a 413 ``body-too-large``
problem past it, a 400 ``invalid-content-length`` for a length that is not one. ``Edge``
(app/api/edge.py) hands it the requests that may have a body."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.errors import error_response
from app.problems import BodyTooLarge, InvalidContentLength

# The HTTP versions in which a request's body is framed only by Content-Length or chunks.
_WITHOUT_FRAMING = frozenset({"1.0", "1.1"})


class BodyLimit:
    """Refuse a request whose body is larger than ``max_bytes``: at once when its
    ``Content-Length`` says so (nothing of it is read), else (a chunked body) when what the app
    reads passes the limit, whatever the app answers then. A ``Content-Length`` that is not one
    number is a 400: the server cannot tell where the body ends. A route that reads no body
    never holds one, however long."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes

    @staticmethod
    def has_body(scope: Scope, framed: bool) -> bool:
        """Whether a request may have a body: ``framed`` (it says its length or its chunks), or
        of an HTTP version whose bodies are framed otherwise. An HTTP/1 request that says neither
        has none (RFC 9112 §6.3): nothing to count."""
        return framed or scope.get("http_version") not in _WITHOUT_FRAMING

    async def run(
        self, app: ASGIApp, scope: Scope, receive: Receive, send: Send, lengths: list[bytes]
    ) -> None:
        """Run ``app`` on a request that may have a body, whose ``Content-Length`` values are
        ``lengths``: refused now when they say too much (or nothing readable), else counted as
        the app reads it unless they say it is short enough."""
        if lengths:
            refusal = self._refusal(set(lengths))
            if refusal is not None:
                await error_response(refusal, instance=scope["path"])(scope, receive, send)
                return
            if int(lengths[0].strip(b" \t")) <= self.max_bytes:
                await app(scope, receive, send)  # the server reads no more than it says
                return
        await self._counting(app, scope, receive, send)

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

    async def _counting(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
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
            await app(scope, receiving, sending)
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
