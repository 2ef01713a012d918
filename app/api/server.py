"""The HTTP server layer Byline runs under uvicorn: a request's head bounded in bytes and time,
and the errors this layer answers itself (before the app sees a request) as problem+json.

uvicorn's httptools protocol takes a request line and headers of any size (64 MB were accepted)
and gives a client all the time it wants to send them, so that slow clients hold connections;
its own answers to a request it cannot parse are ``text/plain``. ``BoundedHttpToolsProtocol``
counts the bytes of each head until its blank line (more than ``max_header_bytes``: a 414 or
431, and nothing more is read), arms a timer when a connection opens and when a head does not
come in one piece (no whole head within ``header_timeout`` seconds: a 408, or for a connection
that sent nothing, a close) and answers in the shape of app/problems.py.
"""

import asyncio
import json
from http import HTTPStatus
from typing import Any

import httptools
from uvicorn.protocols.http.httptools_impl import (
    HEADER_RE,
    HEADER_VALUE_RE,
    STATUS_LINE,
    HttpToolsProtocol,
    RequestResponseCycle,
)

from app.api.edge import SECURITY_HEADERS
from app.api.errors import PROBLEM_MEDIA_TYPE
from app.settings import get_settings

HEAD_END = b"\r\n\r\n"
LINGER_SECONDS = 2.0


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with each request's head bounded (see the module)."""

    # Read from the settings once a process, by the first connection (uvicorn makes a protocol
    # per connection, in each worker process, from this class's name).
    limits: tuple[int, float] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if BoundedHttpToolsProtocol.limits is None:
            settings = get_settings()
            BoundedHttpToolsProtocol.limits = (settings.max_header_bytes, settings.header_timeout)
        self.max_head_bytes, self.head_timeout = BoundedHttpToolsProtocol.limits
        self.in_head = True  # until a request's headers are complete; again from the next one
        self.head_bytes = 0
        self.head_tail = b""  # the last bytes seen, in case the blank line is split
        self.head_line_done = False  # whether the request line has ended (else a 414)
        self.refused = False  # answered with a problem: the rest is dropped
        self.head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.refused:
            return
        if self.in_head:
            seen = self.head_tail + data
            end = seen.find(HEAD_END)
            counted = len(data) if end < 0 else end + len(HEAD_END) - len(self.head_tail)
            self.head_bytes += counted
            self.head_line_done = self.head_line_done or data.find(b"\n", 0, counted) >= 0
            if self.head_bytes > self.max_head_bytes:
                self._refuse_large_head()
                return
            self.head_tail = seen[-3:]
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserInvalidMethodError:
            self.send_problem(
                HTTPStatus.NOT_IMPLEMENTED, "The request's method is not one this server knows."
            )
        except httptools.HttpParserError as error:
            self.send_problem(
                HTTPStatus.BAD_REQUEST, f"The request is not valid HTTP/1.1: {error}."
            )
        except httptools.HttpParserUpgrade:
            self._unsupported_upgrade_warning()  # Byline serves no WebSocket
        # The clock runs from the first piece of a head that did not come whole (a head in one
        # piece, the usual case, costs no timer).
        if self.in_head and self.head_bytes and self.head_timer is None and not self.refused:
            self._arm_head_timer()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.in_head = True  # a pipelined request's head counts from here

    def on_headers_complete(self) -> None:
        self._disarm_head_timer()
        self.in_head, self.head_bytes, self.head_tail = False, 0, b""
        self.head_line_done = False
        super().on_headers_complete()
        # uvicorn made the request's cycle, whose task has not run yet: it writes the answer's
        # head as ``_CheckedOnce`` does.
        if type(self.cycle) is RequestResponseCycle:
            self.cycle.__class__ = _CheckedOnce

    def on_message_complete(self) -> None:
        # The request is read whole, body included: what comes next is the next request's head.
        # (Not when its response is complete: an app may answer before it reads the body, and
        # the body's bytes are no head.)
        self.in_head = True
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        self.send_problem(HTTPStatus.BAD_REQUEST, msg)

    def send_problem(self, status: HTTPStatus, detail: str) -> None:
        """Answer ``status`` as problem+json and close the connection."""
        self.logger.warning("%s: %s", status.phrase, detail)
        body = json.dumps(
            {"type": "about:blank", "title": status.phrase, "status": status, "detail": detail}
        ).encode()
        head = [f"HTTP/1.1 {status.value} {status.phrase}".encode()]
        head += [name + b": " + value for name, value in self.server_state.default_headers]
        head += [
            b"content-type: " + PROBLEM_MEDIA_TYPE.encode(),
            # What the app's Edge sends on every answer.
            *(name + b": " + value for name, value in SECURITY_HEADERS),
            b"content-length: " + str(len(body)).encode(),
            b"connection: close",
        ]
        self._disarm_head_timer()
        if self.cycle is not None and not self.cycle.response_complete:
            # A response under way (a request before this one, pipelined) is cut short: it
            # could not be written after this answer ends the connection.
            self.cycle.disconnected = True
            self.cycle.message_event.set()
        self.transport.write(b"\r\n".join(head) + b"\r\n\r\n" + body)
        # A lingering close, as nginx's: a client still sending would get a reset instead of
        # the answer if the connection closed now, so what it sends is read and dropped until
        # it closes, for a few seconds at most.
        self.refused = True
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_SECONDS, self.transport.close)

    def _refuse_large_head(self) -> None:
        if self.head_line_done:
            status, what = HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, "request's headers take"
        else:
            status, what = HTTPStatus.REQUEST_URI_TOO_LONG, "request line takes"
        self.send_problem(
            status,
            f"The {what} more than the {self.max_head_bytes} bytes this server reads of a "
            "request's line and headers (the max_header_bytes setting).",
        )

    def _arm_head_timer(self) -> None:
        self._disarm_head_timer()
        self.head_timer = self.loop.call_later(self.head_timeout, self._head_timed_out)

    def _disarm_head_timer(self) -> None:
        if self.head_timer is not None:
            self.head_timer.cancel()
            self.head_timer = None

    def _head_timed_out(self) -> None:
        self.head_timer = None
        if self.transport.is_closing():
            return
        if self.cycle is not None and not self.cycle.response_complete:
            # The next head waits on a response under way (pipelined): its time starts after.
            self._arm_head_timer()
            return
        if self.head_bytes:
            self.send_problem(
                HTTPStatus.REQUEST_TIMEOUT,
                f"The request's line and headers did not come within {self.head_timeout:g} s "
                "(the header_timeout setting).",
            )
        else:
            self.transport.close()  # a connection that never sent a request


