"""Ranked candidates for the words in many articles (SQLite), so that searching one of them
scores a few hundred articles instead of every one that holds it.

FTS5 ranks a one-word query by BM25, ``-idf * a * (k1 + 1) / (a + k1 * (1 - b + b * D /
avgdl))``, where ``a`` is the word's weighted count in the article (headline hits count
``TITLE_WEIGHT`` times) and ``D`` the article's length in tokens. Whatever ``idf`` and ``avgdl``
become as the corpus grows, the score rises with ``a`` and falls with ``D``: an article beaten
on both by ``K`` others can never be in the top ``K``. So for each word held by at least
``MIN_DOCUMENTS`` articles, ``term_impact`` keeps its ``K``-skyband: the articles fewer than
``K`` others beat on both counts (a few hundred, measured). A query for that word scores just
those, here in Python with FTS5's own arithmetic (the same floating-point operations in the
same order, so the same scores to the bit), breaks ties as the full ranking does, and is exact
for the first ``K`` hits. ``term_impact_term`` holds each word's number of articles, which is
the query's total.

Ingestion keeps the lists (``refresh_impacts``, after each run that changed articles): new
articles are merged in; an article changed or deleted marks stale the lists it is in (a
trigger, migration 0012), which the next refresh builds again, and a changed one is merged into
the lists of the words it now holds. A query falls back to scoring every match whenever the
lists do not cover the store as it is (``ranked_from_list``).
"""

import json
import math
import sqlite3
import threading
from array import array
from bisect import bisect_right, insort
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from heapq import heappush, heapreplace
from itertools import groupby
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine

from app.names import index_tokens, refresh_vocabulary

# FTS5's BM25 constants (fts5_aux.c) and the column weights the search ranks with.
K1 = 1.2
B = 0.75
TITLE_WEIGHT = 5.0
BODY_WEIGHT = 1.0
# Words held by fewer articles are scored in full fast enough (about 1 µs a match).
MIN_DOCUMENTS = 10_000
# How many of the best hits a list answers exactly: a first page of the largest size (100),
# and the one row beyond it that says whether there is a next page.
K = 101
# The tokenizer of ``article_fts`` (migration 0001).
TOKENIZER = "porter unicode61 remove_diacritics 2"
_WITNESS_PLACES = 5
# What the lists depend on: lists built with other constants are built again, and until then
# not read (``term_impact_state.built_with``, migration 0012).
BUILT_WITH = json.dumps(
    {"k1": K1, "b": B, "title": TITLE_WEIGHT, "body": BODY_WEIGHT, "k": K, "tokenizer": TOKENIZER}
)


class Impact(NamedTuple):
    """An article holding a term: its id, the term's weighted count, its length in tokens."""

    id: int
    weighted: float
    length: int


@dataclass(frozen=True, slots=True)
class Totals:
    """What BM25 takes from the whole index: its rows and their mean length in tokens."""

    rows: int
    mean_length: float


def bm25(weighted: float, length: int, *, idf: float, mean_length: float) -> float:
    """FTS5's ``bm25()`` of a one-phrase query, written as fts5_aux.c computes it."""
    score = 0.0
    score += idf * ((weighted * (K1 + 1.0)) / (weighted + K1 * (1 - B + B * length / mean_length)))
    return -1.0 * score


def idf(rows: int, documents: int) -> float:
    """FTS5's inverse document frequency: a word in more than half the rows gets 1e-6."""
    value = math.log((rows - documents + 0.5) / (documents + 0.5))
    return value if value > 0.0 else 1e-6


def varints(blob: bytes) -> Iterator[int]:
    """The integers of an FTS5 record (SQLite's variable-length format, big-endian)."""
    position = 0
    while position < len(blob):
        value = 0
        for step in range(9):
            byte = blob[position]
            position += 1
            if step == 8:
                value = (value << 8) | byte
                break
            value = (value << 7) | (byte & 0x7F)
            if not byte & 0x80:
                break
        yield value


