"""Byline's performance benchmark: ingestion and HTTP, side by side with what users would pick.

    ./run bench                      # 100,000 articles (the issue's reference size)
    ./run bench --count 10000        # a quicker run
    ./run bench --record             # ... and append the tables to bench/RESULTS.md
    ./run bench --postgresql postgresql+psycopg://127.0.0.1:5432/test
                                     # ... and Byline on PostgreSQL, side by side

One run: generate the corpus (``bench/generate.py``, kept in ``bench/.work`` for later runs),
ingest it with ``byline ingest`` (time, articles/s, peak RSS, then the unchanged re-run) and
with ``sqlite-utils insert-files`` + ``enable-fts`` on the same files; then serve the same
database with Byline, Datasette and bare Starlette/FastAPI routes (``bench/ceiling.py``), each
pinned to CPU 0, and load each endpoint with wrk pinned to CPU 1. Prints one table of req/s,
p50 and p99 with the ratios the goals of issue #6 are stated in, and the goals met or not.

With ``--postgresql URL`` (a server Byline may create databases on), the same corpus is also
ingested into a database of its own there and served by Byline on it, with the same loads. The
PostgreSQL server is pinned to the server's CPU too: on one machine, the store and the API share
a core whichever store it is.
"""

import argparse
import dataclasses
import json
import os
import platform
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "bench" / ".work"
BIN = Path(sys.executable).parent
SERVER_CPU = "0"
LOAD_CPU = "1"

# Words of the generated corpus by how many articles hold them (bench/generate.py).
RARE, TENTH, HALF, PHRASE = "zephyrine", "harbour", "minister", '"tidal barrier"'
# The server with its caches off: every answer computed (or fetched and encoded) again.
COLD = "Byline (caches off)"
POSTGRESQL_COLD = "Byline on PostgreSQL (caches off)"
VARIED_HALF = "search, word in 50%, each request computed"
CACHES_OFF = {"BYLINE_SEARCH_CACHE": "0", "BYLINE_ARTICLE_CACHE_MB": "0"}
# One- and two-word queries whose worst p99 is the 1M goal.
SHORT_QUERIES = [
    RARE,
    TENTH,
    HALF,
    "Zelensky",
    "harbour minister",
    "minister said",
    "harbour minister said",
    PHRASE,
]
# Issue #23's serving features, all off then all on (a key needed and sent, a rate limit that
# never refuses, a page of another origin, /metrics counting, the JSON access log, answers
# compressed for a client asking as browsers do), on the loads its goal is stated in.
FEATURES_OFF = "Byline, serving features off"
FEATURES_ON = "Byline, serving features on"
SERVING_WORK = ("article by id", "first page of 20", "page at 90% depth")
SERVING_ORIGIN = "https://app.example.org"
SERVING_OFF = {"BYLINE_METRICS": "false", "BYLINE_ACCESS_LOG": "off", "BYLINE_COMPRESSION": "false"}
SERVING_ON = {
    "BYLINE_API_KEYS": "required",
    "BYLINE_RATE_LIMIT": "1000000/minute",
    "BYLINE_CORS_ORIGINS": SERVING_ORIGIN,
    "BYLINE_METRICS": "true",
    "BYLINE_ACCESS_LOG": "json",
    "BYLINE_COMPRESSION": "true",
    "BYLINE_CACHE_MAX_AGE": "60",
}
# All on but one, on the article by id (the lightest answer, where a feature weighs most): each
# feature's share.
SERVING_WITHOUT = {
    "rate limit": {"BYLINE_RATE_LIMIT": ""},
    "API key": {"BYLINE_API_KEYS": "off"},
    "CORS": {"BYLINE_CORS_ORIGINS": ""},
    "metrics": {"BYLINE_METRICS": "false"},
    "JSON access log": {"BYLINE_ACCESS_LOG": "off"},
    "compression": {"BYLINE_COMPRESSION": "false"},
}
# Off, on and on but each in turn this many times, each figure the mean: the machine drifts over
# a run.
SERVING_ROUNDS = 2

# The search engine alone, in one process (bench/engine.py): the ceiling of any search.
ENGINE = "Tantivy in process"


@dataclasses.dataclass
class Load:
    """One wrk run: what was asked of whom, and how fast it answered."""

    work: str
    server: str
    path: str
    requests_per_second: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0


@dataclasses.dataclass
class Ingestion:
    tool: str
    seconds: float
    peak_rss_mb: float
    note: str = ""
    peak_private_mb: float | None = None


@dataclasses.dataclass
class Results:
    count: int
    ingestions: list[Ingestion] = dataclasses.field(default_factory=list)
    loads: list[Load] = dataclasses.field(default_factory=list)
    ready_seconds: float | None = None
    cold_start_seconds: float | None = None
    server_rss_mb: float | None = None
    top20_exact: bool | None = None
    notes: list[str] = dataclasses.field(default_factory=list)
    # The serving server's CPU time a request (µs), by work and server, of --only-serving's loads.
    serving_cpu_us: dict[tuple[str, str], float] = dataclasses.field(default_factory=dict)

    def rate(self, work: str, server: str) -> float:
        for load in self.loads:
            if load.work == work and load.server == server:
                return load.requests_per_second
        return 0.0