# The bytes uvicorn's patterns allow in a header's name and in its value (each pattern matches
# one byte it refuses).
_NAME_BYTES = bytes(byte for byte in range(256) if not HEADER_RE.match(bytes([byte])))
_VALUE_BYTES = bytes(byte for byte in range(256) if not HEADER_VALUE_RE.match(bytes([byte])))


class _CheckedOnce(RequestResponseCycle):
    """uvicorn's cycle of a request, writing the answer's head with all its names, then all its
    values, checked at once, not two regular expressions a header: a search of a byte class
    costs some 50 instructions a byte and a call some hundreds more, a fifth of the instructions
    a kept article takes with every serving feature on (bench/RESULTS.md, the serving features'
    instructions). The bytes refused are uvicorn's (its patterns match one byte each, so the
    names or values joined hold a refused byte when one of them does), the head written and the
    cycle's state are as uvicorn's ``send`` leaves them; a start with uvicorn's access log on, or
    while writing is paused, is left to it."""

    async def send(self, message: Any) -> None:
        if (
            self.response_started
            or self.disconnected
            or self.access_log
            or self.flow.write_paused
            or message["type"] != "http.response.start"
        ):
            await super().send(message)
            return
        self.response_started = True
        self.waiting_for_100_continue = False
        status_code = message["status"]
        content = [STATUS_LINE[status_code]]
        has_connection_close = False
        for given, value in (*self.default_headers, *message.get("headers", ())):
            name = given.lower()
            if name == b"content-length" and self.chunked_encoding is None:
                self.expected_content_length = int(value.decode())
                self.chunked_encoding = False
            elif name == b"transfer-encoding" and value.lower() == b"chunked":
                self.expected_content_length = 0
                self.chunked_encoding = True
            elif name == b"connection":
                connection = [token.lower().strip() for token in value.split(b",")]
                if b"close" in connection:
                    self.keep_alive = False
                    has_connection_close = True
            content += (name, b": ", value, b"\r\n")
        # What is left of the names, and of the values, once their valid bytes are deleted.
        if b"".join(content[1::4]).translate(None, _NAME_BYTES):
            raise RuntimeError("Invalid HTTP header name.")
        if b"".join(content[3::4]).translate(None, _VALUE_BYTES):
            raise RuntimeError("Invalid HTTP header value.")
        if not self.keep_alive and not has_connection_close:
            content.append(b"connection: close\r\n")
        if (
            self.chunked_encoding is None
            and self.scope["method"] != "HEAD"
            and status_code not in (204, 304)
        ):
            # Neither content-length nor transfer-encoding specified
            self.chunked_encoding = True
            content.append(b"transfer-encoding: chunked\r\n")
        content.append(b"\r\n")
        self.transport.write(b"".join(content))