def index_totals(connection: Connection) -> Totals | None:
    """The index's row count and mean row length, from its averages record (FTS5 reads the same
    record for ``bm25``); None for an empty index."""
    block = connection.exec_driver_sql(
        "SELECT block FROM article_fts_data WHERE id = 1"
    ).scalar_one_or_none()
    numbers = list(varints(block or b""))
    if not numbers or numbers[0] == 0:
        return None
    return Totals(rows=numbers[0], mean_length=sum(numbers[1:]) / numbers[0])


_tokenizers = threading.local()


def _tokens_of(text: str) -> list[str]:
    """The index terms of ``text``, one for each token, in order. Asked of FTS5 itself, through
    an in-memory table of this thread with the same tokenizer (Python's idea of a token differs
    from ``unicode61``'s, on combining marks for one)."""
    connection = getattr(_tokenizers, "connection", None)
    if connection is None:
        connection = sqlite3.connect(":memory:")
        connection.execute(f"CREATE VIRTUAL TABLE words USING fts5(word, tokenize='{TOKENIZER}')")
        connection.execute("CREATE VIRTUAL TABLE word_terms USING fts5vocab(words, 'instance')")
        _tokenizers.connection = connection
    with connection:
        connection.execute("INSERT INTO words (word) VALUES (?)", (text,))
        terms = [term for (term,) in connection.execute("SELECT term FROM word_terms")]
        connection.execute("DELETE FROM words")
    return terms


@lru_cache(maxsize=4096)
def index_term(word: str) -> str | None:
    """The one term the index holds ``word`` under (stemmed, folded), or None when the word
    gives no token or several."""
    terms = _tokens_of(word)
    return terms[0] if len(terms) == 1 else None


def skyband(impacts: Iterable[Impact], k: int = K) -> list[Impact]:
    """The impacts that fewer than ``k`` others beat on both counts (a higher or equal weighted
    count and a shorter or equal length, not both equal).

    In order of weighted count (highest first) then length (shortest first), every article that
    beats another comes before it; so an article's rivals are the ones kept before it that are
    no longer, counted by bisection over their sorted lengths. (One beaten by ``k`` articles
    that were not kept is beaten by ``k`` kept ones too: those beat it as well.)
    """
    kept: list[Impact] = []
    lengths: list[int] = []
    ordered = sorted(impacts, key=lambda impact: (-impact.weighted, impact.length))
    for _, tied in groupby(ordered, key=lambda impact: (impact.weighted, impact.length)):
        group = list(tied)
        if bisect_right(lengths, group[0].length) < k:
            kept.extend(group)
            for impact in group:
                insort(lengths, impact.length)
    return kept


# Rows of one word's matches read at a time: memory stays flat for a word in every article.
_CHUNK = 1_000
# Candidates held before those the bounds now exclude are dropped: memory stays flat.
_CANDIDATES = 2_000
# Changed articles merged one by one, each with a query a word (for a word in many articles, a
# pass over its matches to count them, as FTS5 does for each query); past this many, every
# list is built again instead.
_CHANGED_LIMIT = 100


def refresh_search_terms(connection: Connection) -> None:
    """After articles changed: the vocabulary behind name variants and corrections, and on
    SQLite the lists of the words in many articles, from one read of the index's vocabulary."""
    if connection.dialect.name == "sqlite":
        refresh_impacts(connection, refresh_vocabulary(connection, frequent_from=MIN_DOCUMENTS))
    else:
        refresh_vocabulary(connection)


def impacts_behind(engine: Engine) -> bool:
    """Whether the lists miss articles (SQLite): a run cut off before it brought them up, or
    lists built with other constants."""
    if engine.dialect.name != "sqlite":
        return False
    with engine.connect() as connection:
        return bool(
            connection.exec_driver_sql(
                "SELECT covered < (SELECT coalesce(max(id), 0) FROM article) OR built_with != ?"
                " OR EXISTS (SELECT 1 FROM term_impact_changed)"
                " OR EXISTS (SELECT 1 FROM term_impact_stale) FROM term_impact_state",
                (BUILT_WITH,),
            ).scalar_one()
        )


