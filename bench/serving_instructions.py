"""What each serving feature costs a kept answer, in instructions through uvicorn's protocol:
``python bench/serving_instructions.py``.

    python bench/serving_instructions.py [--requests 250] [--record] [--keep-profiles]

Instructions a request do not move with the machine's load, as req/s and CPU time do on a shared
machine. Under valgrind's callgrind, one process makes the requests of ``bench/serving.py`` (a kept
article by id, a kept first page of ``/v1/articles``; every serving feature of issue #23 off, all
on, and all on but one) as raw HTTP/1.1 bytes fed to the protocol ``byline serve`` runs
(``BoundedHttpToolsProtocol`` over uvicorn's httptools one, its proxy-headers layer, the app's
lifespan run as uvicorn runs it), with a transport that keeps what is written: the HTTP parsing,
the app and the writing of the answer's head, everything but the sockets and the kernel. The loop's
clock stands still while requests are made, with a timer first in its heap as uvicorn's 0.1 s tick
is in a real server's: no timer fires, and each request pays what the heap costs it there. Only the
measured loops are instrumented (``callgrind_control``, as the process asks); each loop is counted
in ``CHUNKS`` parts, the counters zeroed as a part starts (``os.getppid()``, which nothing else
calls) and dumped as it ends (``os.getpgrp()``), in the main thread only (the store follower's and
webhook sender's threads are apart), and a load's figure is its median part's. A table of
instructions a request is printed, each "but one" row with the share of the feature left out.
``--keep-profiles`` keeps callgrind's files in ``bench/.work/callgrind-PID`` for
``callgrind_annotate``.
"""

import argparse
import asyncio
import itertools
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path
from typing import Any

from run import ROOT, WORK, _ids, checked_out
from serving import ALL_OFF, ALL_ON, WITHOUT, serving_store

# What a measured request is, by load: its paths in turn.
LOADS = {
    "kept article": "article",
    "kept first page of 20": "page",
}
# Each load's requests are counted in this many parts, and the median part is its figure: what
# the clock makes happen (a key's verdict read again after 5 s, a collection of the garbage)
# falls in one part, and instrumented requests take some 50 times the seconds.
CHUNKS = 5
# Markers the measured process calls: C functions of CPython that nothing on this path calls.
ZERO_AT = "os_getppid"
DUMP_AT = "os_getpgrp"


def variants() -> dict[str, dict[str, Any]]:
    """The settings measured, by name: all off, all on, all on but each feature."""
    found = {"all off": ALL_OFF, "all on": ALL_ON}
    for feature, off in WITHOUT.items():
        found[f"all on but {feature}"] = {**ALL_ON, feature: off}
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000, help="articles in the store")
    parser.add_argument("--requests", type=int, default=250, help="measured requests a load")
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    parser.add_argument("--keep-profiles", action="store_true")
    parser.add_argument("--only", nargs="*", help="these settings only (by name)")
    parser.add_argument("--measure", help=argparse.SUPPRESS)  # its plan: under valgrind
    args = parser.parse_args()
    if args.measure:
        measure(json.loads(Path(args.measure).read_text()))
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is needed: apt-get install valgrind")
    counts = instructions(args.count, args.requests, args.only, keep=args.keep_profiles)
    lines = table(counts)
    print("\n".join(lines))
    if args.record:
        when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        command = " ".join(["python bench/serving_instructions.py", *sys.argv[1:]])
        commit = checked_out()
        header = [
            f"## {when}: `{command}`",
            "",
            f"Byline {commit}, Python {sys.version.split()[0]}",
        ]
        with (ROOT / "bench" / "RESULTS.md").open("a") as record:
            record.write("\n" + "\n".join([*header, "", *lines]) + "\n")


