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
import time
from datetime import UTC, datetime

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Standard output's file descriptor, whatever object ``sys.stdout`` is now.
STDOUT = 1


class AccessLog:
    """Log every request as one JSON object on a line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.output = STDOUT

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

        came = time.time()
        started = time.perf_counter()
        try:
            await self.app(scope, receive, measuring)
        finally:
            milliseconds = (time.perf_counter() - started) * 1000
            agent = request_id = None
            for name, value in scope["headers"]:
                if name == b"user-agent":
                    agent = value.decode("latin-1")
                elif name == b"x-request-id":
                    request_id = value.decode("latin-1")
            client = scope.get("client")
            entry = {
                "time": datetime.fromtimestamp(came, UTC).isoformat(timespec="milliseconds"),
                "method": scope["method"],
                "path": scope["path"],
                "query": scope["query_string"].decode("latin-1"),
                "status": status,
                "duration_ms": round(milliseconds, 3),
                "bytes": sent,
                "client": client[0] if client else None,
                "user_agent": agent,
                "request_id": request_id,
            }
            write_whole(self.output, orjson.dumps(entry) + b"\n")


def write_whole(output: int, line: bytes) -> None:
    """Write ``line`` to the file descriptor ``output``, all of it."""
    while line:
        line = line[os.write(output, line) :]