def refresh_impacts(connection: Connection, frequent: Iterable[tuple[str, int]]) -> None:
    """Bring the lists up to the store, in the caller's transaction: ``frequent`` are the index
    terms with their numbers of articles (from the vocabulary the caller just read); each held
    by at least ``MIN_DOCUMENTS`` gets the articles added since the last refresh merged into
    its list (every article, for a term new to the lists or whose list went stale), and the
    articles changed since merged too.

    A list an article changed or deleted was in is stale (a trigger, migration 0012) and built
    again; an article outside a list is beaten by ``K`` others, which beat every article it
    beats, so its going moves no other. Past ``_CHANGED_LIMIT`` changed articles, every list
    is built again, which then costs less.
    """
    covered, built_with = connection.exec_driver_sql(
        "SELECT covered, built_with FROM term_impact_state"
    ).one()
    changed = [
        id
        for (id,) in connection.exec_driver_sql(
            "SELECT c.id FROM term_impact_changed AS c JOIN article AS a ON a.id = c.id"
            " WHERE c.id <= ? ORDER BY c.id",
            (covered,),
        )
    ]
    connection.exec_driver_sql("DELETE FROM term_impact_changed")
    if covered < 0 or built_with != BUILT_WITH or len(changed) > _CHANGED_LIMIT:
        for table in ("term_impact", "term_impact_term", "term_impact_stale"):
            connection.exec_driver_sql(f"DELETE FROM {table}")
        covered, changed = 0, []
    else:
        for (term,) in connection.exec_driver_sql("SELECT term FROM term_impact_stale").all():
            connection.exec_driver_sql("DELETE FROM term_impact WHERE term = ?", (term,))
        connection.exec_driver_sql("DELETE FROM term_impact_stale")
    newest = connection.exec_driver_sql("SELECT coalesce(max(id), 0) FROM article").scalar_one()
    totals = index_totals(connection)
    witnesses: dict[str, str] = dict(
        connection.exec_driver_sql("SELECT term, witness FROM term_impact_term").all()
    )
    merges: dict[str, tuple[str, int, int]] = {}
    for term, documents in frequent if totals is not None else ():
        if documents < MIN_DOCUMENTS:
            continue
        witness = witnesses.get(term) or _witness(connection, term)
        if witness is None:
            continue  # no word found that the index reads as this term: no list
        merges[term] = (witness, documents, covered if term in witnesses else 0)
    for term in witnesses.keys() - merges.keys():  # fewer articles hold it now: no list
        connection.exec_driver_sql("DELETE FROM term_impact WHERE term = ?", (term,))
        connection.exec_driver_sql("DELETE FROM term_impact_term WHERE term = ?", (term,))
    if merges and totals is not None:
        since = min(since for *_, since in merges.values())
        cache_size = _read_lengths(connection, after=since, also=changed)
        for term, (witness, documents, since) in list(merges.items()):
            if not _merge(connection, term, witness, documents, after=since, totals=totals):
                del merges[term]  # no list for it: the changed articles are not merged either
        # A changed article joins the lists of the words it now holds, but for those just built
        # from every match, which have it already.
        for id in changed:
            for term in _terms_of(connection, id) & merges.keys():
                witness, documents, since = merges.get(term, ("", 0, 0))
                if since > 0 and not _merge(
                    connection, term, witness, documents, only=id, totals=totals
                ):
                    del merges[term]
        connection.exec_driver_sql("DROP TABLE temp.fts_length")
        connection.exec_driver_sql(f"PRAGMA temp.cache_size = {int(cache_size)}")
    connection.exec_driver_sql(
        "UPDATE term_impact_state SET covered = ?, built_with = ?", (newest, BUILT_WITH)
    )


