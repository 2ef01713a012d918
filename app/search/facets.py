"""A search's facets: the most frequent values of a field over all its matches, counted by the
engine's terms aggregations."""

from collections.abc import Mapping, Sequence
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


def facet_counts(
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    facets: Sequence[Facet],
    total: int,
    *,
    also: Mapping[str, Any] | None = None,
) -> tuple[FacetCounts | None, dict[str, Any] | None]:
    """Per facet, its most frequent values over all the matches (count, then value; articles
    without one counted under None), exact: every value of every segment is counted; and the
    answers of the aggregations ``also`` names, counted in the same pass."""
    if not facets and not also:
        return None, None
    wanted = list(dict.fromkeys(facets))
    aggregations: dict[str, Any] = {facet.value: _terms(facet) for facet in wanted}
    aggregations.update(also or {})
    try:
        answer = searcher.aggregate(query, aggregations)
    except ValueError:  # the engine's bounds: the others too many buckets, say
        if not also:
            raise
        return facet_counts(searcher, query, facets, total)[0], None  # the others left out
    others = {name: answer[name] for name in also} if also else None
    if not facets:
        return None, others
    counts: FacetCounts = {}
    for facet in wanted:
        result = answer[facet.value]
        values: list[tuple[str | int | None, int]] = []
        without = None
        for bucket in result["buckets"]:
            if bucket["key"] == MISSING:
                without = int(bucket["doc_count"])
            else:
                values.append((_facet_value(bucket["key"], facet), int(bucket["doc_count"])))
        if without is None:  # none without a value, or past the buckets counted: count them
            without = _without(searcher, query, facet, total, values, result)
        if without > 0:
            values.append((None, without))
        # As the store orders them: most frequent first, then by value (none before any).
        values.sort(key=lambda entry: (-entry[1], entry[0] is not None, entry[0] or 0))
        counts[facet.value] = values[:FACET_VALUES_LIMIT]
    return counts, others


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
