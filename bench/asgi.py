"""Asking Byline's ASGI app itself, in process, as the benchmarks that leave out the sockets and
HTTP parsing do (``observability.py``, ``page.py``): the scope of a GET as uvicorn would make it
for a client on loopback."""

from typing import Any


def get_scope(url: str, headers: list[tuple[bytes, bytes]] | None = None) -> dict[str, Any]:
    """The scope of a GET of ``url`` (a path and its query string) with ``headers`` besides the
    ``Host`` and ``User-Agent`` every request has."""
    target, _, query = url.partition("?")
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": target,
        "raw_path": target.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": [(b"host", b"127.0.0.1"), (b"user-agent", b"bench"), *(headers or [])],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
