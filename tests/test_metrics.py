"""``/metrics`` (app/api/metrics.py) read with prometheus_client's own parser: requests by route
template and status, latency, the caches, the index's lag and the ingestion runs, on both
stores; the setting that turns it off; several server processes adding up; and the JSON access
log (app/api/access_log.py) of a real server."""

import asyncio
import glob
import json
import random
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import IO, Any

import httpx2
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine
from sqlmodel import Session

from app.api import access_log
from app.api.access_log import ATOMIC_BYTES, FLUSH_S, AccessLog
from app.api.app import create_app
from app.api.edge import Edge
from app.api.metrics import LATENCY_BUCKETS, RequestMetrics, StoreMetrics
from app.ingestion.outcomes import IngestReport, Outcome
from app.search.index import SearchIndex
from app.settings import Settings
from app.store.database import migrate
from app.store.models import IngestRun
from tests.conftest import SEED_SLUG
from tests.live import live_server

Labels = frozenset[tuple[str, str]]


class Scrape:
    """A scrape's samples, by name and labels."""

    def __init__(self, text: str) -> None:
        self.samples: dict[tuple[str, Labels], float] = {}
        self.types: dict[str, str] = {}
        for family in text_string_to_metric_families(text):
            self.types[family.name] = family.type
            for sample in family.samples:
                self.samples[(sample.name, frozenset(sample.labels.items()))] = sample.value

    def value(self, name: str, **labels: str) -> float | None:
        return self.samples.get((name, frozenset(labels.items())))

    def label_values(self, name: str, label: str) -> set[str]:
        return {
            value
            for (sample, labels), _ in self.samples.items()
            if sample == name
            for key, value in labels
            if key == label
        }


def scrape(client: TestClient | httpx2.Client, base: str = "") -> Scrape:
    answer = client.get(f"{base}/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=")
    return Scrape(answer.text)


def requests_of(found: Scrape, route: str, status: str, method: str = "GET") -> float | None:
    return found.value("byline_http_requests_total", route=route, method=method, status=status)


def test_requests_are_counted_by_route_template_and_status(
    client: TestClient, seeded: IngestReport
) -> None:
    article = f"/v1/articles/{SEED_SLUG}"
    for path in ("/v1/articles", article, article, "/v1/articles/1", "/v1/articles/no-such"):
        client.get(path)
    client.head(article)
    client.get("/v1/search", params={"q": "troops"})
    for n in range(20):  # paths no route has: one label, however many
        client.get(f"/nothing-here-{n}")
    client.post("/v1/articles")

    found = scrape(client)
    assert requests_of(found, "/v1/articles", "200") == 1
    assert requests_of(found, "/v1/articles/{ref}", "200") == 3  # one kept, answered before routing
    assert requests_of(found, "/v1/articles/{ref}", "404") == 1
    assert requests_of(found, "/v1/articles/{ref}", "200", method="HEAD") == 1
    assert requests_of(found, "/v1/search", "200") == 1
    assert requests_of(found, "unmatched", "404") == 20
    assert requests_of(found, "/v1/articles", "405", method="POST") == 1
    routes = found.label_values("byline_http_requests_total", "route")
    assert all(route == "unmatched" or route.startswith("/v1/") for route in routes), routes
    assert "/metrics" not in routes  # a scrape does not count itself
    assert found.types["byline_http_request_duration_seconds"] == "histogram"
    timed = found.value("byline_http_request_duration_seconds_count", route="/v1/articles/{ref}")
    assert timed == 5
    assert (
        found.value(
            "byline_http_request_duration_seconds_bucket",
            route="/v1/articles/{ref}",
            le=str(float(LATENCY_BUCKETS[-1])),
        )
        == 5
    )


def test_the_caches_hits_and_misses(client: TestClient, seeded: IngestReport) -> None:
    for _ in range(3):
        client.get(f"/v1/articles/{SEED_SLUG}")  # kept whole: the bodies
        client.get("/v1/articles")  # kept whole too
        client.get("/v1/search?q=troops")  # kept by the search cache: the responses
    found = scrape(client)
    assert found.types["byline_cache_hits"] == "counter"
    # The first of each is computed and kept; the two after are answered from the cache: the
    # article and the page whole (bodies), the search by its results (responses, where the
    # page's first computation missed too).
    for cache, hits, misses in (("bodies", 4, 2), ("responses", 2, 2)):
        assert found.value("byline_cache_hits_total", cache=cache) == hits, cache
        assert found.value("byline_cache_misses_total", cache=cache) == misses, cache
    assert found.value("byline_cache_hits_total", cache="counts") is not None


