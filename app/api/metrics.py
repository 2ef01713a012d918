"""Prometheus metrics of a serving process: requests by route template, method and status, their
latency, the reader's caches' hits and misses, and, read when scraped, the search index's lag
behind the store and the ingestion runs; their exposition for ``/metrics``.

Labels are bounded: a request is counted under its route's template (``/v1/articles/{ref}``),
never under its path, and a path no route matches under ``unmatched``. ``/metrics`` itself is
not counted. ``Edge`` (app/api/edge.py) counts each request as its answer ends, in plain numbers
that are added to prometheus_client's metrics when this process is scraped, and with several
processes also at the end of the event loop's turn (another process's scrape reads them then).

With several server processes (``byline serve --workers N``) a scrape reaches one of them:
``serve`` gives them a folder of their own in ``PROMETHEUS_MULTIPROC_DIR``, where each keeps its
counters and histograms, and a scrape adds up every process's (prometheus_client's multiprocess
mode). What is read when scraped (the store, the search index) is read by the process that
answers.
"""

import asyncio
import logging
import os
import re
import tempfile
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.registry import Collector
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from starlette.routing import Mount, Route, compile_path
from starlette.types import Scope

from app.api.links import route_path
from app.ingestion.outcomes import Outcome
from app.store.articles import run_totals
from app.store.caches import VersionedCache
from app.store.changes import count_changes_after, last_change
from app.store.readers.base import Reader

METRICS_PATH = "/metrics"
# Methods counted by name; any other is counted as OTHER.
COUNTED_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE"})
UNMATCHED = "unmatched"
# prometheus_client's multiprocess mode: set, every process writes its values in this folder.
MULTIPROCESS_FOLDER = "PROMETHEUS_MULTIPROC_DIR"
# From a kept article's fraction of a millisecond to the request timeout's 10 s.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)
# The reader's caches (app/store/readers/base.py), by the name of their attribute.
CACHES = ("responses", "bodies", "counts")
PUBLISH_S = 1.0
# Paths are the client's: the templates remembered for them are bounded.
PATHS_KEPT = 4096

_log = logging.getLogger("uvicorn.error.metrics")

# No ``_created`` series beside each counter: a sample more for every label set, which the
# processes of multiprocess mode do not write anyway.
disable_created_metrics()  # type: ignore[no-untyped-call]