def _terms_of(connection: Connection, id: int) -> set[str]:
    """The index terms of an article's headline and body, as FTS5 makes them."""
    title, body = connection.exec_driver_sql(
        "SELECT title, body FROM article WHERE id = ?", (id,)
    ).one()
    return {*_tokens_of(title or ""), *_tokens_of(body or "")}


def _read_lengths(connection: Connection, *, after: int, also: list[int]) -> int:
    """``temp.fts_length``: the length in tokens of each article after id ``after`` and of those
    ``also`` names, decoded once from the index's own records, for the merges to join. Returns
    the connection's temporary cache size, for the caller to set back."""
    connection.exec_driver_sql("DROP TABLE IF EXISTS temp.fts_length")
    cache_size = connection.exec_driver_sql("PRAGMA temp.cache_size").scalar_one()
    # Read in order of id, as the matches are: a small cache is enough (ingestion's peak memory).
    connection.exec_driver_sql("PRAGMA temp.cache_size = -256")
    connection.exec_driver_sql(
        "CREATE TEMP TABLE fts_length (id INTEGER PRIMARY KEY, length INTEGER NOT NULL)"
    )
    driver = connection.connection.driver_connection
    records = driver.execute(  # type: ignore[union-attr]
        "SELECT id, sz FROM article_fts_docsize"
        " WHERE id IN (SELECT value FROM json_each(?)) AND id <= ?"
        " UNION ALL SELECT id, sz FROM article_fts_docsize WHERE id > ?",
        (json.dumps(also), after, after),
    )
    driver.executemany(  # type: ignore[union-attr]
        "INSERT INTO temp.fts_length (id, length) VALUES (?, ?)",
        ((id, sum(varints(sizes))) for id, sizes in records),
    )
    return int(cache_size)


def _witness(connection: Connection, term: str) -> str | None:
    """A word as written in an article that the index reads as ``term`` (a MATCH stems the
    words it is given: the term itself may not stem to itself)."""
    places = connection.exec_driver_sql(
        "SELECT doc, col, offset FROM article_fts_instances WHERE term = ? LIMIT ?",
        (term, _WITNESS_PLACES),
    ).all()
    for doc, column, offset in places:
        text = connection.exec_driver_sql(
            f"SELECT {'title' if column == 'title' else 'body'} FROM article WHERE id = ?",
            (doc,),
        ).scalar_one_or_none()
        tokens = index_tokens(str(text or ""))
        word = tokens[int(offset)] if int(offset) < len(tokens) else None
        if word is not None and index_term(word) == term:
            return word
    return None


