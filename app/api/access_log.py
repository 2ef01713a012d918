"""The access log as JSON lines (``access_log = json``): one object a request, on standard
output, where uvicorn's own access log goes when it is the one kept.

Lines are written to the file descriptor, not as records of the ``logging`` module: making and
formatting a record costs a fifth of a kept article's time. They wait in a buffer, as nginx's
``access_log ... buffer= flush=`` keeps them, and go out in one ``write`` when the next line
would take the buffer past the pipe's atomic 4 KiB, when the first line waiting has waited
``FLUSH_S``, or as the server stops: a request costs neither a ``write`` (a system call costs as
much as the rest of a line) nor a turn of the event loop of its own. A write holds whole lines
and at most 4 KiB (a longer line goes alone), so that another server process's lines never cut
one.

An object holds when the request came (UTC), its method, path and query, the status answered,
the milliseconds until its response's last byte, the body's bytes, the client's address (the
proxy's ``X-Forwarded-For`` when it is trusted), its ``User-Agent`` and ``X-Request-ID`` (null
when not sent)::

    {"time":"2026-01-05T09:30:00.123+00:00","method":"GET","path":"/v1/articles/42",...}
"""

import asyncio
import os
import select
from datetime import UTC, datetime

import orjson
from starlette.types import Scope

# Standard output's file descriptor, whatever object ``sys.stdout`` is now.
STDOUT = 1
# What a pipe writes whole, never mixed with another writer's bytes.
ATOMIC_BYTES = select.PIPE_BUF
# How long the first line waiting may wait for others: whoever tails the log sees a request's
# line within a second, and the timer costs one call a second at most, whatever the load.
# Shorter shows lines sooner for more calls; longer loses more lines to a process killed.
FLUSH_S = 1.0
# A line's names, in its order.
_FIELDS = (
    "time",
    "method",
    "path",
    "query",
    "status",
    "duration_ms",
    "bytes",
    "client",
    "user_agent",
    "request_id",
)
# The end of a time's text after its second, by its milliseconds.
_MILLISECONDS = tuple(f".{milliseconds:03d}+00:00" for milliseconds in range(1000))


class AccessLog:
    """Log every request as one JSON object on a line (``Edge``, app/api/edge.py, tells it of
    each request as its answer ends, with the headers the line shows)."""

    def __init__(self) -> None:
        self.output = STDOUT
        # The time's text up to its second, made once a second: ``datetime`` making all of it
        # took longer than the rest of the line.
        self.second = -1
        self.second_text = ""
        # One object, its values replaced for each line before it is dumped: cheaper than a
        # new dict of ten items a line, whose making and freeing cost some 1,000 instructions.
        self.entry: dict[str, object] = dict.fromkeys(_FIELDS)
        self.waiting = bytearray()  # whole lines, ATOMIC_BYTES at most
        # The timer that writes them, and the event loop it is armed in: a loop that stopped
        # (one a test ran) will not fire it.
        self.timer: asyncio.TimerHandle | None = None
        self.timer_loop: asyncio.AbstractEventLoop | None = None

    def record(
        self,
        scope: Scope,
        status: int,
        sent: int,
        came: int,
        seconds: float,
        agent: bytes | None,
        request_id: bytes | None,
    ) -> None:
        """Log a request that came at ``came`` (nanoseconds since the epoch) and was answered
        ``status`` with ``sent`` bytes of body ``seconds`` later; its ``User-Agent`` and
        ``X-Request-ID`` as the edge found them in its pass over the request's headers."""
        client = scope.get("client")
        entry = self.entry
        entry["time"] = self._time(came)
        entry["method"] = scope["method"]
        entry["path"] = scope["path"]
        entry["query"] = scope["query_string"].decode("latin-1")
        entry["status"] = status
        # As ``round(milliseconds, 3)``, which formats and parses the number.
        entry["duration_ms"] = round(seconds * 1e6) / 1000
        entry["bytes"] = sent
        entry["client"] = client[0] if client else None
        entry["user_agent"] = None if agent is None else agent.decode("latin-1")
        entry["request_id"] = None if request_id is None else request_id.decode("latin-1")
        self._write(orjson.dumps(entry, option=orjson.OPT_APPEND_NEWLINE))

    def _write(self, line: bytes) -> None:
        """Keep ``line`` with those waiting, writing them first if it would take them past
        ``ATOMIC_BYTES`` (a longer line alone, at once)."""
        waiting = self.waiting
        if len(waiting) + len(line) > ATOMIC_BYTES:
            if waiting:
                self.waiting = bytearray()
                write_whole(self.output, waiting)
            if len(line) > ATOMIC_BYTES:
                write_whole(self.output, line)
                return
            waiting = self.waiting
        waiting += line
        # Armed as the first line starts waiting and left armed when 4 KiB go out before it
        # fires (those after then wait less), so that no line waits longer than FLUSH_S and a
        # busy server arms one timer a second rather than one a write.
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # logged outside a server's loop: now
            self.flush()
            return
        if loop is not self.timer_loop:
            self.timer_loop = loop
            self.timer = loop.call_later(FLUSH_S, self.flush)

    def flush(self) -> None:
        """Write the lines waiting (the timer's, and the server's as it stops)."""
        if self.timer is not None:
            self.timer.cancel()
            self.timer = self.timer_loop = None
        if self.waiting:
            waiting, self.waiting = self.waiting, bytearray()
            write_whole(self.output, waiting)

    def _time(self, nanoseconds: int) -> str:
        """``nanoseconds`` since the epoch in ISO 8601, to the millisecond, in UTC."""
        # Cut from whole nanoseconds (``time.time_ns``): seconds in a float would first be
        # rounded to the microsecond as ``datetime`` rounds them, which costs more than the
        # rest of the time's text.
        second = nanoseconds // 1_000_000_000
        if second != self.second:
            self.second_text = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            self.second = second
        return self.second_text + _MILLISECONDS[nanoseconds // 1_000_000 % 1000]


def write_whole(output: int, line: bytes | bytearray) -> None:
    """Write ``line`` to the file descriptor ``output``, all of it."""
    written = os.write(output, line)
    while written < len(line):  # a pipe that was full, or a signal
        line = line[written:]
        written = os.write(output, line)