def test_the_store_the_index_and_the_runs_as_scraped(
    client: TestClient, seeded: IngestReport
) -> None:
    found = scrape(client)
    last = found.value("byline_store_last_change")
    assert last is not None
    assert last > 0
    assert found.value("byline_search_index_applied_change") == last
    assert found.value("byline_search_index_lag") == 0
    assert found.value("byline_ingest_runs", result="succeeded") == 1
    assert found.value("byline_ingest_runs", result="failed") == 0
    assert found.value("byline_ingest_runs", result="unfinished") == 0
    for outcome in Outcome:
        files = found.value("byline_ingest_files_total", outcome=outcome.value)
        assert files == seeded.counts[outcome], outcome
    started = found.value("byline_ingest_last_run_started_timestamp_seconds")
    finished = found.value("byline_ingest_last_run_finished_timestamp_seconds")
    assert started is not None
    assert finished is not None
    assert started <= finished <= datetime.now(UTC).timestamp()


def collected(engine: Engine, index: SearchIndex) -> Scrape:
    """What ``StoreMetrics`` gives for the store of ``engine`` and ``index``, as text."""
    collector = StoreMetrics(SimpleNamespace(engine=engine, search_index=index))
    lines = []
    for family in collector.collect():
        kind = "counter" if family.type == "counter" else "gauge"
        lines.append(f"# TYPE {family.name} {kind}")
        for sample in family.samples:
            labels = ",".join(f'{key}="{value}"' for key, value in sample.labels.items())
            lines.append(f"{sample.name}{{{labels}}} {sample.value}")
    return Scrape("\n".join(lines) + "\n")


def test_an_index_behind_the_store_shows_its_lag(
    engine: Engine, seeded: IngestReport, tmp_path: Path
) -> None:
    found = collected(engine, SearchIndex(tmp_path / "empty.index", writer_mb=64))
    assert found.value("byline_search_index_applied_change") == 0
    last = found.value("byline_store_last_change")
    assert last is not None
    assert found.value("byline_search_index_lag") == last > 0


def test_runs_failed_and_unfinished_are_told_apart(engine: Engine, tmp_path: Path) -> None:
    now = datetime.now(UTC)
    with Session(engine) as session:
        session.add(IngestRun(finished_at=now, report={"counts": {"added": 3, "failed": 0}}))
        session.add(IngestRun(finished_at=now, report={"counts": {"added": 1, "failed": 2}}))
        session.add(IngestRun())  # cut off: no finish, no report
        session.commit()
    found = collected(engine, SearchIndex(tmp_path / "empty.index", writer_mb=64))
    assert found.value("byline_ingest_runs", result="succeeded") == 1
    assert found.value("byline_ingest_runs", result="failed") == 1
    assert found.value("byline_ingest_runs", result="unfinished") == 1
    assert found.value("byline_ingest_files_total", outcome="added") == 4
    assert found.value("byline_ingest_files_total", outcome="failed") == 2
    assert found.value("byline_ingest_files_total", outcome="pruned") == 0
    assert found.value("byline_ingest_last_run_started_timestamp_seconds") is not None
    assert found.value("byline_ingest_last_run_finished_timestamp_seconds") is None


def test_an_empty_store_has_no_runs(engine: Engine, tmp_path: Path) -> None:
    found = collected(engine, SearchIndex(tmp_path / "empty.index", writer_mb=64))
    assert found.value("byline_store_last_change") == 0
    assert found.value("byline_ingest_runs", result="succeeded") == 0
    assert found.value("byline_ingest_last_run_started_timestamp_seconds") is None


@pytest.mark.sqlite_only
def test_metrics_off_is_a_404_and_counts_nothing(settings: Settings) -> None:
    with TestClient(create_app(settings.model_copy(update={"metrics": False}))) as client:
        client.get("/healthz")
        answer = client.get("/metrics")
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
        assert not hasattr(client.app.state, "metrics")  # type: ignore[attr-defined]