def corpus(count: int, seed: int) -> Path:
    """The generated corpus of ``count`` articles, written once and reused."""
    folder = WORK / f"corpus-{count}-s{seed}"
    done = folder.with_name(folder.name + ".complete")
    if not done.exists():
        shutil.rmtree(folder, ignore_errors=True)
        print(f"generating {count} articles into {folder}", flush=True)
        subprocess.run(
            [
                sys.executable,
                ROOT / "bench" / "generate.py",
                folder,
                "--count",
                str(count),
                "--seed",
                str(seed),
            ],
            check=True,
        )
        done.touch()
    return folder


def measured(
    command: list[str | Path], env: dict[str, str] | None = None
) -> tuple[float, float, float]:
    """Run ``command`` to its end; its wall time in seconds, peak RSS in MB and peak private
    memory in MB (``RssAnon``: RSS less the pages of files it maps, such as a search index's,
    which are the system's page cache); of the process and any children it starts, summed,
    sampled every 50 ms."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    peak = [0.0, 0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], tree_rss_mb(process.pid))
            peak[1] = max(peak[1], tree_rss_mb(process.pid, "RssAnon"))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if os.waitstatus_to_exitcode(status) not in (0, 1):
        raise SystemExit(f"{command[0]} failed with status {status}")
    return elapsed, max(peak[0], usage.ru_maxrss / 1024), peak[1]


def folder_bytes(folder: Path) -> int:
    """The bytes of the files under ``folder``."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def cpu_seconds(pid: int) -> float:
    """The CPU time (user and system) a process has taken so far, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_rss_mb(pid: int, field: str = "VmRSS") -> float:
    """RSS (or with ``VmHWM``, peak RSS) of a process and its children, summed, in MB."""
    total = 0.0
    for each in [pid, *_children(pid)]:
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue
        found = re.search(rf"{field}:\s+(\d+) kB", status)
        total += int(found.group(1)) / 1024 if found else 0
    return total


def byline_env(database: Path | str, **extra: str) -> dict[str, str]:
    """Byline's environment for a SQLite file or a database URL."""
    url = database if isinstance(database, str) else f"sqlite:///{database}"
    return {**os.environ, "BYLINE_DATABASE_URL": url, "BYLINE_INGEST_ON_START": "false", **extra}


def postgresql_database(admin_url: str, count: int, *, fresh: bool) -> str:
    """The URL of the benchmark's own database on the PostgreSQL server (made anew if ``fresh``)."""
    import psycopg  # noqa: PLC0415
    from sqlalchemy.engine import make_url  # noqa: PLC0415

    url = make_url(admin_url)
    name = f"byline_bench_{count}"
    if fresh:
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            admin.execute(f"CREATE DATABASE {name}")
    return url.set(database=name).render_as_string(hide_password=False)


@contextmanager
def postgresql_pinned() -> Iterator[None]:
    """The PostgreSQL server's processes (and the backends they start) on the server CPU."""
    pids = subprocess.run(
        ["pgrep", "-x", "postgres"], capture_output=True, text=True, check=False
    ).stdout
    for pid in pids.split():
        subprocess.run(
            ["taskset", "-a", "-p", "-c", SERVER_CPU, pid], capture_output=True, check=False
        )
    try:
        yield
    finally:
        every = f"0-{(os.cpu_count() or 1) - 1}"
        for pid in pids.split():
            subprocess.run(
                ["taskset", "-a", "-p", "-c", every, pid], capture_output=True, check=False
            )


def replica_index(count: int) -> Path:
    """The index folder of the benchmark's replica on PostgreSQL, emptied."""
    folder = WORK / f"replica-{count}.index"
    shutil.rmtree(folder, ignore_errors=True)
    return folder


def ingest_postgresql(results: Results, folder: Path, url: str) -> None:
    """Byline into PostgreSQL from scratch, then again with nothing changed: PostgreSQL only,
    as on a machine that only ingests (no server keeps an index there)."""
    env = byline_env(url, BYLINE_INDEX_PATH=str(replica_index(results.count)))
    import psycopg  # noqa: PLC0415

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as connection:
        version = connection.execute("SHOW server_version").fetchone()
    results.notes.append(f"PostgreSQL {version[0] if version else '?'}")
    print("ingesting with byline into PostgreSQL", flush=True)
    seconds, rss, private = measured([BIN / "byline", "ingest", folder], env)
    note = f"{results.count / seconds:,.0f} articles/s; RSS of byline, not of the server"
    results.ingestions.append(
        Ingestion("byline ingest, PostgreSQL", seconds, rss, note, peak_private_mb=private)
    )
    seconds, rss, private = measured([BIN / "byline", "ingest", folder], env)
    results.ingestions.append(
        Ingestion(
            "byline ingest, PostgreSQL, nothing changed", seconds, rss, peak_private_mb=private
        )
    )