def instructions(
    count: int, requests: int, only: list[str] | None, *, keep: bool
) -> dict[tuple[str, str], float]:
    """Instructions a request, by setting and load, from one process under callgrind."""
    database, key, revoke = serving_store(count)
    chosen = {name: changes for name, changes in variants().items() if not only or name in only}
    plan = {
        "database": str(database),
        "key": key,
        "requests": requests,
        "paths": {
            "article": [f"/v1/articles/{n}" for n in _ids(count)],
            "page": ["/v1/articles?limit=20"],
        },
        "variants": chosen,
    }
    folder = WORK / f"callgrind-{os.getpid()}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    plan["folder"] = str(folder)
    command = [
        "valgrind",
        "--tool=callgrind",
        "--separate-threads=yes",
        # Instrumented only while measuring: the imports and each app's start run some 50
        # times slower instrumented.
        "--instr-atstart=no",
        f"--zero-before={ZERO_AT}",
        f"--dump-before={DUMP_AT}",
        f"--callgrind-out-file={folder}/callgrind.out",
        sys.executable,
        __file__,
        "--measure",
        str(folder / "plan.json"),
    ]
    (folder / "plan.json").write_text(json.dumps(plan))
    # The same hashes every run: dictionaries and sets walk the same way.
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    try:
        _run_instrumented(command, env, folder)
    finally:
        revoke()
    parts = sorted(
        folder.glob("callgrind.out.*-01"), key=lambda path: int(path.name.split(".")[-1][:-3])
    )
    measured = [(name, load) for name in chosen for load in LOADS]
    # CHUNKS parts a measured loop, then the rest of the run's.
    if len(parts) < len(measured) * CHUNKS:
        raise SystemExit(f"callgrind wrote {len(parts)} parts for {len(measured)} loops")
    counts = {
        where: statistics.median(
            _summary(part) for part in parts[place * CHUNKS : (place + 1) * CHUNKS]
        )
        / (requests // CHUNKS)
        for place, where in enumerate(measured)
    }
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
    return counts


def _run_instrumented(command: list[str], env: dict[str, str], folder: Path) -> None:
    """Run ``command`` under callgrind, switching its instrumentation on and off as the process
    asks (a file ``ask-N`` holding ``on`` or ``off``; ``done-N`` once done)."""
    log = (folder / "valgrind.log").open("w")
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=log)
    step = 0
    while process.poll() is None:
        asked = folder / f"ask-{step}"
        if not asked.exists():
            time.sleep(0.1)
            continue
        _switch(process.pid, asked.read_text())
        (folder / f"done-{step}").touch()
        step += 1
    if process.returncode:
        raise SystemExit(f"the measured process failed ({process.returncode}): see {log.name}")


def _switch(pid: int, what: str) -> None:
    """Switch the instrumentation of callgrind's process ``pid`` ``on`` or ``off``, until its
    status says so (a command through vgdb can be lost while the process sleeps)."""
    for _ in range(60):
        switch = ["callgrind_control", f"--instr={what}", str(pid)]
        subprocess.run(switch, capture_output=True, check=False)
        status = subprocess.run(
            ["callgrind_control", "--stat", str(pid)], capture_output=True, text=True, check=False
        ).stdout
        if ("instrumentation is switched off" in status) == (what == "off"):
            return
        time.sleep(0.5)
    raise SystemExit(f"callgrind did not switch its instrumentation {what}")


def _summary(part: Path) -> int:
    """The instructions a callgrind file counts."""
    found = re.search(r"^(?:summary|totals): (\d+)", part.read_text(), re.MULTILINE)
    if found is None:
        raise SystemExit(f"no totals in {part}")
    return int(found.group(1))


def table(counts: dict[tuple[str, str], float]) -> list[str]:
    """Instructions a request as a Markdown table; each "but one" row with the share of the
    feature left out (all on minus it)."""
    names = list(dict.fromkeys(name for name, _ in counts))
    lines = [
        "| settings | " + " | ".join(f"{load} (instructions a request)" for load in LOADS) + " |"
    ]
    lines.append("|---|" + "---:|" * len(LOADS))
    for name in names:
        cells = []
        for load in LOADS:
            figure = counts[(name, load)]
            cell = f"{figure:,.0f}"
            everything = counts.get(("all on", load))
            off = counts.get(("all off", load))
            if name == "all on" and off:
                cell += f" (+{(figure - off) / off:.0%} of all off)"
            elif name.startswith("all on but") and everything is not None:
                cell += f" (its share {everything - figure:+,.0f})"
            cells.append(cell)
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def measure(plan: dict[str, Any]) -> None:
    """In the process under callgrind: each setting's loads, each loop between the markers."""
    import sqlite3  # noqa: F401, PLC0415  (loaded before the first loop: not counted)

    from observability import _discarded_stdout  # noqa: PLC0415

    with _discarded_stdout():  # where the JSON lines go
        for changes in plan["variants"].values():
            asyncio.run(_serve(plan, changes))


