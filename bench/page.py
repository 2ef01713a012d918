"""What the search page costs beside the JSON search (issue #25): ``python bench/page.py``.

    python bench/page.py [--articles 20000] [--rounds 40] [--record]

The issue's bar: the page for a search (``GET /?q=…``) costs at most 1.5 times the JSON search's
server time (``GET /v1/search?q=…``). Both are asked of the ASGI app itself, in process, one
request at a time (no sockets, no HTTP parsing: server time is the time from the app's call to
its last message), with the caches of answers off (``search_cache=0``, ``article_cache_mb=0``),
so that every answer is computed. A third column, the JSON search asking for the facets the page
shows (``facets=source,dateline,year,authors,tags``), tells the page's own work (its timeline,
its template) from the facets'. The three are asked in turn within each round, their order
rotating from one round to the next, so that a shared machine's drift falls on all three alike;
each figure is the median or the 90th percentile of ``--rounds`` requests.

The corpus is the benchmark's (``bench/generate.py``, seed 1), each article given what the
generator's plain text has not and the page shows: a publication date within its copyright
year, one or two authors and one to three tags (drawn as often as wire copy's are: a few often,
most rarely), written as JSON Lines and ingested once into ``bench/.work``.
"""

import argparse
import asyncio
import json
import platform
import random
import re
import shutil
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from importlib.metadata import version
from pathlib import Path
from types import ModuleType
from typing import Any
from urllib.parse import parse_qsl, urlencode

from asgi import get_scope
from run import HALF, PHRASE, RARE, ROOT, TENTH, WORK, _cpu_model, checked_out, corpus

import app.api.budget
import app.api.routes.pages
import app.search.facets
from app.api.app import create_app
from app.ingestion.run import ingest_paths
from app.search.index import SearchIndex
from app.settings import Settings
from app.store.database import create_db_engine, migrate

# The queries a person types, by what they are; each a query string of the search and the page.
QUERIES: dict[str, dict[str, str]] = {
    "common word (in 50%)": {"q": HALF},
    "word in 10%": {"q": TENTH},
    "rare word": {"q": RARE},
    "name, 4 spellings": {"q": "Zelensky"},
    "phrase": {"q": PHRASE},
    "two words": {"q": f"{TENTH} {HALF}"},
    "10% word, one source": {"q": TENTH, "source": "Reuters"},
    # A year's matches span twelve months: the chart counts them again by week.
    "10% word, one year": {"q": TENTH, "year": "2020"},
}
PAGE_FACETS = "source,dateline,year,authors,tags"
# The three ways of asking, by column: what each adds to a query's parameters.
JSON = "JSON search"
JSON_FACETS = "JSON search + facets"
PAGE = "page"
KINDS: dict[str, tuple[str, dict[str, str]]] = {
    JSON: ("/v1/search", {}),
    JSON_FACETS: ("/v1/search", {"facets": PAGE_FACETS}),
    PAGE: ("/", {}),
}
# The bar: the page's server time at most this many times the JSON search's.
BAR = 1.5

# What the generated articles are given besides their text: authors and tags drawn with weights
# falling as 1/rank (a few bylines and subjects are most of a wire's copy).
# Words apart, as a reader sees them (``str.split``, not a column of one word a line).
FIRST_NAMES = (  # noqa: SIM905
    "Ana Ben Chloe David Elena Farid Grace Hiro Ines Jonas Kemi Luca Maya Nils Omar"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Ruiz Cole Martin Okafor Novak Tanaka Weber Silva Haddad Kowalski Brown Rossi"
).split()
TAGS = (  # noqa: SIM905
    "Politics Economy Elections Climate Energy Health Courts Defence Diplomacy Trade Markets "
    "Technology Science Education Transport Housing Migration Agriculture Labour Culture Sport "
    "Crime Weather Religion Media Space Water Oceans Tourism Aviation"
).split()
COPYRIGHT_YEAR = re.compile(r"Copyright © (\d{4}),")
RECORDS_PER_FILE = 1000


def dated_corpus(count: int, seed: int) -> Path:
    """The generator's ``count`` articles as JSON Lines with a date, authors and tags, written
    once and reused."""
    folder = WORK / f"page-corpus-{count}-s{seed}"
    done = folder.with_name(folder.name + ".complete")
    if not done.exists():
        write_dated(corpus(count, seed), folder, seed=seed)
        done.touch()
    return folder


