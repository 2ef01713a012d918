"""Where a two-word search spends its time: each part of Byline's ranking, timed alone in SQLite.

    python bench/two_words.py bench/.work/byline-1000000.db
    python bench/two_words.py STORE.db "harbour minister" "minister said"

A two-word query (``a b``) is ranked by FTS5's BM25 over every article holding both words,
times 1.5 for the exact phrase and 1.25 for the words within ten of each other
(``app/search/fts.py``). The parts, each the best of three runs on a read-only connection:

- the matches counted, and their ids read (the walk over both words' lists of articles);
- BM25 computed for every match, the best 38 kept (a page of 20, its next-page row, a margin);
- the ids of the phrase matches, and of the NEAR matches (the boost's two lookups);
- the whole ranking as Byline runs it;
- BM25 asked for one article (``rowid = ?``): FTS5 counts each word's articles again for every
  query, which is what makes scoring a few candidates one by one cost as much as many.

Prints a Markdown table, in milliseconds.
"""

import argparse
import sqlite3
import time
from collections.abc import Sequence
from typing import Any

PAIRS = ["harbour minister", "minister said", "harbour told"]
RUNS = 3
PAGE = 38
BM25 = "bm25(article_fts, 5.0, 1.0)"
INSIDE = "article_fts.rowid IN (SELECT rowid FROM article_fts WHERE article_fts MATCH ?)"
BOOST = (
    f"(1.0 + CASE WHEN {INSIDE} THEN 0.5 ELSE 0.0 END + CASE WHEN {INSIDE} THEN 0.25 ELSE 0.0 END)"
)
MATCHING = "FROM article_fts WHERE article_fts MATCH ?"


def best_of(connection: sqlite3.Connection, sql: str, parameters: Sequence[Any]) -> float:
    """The fastest of ``RUNS`` runs of a statement read to its end, in milliseconds."""
    fastest = float("inf")
    for _ in range(RUNS):
        started = time.perf_counter()
        connection.execute(sql, tuple(parameters)).fetchall()
        fastest = min(fastest, time.perf_counter() - started)
    return fastest * 1000


def profile(connection: sqlite3.Connection, pair: str) -> list[str]:
    first, second = pair.split()
    both = f'"{first}" AND "{second}"'
    phrase = f'"{first} {second}"'
    near = f'NEAR("{first}" "{second}", 10)'
    matches = connection.execute(f"SELECT count(*) {MATCHING}", (both,)).fetchone()[0]
    some = connection.execute(f"SELECT rowid {MATCHING} LIMIT 1", (both,)).fetchone()
    one = some[0] if some else 0
    parts = [
        best_of(connection, f"SELECT count(*) {MATCHING}", [both]),
        best_of(connection, f"SELECT rowid {MATCHING}", [both]),
        best_of(
            connection, f"SELECT rowid, {BM25} AS s {MATCHING} ORDER BY s LIMIT {PAGE}", [both]
        ),
        best_of(connection, f"SELECT rowid {MATCHING}", [phrase]),
        best_of(connection, f"SELECT rowid {MATCHING}", [near]),
        best_of(
            connection,
            f"SELECT rowid, {BM25} * {BOOST} AS s {MATCHING} ORDER BY s LIMIT {PAGE}",
            [phrase, near, both],
        ),
        best_of(connection, f"SELECT {BM25} {MATCHING} AND rowid = ?", [both, one]),
    ]
    return [f"`{pair}`", f"{matches:,}", *(f"{part:.1f}" for part in parts)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("store", help="a Byline SQLite store")
    parser.add_argument("pairs", nargs="*", default=PAIRS, help="two-word queries")
    arguments = parser.parse_args()
    connection = sqlite3.connect(f"file:{arguments.store}?mode=ro", uri=True)
    articles = connection.execute("SELECT count(*) FROM article").fetchone()[0]
    print(f"{articles:,} articles, SQLite {sqlite3.sqlite_version}\n")
    print(
        "| query | matches | count | ids | BM25, best 38 | phrase ids | NEAR ids"
        " | whole ranking | BM25 of one article |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for pair in arguments.pairs:
        print("| " + " | ".join(profile(connection, pair)) + " |")


if __name__ == "__main__":
    main()
