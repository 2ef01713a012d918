"""What each serving feature costs a kept answer, in process: ``python bench/serving.py``.

    python bench/serving.py [--requests 5000] [--rounds 3]

Makes the same requests of the ASGI app itself (no sockets, no HTTP parsing: the microseconds
of CPU time the app spends, steadier than req/s on a shared machine) on a 2,000-article store
(``bench/run.py``'s corpus): a kept article by id and a kept first page of ``/v1/articles``,
with every serving feature of issue #23 off, all on (a key required and sent, a rate limit that
never refuses, a page of another origin, /metrics, the JSON access log, compression asked for as
browsers do), and all on but one, so that each feature's share shows. ``bench/run.py`` measures
the same settings through the real server with wrk (``--only-serving``).
"""

import argparse
import asyncio
import os
import statistics
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from observability import _discarded_stdout, _timed
from run import BIN, SERVING_ORIGIN, WORK, _ids, byline_env, corpus
from sqlmodel import Session

from app.api.app import create_app
from app.settings import Settings
from app.store.api_keys import KeyScope, create_api_key, revoke_api_key
from app.store.database import create_db_engine

ALL_OFF: dict[str, Any] = {"metrics": False, "access_log": "off", "compression": False}
ALL_ON: dict[str, Any] = {
    "api_keys": "required",
    "rate_limit": "1000000/minute",
    "cors_origins": [SERVING_ORIGIN],
    "metrics": True,
    "access_log": "json",
    "compression": True,
    "cache_max_age": 60,
}
# Each feature's "off", to measure all on but it.
WITHOUT = {
    "rate_limit": "",
    "api_keys": "off",
    "metrics": False,
    "access_log": "off",
    "compression": False,
    "cors_origins": [],
}


def serving_store(count: int) -> tuple[Path, str, Callable[[], None]]:
    """The store of ``count`` generated articles (ingested once), a read key made in it, and
    what revokes the key."""
    database = WORK / f"observability-{count}.db"
    if not database.exists():
        folder = corpus(count, 1)
        subprocess.run([BIN / "byline", "ingest", folder], env=byline_env(database), check=True)
    engine = create_db_engine(f"sqlite:///{database}", writer=True)
    name = f"bench-serving-{os.getpid()}"
    with Session(engine) as session:
        key, _ = create_api_key(session, name=name, scope=KeyScope.READ, rate_per_minute=None)
        session.commit()

    def revoke() -> None:
        with Session(engine) as session:
            revoke_api_key(session, name_or_prefix=name)
            session.commit()
        engine.dispose()

    return database, key, revoke


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    database, key, revoke = serving_store(args.count)
    headers = [
        (b"x-api-key", key.encode()),
        (b"origin", SERVING_ORIGIN.encode()),
        (b"accept-encoding", b"gzip, deflate, br, zstd"),
    ]
    variants: dict[str, tuple[dict[str, Any], list[tuple[bytes, bytes]]]] = {
        "all off": (ALL_OFF, []),
        "all on": (ALL_ON, headers),
    }
    for feature, off in WITHOUT.items():
        variants[f"all on but {feature}"] = ({**ALL_ON, feature: off}, headers)
    loads = {
        "article by id (kept)": [f"/v1/articles/{n}" for n in _ids(args.count)],
        "first page of 20 (kept)": ["/v1/articles?limit=20"],
    }
    timings: dict[tuple[str, str], list[float]] = {}
    try:
        for _ in range(args.rounds):
            for variant, (changes, sent) in variants.items():
                settings = Settings(database_url=f"sqlite:///{database}", **changes)
                for work, paths in loads.items():
                    with _discarded_stdout():  # where the JSON lines go
                        micros = asyncio.run(
                            _timed(create_app(settings), paths, args.requests, sent)
                        )
                    timings.setdefault((variant, work), []).append(micros)
    finally:
        revoke()
    print("| settings | " + " | ".join(loads) + " |")
    print("|---|" + "---:|" * len(loads))
    everything = {work: statistics.median(timings[("all on", work)]) for work in loads}
    for variant in variants:
        cells = []
        for work in loads:
            median = statistics.median(timings[(variant, work)])
            share = f" (its share {everything[work] - median:+.1f})" if "but" in variant else ""
            cells.append(f"{median:.1f} µs{share}")
        print(f"| {variant} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