def write_dated(texts: Path, out: Path, *, seed: int) -> None:
    """Write the articles of the text files under ``texts`` into ``out`` as JSON Lines, each with
    a publication date in its copyright year, authors and tags, the same for the same seed."""
    rng = random.Random(seed)
    authors = [f"{first} {last}" for last in LAST_NAMES for first in FIRST_NAMES]
    rng.shuffle(authors)
    author_weights = [1 / rank for rank in range(1, len(authors) + 1)]
    tag_weights = [1 / rank for rank in range(1, len(TAGS) + 1)]
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("*.jsonl"):
        old.unlink()
    records: list[str] = []
    for path in sorted(texts.rglob("*.txt")):
        headline, *paragraphs = path.read_text(encoding="utf-8").splitlines()
        found = COPYRIGHT_YEAR.search(paragraphs[-1])
        year = int(found.group(1)) if found else 2020
        published = datetime(year, 1, 1, tzinfo=UTC) + timedelta(
            days=rng.randrange(365), minutes=rng.randrange(24 * 60)
        )
        record = {
            "title": headline,
            "body": "\n\n".join(paragraphs),
            "published_at": published.isoformat(),
            "authors": sorted(set(rng.choices(authors, author_weights, k=rng.randint(1, 2)))),
            "tags": sorted(set(rng.choices(TAGS, tag_weights, k=rng.randint(1, 3)))),
        }
        records.append(json.dumps(record, ensure_ascii=False))
    for start in range(0, len(records), RECORDS_PER_FILE):
        lines = records[start : start + RECORDS_PER_FILE]
        (out / f"{start // RECORDS_PER_FILE:04}.jsonl").write_text(
            "\n".join(lines) + "\n", encoding="utf-8"
        )


def built_store(articles: Path, database: Path, index_folder: Path) -> None:
    """A SQLite store at ``database`` holding the articles under ``articles``, and its search
    index caught up in ``index_folder``."""
    url = f"sqlite:///{database}"
    migrate(url)
    engine = create_db_engine(url, writer=True)
    try:
        ingest_paths(engine, [articles])
        SearchIndex(index_folder, writer_mb=256).catch_up(engine)
    finally:
        engine.dispose()


def store_settings(database: Path, index_folder: Path) -> Settings:
    """The app's settings on that store, with no answer kept: every request computed."""
    return Settings(
        database_url=f"sqlite:///{database}",
        index_path=index_folder,
        ingest_on_start=False,
        search_cache=0,
        article_cache_mb=0,
    )


def paths(queries: dict[str, dict[str, str]]) -> dict[tuple[str, str], str]:
    """The URL of each query asked each way."""
    return {
        (name, kind): f"{path}?{urlencode({**params, **extra})}"
        for name, params in queries.items()
        for kind, (path, extra) in KINDS.items()
    }


@dataclass
class Timings:
    """A request's figures over the rounds: server time (wall) and the process's CPU time, in
    seconds, and what the last answer held."""

    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    body_bytes: int = 0
    total: int | None = None


def measure(
    settings: Settings, queries: dict[str, dict[str, str]], *, rounds: int
) -> dict[tuple[str, str], Timings]:
    """Each query asked each way ``rounds`` times, the ways in turn and rotating, after a
    warm-up of two of each."""
    return asyncio.run(_measured(settings, paths(queries), rounds))


async def _measured(
    settings: Settings, urls: dict[tuple[str, str], str], rounds: int
) -> dict[tuple[str, str], Timings]:
    app = create_app(settings)
    kinds = list(KINDS)
    names = list(dict.fromkeys(name for name, _ in urls))
    found = {key: Timings() for key in urls}
    async with app.router.lifespan_context(app):
        for _ in range(2):  # the index's files read, the templates compiled
            for url in urls.values():
                await _asked(app, url)
        for round_ in range(rounds):
            order = kinds[round_ % len(kinds) :] + kinds[: round_ % len(kinds)]
            for name in names:
                for kind in order:
                    timings = found[(name, kind)]
                    wall, cpu = time.perf_counter(), time.process_time()
                    body = await _asked(app, urls[(name, kind)])
                    timings.cpu.append(time.process_time() - cpu)
                    timings.wall.append(time.perf_counter() - wall)
                    timings.body_bytes = len(body)
                    if kind == JSON:
                        timings.total = json.loads(body)["total"]
    return found


async def _asked(app: Any, url: str) -> bytes:
    """The body of the app's 200 answer to a GET of ``url``."""
    scope = get_scope(url)
    parts: list[bytes] = []
    received = False

    async def receive() -> dict[str, Any]:
        # The request's empty body, then, as from a client that stays, nothing: the app's
        # watch for a disconnection waits (app/api/budget.py).
        nonlocal received
        if received:
            await asyncio.Event().wait()
        received = True
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            assert message["status"] == 200, (url, message)
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    await app(scope, receive, send)
    return b"".join(parts)


