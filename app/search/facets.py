"""A search's facets: the most frequent values of a field over all its matches, counted by the
engine's terms aggregations on a thread of their own while the search makes its page.

tantivy-py lets go of the GIL while the engine aggregates, so the count and the page's Python
work (ranking its hits, marking their highlights, reading the store) run at once on a machine
with a core to spare: a search with facets then takes little more time than one without (the
CPU it costs is the same). Counting five facets over ten thousand matches takes the engine about
as long as a third of the search itself (bench/RESULTS.md, issue #25's page).
"""

import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import tantivy

from app.search.hits import match_count
from app.search.schema import facet_field
from app.store.filters import FACET_VALUES_LIMIT, Facet, FacetCounts

# The values a facet counts per segment and in all: a terms aggregation is exact when it sees
# every value of every segment; a corpus with more values than this counts its most frequent
# ones approximately.
FACET_BUCKETS = 20_000

# The key the aggregation counts the matches without a value under, in the same pass: no value
# holds a NUL (``app/ingestion`` takes them out of the text, the filters refuse them). Only the
# facets of lists ask for it: an article has at most one source, dateline or year, so the
# matches without one are the total less those counted, and asking costs a terms aggregation
# over an integer column half as much again.
MISSING = "\x00none"


def no_facet_counts(facets: Sequence[Facet]) -> FacetCounts | None:
    """The facets of a search that matches nothing: each without values."""
    return {facet.value: [] for facet in facets} if facets else None


def _counting_threads() -> ThreadPoolExecutor:
    """The threads that count: one a core, as the engine uses one core an aggregation, started
    as searches ask. A search waits for its own count only, never for work that waits on it, so
    none can deadlock."""
    return ThreadPoolExecutor(max_workers=os.cpu_count() or 2, thread_name_prefix="byline-facets")


_COUNTING = _counting_threads()


def _after_fork() -> None:
    # A process forked after a count has the pool's threads in name only: a pool of its own.
    global _COUNTING  # noqa: PLW0603
    _COUNTING = _counting_threads()


os.register_at_fork(after_in_child=_after_fork)


class FacetCounting:
    """Per facet, its most frequent values over all the matches of ``query`` (count, then
    value; articles without one counted under None), exact: every value of every segment is
    counted; and the answers of the aggregations ``also`` names, counted in the same pass.
    The engine starts counting as this is made; ``result`` waits for the counts."""

    def __init__(
        self,
        searcher: tantivy.Searcher,
        query: tantivy.Query,
        facets: Sequence[Facet],
        *,
        also: Mapping[str, Any] | None = None,
    ) -> None:
        self.searcher = searcher
        self.query = query
        self.facets = list(dict.fromkeys(facets))
        self.also = also
        self.answer: Future[tuple[dict[str, Any], bool]] | None = None
        if self.facets or also:
            # Asked for here: the thread needs the GIL only to hand the request to the engine.
            terms = {facet.value: _terms(facet) for facet in self.facets}
            self.answer = _COUNTING.submit(_aggregated, searcher, query, terms, also)

    def result(self, total: int) -> tuple[FacetCounts | None, dict[str, Any] | None]:
        """The facets' counts and the other aggregations' answers (None for either not asked;
        the others None too when the engine's bounds refused them), ``total`` being how many
        articles match."""
        if self.answer is None:
            return None, None
        answer, with_others = self.answer.result()
        also = self.also
        others = {name: answer[name] for name in also} if also and with_others else None
        if not self.facets:
            return None, others
        counts: FacetCounts = {}
        for facet in self.facets:
            result = answer[facet.value]
            values: list[tuple[str | int | None, int]] = []
            without = None
            for bucket in result["buckets"]:
                if bucket["key"] == MISSING:
                    without = int(bucket["doc_count"])
                else:
                    values.append((_facet_value(bucket["key"], facet), int(bucket["doc_count"])))
            if without is None:  # none without a value, or past the buckets counted: count them
                without = _without(self.searcher, self.query, facet, total, values, result)
            if without > 0:
                values.append((None, without))
            # As the store orders them: most frequent first, then by value (none before any).
            values.sort(key=lambda entry: (-entry[1], entry[0] is not None, entry[0] or 0))
            counts[facet.value] = values[:FACET_VALUES_LIMIT]
        return counts, others


def _aggregated(
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    terms: dict[str, Any],
    also: Mapping[str, Any] | None,
) -> tuple[dict[str, Any], bool]:
    """The engine's answer to the facets' ``terms`` aggregations and ``also``'s, and whether
    it holds ``also``'s: past the engine's bounds (too many buckets, say), the facets are
    counted without them."""
    try:
        return searcher.aggregate(query, {**terms, **also} if also else terms), True
    except ValueError:
        if not also:
            raise
    if not terms:
        return {}, False
    return searcher.aggregate(query, terms), False


def _terms(facet: Facet) -> dict[str, Any]:
    """The terms aggregation counting ``facet``'s values over the matches."""
    terms: dict[str, Any] = {
        "field": facet_field(facet),
        "size": FACET_BUCKETS,
        "segment_size": FACET_BUCKETS,
    }
    if facet.listed:
        terms["missing"] = MISSING
    return {"terms": terms}


def _without(
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    facet: Facet,
    total: int,
    values: list[tuple[str | int | None, int]],
    result: dict[str, Any],
) -> int:
    """How many of the matches have no value of ``facet``, when the aggregation did not say."""
    if facet.listed:  # an article counts under each of its values: those with none, counted
        if not int(result["sum_other_doc_count"]):
            return 0  # every bucket came back, none of them the missing key's
        none = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Must, query),
                (tantivy.Occur.MustNot, tantivy.Query.exists_query(facet_field(facet))),
            ]
        )
        return match_count(searcher, none)
    # Each article has at most one value: the matches not counted under one have none.
    return total - sum(count for _, count in values) - int(result["sum_other_doc_count"])


def _facet_value(key: Any, facet: Facet) -> str | int:
    return int(key) if facet.counts_numbers else str(key)