class RequestMetrics:
    """The metrics a process counts as it serves, and the registry a scrape reads."""

    def __init__(self, state: Any) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "byline_http_requests",
            "Requests answered, by route template, method and status.",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "byline_http_request_duration_seconds",
            "Seconds from a request's arrival to its response's last byte, by route template.",
            ["route"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        hits = Counter(
            "byline_cache_hits",
            "Lookups answered from a cache of the store's reader, by cache.",
            ["cache"],
            registry=self.registry,
        )
        misses = Counter(
            "byline_cache_misses",
            "Lookups a cache of the store's reader did not hold (or the store had changed).",
            ["cache"],
            registry=self.registry,
        )
        self.cache_counters = {name: (hits.labels(name), misses.labels(name)) for name in CACHES}
        self.published = dict.fromkeys(CACHES, (0, 0))  # the caches' counts, as counted
        # What counts a request, by its labels: ``labels()`` takes a lock and checks its values
        # every call, the costliest part of counting a request.
        self.counts: dict[tuple[str, str, int], Count] = {}
        # Requests counted in plain numbers, by their labels, not yet added to the metrics: each
        # metric's value takes a lock (and in multiprocess mode writes a shared file) at every
        # change, several times the cost of the rest of a request's counting.
        self.pending: dict[tuple[str, str, int], Pending] = {}
        self.fold_due = False
        self.multiprocess = bool(os.environ.get(MULTIPROCESS_FOLDER))
        if self.multiprocess:
            self.exposed = CollectorRegistry()
            MultiProcessCollector(self.exposed)  # type: ignore[no-untyped-call]
        else:
            self.exposed = self.registry
        self.exposed.register(StoreMetrics(state))
        self.templates: RouteTemplates | None = None  # once the app's routes are all in
        self.published_at = 0.0  # when the caches' counts were last published

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        """Count one request and its latency: in plain numbers now, in the metrics when they
        are read (a scrape of this process) and, when other processes read them (multiprocess
        mode), at the end of the event loop's turn, as the answer has just gone out."""
        pending = self.pending.get((route, method, status))
        if pending is None:
            pending = self.pending[(route, method, status)] = Pending(len(LATENCY_BUCKETS) + 1)
        pending.count += 1
        pending.seconds += seconds
        pending.buckets[bisect_left(LATENCY_BUCKETS, seconds)] += 1
        if self.multiprocess and not self.fold_due:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # counted outside a server's loop: now
                self.fold()
            else:
                self.fold_due = True
                loop.call_soon(self.fold)

    def fold(self) -> None:
        """Add the requests counted in plain numbers to the metrics."""
        self.fold_due = False
        pending, self.pending = self.pending, {}
        for (route, method, status), counted in pending.items():
            count = self.counts.get((route, method, status))
            if count is None:
                count = self.counts[(route, method, status)] = Count(
                    self.requests.labels(route, method, str(status)), self.latency.labels(route)
                )
            count.add(counted)

    def counts_requests_to(self, scope: Scope) -> bool:
        """Whether a request is counted: any but a scrape of ``/metrics``."""
        return not (scope["path"].endswith(METRICS_PATH) and route_path(scope) == METRICS_PATH)

    def count(self, scope: Scope, status: int, started: float, ended: float) -> None:
        """Count a request answered ``status`` between ``started`` and ``ended``
        (``perf_counter`` times), under its route's template."""
        method = scope["method"]
        if method not in COUNTED_METHODS:  # the client's word: the series stay few
            method = "OTHER"
        self.observe(self._template(scope), method, status, ended - started)
        # The caches' counts reach the other processes' scrapes within a second (a scrape of
        # this process publishes them first).
        if ended - self.published_at >= PUBLISH_S:
            self.published_at = ended
            reader = getattr(scope["app"].state, "reader", None)
            if reader is not None:
                self.publish_caches(reader)

    def know_routes(self, app: FastAPI) -> None:
        """Learn the app's route templates (once its routes are all in: as it starts)."""
        if self.templates is None:
            self.templates = RouteTemplates(app)

    def _template(self, scope: Scope) -> str:
        """The template of the route that answered, as the router left it in the scope, or
        else (HEAD, a kept article, no route) the first template that matches the path."""
        route = scope.get("route")
        if route is not None:
            return str(getattr(route, "path_format", UNMATCHED))
        if self.templates is None:  # an app run without its lifespan
            self.templates = RouteTemplates(scope["app"])
        return self.templates.of(route_path(scope))

    def publish_caches(self, reader: Reader) -> None:
        """Add the caches' hits and misses since the last call to their counters (the caches
        count in plain integers, which other processes cannot read)."""
        for name in CACHES:
            cache: VersionedCache = getattr(reader, name)
            hits, misses = cache.hits, cache.misses
            seen_hits, seen_misses = self.published[name]
            if hits == seen_hits and misses == seen_misses:
                continue
            self.published[name] = (hits, misses)
            hit_counter, miss_counter = self.cache_counters[name]
            # Counts lower than seen: a new reader (an app started again), counting from 0.
            hit_counter.inc(hits - seen_hits if hits >= seen_hits else hits)
            miss_counter.inc(misses - seen_misses if misses >= seen_misses else misses)

    def exposition(self, reader: Reader | None) -> bytes:
        """The metrics in Prometheus' text format, every process's in multiprocess mode."""
        self.fold()
        if reader is not None:
            self.publish_caches(reader)
        return generate_latest(self.exposed)


class Pending:
    """Requests of one label set counted in plain numbers: how many, their seconds, and how
    many fell in each latency bucket (by upper bound, +Inf last)."""

    __slots__ = ("buckets", "count", "seconds")

    def __init__(self, buckets: int) -> None:
        self.count = 0
        self.seconds = 0.0
        self.buckets = [0] * buckets


class Count:
    """Adds requests counted in plain numbers to their labels' counter and latency histogram,
    through their values.

    The metrics' own ``inc()`` and ``observe()`` check at each call that the metric is a
    labelled child and the amount not negative, and walk the buckets one by one; here the
    buckets come counted (by bisection, as ``observe()`` places a value: the first upper bound
    not below it), and each value is added to once (prometheus_client's ``ValueClass``: the
    shared files of multiprocess mode, or a float under a lock)."""

    def __init__(self, counter: Counter, histogram: Histogram) -> None:
        self.count = counter._value.inc
        self.add_seconds = histogram._sum.inc
        self.add_to_bucket = [bucket.inc for bucket in histogram._buckets]

    def add(self, counted: Pending) -> None:
        """Add the requests of ``counted``."""
        self.count(counted.count)
        self.add_seconds(counted.seconds)
        for add, requests in zip(self.add_to_bucket, counted.buckets, strict=True):
            if requests:
                add(requests)


class StoreMetrics(Collector):
    """What a scrape reads from the store and the search index: the store's last change, the
    index's, the changes it has yet to apply, and the ingestion runs."""

    def __init__(self, state: Any) -> None:
        self.state = state  # the app's: its engine and search index exist once it serves

    def collect(self) -> Iterator[Metric]:
        engine = getattr(self.state, "engine", None)
        index = getattr(self.state, "search_index", None)
        if engine is None or index is None:
            return
        applied = index.applied_change()
        try:
            with Session(engine) as session:
                store = last_change(session.connection())
                lag = count_changes_after(session.connection(), applied)
                runs = run_totals(
                    session, outcomes=[str(outcome) for outcome in Outcome], failure=Outcome.FAILED
                )
        except SQLAlchemyError as error:
            _log.warning("metrics: the store cannot answer (%s)", type(error).__name__)
            return
        yield GaugeMetricFamily(
            "byline_store_last_change", "The number of the store's latest change.", value=store
        )
        yield GaugeMetricFamily(
            "byline_search_index_applied_change",
            "The number of the last change the search index of this process applied.",
            value=applied,
        )
        yield GaugeMetricFamily(
            "byline_search_index_lag",
            "Changes to the store the search index of this process has yet to apply.",
            value=lag,
        )
        by_result = GaugeMetricFamily(
            "byline_ingest_runs",
            "Ingestion runs: finished with every file taken (succeeded), finished with a file "
            "failed (failed), or not finished (under way, or cut off).",
            labels=["result"],
        )
        by_result.add_metric(["succeeded"], runs.succeeded)
        by_result.add_metric(["failed"], runs.failed)
        by_result.add_metric(["unfinished"], runs.unfinished)
        yield by_result
        files = CounterMetricFamily(
            "byline_ingest_files",
            "Files of every ingestion run by outcome (a file unchanged counts its articles).",
            labels=["outcome"],
        )
        for outcome, count in runs.files.items():
            files.add_metric([outcome], count)
        yield files
        for name, at, what in (
            ("started", runs.last_started_at, "started"),
            ("finished", runs.last_finished_at, "finished (absent while it runs or if cut off)"),
        ):
            if at is not None:
                yield GaugeMetricFamily(
                    f"byline_ingest_last_run_{name}_timestamp_seconds",
                    f"When the last ingestion run {what}, in seconds since the epoch.",
                    value=at.timestamp(),
                )


class RouteTemplates:
    """The app's route templates, and which one a path matches, in one regular expression.

    The API's templates are those its OpenAPI document names (the app's routes list included
    routers, not their routes), besides the app's own routes (the docs pages); those without
    parameters first, so that a fixed path wins over a parameter.
    """

    def __init__(self, app: FastAPI) -> None:
        found = [(compile_path(path)[0], path) for path in app.openapi()["paths"]]
        found += [
            (route.path_regex, route.path_format)
            for route in app.router.routes
            if isinstance(route, Route | Mount)
        ]
        found.sort(key=lambda pattern: pattern[1].count("{"))
        self.templates: list[str] = [str(template) for _, template in found]
        # Each pattern as one alternative, named by its place, its own groups unnamed.
        self.pattern = re.compile(
            "|".join(
                f"(?P<t{place}>{_UNNAMED.sub('(?:', pattern.pattern.strip('^$'))})"
                for place, (pattern, _) in enumerate(found)
            )
        )
        self.matched: dict[str, str] = {}  # templates by path

    def of(self, path: str) -> str:
        """The template ``path`` matches, or ``unmatched``; remembered for the path (a lookup, not
        the expression's walk through every template)."""
        template = self.matched.get(path)
        if template is None:
            if len(self.matched) >= PATHS_KEPT:
                self.matched.clear()
            found = self.pattern.fullmatch(path)
            if found is None or found.lastgroup is None:
                template = UNMATCHED
            else:
                template = self.templates[int(found.lastgroup[1:])]
            self.matched[path] = template
        return template


_UNNAMED = re.compile(r"\(\?P<\w+>")


@contextmanager
def shared_by_processes(processes: int) -> Iterator[None]:
    """For more than one server process, a new folder in ``PROMETHEUS_MULTIPROC_DIR`` where
    each keeps its metrics, removed once they stop (a folder the environment names already is
    the operator's: used, and kept)."""
    if processes < 2 or os.environ.get(MULTIPROCESS_FOLDER):
        yield
        return
    with tempfile.TemporaryDirectory(prefix="byline-metrics-") as folder:
        os.environ[MULTIPROCESS_FOLDER] = folder  # the processes uvicorn starts inherit it
        try:
            yield
        finally:
            del os.environ[MULTIPROCESS_FOLDER]