@pytest.mark.sqlite_only
def test_metrics_are_not_in_the_openapi_document(client: TestClient) -> None:
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


@pytest.mark.sqlite_only
@pytest.mark.parametrize("value", ["yes please", "2"])
def test_a_bad_setting_is_refused(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYLINE_ACCESS_LOG", value)
    with pytest.raises(ValueError, match="access_log"):
        Settings()


def metrics_folders() -> set[str]:
    return set(glob.glob(str(Path(tempfile.gettempdir()) / "byline-metrics-*")))


@pytest.mark.sqlite_only
def test_two_server_processes_are_scraped_as_one(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'byline.db'}"
    migrate(url)
    before = metrics_folders()
    env = {"BYLINE_INGEST_ON_START": "false", "BYLINE_WORKERS": "2"}
    with live_server(url, tmp_path / "serve.log", **env) as base:
        made = metrics_folders() - before
        assert len(made) == 1  # where the processes keep their counts
        folder = Path(made.pop())
        # A new connection each: the processes take them as the kernel hands them out, so
        # both answer some once both listen (on a busy machine the second may start late).
        sent, deadline = 0, time.monotonic() + 60
        while sent < 40 or (len(processes(folder)) < 2 and time.monotonic() < deadline):
            assert httpx2.get(f"{base}/healthz").status_code == 200
            sent += 1
        pids = processes(folder)
        scrapes = [Scrape(httpx2.get(f"{base}/metrics").text) for _ in range(6)]
    assert len(pids) == 2, pids
    for found in scrapes:
        assert requests_of(found, "/healthz", "200") == sent
        assert found.value("byline_store_last_change") == 0
    assert not metrics_folders() - before  # removed once the server stops


def processes(folder: Path) -> set[str]:
    """The processes that keep counts in ``folder``: its files are ``counter_PID.db`` and such."""
    return {path.name.rsplit("_", 1)[-1] for path in folder.iterdir()}


def access_lines(log: Path) -> list[dict[str, object]]:
    lines = log.read_text().splitlines()
    return [json.loads(line) for line in lines if line.startswith("{")]


@pytest.mark.sqlite_only
def test_the_json_access_log_of_a_real_server(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'byline.db'}"
    migrate(url)
    log = tmp_path / "serve.log"
    env = {"BYLINE_INGEST_ON_START": "false", "BYLINE_ACCESS_LOG": "json"}
    with live_server(url, log, **env) as base:
        headers = {"User-Agent": "newsroom-tool/1.0", "X-Request-ID": "req-7"}
        listed = httpx2.get(f"{base}/v1/articles", params={"limit": 5}, headers=headers)
        missing = httpx2.get(f"{base}/v1/articles/no-such")
        # Within the flush interval while the server runs (a busy machine may lag a while).
        deadline = time.monotonic() + FLUSH_S + 10
        served = access_lines(log)
        while not served or served[-1]["path"] != "/v1/articles/no-such":
            assert time.monotonic() < deadline, served
            time.sleep(0.05)
            served = access_lines(log)
        httpx2.get(f"{base}/v1/articles/last")  # its line goes as the server stops
    assert [entry["path"] for entry in served[-2:]] == ["/v1/articles", "/v1/articles/no-such"]
    entries = access_lines(log)
    assert entries[: len(served)] == served
    assert entries[-1]["path"] == "/v1/articles/last"
    assert all(set(entry) == set(entries[0]) for entry in entries)
    [entry] = [e for e in entries if e["path"] == "/v1/articles"]
    assert entry["method"] == "GET"
    assert entry["query"] == "limit=5"
    assert entry["status"] == 200
    assert entry["bytes"] == len(listed.content)
    assert entry["client"] == "127.0.0.1"
    assert entry["user_agent"] == "newsroom-tool/1.0"
    assert entry["request_id"] == "req-7"
    assert isinstance(entry["duration_ms"], float)
    assert entry["duration_ms"] > 0
    assert datetime.fromisoformat(str(entry["time"])).tzinfo is not None
    [entry] = [e for e in entries if e["path"] == "/v1/articles/no-such"]
    assert entry["status"] == 404
    assert entry["bytes"] == len(missing.content)
    assert entry["request_id"] is None
    assert '"GET /v1/articles' not in log.read_text()  # uvicorn's own lines are not kept too


@pytest.mark.sqlite_only
@pytest.mark.parametrize(("setting", "uvicorn_lines"), [("text", True), ("off", False)])
def test_the_text_access_log_or_none(tmp_path: Path, setting: str, uvicorn_lines: bool) -> None:
    url = f"sqlite:///{tmp_path / 'byline.db'}"
    migrate(url)
    log = tmp_path / "serve.log"
    env = {"BYLINE_INGEST_ON_START": "false", "BYLINE_ACCESS_LOG": setting}
    with live_server(url, log, **env) as base:
        httpx2.get(f"{base}/v1/articles")
    assert ('"GET /v1/articles HTTP/1.1" 200' in log.read_text()) is uvicorn_lines
    assert not access_lines(log)


@pytest.mark.parametrize("seconds", [0.0, 0.0001, 0.0005, 0.0007, 0.25, 10.0, 11.0])
def test_a_request_counts_as_the_metrics_own_inc_and_observe_would(seconds: float) -> None:
    counted, observed = (RequestMetrics(SimpleNamespace()) for _ in range(2))
    counted.observe("/v1/articles/{ref}", "GET", 200, seconds)
    counted.observe("/v1/articles/{ref}", "GET", 200, seconds)
    for _ in range(2):
        observed.requests.labels("/v1/articles/{ref}", "GET", "200").inc()
        observed.latency.labels("/v1/articles/{ref}").observe(seconds)
    assert counted.exposition(None) == observed.exposition(None)


def test_the_access_log_times_as_datetime_does() -> None:
    log = AccessLog()
    now = time.time_ns()
    second = now // 10**9 * 10**9
    edges = [second, second + 999_999, second + 1_000_000, second + 10**9 - 1, now, 0]
    for nanoseconds in edges + [random.randrange(0, 2 * 10**18) for _ in range(10_000)]:
        at = datetime.fromtimestamp(nanoseconds // 10**9, UTC)
        at = at.replace(microsecond=nanoseconds // 1000 % 10**6)
        assert log._time(nanoseconds) == at.isoformat(timespec="milliseconds"), nanoseconds


async def answer_at_once(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def ignore(message: Any) -> None:
    pass


def logged_edge(file: IO[bytes], app: Any = answer_at_once) -> tuple[Edge, AccessLog]:
    log = AccessLog()
    log.output = file.fileno()
    return Edge(app, access_log=log), log


async def get(edge: Edge, path: str = "/v1") -> None:
    scope = {"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": []}
    await edge(scope, None, ignore)  # type: ignore[arg-type]


async def stop(edge: Edge) -> None:
    """What the edge does as the server stops: its lifespan ends."""

    async def lifespan_ended(scope: Any, receive: Any, send: Any) -> None:
        pass

    edge.app = lifespan_ended
    await edge({"type": "lifespan"}, None, ignore)  # type: ignore[arg-type]


def test_the_access_log_writes_whole_lines_at_once_as_they_would_pass_4_kib(
    tmp_path: Path,
) -> None:
    async def requests(edge: Edge, paths: list[str]) -> list[int]:
        """The output's size after each request, and after a turn of the event loop."""
        sizes = []
        for path in paths:
            await get(edge, path)
            sizes.append(output.stat().st_size)
        await asyncio.sleep(0)
        sizes.append(output.stat().st_size)
        return sizes

    # Lines differ by a byte or two as their durations do: what is written is found from them.
    paths = ["/v1/articles/" + "a" * 100] * 100 + ["/v1/" + "b" * ATOMIC_BYTES, "/v1"]
    output = tmp_path / "out"
    with output.open("wb") as file:
        edge, log = logged_edge(file)
        sizes = asyncio.run(requests(edge, paths))
        log.flush()  # as the server stops: the lines still waiting
    lines = output.read_bytes().splitlines(keepends=True)
    assert [json.loads(line)["path"] for line in lines] == paths
    assert sizes[-1] == sizes[-2] < len(b"".join(lines))  # a turn of the loop writes nothing
    # Each write as the rule has it, and the output's size it leaves after each request.
    writes: list[int] = []
    expected, waiting = [], 0
    for line in lines:
        if waiting + len(line) > ATOMIC_BYTES:
            writes.append(waiting)
            waiting = 0
        if len(line) > ATOMIC_BYTES:  # alone, at once
            writes.append(len(line))
        else:
            waiting += len(line)
        expected.append(sum(writes))
    assert sizes[:-1] == expected
    assert len(writes) > 5
    assert writes[-1] == len(lines[-2]) > ATOMIC_BYTES
    assert 0 < max(writes[:-1]) <= ATOMIC_BYTES


def test_the_access_log_writes_a_line_within_its_flush_interval(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(access_log, "FLUSH_S", 0.4)

    async def requests(edge: Edge) -> list[int]:
        """The output's size as the first line has waited 0.1 s, then 0.45 s; after a line
        that came later has waited 0.45 s."""
        await get(edge)
        await asyncio.sleep(0.1)
        await get(edge)  # not waiting 0.4 s from now: with the first
        sizes = [output.stat().st_size]
        await asyncio.sleep(0.35)
        sizes.append(output.stat().st_size)
        await get(edge)
        await asyncio.sleep(0.45)
        sizes.append(output.stat().st_size)
        return sizes

    output = tmp_path / "out"
    with output.open("wb") as file:
        edge, _ = logged_edge(file)
        sizes = asyncio.run(requests(edge))
    lines = output.read_bytes().splitlines(keepends=True)
    assert sizes == [0, len(lines[0] + lines[1]), len(b"".join(lines))]


def test_the_access_log_lines_of_a_loop_that_ended_go_with_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A loop that ended (an app a test ran without its lifespan) never fires its timer."""
    monkeypatch.setattr(access_log, "FLUSH_S", 0.05)

    async def requests(edge: Edge, path: str) -> None:
        await get(edge, path)
        await asyncio.sleep(0.1)

    output = tmp_path / "out"
    with output.open("wb") as file:
        edge, _ = logged_edge(file)
        asyncio.run(get(edge, "/first"))
        asyncio.run(requests(edge, "/second"))
        assert [json.loads(line)["path"] for line in output.read_bytes().splitlines()] == [
            "/first",
            "/second",
        ]


def test_the_access_log_writes_its_lines_as_the_server_stops(tmp_path: Path) -> None:
    async def serve(edge: Edge, log: AccessLog) -> list[int]:
        await get(edge)
        await get(edge)
        sizes = [output.stat().st_size]
        await stop(edge)
        sizes.append(output.stat().st_size)
        assert log.timer is None  # nothing left to write later
        return sizes

    output = tmp_path / "out"
    with output.open("wb") as file:
        edge, log = logged_edge(file)
        sizes = asyncio.run(serve(edge, log))
    assert sizes == [0, len(output.read_bytes())]
    assert len(output.read_bytes().splitlines()) == 2


@pytest.mark.parametrize(
    ("headers", "agent", "request_id"),
    [
        (
            [(b"user-agent", b"newsroom-tool/1.0"), (b"x-request-id", b"req-7")],
            "newsroom-tool/1.0",
            "req-7",
        ),
        ([(b"accept", b"*/*")], None, None),
        # Latin-1 as the server takes it; a JSON string however odd its bytes.
        ([(b"x-request-id", b'a"b\\c\xe9')], None, 'a"b\\c\u00e9'),
    ],
)
def test_the_access_log_shows_the_headers_the_edge_found(
    tmp_path: Path, headers: list[tuple[bytes, bytes]], agent: str | None, request_id: str | None
) -> None:
    """The edge's one pass over a request's headers finds what its line shows."""

    async def answer(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    async def request(edge: Edge) -> None:
        scope = {
            "type": "http",
            "method": "GET",
            "path": "/v1/articles",
            "query_string": b"limit=5",
            "headers": [(b"host", b"news.example"), *headers],
            "client": ("192.0.2.7", 40000),
        }
        await edge(scope, None, ignore)  # type: ignore[arg-type]
        await stop(edge)  # its line written

    output = tmp_path / "out"
    with output.open("wb") as file:
        edge, _ = logged_edge(file, answer)
        asyncio.run(request(edge))
    [line] = output.read_bytes().splitlines()
    entry = json.loads(line)
    assert entry == {
        "time": entry["time"],
        "method": "GET",
        "path": "/v1/articles",
        "query": "limit=5",
        "status": 204,
        "duration_ms": entry["duration_ms"],
        "bytes": 0,
        "client": "192.0.2.7",
        "user_agent": agent,
        "request_id": request_id,
    }