def _merge(
    connection: Connection,
    term: str,
    witness: str,
    documents: int,
    *,
    after: int = 0,
    only: int | None = None,
    totals: Totals,
) -> bool:
    """Merge the articles after id ``after`` (or the one article ``only``) that hold ``term``
    into its list; False when a score failed the check and the term has no list now.

    One pass over the word's matches: FTS5 gives each its BM25, SQL reads the weighted count back
    from it and the article's length (``temp.fts_length``). Python keeps, per weighted count, the
    ``K`` shortest lengths seen: an article longer than the ``K``-th of its own count is beaten
    by ``K`` others and can go at once. What is left (a few hundred rows) is cut to the skyband,
    and every row kept is checked: computed again, it must give FTS5's score to the bit, or the
    term gets no list.
    """
    word_idf = idf(totals.rows, documents)
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(
        f"SELECT id, {_weighted_sql(word_idf, totals.mean_length)} AS weighted, length, score"
        " FROM (SELECT f.rowid AS id, l.length AS length,"
        f" bm25(article_fts, {TITLE_WEIGHT}, {BODY_WEIGHT}) AS score"
        " FROM article_fts AS f JOIN temp.fts_length AS l ON l.id = f.rowid"
        f" WHERE article_fts MATCH ? AND f.rowid {'>' if only is None else '='} ? LIMIT -1)",
        ('"' + witness.replace('"', '""') + '"', after if only is None else only),
    )
    # Per weighted count: its K shortest lengths (negated, a heap) and, once it holds K, the
    # longest of them, beyond which an article of that count is beaten by K others.
    shortest: dict[float, list[int]] = {}
    longest: dict[float, int] = {}
    candidates = _Candidates()
    threshold = _CANDIDATES
    while chunk := cursor.fetchmany(_CHUNK):
        for rowid, weighted, length, score in chunk:
            bound = longest.get(weighted)
            if bound is not None and length > bound:
                continue
            lengths = shortest.get(weighted)
            if lengths is None:
                shortest[weighted] = lengths = []
            if len(lengths) < K:
                heappush(lengths, -length)
            elif length < bound:
                heapreplace(lengths, -length)
            if len(lengths) == K:
                longest[weighted] = -lengths[0]
            candidates.add(rowid, weighted, length, score)
        if len(candidates) > threshold:  # the bounds have tightened since many were taken
            candidates = candidates.within(longest)
            # Cut again only once as many more have come: a word with many weighted counts
            # keeps many candidates, which must not be gone through again at every read.
            threshold = max(_CANDIDATES, 2 * len(candidates))
    candidates = candidates.within(longest)
    # The word's number of articles, and a word as written for it (a failed check below takes
    # them away again).
    connection.exec_driver_sql(
        "INSERT OR REPLACE INTO term_impact_term (term, witness, documents) VALUES (?, ?, ?)",
        (term, witness, documents),
    )
    if not len(candidates):  # no new article holds the word: its list stands as it is
        return True
    scores = dict(zip(candidates.ids, candidates.scores, strict=True))
    before = [
        Impact(*row)
        for row in connection.exec_driver_sql(
            "SELECT id, weighted, length FROM term_impact WHERE term = ?", (term,)
        )
    ]
    # An article merged again (changed) stands with its new counts.
    kept_before = [impact for impact in before if impact.id not in scores]
    kept = skyband([*kept_before, *candidates.impacts()])
    for impact in kept:
        score = scores.get(impact.id)
        if score is not None and score != bm25(
            impact.weighted, impact.length, idf=word_idf, mean_length=totals.mean_length
        ):
            connection.exec_driver_sql("DELETE FROM term_impact WHERE term = ?", (term,))
            connection.exec_driver_sql("DELETE FROM term_impact_term WHERE term = ?", (term,))
            return False
    # Only what changed is written: the articles the new ones now beat go, the new ones kept
    # come (a list of a few hundred rows is not rewritten for one article).
    staying = {impact.id for impact in kept}
    if beaten := [(term, impact.id) for impact in before if impact.id not in staying]:
        connection.exec_driver_sql("DELETE FROM term_impact WHERE term = ? AND id = ?", beaten)
    if coming := [(term, *impact) for impact in kept if impact.id in scores]:
        connection.exec_driver_sql(
            "INSERT OR REPLACE INTO term_impact (term, id, weighted, length) VALUES (?, ?, ?, ?)",
            coming,
        )
    return True


class _Candidates:
    """The matches a merge holds, column by column (32 bytes each, where a tuple of objects
    takes some 250: a word in every article holds thousands at a time)."""

    __slots__ = ("ids", "lengths", "scores", "weighted")

    def __init__(self) -> None:
        self.ids = array("q")
        self.weighted = array("d")
        self.lengths = array("q")
        self.scores = array("d")

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, id: int, weighted: float, length: int, score: float) -> None:
        self.ids.append(id)
        self.weighted.append(weighted)
        self.lengths.append(length)
        self.scores.append(score)

    def within(self, longest: dict[float, int]) -> "_Candidates":
        """Those no longer than the ``K``-th shortest of their weighted count so far, nor than
        that of any higher count: ``K`` articles holding the word more often and no longer beat
        them too."""
        bounds: dict[float, float] = {}
        bound = math.inf
        for weighted in sorted(set(self.weighted) | longest.keys(), reverse=True):
            bound = min(bound, longest.get(weighted, math.inf))
            bounds[weighted] = bound
        kept = _Candidates()
        for place, length in enumerate(self.lengths):
            weighted = self.weighted[place]
            if length <= bounds[weighted]:
                kept.add(self.ids[place], weighted, length, self.scores[place])
        return kept

    def impacts(self) -> Iterator[Impact]:
        return map(Impact, self.ids, self.weighted, self.lengths)


