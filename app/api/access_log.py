"""The access log as JSON lines (``access_log = json``): one object a request, on standard
output, where uvicorn's own access log goes when it is the one kept.

Each line is one ``write`` to the file descriptor, not a record of the ``logging`` module:
making and formatting a record was a fifth of a kept article's time, and a line written whole
is not cut by another server process's lines (up to the pipe's atomic 4 KiB), which a buffer
flushed now and then could do.

An object holds when the request came (UTC), its method, path and query, the status answered,
the milliseconds until its response's last byte, the body's bytes, the client's address (the
proxy's ``X-Forwarded-For`` when it is trusted), its ``User-Agent`` and ``X-Request-ID`` (null
when not sent)::

    {"time":"2026-01-05T09:30:00.123+00:00","method":"GET","path":"/v1/articles/42",...}
"""

import os
from datetime import UTC, datetime
from time import perf_counter, time

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Standard output's file descriptor, whatever object ``sys.stdout`` is now.
STDOUT = 1
# The end of a time's text after its second, by its milliseconds.
_MILLISECONDS = tuple(f".{milliseconds:03d}+00:00" for milliseconds in range(1000))


class AccessLog:
    """Log every request as one JSON object on a line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.output = STDOUT
        # The time's text up to its second, made once a second: ``datetime`` making all of it
        # took longer than the rest of the line.
        self.second = -1
        self.second_text = ""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # unless a response starts: the app raised
        sent = 0

        async def measuring(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        came = time()
        started = perf_counter()
        try:
            await self.app(scope, receive, measuring)
        finally:
            microseconds = round((perf_counter() - started) * 1e6)
            agent = request_id = None
            for name, value in scope["headers"]:
                if name == b"user-agent":
                    agent = value.decode("latin-1")
                elif name == b"x-request-id":
                    request_id = value.decode("latin-1")
            client = scope.get("client")
            entry = {
                "time": self._time(came),
                "method": scope["method"],
                "path": scope["path"],
                "query": scope["query_string"].decode("latin-1"),
                "status": status,
                # As ``round(milliseconds, 3)``, which formats and parses the number.
                "duration_ms": microseconds / 1000,
                "bytes": sent,
                "client": client[0] if client else None,
                "user_agent": agent,
                "request_id": request_id,
            }
            write_whole(self.output, orjson.dumps(entry, option=orjson.OPT_APPEND_NEWLINE))

    def _time(self, seconds: float) -> str:
        """``seconds`` since the epoch in ISO 8601, to the millisecond, in UTC."""
        second = int(seconds)
        micros = round((seconds - second) * 1e6)  # rounded as ``datetime`` rounds, then cut
        if micros == 1_000_000:
            second, micros = second + 1, 0
        if second != self.second:
            self.second_text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            self.second = second
        return self.second_text + _MILLISECONDS[micros // 1000]


def write_whole(output: int, line: bytes) -> None:
    """Write ``line`` to the file descriptor ``output``, all of it."""
    written = os.write(output, line)
    while written < len(line):  # a pipe that was full, or a signal
        line = line[written:]
        written = os.write(output, line)
