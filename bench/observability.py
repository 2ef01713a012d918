"""What metrics and the access log cost the hot paths: ``python bench/observability.py``.

    python bench/observability.py [--count 2000] [--seconds 5] [--rounds 3]

Serves one generated store (``bench/run.py``'s corpus, ingested once) with ``/metrics`` off (the
benchmark's server as before: uvicorn's access log is below its log level), with ``/metrics``
on, and with ``/metrics`` on and the JSON access log (to a discarded standard output), and loads
a kept article (``/v1/articles/{id}``, a spread of ids) and a kept first page of
``/v1/articles`` with wrk, each setting in turn, ``--rounds`` times. Prints the median req/s of
each and its ratio to ``/metrics`` off, as a Markdown table.

With ``--in-process``, the same requests are made of the ASGI app itself, one after the other
on one event loop (no sockets, no HTTP parsing): the microseconds each setting adds to a
request, steadier than req/s on a machine that other work shares.
"""

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from asgi import get_scope
from run import BIN, WORK, _ids, byline_env, corpus, server, wrk

from app.api.app import create_app
from app.settings import Settings

SETTINGS = {
    "metrics off": {"BYLINE_METRICS": "false"},
    "metrics on": {"BYLINE_METRICS": "true"},
    "metrics on, JSON access log": {"BYLINE_METRICS": "true", "BYLINE_ACCESS_LOG": "json"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--in-process", action="store_true")
    parser.add_argument("--requests", type=int, default=20_000)
    args = parser.parse_args()

    folder = corpus(args.count, 1)
    database = WORK / f"observability-{args.count}.db"
    if not database.exists():
        print(f"ingesting {folder}", flush=True)
        subprocess.run([BIN / "byline", "ingest", folder], env=byline_env(database), check=True)
    loads = {
        "article by id (kept)": [f"/v1/articles/{n}" for n in _ids(args.count)],
        "first page of 20 (kept)": ["/v1/articles?limit=20"],
    }
    if args.in_process:
        in_process(database, loads, requests=args.requests, rounds=args.rounds)
        return
    command: list[str | Path] = [BIN / "byline", "serve", "--port", "{port}", "--workers", "1"]
    rates: dict[tuple[str, str], list[float]] = {}
    for round_ in range(args.rounds):
        for setting, extra in SETTINGS.items():
            env = byline_env(database, BYLINE_LOG_LEVEL="warning", **extra)
            with server(command, "/readyz", env) as (base, _):
                for work, paths in loads.items():
                    name = f"observability-{setting}-{work}".replace(" ", "-")
                    rate, *_ = wrk(
                        base, paths, seconds=args.seconds, connections=args.connections, name=name
                    )
                    rates.setdefault((work, setting), []).append(rate)
                    print(f"round {round_ + 1}  {work:<26} {setting:<30} {rate:>9,.0f} req/s")
    print()
    print("| work | " + " | ".join(SETTINGS) + " |")
    print("|---|" + "---:|" * len(SETTINGS))
    for work in loads:
        baseline = statistics.median(rates[(work, "metrics off")])
        cells = []
        for setting in SETTINGS:
            median = statistics.median(rates[(work, setting)])
            each = ", ".join(f"{rate:,.0f}" for rate in rates[(work, setting)])
            cells.append(f"{median:,.0f} ({median / baseline:.2f}; {each})")
        print(f"| {work} | " + " | ".join(cells) + " |")


def in_process(database: Path, loads: dict[str, list[str]], *, requests: int, rounds: int) -> None:
    """Microseconds a request of each load takes through the app, for each setting."""
    timings: dict[tuple[str, str], list[float]] = {}
    for _ in range(rounds):
        for setting, extra in SETTINGS.items():
            changes = {key.removeprefix("BYLINE_").lower(): value for key, value in extra.items()}
            settings = Settings(database_url=f"sqlite:///{database}", **changes)  # type: ignore[arg-type]
            for work, paths in loads.items():
                with _discarded_stdout():  # where the JSON lines go
                    micros = asyncio.run(_timed(create_app(settings), paths, requests))
                timings.setdefault((work, setting), []).append(micros)
                print(f"  {work:<26} {setting:<30} {micros:7.1f} µs a request")
    print()
    print("| work | " + " | ".join(SETTINGS) + " |")
    print("|---|" + "---:|" * len(SETTINGS))
    for work in loads:
        baseline = statistics.median(timings[(work, "metrics off")])
        cells = [
            f"{median:.1f} µs (+{median - baseline:.1f})"
            for setting in SETTINGS
            for median in [statistics.median(timings[(work, setting)])]
        ]
        print(f"| {work} | " + " | ".join(cells) + " |")


@contextmanager
def _discarded_stdout() -> Iterator[None]:
    """Standard output's file descriptor onto /dev/null, for as long as the block runs."""
    sys.stdout.flush()
    kept = os.dup(1)
    with open(os.devnull, "wb") as null:
        os.dup2(null.fileno(), 1)
    try:
        yield
    finally:
        os.dup2(kept, 1)
        os.close(kept)


async def _timed(
    app: Any, paths: list[str], requests: int, headers: list[tuple[bytes, bytes]] | None = None
) -> float:
    """The mean microseconds of CPU time of ``requests`` GETs of ``paths`` in turn, after a
    warm-up."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200, message

    async with app.router.lifespan_context(app):
        for _ in range(2):  # every answer kept, and sent once as kept, before the clock starts
            for path in paths:
                await app(get_scope(path, headers), receive, send)
        # The process's CPU time: what other work on the machine takes is not counted.
        started = time.process_time()
        for n in range(requests):
            await app(get_scope(paths[n % len(paths)], headers), receive, send)
        return (time.process_time() - started) / requests * 1e6


if __name__ == "__main__":
    main()
