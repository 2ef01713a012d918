"""What the edge of the app, and the metrics, the JSON access log and the API-key check in it, each
cost a request by themselves: ``python bench/observers.py``.

    python bench/observers.py [--requests 20000] [--rounds 7]

Each layer wraps an app that answers at once (a 3 KB body, as a kept article's), and the
same request (a key sent, its verdict kept) is made ``--requests`` times, each middleware in
turn, ``--rounds`` times; the fastest round of each, less the bare app's, is its cost. Without
the rest of the app around them, these microseconds move far less with the machine's other
work than the differences ``bench/serving.py`` and ``bench/observability.py`` take of whole
answers.
"""

import argparse
import asyncio
import os
import time
from typing import Any

from app.api.access_log import AccessLog
from app.api.admission import Admission
from app.api.app import create_app
from app.api.authentication import KeyCheck
from app.api.edge import Edge
from app.api.metrics import RequestMetrics
from app.api.rate_limits import RateCounter
from app.settings import Settings
from app.store.api_keys import ApiKey, KeyScope

BODY = b"x" * 3000
KEY = "byl_" + "k" * 43


async def answer(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": BODY})


async def receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def discard(message: Any) -> None:
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    app = create_app(Settings(database_url="sqlite:///:memory:", metrics=True))
    log = AccessLog()
    log.output = os.open(os.devnull, os.O_WRONLY)
    keys = KeyCheck(required=True)
    keys.verdicts[KEY] = (float("inf"), ApiKey(1, "bench", KeyScope.READ, None))
    edge = Edge(answer)
    layers: dict[str, Any] = {
        "bare app": answer,
        "edge alone": edge,
        "edge, metrics": Edge(answer, metrics=RequestMetrics(app.state)),
        "edge, JSON access log": Edge(answer, access_log=log),
        "edge, API keys": Edge(Admission(answer, keys=keys, rates=RateCounter(rate=None))),
    }
    fastest = dict.fromkeys(layers, float("inf"))
    for _ in range(args.rounds):
        for name, layer in layers.items():
            micros = asyncio.run(_timed(layer, app, args.requests))
            fastest[name] = min(fastest[name], micros)
    print("| layers | µs a request | their cost | beyond the edge's |")
    print("|---|---:|---:|---:|")
    for name, micros in fastest.items():
        beyond = f"{micros - fastest['edge alone']:+.2f}" if name.startswith("edge,") else ""
        print(f"| {name} | {micros:.2f} | {micros - fastest['bare app']:+.2f} | {beyond} |")


async def _timed(layer: Any, app: Any, requests: int) -> float:
    """The mean microseconds of CPU time of a kept article's request through ``layer``."""

    def scope() -> dict[str, Any]:
        return {
            "type": "http",
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": "/v1/articles/42",
            "root_path": "",
            "query_string": b"",
            "headers": [
                (b"host", b"127.0.0.1"),
                (b"user-agent", b"bench"),
                (b"x-api-key", KEY.encode()),
                (b"accept-encoding", b"gzip, deflate, br, zstd"),
            ],
            "client": ("127.0.0.1", 50000),
            "server": ("127.0.0.1", 8000),
            "state": {},
            "app": app,
        }

    for _ in range(1000):
        await layer(scope(), receive, discard)
    started = time.process_time()
    for _ in range(requests):
        await layer(scope(), receive, discard)
    return (time.process_time() - started) / requests * 1e6


if __name__ == "__main__":
    main()