def _weighted_sql(word_idf: float, mean_length: float) -> str:
    """SQL reading a match's weighted count back from its ``score`` and ``length``: the inverse
    of ``bm25``, rounded (weights are whole numbers, so the count is one too)."""
    ratio = f"(-score / {word_idf!r})"
    damping = f"({K1!r} * (1 - {B!r} + {B!r} * length / {mean_length!r}))"
    return f"round({ratio} * {damping} / (({K1!r} + 1.0) - {ratio}))"


class Ranked(NamedTuple):
    """A hit in relevance order: lower scores first, then the most recent year, then the
    article added last."""

    id: int
    year: int | None
    recency: int
    score: float


def in_relevance_order(
    hits: Iterable[tuple[int, float]], years: dict[int, int | None]
) -> list[Ranked]:
    """Hits (id, score) in relevance order, the ties broken by their ``years``."""
    return sorted(
        (Ranked(id, years.get(id), years.get(id) or 0, score) for id, score in hits),
        key=lambda hit: (hit.score, -hit.recency, -hit.id),
    )


def after_cursor(hits: list[Ranked], after: list[Any] | None) -> list[Ranked]:
    """The hits (in relevance order) that come after a cursor's (score, recency, id)."""
    if not after:
        return hits
    last_score, last_recency, last_id = after
    return [
        hit
        for hit in hits
        if hit.score > last_score
        or (hit.score == last_score and (hit.recency, hit.id) < (last_recency, last_id))
    ]


def ranked_from_list(
    connection: Connection, word: str, *, after: list[Any] | None, limit: int
) -> tuple[list[Ranked], int] | None:
    """The next ``limit + 1`` hits of the one-word query ``word`` after the cursor's (score,
    recency, id), and the number of articles holding it, from the word's list; None when the
    lists cannot tell it exactly (then the caller scores every match)."""
    term = index_term(word)
    if term is None:
        return None
    state = connection.exec_driver_sql(
        "SELECT s.covered, t.documents FROM term_impact_state AS s"
        " JOIN term_impact_term AS t ON t.term = ?"
        " WHERE s.covered >= (SELECT coalesce(max(id), 0) FROM article) AND s.built_with = ?"
        " AND NOT EXISTS (SELECT 1 FROM term_impact_changed)",
        (term, BUILT_WITH),
    ).first()
    totals = index_totals(connection)
    if state is None or totals is None:
        return None  # no list, or articles came or changed since the lists were brought up
    documents = int(state.documents)
    word_idf = idf(totals.rows, documents)
    driver = connection.connection.driver_connection
    scored = sorted(
        (bm25(weighted, length, idf=word_idf, mean_length=totals.mean_length), id)
        for id, weighted, length in driver.execute(  # type: ignore[union-attr]
            "SELECT id, weighted, length FROM term_impact WHERE term = ?", (term,)
        )
    )
    complete = len(scored) >= documents  # the list holds every article with the word
    # Only the hits scoring no worse than the K-th can be among the best K (the year breaks the
    # ties): their years are read, the rest never.
    if not complete and len(scored) > K:
        cut = scored[K - 1][0]
        scored = [(score, id) for score, id in scored if score <= cut]
    years: dict[int, int | None] = dict(
        driver.execute(  # type: ignore[union-attr]
            "SELECT id, year FROM article WHERE id IN (SELECT value FROM json_each(?))",
            (json.dumps([id for _, id in scored]),),
        )
    )
    candidates = in_relevance_order(((id, score) for score, id in scored), years)
    exact = after_cursor(candidates if complete else candidates[:K], after)
    if len(exact) <= limit and not complete:
        return None  # the page runs past the hits the list ranks exactly
    return exact[: limit + 1], documents