async def _serve(plan: dict[str, Any], changes: dict[str, Any]) -> None:
    """One app with ``changes`` to the settings, served as ``byline serve`` does, its loads
    measured between the markers."""
    import uvicorn  # noqa: PLC0415
    from uvicorn.lifespan.on import LifespanOn  # noqa: PLC0415
    from uvicorn.server import ServerState  # noqa: PLC0415

    from app.api.app import create_app  # noqa: PLC0415
    from app.api.server import BoundedHttpToolsProtocol  # noqa: PLC0415
    from app.settings import Settings  # noqa: PLC0415

    settings = Settings(database_url=f"sqlite:///{plan['database']}", **changes)
    config = uvicorn.Config(
        create_app(settings),
        http=BoundedHttpToolsProtocol,
        ws="none",
        lifespan="on",
        log_level="info",  # as the benchmark's server: the JSON lines are written
        access_log=settings.access_log == "text",
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
        server_header=False,
    )
    config.load()
    lifespan = LifespanOn(config)
    await lifespan.startup()
    state = ServerState()
    # What uvicorn's server sends on every answer: the date, made once a second.
    state.default_headers = [(b"date", formatdate(usegmt=True).encode()), *config.encoded_headers]
    protocol = BoundedHttpToolsProtocol(
        config=config,
        server_state=state,
        app_state=lifespan.state,
        _loop=asyncio.get_running_loop(),
    )
    transport = _Transport()
    protocol.connection_made(transport)  # type: ignore[arg-type]
    # The loop's clock stands still while the requests are made, a timer due before the others
    # as uvicorn's server keeps one (``Server.main_loop`` wakes every 0.1 s): the timers each
    # request arms and cancels (its head's, the connection's keep-alive) stay in the loop's heap
    # below it until a clean-up, as in a real server; and none fires, each as many times a
    # request whatever callgrind's pace (timers that fire by the second cost a real server next
    # to nothing a request, and instrumented requests take some 50 times as long).
    loop = asyncio.get_running_loop()
    now = loop.time()
    loop.time = lambda: now  # type: ignore[method-assign]
    tick = loop.call_at(now + 0.1, lambda: None)
    sent = b""
    if changes is not ALL_OFF:
        sent = (
            f"X-API-Key: {plan['key']}\r\nOrigin: https://app.example.org\r\n"
            "Accept-Encoding: gzip, deflate, br, zstd\r\n"
        ).encode()
    folder = Path(plan["folder"]) if plan.get("folder") else None  # None: not under callgrind
    for load in LOADS.values():
        heads = [
            b"GET " + path.encode() + b" HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n" + sent + b"\r\n"
            for path in plan["paths"][load]
        ]
        for head in heads * 2:  # every answer kept, and sent once as kept
            await _request(protocol, state, transport, head)
        _instrumented(folder, "on")
        n = 0
        for _ in range(CHUNKS):
            os.getppid()  # callgrind zeroes its counters
            for _ in range(plan["requests"] // CHUNKS):
                await _request(protocol, state, transport, heads[n % len(heads)])
                n += 1
            os.getpgrp()  # callgrind dumps them
        _instrumented(folder, "off")
    tick.cancel()
    del loop.time
    protocol.connection_lost(None)
    await lifespan.shutdown()


_asked = itertools.count()


def _instrumented(folder: Path | None, what: str) -> None:
    """Have the process running this one switch callgrind's instrumentation ``on`` or ``off``
    (waiting in short sleeps: callgrind reads its commands as threads switch); nothing without
    a ``folder`` to ask in."""
    if folder is None:
        return
    step = next(_asked)
    asking = folder / f"asking-{step}"
    asking.write_text(what)
    asking.rename(folder / f"ask-{step}")  # whole when it is seen
    while not (folder / f"done-{step}").exists():
        time.sleep(0.05)


async def _request(protocol: Any, state: Any, transport: "_Transport", head: bytes) -> None:
    """Feed a request's bytes to the protocol and wait for its answer, which must be a 200."""
    transport.written.clear()
    protocol.data_received(head)
    for task in list(state.tasks):
        await task
    if not transport.written or not transport.written[0].startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"not a 200: {b''.join(transport.written)[:300]!r}")


class _Transport:
    """A connection's transport that keeps what is written."""

    def __init__(self) -> None:
        self.written: list[bytes] = []

    def write(self, data: bytes) -> None:
        self.written.append(data)

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("127.0.0.1", 50000)}.get(
            name, default
        )

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        pass

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass

    def can_write_eof(self) -> bool:
        return False

    def set_protocol(self, protocol: Any) -> None:
        pass


if __name__ == "__main__":
    main()
