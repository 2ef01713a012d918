"""Tantivy in process: the search engine's ceiling, on the corpus Byline serves.

    python bench/engine.py bench/.work/byline-100000.db
    python bench/engine.py STORE.db "harbour minister" '"tidal barrier"'

Builds the index of a Byline SQLite store in a folder of its own with Byline's own upkeep
(``app/search/index.py``: time, documents, size on disk), then asks each query of the query set
of the engine in this process, as a search asks it: the best 21 hits and the exact count,
nothing else (no HTTP, no summaries, no highlights). Prints a Markdown table of p50 and p99 in
milliseconds; ``bench/run.py`` puts the same figures beside Byline's over HTTP.
"""

import argparse
import json
import shutil
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import tantivy
from sqlalchemy import create_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.search.index import SearchIndex  # noqa: E402
from app.search.words import TEXT, analyze  # noqa: E402
from app.settings import Settings  # noqa: E402

# One-, two- and three-word queries, a phrase and a name, over the generated corpus's words
# (bench/generate.py): a rare word, a word in 10% and one in 50% of the articles.
QUERIES = [
    "zephyrine",
    "harbour",
    "minister",
    "Zelensky",
    "harbour minister",
    "minister said",
    "harbour minister said",
    '"tidal barrier"',
]
RUNS = 200
PAGE = 21  # a page of 20 and the row that says a next page exists
TITLE_BOOST = 5.0


@dataclass(frozen=True, slots=True)
class Built:
    """The index built from the store: how long it took, what it holds, its size."""

    seconds: float
    documents: int
    megabytes: float


@dataclass(frozen=True, slots=True)
class Timed:
    """One query asked ``RUNS`` times: its matches and its latencies in milliseconds."""

    query: str
    count: int
    p50_ms: float
    p99_ms: float


def build(database: Path, folder: Path) -> tuple[SearchIndex, Built]:
    """The index of ``database`` built anew in ``folder``."""
    shutil.rmtree(folder, ignore_errors=True)
    index = SearchIndex(folder, writer_mb=Settings().index_writer_mb)
    started = time.perf_counter()
    index.catch_up(create_engine(f"sqlite:///{database}"))
    seconds = time.perf_counter() - started
    size = sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())
    documents = index.searcher().num_docs - 1  # the progress document is no article
    return index, Built(seconds, documents, size / 2**20)


def engine_query(schema: tantivy.Schema, text: str) -> tantivy.Query:
    """The engine's query for a plain query string: each word in the headline (weighing five
    times) or the body, all required; a quoted string as a phrase in either."""
    Occur, Query = tantivy.Occur, tantivy.Query  # noqa: N806
    if text.startswith('"') and text.endswith('"'):
        terms: list[str | tuple[int, str]] = [*analyze(TEXT, text.strip('"'))]
        phrases = [
            Query.boost_query(Query.phrase_query(schema, "title", terms), TITLE_BOOST),
            Query.phrase_query(schema, "body", terms),
        ]
        return Query.boolean_query([(Occur.Should, query) for query in phrases])
    required = []
    for term in analyze(TEXT, text):
        title = Query.boost_query(Query.term_query(schema, "title", term), TITLE_BOOST)
        body = Query.term_query(schema, "body", term)
        either = Query.boolean_query([(Occur.Should, title), (Occur.Should, body)])
        required.append((Occur.Must, either))
    return Query.boolean_query(required)


def timed(index: SearchIndex, queries: Sequence[str], runs: int = RUNS) -> list[Timed]:
    """Each query asked ``runs`` times of one searcher, after one untimed run."""
    searcher = index.searcher()
    schema = index.index.schema
    found = []
    for text in queries:
        query = engine_query(schema, text)
        # The stubs do not declare the count the engine gives with count=True.
        count = getattr(searcher.search(query, PAGE, count=True), "count", 0) or 0
        latencies = []
        for _ in range(runs):
            started = time.perf_counter()
            searcher.search(query, PAGE, count=True)
            latencies.append((time.perf_counter() - started) * 1000)
        latencies.sort()
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
        found.append(Timed(text, count, statistics.median(latencies), p99))
    return found


def reference_top(index: SearchIndex, text: str, k: int = 20) -> list[int]:
    """The ids of the best ``k`` articles for ``text`` in the documented order (score, then the
    most recent year, then the highest id), from every match: what a page of search must be."""
    searcher = index.searcher()
    query = engine_query(index.index.schema, text)
    matches = getattr(searcher.search(query, 1, count=True), "count", 0) or 0
    hits = searcher.search(query, max(matches, 1)).hits
    addresses = [address for _, address in hits]
    ids = searcher.fast_field_values("id", addresses)
    years = searcher.fast_field_values("year", addresses)
    ranked = sorted(
        zip((score for score, _ in hits), years, ids, strict=True),
        key=lambda hit: (-hit[0], -(hit[1] or 0), -(hit[2] or 0)),
    )
    return [int(id or 0) for _, _, id in ranked[:k]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database", type=Path, help="a Byline SQLite store")
    parser.add_argument("queries", nargs="*", default=QUERIES)
    parser.add_argument("--runs", type=int, default=RUNS)
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument(
        "--reference", metavar="WORD", help="also give the documented top 20 for WORD (JSON)"
    )
    args = parser.parse_intermixed_args()
    folder = args.database.with_name(args.database.stem + ".engine-bench")
    index, built = build(args.database, folder)
    if args.json:
        found = timed(index, args.queries, args.runs)
        figures: dict[str, object] = {
            "built": asdict(built),
            "timed": [asdict(each) for each in found],
        }
        if args.reference:
            figures["top20"] = reference_top(index, args.reference)
        print(json.dumps(figures))
        return
    print(
        f"built the index of {built.documents:,} articles in {built.seconds:.1f} s,"
        f" {built.megabytes:.0f} MB ({built.megabytes * 2**20 / max(built.documents, 1):,.0f}"
        " bytes an article)\n"
    )
    print("| query | matches | p50 ms | p99 ms |\n|---|---|---|---|")
    for each in timed(index, args.queries, args.runs):
        print(f"| `{each.query}` | {each.count:,} | {each.p50_ms:.2f} | {each.p99_ms:.2f} |")


if __name__ == "__main__":
    main()