def ingest(results: Results, folder: Path, database: Path, peer: Path) -> None:
    """Byline from scratch, Byline again with nothing changed, and sqlite-utils."""
    for path in (database, peer):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    # The search index beside the store (the index_path default), built by the ingestion too.
    shutil.rmtree(database.with_suffix(".index"), ignore_errors=True)
    env = byline_env(database)
    print("ingesting with byline", flush=True)
    seconds, rss, private = measured([BIN / "byline", "ingest", folder], env)
    rate = f"{results.count / seconds:,.0f} articles/s"
    results.ingestions.append(
        Ingestion("byline ingest", seconds, rss, rate, peak_private_mb=private)
    )
    seconds, rss, private = measured([BIN / "byline", "ingest", folder], env)
    results.ingestions.append(
        Ingestion("byline ingest, nothing changed", seconds, rss, peak_private_mb=private)
    )
    print("ingesting with sqlite-utils", flush=True)
    tool = BIN / "sqlite-utils"
    insert, insert_rss, insert_private = measured(
        [tool, "insert-files", peer, "articles", folder, "--text"]
    )
    fts, fts_rss, fts_private = measured(
        [tool, "enable-fts", peer, "articles", "content_text", "--fts5"]
    )
    results.ingestions.append(
        Ingestion(
            "sqlite-utils insert-files + enable-fts",
            insert + fts,
            max(insert_rss, fts_rss),
            f"insert {insert:.1f} s, FTS build {fts:.1f} s",
            peak_private_mb=max(insert_private, fts_private),
        )
    )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_until_up(url: str, timeout: float = 900) -> float:
    """Seconds until ``url`` answers 200."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.02)
    raise SystemExit(f"{url} did not come up within {timeout} s")


@contextmanager
def server(command: list[str | Path], probe: str, env: dict[str, str]) -> Iterator[tuple[str, Any]]:
    """A server pinned to the server CPU; yields its base URL and the process."""
    port = free_port()
    full = ["taskset", "-c", SERVER_CPU, *[str(part) for part in command]]
    full = [part.replace("{port}", str(port)) for part in full]
    process = subprocess.Popen(
        full, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    try:
        process.ready_seconds = wait_until_up(base + probe)  # type: ignore[attr-defined]
        yield base, process
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    pids = [int(child) for child in found]
    return pids + [grandchild for child in pids for grandchild in _children(child)]


LUA_PATHS = """
%s
paths = {}
for line in io.lines("%s") do paths[#paths + 1] = line end
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, paths[(counter %% #paths) + 1])
end
"""

WRK_LATENCY = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)


def wrk(
    base: str,
    paths: list[str],
    *,
    seconds: int,
    connections: int,
    name: str,
    headers: dict[str, str] | None = None,
) -> tuple[float, float, float, int]:
    """Load ``paths`` in turn, each request with ``headers``; req/s, p50 ms, p99 ms and the
    count of non-2xx or socket errors."""
    (WORK / "wrk").mkdir(exist_ok=True)
    script = WORK / "wrk" / f"{name}.lua"
    listing = WORK / "wrk" / f"{name}.paths"
    listing.write_text("\n".join(paths) + "\n")
    sent = "\n".join(
        f"wrk.headers[{json.dumps(header)}] = {json.dumps(value)}"
        for header, value in (headers or {}).items()
    )
    script.write_text(LUA_PATHS % (sent, listing))
    command = ["taskset", "-c", LOAD_CPU, "wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    command += ["--latency", "-s", str(script), base]
    subprocess.run([*command[:5], "-d1s", *command[6:]], capture_output=True, check=True)
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    latency = {m[0]: float(m[1]) * scale[m[2]] for m in WRK_LATENCY.findall(output)}
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    failed = int(errors.group(1)) if errors else 0
    failed += sum(int(n) for n in sockets.groups()) if sockets else 0
    return rate, latency.get("50", 0.0), latency.get("99", 0.0), failed


def get_json(url: str) -> Any:
    with urllib.request.urlopen(url, timeout=120) as response:  # noqa: S310
        return json.loads(response.read())


def quoted(query: str, **params: Any) -> str:
    return urllib.parse.urlencode({"q": query, **params})


def byline_paths(base: str, count: int) -> dict[str, list[str]]:
    """The requests asked of Byline, by work; the 90% page's cursor is found by paging."""
    deep = _cursor_at(base, int(count * 0.9))
    return {
        "article by id": [f"/v1/articles/{n}" for n in _ids(count)],
        "first page of 20": ["/v1/articles?limit=20"],
        "page at 90% depth": [f"/v1/articles?limit=20&cursor={deep}"],
        "search, rare word": [f"/v1/search?{quoted(RARE)}"],
        "search, word in 10%": [f"/v1/search?{quoted(TENTH)}"],
        "search, word in 50%": [f"/v1/search?{quoted(HALF)}"],
        "search, phrase": [f"/v1/search?{quoted(PHRASE)}"],
        "search, 10% word + facets": [f"/v1/search?{quoted(TENTH, facets='source,year')}"],
    }


def _ids(count: int) -> list[str]:
    """A fixed spread of ids over the whole corpus, so detail is not one cached row."""
    return [str(1 + (n * 7919) % count) for n in range(2000)]


def _cursor_at(base: str, position: int) -> str:
    cursor, seen = "", 0
    while seen + 100 <= position:
        page = get_json(f"{base}/v1/articles?limit=100" + (f"&cursor={cursor}" if cursor else ""))
        cursor, seen = page["next_cursor"], seen + len(page["items"])
    rest = position - seen
    if rest:
        after = f"&cursor={cursor}" if cursor else ""
        page = get_json(f"{base}/v1/articles?limit={rest}{after}")
        cursor = page["next_cursor"]
    return str(cursor)


def datasette_paths(count: int, database: Path) -> dict[str, list[str]]:
    last = _id_at(database, int(count * 0.9))
    deep = f"{last},{last}"  # Datasette's own keyset token (sort value, primary key)
    name = database.stem  # Datasette names a database after its file
    table = f"/{name}/article.json"
    return {
        "article by id": [f"/{name}/article/{n}.json" for n in _ids(count)],
        "first page of 20": [f"{table}?_size=20&_sort_desc=id"],
        "page at 90% depth": [f"{table}?_size=20&_sort_desc=id&_next={deep}"],
        "search, rare word": [f"{table}?_search={RARE}&_size=20"],
        "search, word in 10%": [f"{table}?_search={TENTH}&_size=20"],
        "search, word in 50%": [f"{table}?_search={HALF}&_size=20"],
    }


def ceiling_paths(count: int, database: Path) -> dict[str, list[str]]:
    deep_id = _id_at(database, int(count * 0.9)) + 1  # the keyset route takes ids below this
    return {
        "fixed JSON": ["/fixed"],
        "article by id": [f"/article/{n}" for n in _ids(count)],
        "article by id (SQLModel Session.get)": [f"/sqlmodel/article/{n}" for n in _ids(count)],
        "first page of 20": ["/articles?limit=20"],
        "page at 90% depth": [f"/articles?limit=20&before={deep_id}"],
        "page at 90% depth (OFFSET)": [f"/articles/offset?limit=20&offset={int(count * 0.9)}"],
        "search, rare word": [f"/search?q={RARE}"],
        "search, word in 10%": [f"/search?q={TENTH}"],
        "search, word in 50%": [f"/search?q={HALF}"],
    }


def _id_at(database: Path, position: int) -> int:
    """The id of the row ``position`` rows down the list, newest id first."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True) as connection:
        row = connection.execute(
            "SELECT id FROM article ORDER BY id DESC LIMIT 1 OFFSET ?", (position - 1,)
        ).fetchone()
    return int(row[0])


def load_all(
    results: Results,
    server_name: str,
    base: str,
    paths: dict[str, list[str]],
    args: Any,
    connections: int | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    for work, asked in paths.items():
        name = re.sub(r"\W+", "-", f"{server_name}-{work}")
        rate, p50, p99, errors = wrk(
            base,
            asked,
            seconds=args.seconds,
            connections=connections or args.connections,
            name=name,
            headers=headers,
        )
        load = Load(work, server_name, asked[0], rate, p50, p99, errors)
        results.loads.append(load)
        flag = f"  ({errors} errors)" if errors else ""
        print(
            f"  {work:<40} {server_name:<28} {rate:>9,.0f} req/s  p50 {p50:7.2f} ms"
            f"  p99 {p99:7.2f} ms{flag}",
            flush=True,
        )


def load_computed(
    results: Results,
    server_name: str,
    started: Callable[[], AbstractContextManager[tuple[str, Any]]],
    paths: dict[str, list[str]],
    args: Any,
) -> None:
    """An article by id, the pages and the searches of ``paths`` on a server with its caches off,
    then the short queries from one client (latency, not throughput: it asks again as soon as it
    has its answer). Each load has a server of its own, started for it: at 1M a computed search can
    outlast wrk's timeout, and the requests it gave up on would still queue in the server and
    weigh on the next load."""
    computed = {
        work: asked
        for work, asked in paths.items()
        if work.startswith(("search", "article by id", "first page", "page at"))
    }
    short = {f"query `{q}`": [f"/v1/search?{quoted(q)}"] for q in SHORT_QUERIES}
    for loads, connections in ((computed, None), (short, 1)):
        for work, asked in loads.items():
            with started() as (base, _):
                load_all(results, server_name, base, {work: asked}, args, connections)


def http(results: Results, database: Path, args: Any) -> None:
    command: list[str | Path] = [BIN / "byline", "serve", "--port", "{port}", "--workers", "1"]
    env = byline_env(database, BYLINE_LOG_LEVEL="warning")
    if args.only_serving:
        with server(command, "/readyz", env) as (base, _):
            paths = byline_paths(base, results.count)
        print("serving features off and on", flush=True)
        serving_cost(results, database, command, paths, args)
        return

    uvicorn: list[str | Path] = [
        BIN / "uvicorn",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--log-level",
        "warning",
    ]
    uvicorn += ["--no-access-log"]
    ceiling_env = {**os.environ, "BENCH_DATABASE": str(database), "PYTHONPATH": str(ROOT)}

    print("bare Starlette and FastAPI", flush=True)
    with server([*uvicorn, "bench.ceiling:starlette_app"], "/fixed", ceiling_env) as (base, _):
        load_all(results, "bare Starlette", base, {"fixed JSON": ["/fixed"]}, args)
    with server([*uvicorn, "bench.ceiling:fastapi_app"], "/fixed", ceiling_env) as (base, _):
        load_all(results, "bare FastAPI", base, ceiling_paths(results.count, database), args)

    print("Tantivy in process", flush=True)
    top20 = engine_ceiling(results, database)

    print("byline serve", flush=True)
    with server(command, "/readyz", env) as (base, process):
        results.ready_seconds = process.ready_seconds
        paths = byline_paths(base, results.count)
        load_all(results, "Byline", base, paths, args)
        served = get_json(f"{base}/v1/search?{quoted(HALF, limit=20)}")
        results.top20_exact = [hit["id"] for hit in served["items"]] == top20
        results.server_rss_mb = tree_rss_mb(process.pid, "VmHWM")

    print("serving features off and on", flush=True)
    serving_cost(results, database, command, paths, args)

    print("byline serve, caches off", flush=True)
    env = byline_env(database, BYLINE_LOG_LEVEL="warning", **CACHES_OFF)
    # Each request differs (its snippet's length), so no cache or single flight shares work.
    paths[VARIED_HALF] = [
        f"/v1/search?{quoted(HALF, snippet_words=words)}" for words in range(10, 101)
    ]
    load_computed(results, COLD, lambda: server(command, "/readyz", env), paths, args)

    if args.postgresql:
        http_postgresql(results, command, args)

    datasette: list[str | Path] = [
        BIN / "datasette",
        "serve",
        database,
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
    ]
    for label, settings in (
        ("Datasette (suggested facets off)", ["--setting", "suggest_facets", "off"]),
        ("Datasette (defaults)", []),
    ):
        print(label, flush=True)
        with server([*datasette, *settings], "/-/versions.json", os.environ.copy()) as (base, _):
            paths = datasette_paths(results.count, database)
            if "defaults" in label:
                paths = {"first page of 20": paths["first page of 20"]}
            load_all(results, label, base, paths, args)


def serving_cost(
    results: Results,
    database: Path,
    command: list[str | Path],
    paths: dict[str, list[str]],
    args: Any,
) -> None:
    """What the serving features cost: the same loads on a server with them all off, then all
    on, in turn (``SERVING_ROUNDS``); a key of the store is made for the run and revoked after."""
    env = byline_env(database, BYLINE_LOG_LEVEL="warning")
    name = f"bench-{os.getpid()}"
    made = subprocess.run(
        [BIN / "byline", "keys", "create", name],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    key = made.stdout.strip()
    on_headers = {
        "X-API-Key": key,
        "Origin": SERVING_ORIGIN,
        "Accept-Encoding": "gzip, deflate, br, zstd",
    }
    variants: list[tuple[str, dict[str, str], dict[str, str], tuple[str, ...]]] = [
        (FEATURES_OFF, SERVING_OFF, {}, SERVING_WORK),
        (FEATURES_ON, SERVING_ON, on_headers, SERVING_WORK),
    ]
    for feature, off in SERVING_WITHOUT.items():
        variant = (f"{FEATURES_ON} but {feature}", {**SERVING_ON, **off}, on_headers)
        variants.append((*variant, ("article by id",)))
    sums: dict[tuple[str, str], list[float]] = {}
    try:
        for _round in range(SERVING_ROUNDS):
            for label, extra, headers, works in variants:
                # The access log at info, so that the JSON lines are written (to /dev/null).
                served = byline_env(database, BYLINE_LOG_LEVEL="info", **extra)
                with server(command, "/readyz", served) as (base, process):
                    for work in works:
                        before = cpu_seconds(process.pid)
                        figures = wrk(
                            base,
                            paths[work],
                            seconds=args.seconds,
                            connections=args.connections,
                            name=re.sub(r"\W+", "-", f"{label}-{work}"),
                            headers=headers,
                        )
                        # The server's own CPU time a request, steadier than req/s on a shared
                        # machine; wrk's 1 s warm-up is counted as running at the same rate.
                        served_requests = figures[0] * (args.seconds + 1)
                        cpu_us = (cpu_seconds(process.pid) - before) / served_requests * 1e6
                        total = sums.setdefault((work, label), [0.0] * 5)
                        for position, figure in enumerate((*figures, cpu_us)):
                            total[position] += figure
    finally:
        subprocess.run([BIN / "byline", "keys", "revoke", name], env=env, check=True)
    for (work, label), total in sums.items():
        rate, p50, p99, errors, cpu_us = (figure / SERVING_ROUNDS for figure in total)
        load = Load(work, label, paths[work][0], rate, p50, p99, round(errors * SERVING_ROUNDS))
        results.loads.append(load)
        results.serving_cpu_us[(work, label)] = cpu_us
        print(
            f"  {work:<40} {label:<28} {rate:>9,.0f} req/s  p50 {p50:7.2f} ms  p99 {p99:7.2f} ms"
            f"  server CPU {cpu_us:6.1f} µs a request",
            flush=True,
        )


def http_postgresql(results: Results, command: list[str | Path], args: Any) -> None:
    """Byline on PostgreSQL: the same loads as on SQLite, with and without the search cache."""
    url = postgresql_database(args.postgresql, results.count, fresh=False)
    # The replica's index folder, emptied: the first start is a cold start, which builds it
    # from the store before /readyz answers 200.
    folder = replica_index(results.count)
    with postgresql_pinned():
        print("byline serve on PostgreSQL (a replica's cold start)", flush=True)
        env = byline_env(url, BYLINE_LOG_LEVEL="warning", BYLINE_INDEX_PATH=str(folder))
        with server(command, "/readyz", env) as (base, process):
            results.cold_start_seconds = process.ready_seconds
            results.notes.append(
                f"Byline on PostgreSQL: a replica's cold start (empty index to ready) "
                f"{process.ready_seconds:.1f} s, its index {folder_bytes(folder) / 2**20:,.0f} MB"
            )
            paths = byline_paths(base, results.count)
            load_all(results, "Byline on PostgreSQL", base, paths, args)
            rss = tree_rss_mb(process.pid, "VmHWM")
            results.notes.append(f"Byline on PostgreSQL: server peak RSS {rss:.0f} MB")
        print("byline serve on PostgreSQL, caches off", flush=True)
        env = byline_env(
            url, BYLINE_LOG_LEVEL="warning", BYLINE_INDEX_PATH=str(folder), **CACHES_OFF
        )
        cold = POSTGRESQL_COLD
        load_computed(results, cold, lambda: server(command, "/readyz", env), paths, args)


GOALS: list[tuple[str, str]] = [
    ("detail ≥ 0.75× bare FastAPI fixed JSON", "detail"),
    ("first page ≥ 2,500 req/s", "first"),
    ("page at 90% depth ≥ 2,500 req/s", "deep"),
    ("rare-word search ≥ 1,500 req/s", "rare"),
    ("50% word ≥ 500 req/s, exact top 20", "half"),
    ("ingest ≤ 0.8× sqlite-utils", "ingest"),
    ("ingest peak RSS ≤ 100 MB", "ingest-rss"),
    ("unchanged re-ingest ≤ 5 s", "unchanged"),
    ("serve ready ≤ 2 s", "ready"),
    ("server RSS under load ≤ 200 MB", "rss"),
]


def engine_ceiling(results: Results, database: Path) -> list[int]:
    """The short queries asked of the engine alone, on the server's CPU (bench/engine.py); the
    documented top 20 of the word in 50% of the articles."""
    engine = ROOT / "bench" / "engine.py"
    output = subprocess.run(
        [
            *("taskset", "-c", SERVER_CPU, sys.executable, engine, database),
            *(*SHORT_QUERIES, "--json", "--reference", HALF),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    figures = json.loads(output)
    built = figures["built"]
    per_article = built["megabytes"] * 2**20 / max(built["documents"], 1)
    results.ingestions.append(
        Ingestion(
            "Tantivy index of the store (in process, Byline's upkeep)",
            built["seconds"],
            0.0,
            f"{built['megabytes']:.0f} MB, {per_article:,.0f} bytes an article",
        )
    )
    for each in figures["timed"]:
        p50, p99 = each["p50_ms"], each["p99_ms"]
        rate = 1000 / p50 if p50 else 0.0
        results.loads.append(Load(f"query `{each['query']}`", ENGINE, "", rate, p50, p99))
        print(f"  query `{each['query']}` p50 {p50:.2f} ms  p99 {p99:.2f} ms", flush=True)
    return [int(id) for id in figures["top20"]]


def index_goals(results: Results) -> list[tuple[str, str, bool | None]]:
    """The goals of search on the index: latency beside the engine's, throughput, exactness."""
    goals: list[tuple[str, str, bool | None]] = []
    on_index = [
        load for load in results.loads if load.work.startswith("query `") and load.server == COLD
    ]
    if on_index:
        worst = max(on_index, key=lambda load: load.p99_ms)
        goals.append(
            (
                f"p99 ≤ 20 ms over HTTP on the index, every query of the set (one client, "
                f"computed, {results.count:,} articles)",
                f"{worst.p99_ms:.1f} ms ({worst.work[6:]})",
                worst.p99_ms <= 20,
            )
        )
        engine = {load.work: load for load in results.loads if load.server == ENGINE}
        gaps = [
            (load.p99_ms - engine[load.work].p99_ms, load.work)
            for load in on_index
            if load.work in engine
        ]
        if gaps:
            gap, work = max(gaps)
            goals.append(
                (
                    "p99 over HTTP on the index within 5 ms of the engine's in-process p99",
                    f"{gap:.1f} ms at worst ({work[6:]})",
                    gap <= 5,
                )
            )
    built = next((item for item in results.ingestions if item.tool == "byline ingest"), None)
    if built is not None:
        private = built.peak_private_mb
        goals.append(
            (
                "ingestion with the index: peak RSS ≤ 150 MB",
                f"{built.peak_rss_mb:.0f} MB"
                + (
                    ""
                    if private is None
                    else f" ({private:.0f} MB private; the rest is pages of "
                    "the index's files, mapped)"
                ),
                built.peak_rss_mb <= 150,
            )
        )
    varied = results.rate(VARIED_HALF, COLD)
    if varied:
        exact = "exact" if results.top20_exact else "NOT the documented top 20"
        goals.append(
            (
                "word in 50%, 16 clients, each request computed, on the index: ≥ 1,000 req/s",
                f"{varied:,.0f} req/s; {exact}",
                varied >= 1000 and bool(results.top20_exact),
            )
        )
    return goals


def goal_lines(results: Results) -> list[str]:
    byline = {load.work: load for load in results.loads if load.server == "Byline"}
    ingest = {item.tool: item for item in results.ingestions}
    lines = ["| goal | figure | met |", "|---|---|---|"]

    def add(goal: str, figure: str, met: bool | None) -> None:
        lines.append(f"| {goal} | {figure} | {'—' if met is None else 'yes' if met else 'no'} |")

    for goal, key in GOALS:
        if key == "detail" and "article by id" in byline:
            ceiling = results.rate("fixed JSON", "bare FastAPI")
            ratio = byline["article by id"].requests_per_second / ceiling if ceiling else 0
            cold = results.rate("article by id", COLD) / ceiling if ceiling else 0
            add(goal, f"{ratio:.2f}× with the cache, {cold:.2f}× without", ratio >= 0.75)
        elif key == "rare" and "search, rare word" in byline:
            rate = byline["search, rare word"].requests_per_second
            cold = results.rate("search, rare word", COLD)
            add(goal, f"{rate:,.0f} req/s with the cache, {cold:,.0f} without", rate >= 1500)
        elif key in ("first", "deep"):
            work = "first page of 20" if key == "first" else "page at 90% depth"
            if work in byline:
                rate = byline[work].requests_per_second
                cold = results.rate(work, COLD)
                add(goal, f"{rate:,.0f} req/s with the cache, {cold:,.0f} without", rate >= 2500)
        elif key == "half" and "search, word in 50%" in byline:
            rate = byline["search, word in 50%"].requests_per_second
            cold = results.rate("search, word in 50%", COLD)
            exact = "exact" if results.top20_exact else "NOT the reference top 20"
            add(
                goal,
                f"{rate:,.0f} req/s with the cache, {cold:,.0f} without; {exact}",
                rate >= 500 and bool(results.top20_exact),
            )
        elif key == "ingest" and "byline ingest" in ingest:
            ours = ingest["byline ingest"].seconds
            peer = ingest["sqlite-utils insert-files + enable-fts"].seconds
            add(goal, f"{ours:.1f} s vs {peer:.1f} s = {ours / peer:.2f}×", ours <= 0.8 * peer)
        elif key == "ingest-rss" and "byline ingest" in ingest:
            rss = ingest["byline ingest"].peak_rss_mb
            add(goal, f"{rss:.0f} MB", rss <= 100)
        elif key == "unchanged" and "byline ingest, nothing changed" in ingest:
            seconds = ingest["byline ingest, nothing changed"].seconds
            add(goal, f"{seconds:.1f} s", seconds <= 5)
        elif key == "ready" and results.ready_seconds is not None:
            add(goal, f"{results.ready_seconds:.2f} s", results.ready_seconds <= 2)
        elif key == "rss" and results.server_rss_mb is not None:
            add(goal, f"{results.server_rss_mb:.0f} MB", results.server_rss_mb <= 200)
    short = [
        load for load in results.loads if load.work.startswith("query `") and load.server == COLD
    ]
    if short:
        worst = max(short, key=lambda load: load.p99_ms)
        add(
            f"p99 ≤ 50 ms, any one- or two-word query (one client, cache off, "
            f"{results.count:,} articles)",
            f"{worst.p99_ms:.1f} ms ({worst.work[6:]})",
            worst.p99_ms <= 50,
        )
    for goal, figure, met in [
        *serving_goals(results),
        *index_goals(results),
        *postgresql_goals(results),
    ]:
        add(goal, figure, met)
    return lines


def serving_goals(results: Results) -> list[tuple[str, str, bool | None]]:
    """The serving features' cost: at most 10% of the article's and the pages' req/s."""
    costs, figures = [], []
    for work in SERVING_WORK:
        off, on = results.rate(work, FEATURES_OFF), results.rate(work, FEATURES_ON)
        if off and on:
            costs.append(1 - on / off)
            figures.append(f"{work}: {on:,.0f} on, {off:,.0f} off ({on / off - 1:+.0%})")
    if not costs:
        return []
    on = results.rate("article by id", FEATURES_ON)
    shares = []
    for feature in SERVING_WITHOUT:
        without = results.rate("article by id", f"{FEATURES_ON} but {feature}")
        if on and without:
            shares.append(f"{feature} {1 - on / without:.0%}")
    if shares:
        figures.append("each feature's share of the article's time: " + ", ".join(shares))
    cpu = []
    for work in SERVING_WORK:
        off_us = results.serving_cpu_us.get((work, FEATURES_OFF))
        on_us = results.serving_cpu_us.get((work, FEATURES_ON))
        if off_us and on_us:
            cpu.append(f"{work} {off_us:.0f} µs off, {on_us:.0f} on ({on_us / off_us - 1:+.0%})")
    if cpu:
        figures.append("the server's CPU a request: " + ", ".join(cpu))
    figure = "; ".join(figures)
    return [
        (
            "all serving features on (key, rate limit, CORS, metrics, JSON access log, "
            "compression) cost ≤ 10% of article and page req/s",
            figure,
            all(cost <= 0.10 for cost in costs),
        )
    ]


def postgresql_goals(results: Results) -> list[tuple[str, str, bool | None]]:
    """Byline on PostgreSQL beside Byline on SQLite: searches, ingestion, cold start, reads."""
    goals: list[tuple[str, str, bool | None]] = []
    on_sqlite = {load.work: load for load in results.loads if load.server == COLD}
    on_postgresql = [
        load
        for load in results.loads
        if load.server == POSTGRESQL_COLD and load.work.startswith("query `")
    ]
    ratios = [
        (load.p99_ms / on_sqlite[load.work].p99_ms, load.work)
        for load in on_postgresql
        if load.work in on_sqlite and on_sqlite[load.work].p99_ms > 0
    ]
    if ratios:
        ratio, work = max(ratios)
        goals.append(
            (
                "computed searches on PostgreSQL within 1.2× of SQLite's p99 (one client, "
                "every query of the set)",
                f"{ratio:.2f}× at worst ({work[6:]})",
                ratio <= 1.2,
            )
        )
    ingest = {item.tool: item.seconds for item in results.ingestions}
    if "byline ingest, PostgreSQL" in ingest and "byline ingest" in ingest:
        ratio = ingest["byline ingest, PostgreSQL"] / ingest["byline ingest"]
        goals.append(("ingestion into PostgreSQL ≤ 1.5× SQLite's", f"{ratio:.2f}×", ratio <= 1.5))
    if results.cold_start_seconds is not None:
        seconds = results.cold_start_seconds
        goals.append(
            (
                f"a replica's cold start (empty index to ready) at {results.count:,} ≤ "
                f"{60 * results.count / 100_000:,.0f} s",
                f"{seconds:.1f} s",
                seconds <= 60 * results.count / 100_000,
            )
        )
    for work in ("article by id", "first page of 20"):
        sqlite_rate = results.rate(work, COLD)
        postgresql_rate = results.rate(work, POSTGRESQL_COLD)
        if sqlite_rate and postgresql_rate:
            ratio = postgresql_rate / sqlite_rate
            goals.append(
                (
                    f"{work} on PostgreSQL ≥ 0.5× SQLite's req/s (caches off)",
                    f"{ratio:.2f}×",
                    ratio >= 0.5,
                )
            )
    return goals


def tables(results: Results) -> list[str]:
    lines = [f"Corpus: {results.count:,} generated articles.", ""]
    if results.ingestions:
        lines += [
            "| ingestion | seconds | peak RSS MB | peak private MB | note |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {i.tool} | {i.seconds:.1f} | {i.peak_rss_mb:.0f} | "
            f"{'—' if i.peak_private_mb is None else f'{i.peak_private_mb:.0f}'} | {i.note} |"
            for i in results.ingestions
        ]
        lines.append("")
    if results.loads:
        ceiling = results.rate("fixed JSON", "bare FastAPI")
        lines += [
            "| work | server | req/s | p50 ms | p99 ms | × bare FastAPI fixed | × Datasette |",
            "|---|---|---|---|---|---|---|",
        ]
        for load in results.loads:
            peer = results.rate(load.work, "Datasette (suggested facets off)")
            to_ceiling = f"{load.requests_per_second / ceiling:.2f}" if ceiling else "—"
            to_peer = f"{load.requests_per_second / peer:.1f}" if peer else "—"
            errors = f" ({load.errors} errors)" if load.errors else ""
            lines.append(
                f"| {load.work} | {load.server} | {load.requests_per_second:,.0f}{errors} | "
                f"{load.p50_ms:.2f} | {load.p99_ms:.2f} | {to_ceiling} | {to_peer} |"
            )
        lines.append("")
    lines += goal_lines(results)
    if results.notes:
        lines += ["", *[f"- {note}" for note in results.notes]]
    return lines


def versions() -> str:
    from importlib.metadata import version  # noqa: PLC0415

    names = ["fastapi", "starlette", "uvicorn", "sqlalchemy", "datasette", "sqlite-utils"]
    found = ", ".join(f"{name} {version(name)}" for name in names)
    wrk_version = subprocess.run(
        ["wrk", "--version"], capture_output=True, text=True, check=False
    ).stdout
    commit = checked_out()
    return (
        f"Byline {commit}, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{found}, {wrk_version.split(' [')[0].strip()}; {os.cpu_count()} CPUs "
        f"({_cpu_model()}); server on CPU {SERVER_CPU}, wrk on CPU {LOAD_CPU}"
    )


def checked_out() -> str:
    """The commit of Byline measured, short."""
    return subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    ).stdout.strip()


def _cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=100_000, help="articles in the corpus")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--seconds", type=int, default=10, help="wrk duration per endpoint")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--skip-ingest", action="store_true", help="reuse the last database")
    parser.add_argument("--skip-http", action="store_true")
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    parser.add_argument(
        "--postgresql",
        metavar="URL",
        help="also bench Byline on a database it creates on this PostgreSQL server",
    )
    parser.add_argument(
        "--skip-sqlite-ingest", action="store_true", help="reuse the last SQLite database"
    )
    parser.add_argument(
        "--only-serving",
        action="store_true",
        help="of the HTTP loads, only the serving features' cost (off, then on)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    WORK.mkdir(parents=True, exist_ok=True)
    database = WORK / f"byline-{args.count}.db"
    results = Results(count=args.count)
    folder = corpus(args.count, args.seed)
    if not args.skip_ingest and not args.skip_sqlite_ingest:
        ingest(results, folder, database, WORK / f"sqlite-utils-{args.count}.db")
    if args.postgresql and not args.skip_ingest:
        url = postgresql_database(args.postgresql, args.count, fresh=True)
        ingest_postgresql(results, folder, url)
    if not args.skip_http:
        http(results, database, args)
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    title = f"## {when}: `./run bench {' '.join(sys.argv[1:])}`"
    report = [title, "", versions(), "", *tables(results)]
    print("\n".join(report))
    if args.record:
        with (ROOT / "bench" / "RESULTS.md").open("a") as record:
            record.write("\n" + "\n".join(report) + "\n")


if __name__ == "__main__":
    main()