# The page's steps, each a function timed where the page calls it (by its module and name): the
# search (as the JSON search's, ``find``, less its facets), the facets and the chart's months,
# which the engine counts on a thread of their own meanwhile (``_aggregated``), the spelling
# suggestion, the timeline's counts (one or two histogram passes) and its bars, the sidebar's
# links, and the template.
STEPS: dict[str, tuple[ModuleType, str]] = {
    "search": (app.api.routes.pages, "find"),
    "facets (their own thread)": (app.search.facets, "_aggregated"),
    "did you mean": (app.api.routes.pages, "suggest"),
    "timeline counts": (app.api.routes.pages, "counted"),
    "timeline bars": (app.api.routes.pages, "chart"),
    "sidebar links": (app.api.routes.pages, "_facets"),
    "template": (app.api.routes.pages, "render"),
}


def steps(
    settings: Settings, queries: dict[str, dict[str, str]], *, rounds: int
) -> dict[str, dict[str, list[float]]]:
    """The CPU seconds of each of the page's steps, by query, over ``rounds`` requests of each
    page (with the step ``rest``: the process's CPU time for the page less its steps). CPU time,
    not wall time: on a shared machine a step's wall time is mostly other work's."""
    spent: dict[str, float] = {}
    originals = {step: getattr(module, name) for step, (module, name) in STEPS.items()}

    def timed(step: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def step_timed(*args: Any, **kwargs: Any) -> Any:
            started = time.thread_time()
            try:
                return function(*args, **kwargs)
            finally:
                spent[step] = spent.get(step, 0.0) + time.thread_time() - started

        return step_timed

    for step, (module, name) in STEPS.items():
        setattr(module, name, timed(step, originals[step]))
    urls = {name: paths({name: params})[(name, PAGE)] for name, params in queries.items()}

    async def asked() -> dict[str, dict[str, list[float]]]:
        found: dict[str, dict[str, list[float]]] = {name: {} for name in urls}
        served = create_app(settings)
        async with served.router.lifespan_context(served):
            for url in urls.values():
                await _asked(served, url)
            for _ in range(rounds):
                for name, url in urls.items():
                    spent.clear()
                    started = time.process_time()
                    await _asked(served, url)
                    whole = time.process_time() - started
                    for step in [*STEPS, "rest"]:
                        took = whole - sum(spent.values()) if step == "rest" else spent.get(step, 0)
                        found[name].setdefault(step, []).append(took)
        return found

    try:
        return asyncio.run(asked())
    finally:
        for step, (module, name) in STEPS.items():
            setattr(module, name, originals[step])


def step_table(found: dict[str, dict[str, list[float]]]) -> list[str]:
    """The median milliseconds of each step, a query a row."""
    names = [*STEPS, "rest"]
    lines = [
        "| query | " + " | ".join(names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for query, timings in found.items():
        cells = [f"{statistics.median(timings[step]) * 1000:.2f}" for step in names]
        lines.append(f"| {query} | " + " | ".join(cells) + " |")
    return lines


def profiled(settings: Settings, queries: dict[str, dict[str, str]], *, rounds: int) -> str:
    """A pyinstrument profile of ``rounds`` requests of each query's page, as text; the work the
    page does in the thread pool run on the event loop's thread, where the profiler looks."""
    from pyinstrument import Profiler  # noqa: PLC0415

    async def inline(function: Callable[..., Any], *args: Any) -> Any:
        return function(*args)

    urls = [paths({name: params})[(name, PAGE)] for name, params in queries.items()]

    async def asked() -> str:
        served = create_app(settings)
        async with served.router.lifespan_context(served):
            for url in urls:
                await _asked(served, url)
            profiler = Profiler(interval=0.0005, async_mode="disabled")
            profiler.start()
            for _ in range(rounds):
                for url in urls:
                    await _asked(served, url)
            profiler.stop()
            return str(profiler.output_text(unicode=True, show_all=False))

    kept = getattr(app.api.budget, "run_in_threadpool")  # noqa: B009
    setattr(app.api.budget, "run_in_threadpool", inline)  # noqa: B010
    try:
        return asyncio.run(asked())
    finally:
        setattr(app.api.budget, "run_in_threadpool", kept)  # noqa: B010


def p90(values: list[float]) -> float:
    return (
        statistics.quantiles(values, n=10, method="inclusive")[-1] if len(values) > 1 else values[0]
    )


def table(found: dict[tuple[str, str], Timings], queries: dict[str, dict[str, str]]) -> list[str]:
    """The figures side by side, a query a row, and the bar met or not."""
    lines = [
        "| query | matches | JSON search ms (median, p90) | JSON search + facets ms "
        "| page ms | page ÷ JSON (median, p90) | page ÷ JSON + facets (median) "
        "| CPU: page ÷ JSON (median) | bytes JSON, page |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    worst = (0.0, "")
    for name, params in queries.items():
        json_, facets, page = (found[(name, kind)] for kind in KINDS)
        cells = [
            f"{statistics.median(each.wall) * 1000:.1f}, {p90(each.wall) * 1000:.1f}"
            for each in (json_, facets, page)
        ]
        ratio = statistics.median(page.wall) / statistics.median(json_.wall)
        ratio_p90 = p90(page.wall) / p90(json_.wall)
        to_facets = statistics.median(page.wall) / statistics.median(facets.wall)
        cpu = statistics.median(page.cpu) / statistics.median(json_.cpu)
        worst = max(worst, (ratio, name))
        shown = " ".join(f"{key}={value}" for key, value in params.items())
        lines.append(
            f"| `{shown}` ({name}) | {json_.total:,} | {' | '.join(cells)} "
            f"| {ratio:.2f}, {ratio_p90:.2f} | {to_facets:.2f} | {cpu:.2f} "
            f"| {json_.body_bytes:,}, {page.body_bytes:,} |"
        )
    met = "met" if worst[0] <= BAR else "not met"
    lines += [
        "",
        f"Issue #25's bar, the page at most {BAR}× the JSON search's server time (median): "
        f"{met}; the largest ratio {worst[0]:.2f} ({worst[1]}).",
    ]
    return lines


def versions() -> str:
    names = ["fastapi", "starlette", "jinja2", "tantivy"]
    commit = checked_out()
    found = ", ".join(f"{name} {version(name)}" for name in names)
    return (
        f"Byline {commit}, Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}, "
        f"{found}; 2 CPUs shared ({_cpu_model()})"
    )


@contextmanager
def _noted(what: str) -> Iterator[None]:
    started = time.perf_counter()
    print(f"{what}…", flush=True)
    yield
    print(f"{what}: {time.perf_counter() - started:.1f} s", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=20_000, help="articles in the corpus")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=40, help="requests of each, in turn")
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    parser.add_argument(
        "--steps", action="store_true", help="also time each of the page's steps (second table)"
    )
    parser.add_argument(
        "--profile",
        metavar="QUERY_STRING",
        help="only print a pyinstrument profile of this page (q=harbour&year=2020)",
    )
    args = parser.parse_args()
    work = WORK / f"page-{args.articles}-s{args.seed}"
    database, index_folder = work / "byline.db", work / "index"
    done = work / "complete"
    if not done.exists():
        articles = dated_corpus(args.articles, args.seed)
        work.mkdir(parents=True, exist_ok=True)
        for stale in work.glob("byline.db*"):
            stale.unlink()
        shutil.rmtree(index_folder, ignore_errors=True)
        with _noted(f"ingesting {args.articles:,} articles"):
            built_store(articles, database, index_folder)
        done.touch()
    else:
        migrate(f"sqlite:///{database}")  # a store kept from a run before a new migration
    settings = store_settings(database, index_folder)
    if args.profile:
        print(profiled(settings, {args.profile: dict(parse_qsl(args.profile))}, rounds=args.rounds))
        return
    with _noted(f"{args.rounds} rounds of {len(QUERIES)} queries, each asked {len(KINDS)} ways"):
        found = measure(settings, QUERIES, rounds=args.rounds)
    step_lines: list[str] = []
    if args.steps:
        with _noted("the page's steps"):
            by_step = steps(settings, QUERIES, rounds=args.rounds)
        step_lines = [
            "",
            "Where the page's time goes, median ms of CPU time a step:",
            "",
            *step_table(by_step),
        ]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    report = [
        f"## {when}: `python bench/page.py {' '.join(sys.argv[1:])}`",
        "",
        versions(),
        "",
        f"Corpus: {args.articles:,} generated articles (seed {args.seed}) with dates, authors "
        f"and tags; in process through the ASGI app, answers not kept, {args.rounds} rounds, "
        "server time a request.",
        "",
        *table(found, QUERIES),
        *step_lines,
    ]
    print("\n".join(report))
    if args.record:
        with (ROOT / "bench" / "RESULTS.md").open("a") as record:
            record.write("\n" + "\n".join(report) + "\n")


if __name__ == "__main__":
    main()
