"""What matching saved searches on arrival costs (issue #24): 1,000 saved searches against a
batch of 200 new articles, on stores of several sizes, side by side with the way a client
would do it without a percolator: each saved search run against the store's whole search
index, restricted to the batch's articles (the same matching, ``ids_among``, on the big index).

    python bench/arrivals.py [--counts 2000,20000] [--searches 1000] [--batch 200]

The saved searches are drawn from the generated corpus' own words (bench/generate.py): single
words of every frequency, prefixes, phrases, names in one of their spellings, OR groups and
exclusions, a tenth of them with a dateline or source filter. The percolator's time should not
grow with the store; the whole-index way's does.
"""

import argparse
import random
import shutil
import statistics
import time
from pathlib import Path

from generate import DATELINES, KNOWN, NAME_VARIANTS, PHRASE, SOURCES
from run import WORK, corpus
from sqlmodel import Session

from app.alerts.matching import match_arrivals
from app.api.schemas import SearchFilters
from app.api.webhook_payloads import delivery_body
from app.ingestion.run import ingest_paths
from app.search.arrivals import arrivals_index, ids_among
from app.search.index import SearchIndex
from app.search.language import parse_query
from app.store.database import create_db_engine, migrate
from app.store.readers import open_reader
from app.store.saved_searches import create_saved_search, list_saved_searches


def saved_queries(
    rng: random.Random, words: list[str], count: int
) -> list[tuple[str, dict[str, list[str]]]]:
    """``count`` saved searches (query, filters) in the corpus' words."""
    made: list[tuple[str, dict[str, list[str]]]] = []
    for number in range(count):
        kind = number % 8
        word, other = rng.choice(words), rng.choice(words)
        if kind == 0:
            q = word
        elif kind == 1:
            q = f"{word[:4]}*"
        elif kind == 2:
            q = f'"{PHRASE[0]}"' if rng.random() < 0.2 else f'"{word} {other}"'
        elif kind == 3:
            q = rng.choice(rng.choice(NAME_VARIANTS))
        elif kind == 4:
            q = f"{word} OR {other}"
        elif kind == 5:
            q = f"{word} -{other}"
        elif kind == 6:
            q = f"{rng.choice(KNOWN)[0]} {word}"
        else:
            q = f"{word} {other}"
        filters: dict[str, list[str]] = {}
        if number % 10 == 0:
            filters = {"dateline": [rng.choice(DATELINES)]}
        elif number % 10 == 5:
            filters = {"source": [rng.choice(SOURCES)]}
        made.append((q, filters))
    return made


def corpus_words(folder: Path, rng: random.Random, count: int) -> list[str]:
    """Words of the corpus' articles, as often as they are written."""
    words: list[str] = []
    for path in sorted(folder.rglob("*.txt"))[:200]:
        words += [w.strip(".,;:\"'").lower() for w in path.read_text().split()]
    words = [w for w in words if w.isalpha() and len(w) > 3]
    return [rng.choice(words) for _ in range(count)]


def one_store(count: int, searches: int, batch: int, seed: int) -> dict[str, float]:
    folder = corpus(count, seed)
    files = sorted(folder.rglob("*.txt"))
    work = WORK / f"arrivals-{count}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    url = f"sqlite:///{work / 'byline.db'}"
    migrate(url)
    engine = create_db_engine(url, writer=True)
    reader = open_reader(url)
    index = SearchIndex(work / "index", writer_mb=256)
    rng = random.Random(seed)
    print(f"{count} articles: ingesting {count - batch}", flush=True)
    ingest_paths(engine, files[:-batch])
    index.catch_up(engine)
    match_arrivals(
        engine, engine, reader.rows, delivery_body
    )  # nothing saved yet: the progress moves on
    with Session(engine) as session:
        for number, (q, filters) in enumerate(
            saved_queries(rng, corpus_words(folder, rng, 2 * searches), searches)
        ):
            create_saved_search(session, name=f"search {number}", q=q, filters=filters)
        session.commit()
    print(f"{count} articles: a batch of {batch} arrives", flush=True)
    ingest_paths(engine, files[-batch:])
    index.catch_up(engine)

    started = time.perf_counter()
    report = match_arrivals(engine, engine, reader.rows, delivery_body)
    percolator = time.perf_counter() - started
    # Of which: the batch's index in memory.
    rows = reader.rows("SELECT * FROM article ORDER BY id DESC LIMIT ?", (batch,))
    started = time.perf_counter()
    arrivals_index((row, 1) for row in rows)
    indexing = time.perf_counter() - started

    # Without the percolator: every saved search run on the whole index, among the batch.
    batch_ids = [
        row["id"]
        for row in reader.rows("SELECT id FROM article ORDER BY id DESC LIMIT ?", (batch,))
    ]
    saved = list_saved_searches(reader.rows)
    found = 0
    times = []
    started = time.perf_counter()
    for search in saved:
        parsed = SearchFilters.model_validate(search.filters)
        one = time.perf_counter()
        found += len(
            ids_among(
                reader.rows,
                index,
                query=parse_query(search.q),
                ids=batch_ids,
                fuzzy=parsed.fuzzy,
                filters=parsed,
                columns=parsed.search_in,
            )
        )
        times.append(time.perf_counter() - one)
    whole = time.perf_counter() - started
    reader.close()
    engine.dispose()
    return {
        "articles": count,
        "percolator_s": percolator,
        "percolator_matches": report.matches,
        "indexing_s": indexing,
        "whole_index_s": whole,
        "whole_index_matches": found,
        "whole_index_p50_ms": statistics.median(times) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", default="2000,20000")
    parser.add_argument("--searches", type=int, default=1000)
    parser.add_argument("--batch", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rows = [
        one_store(int(count), args.searches, args.batch, args.seed)
        for count in args.counts.split(",")
    ]
    print()
    print(f"{args.searches} saved searches, a batch of {args.batch} articles")
    print()
    print(
        "| store | percolator (Byline) | of which indexing the batch | matches "
        "| each search on the whole index | matches |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['articles']:,} | {row['percolator_s'] * 1000:,.0f} ms "
            f"| {row['indexing_s'] * 1000:,.0f} ms "
            f"| {row['percolator_matches']:,} | {row['whole_index_s'] * 1000:,.0f} ms "
            f"| {row['whole_index_matches']:,} |"
        )


if __name__ == "__main__":
    main()
