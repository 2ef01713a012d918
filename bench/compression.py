"""What compression costs (issue #23): req/s and latency of a kept article body and of a page of
100 summaries, uncompressed and with each coding, with compression off, on with every answer
compressed again (``BYLINE_COMPRESSION_CACHE_MB=0``) and on with compressed bodies kept.

    python bench/compression.py bench/.work/byline-10000.db --seconds 5

The server is pinned to CPU 0 and wrk to CPU 1, as in ``bench/run.py``; one worker.
"""

import argparse
import re
import statistics
import subprocess
import urllib.request
from pathlib import Path

# Run as a script (python bench/compression.py): its folder is first on the path.
from run import BIN, LOAD_CPU, LUA_PATHS, WORK, WRK_LATENCY, byline_env, server

CODINGS = ("none", "gzip", "br", "zstd")
SETUPS = {
    "off": {"BYLINE_COMPRESSION": "false"},
    "on, compressed at every request": {"BYLINE_COMPRESSION_CACHE_MB": "0"},
    "on, compressed bodies kept": {},
}


def load(base: str, paths: list[str], coding: str, seconds: int) -> tuple[float, float, float]:
    """req/s, p50 ms and p99 ms of ``paths`` in turn, asking for ``coding``."""
    (WORK / "wrk").mkdir(parents=True, exist_ok=True)
    listing = WORK / "wrk" / "compression.paths"
    script = WORK / "wrk" / "compression.lua"
    listing.write_text("\n".join(paths) + "\n")
    script.write_text(LUA_PATHS % listing)
    header = [] if coding == "none" else ["-H", f"Accept-Encoding: {coding}"]
    command = ["taskset", "-c", LOAD_CPU, "wrk", "-t1", "-c16", "--latency", *header]
    command += ["-s", str(script)]
    subprocess.run([*command, "-d1s", base], capture_output=True, check=True)  # warm-up
    output = subprocess.run(
        [*command, f"-d{seconds}s", base], capture_output=True, text=True, check=True
    ).stdout
    if "Non-2xx" in output:
        raise SystemExit(f"errors under load:\n{output}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    latency = {m[0]: float(m[1]) * scale[m[2]] for m in WRK_LATENCY.findall(output)}
    return rate, latency.get("50", 0.0), latency.get("99", 0.0)


def answer_bytes(url: str, coding: str) -> int:
    headers = {} if coding == "none" else {"Accept-Encoding": coding}
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as response:  # noqa: S310
        return len(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database", type=Path, help="a SQLite store (bench/.work has some)")
    parser.add_argument("--seconds", type=int, default=5, help="wrk duration per load")
    parser.add_argument("--rounds", type=int, default=3, help="the setups taken in turn")
    args = parser.parse_args()
    works = {
        "article by id (kept)": [f"/v1/articles/{n}" for n in range(1, 201)],
        "page of 100 summaries": ["/v1/articles?limit=100"],
    }
    runs: dict[tuple[str, str, str], list[tuple[float, float, float]]] = {}
    sizes: dict[tuple[str, str, str], int] = {}
    for _ in range(args.rounds):  # in turn, so that the machine's noise falls on every setup
        for setup, env in SETUPS.items():
            command: list[str | Path] = [BIN / "byline", "serve", "--port", "{port}"]
            environment = byline_env(args.database.resolve(), **env)
            with server(command, "/readyz", environment) as (base, _):
                for work, paths in works.items():
                    for coding in CODINGS if setup != "off" else ("none", "gzip"):
                        key = (setup, work, coding)
                        sizes[key] = answer_bytes(base + paths[0], coding)
                        runs.setdefault(key, []).append(load(base, paths, coding, args.seconds))
    print(
        f"| compression | request | Accept-Encoding | bytes | req/s (median of {args.rounds}) "
        "| p50 ms | p99 ms |"
    )
    print("|---|---|---|---|---|---|---|")
    for (setup, work, coding), measured in runs.items():
        rate, p50, p99 = (statistics.median(values) for values in zip(*measured, strict=True))
        print(
            f"| {setup} | {work} | {coding} | {sizes[setup, work, coding]:,} | {rate:,.0f} "
            f"| {p50:.2f} | {p99:.2f} |"
        )


if __name__ == "__main__":
    main()
