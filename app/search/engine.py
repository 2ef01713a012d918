"""A search answered by the engine's index, step by step: the query's tiers, the page's hits
(by relevance, ``relevance_pages``; newest or oldest first, ``ordered_pages``), the cursor of
the next page (``page_cursor``), the facets (``facets``) and the hits as the response shows them
(``matches``).

The index finds and orders; the store, the source of truth, gives each hit of the page its
summary and text (highlights are marked on them with the index's analyzers).
"""

from collections.abc import Collection, Mapping, Sequence
from typing import Any

import tantivy

from app.search import render
from app.search.facets import FacetCounting, no_facet_counts
from app.search.hits import Hit, match_count
from app.search.index import SearchIndex
from app.search.matches import page_matches
from app.search.ordered_pages import in_order
from app.search.page_cursor import cursor_after, cursor_key
from app.search.query_tree import Column, ParsedQuery, Term, added_terms
from app.search.relevance_pages import by_relevance
from app.search.schema import SCHEMA
from app.search.snippets import SearchMatch
from app.store.articles import Page
from app.store.filters import ArticleFilters, Facet, SearchSort
from app.store.readers.base import Read


def search_index(
    read: Read,
    index: SearchIndex,
    *,
    query: ParsedQuery,
    filters: ArticleFilters,
    sort: SearchSort = SearchSort.RELEVANCE,
    limit: int = 20,
    cursor: str | None = None,
    snippet_words: int = 30,
    facets: Sequence[Facet] = (),
    columns: Sequence[Column] = (),
    typed: ParsedQuery | None = None,
    among: Collection[int] | None = None,
    aggregations: Mapping[str, Any] | None = None,
) -> Page[SearchMatch]:
    """A page of the articles matching ``query``, best first unless another sort is asked for.

    ``typed`` is the query before name variants were added to it (``query`` with them). By
    relevance, the articles matching ``typed`` come first, then those matching only through a
    variant, each tier ranked as ``render`` defines; each hit lists the variants it holds.
    With ``among``, only the articles of those ids can match (which of them match a query).
    ``aggregations`` are counted over the matches beside the facets, in the same pass, and
    their answers given in the page's ``aggregated``; the engine counts them while the page's
    hits are found and shown.
    """
    searcher = index.searcher()
    key = cursor_key(cursor, sort) if cursor else None
    scored = render.ranked(query, columns=columns)
    if scored is None or (among is not None and not among):  # nothing can match
        return Page(items=[], total=0, next_cursor=None, facets=no_facet_counts(facets))
    applied = index.applied_change(searcher)
    change = key[-1] if key is not None else applied
    conditions = _conditions(filters, change, applied)
    if among is not None:
        conditions.append(tantivy.Query.term_set_query(SCHEMA, "id", sorted(among)))
    matching = render.filtered(scored, conditions)
    # Counted by the engine while the page is made (facets.py says why).
    counting = FacetCounting(searcher, matching, facets, also=aggregations)
    near = render.proximity(query, columns=columns)
    variants = added_terms(query, typed)
    tiers = _tiers(matching, typed, variants, columns)
    hits, next_key, sizes = _page(searcher, tiers, near, sort, key, limit)
    total = sum(sizes)
    items = page_matches(
        read,
        searcher,
        hits,
        query=query,
        columns=columns,
        variants=variants,
        snippet_words=snippet_words,
    )
    next_cursor = cursor_after(sort, next_key, change)
    counts, aggregated = counting.result(total)
    return Page(items, total, next_cursor, facets=counts, aggregated=aggregated)


def _conditions(filters: ArticleFilters, change: int, applied: int) -> list[tantivy.Query]:
    """The conditions on the articles: the filters', and on a later page, none indexed after
    the change of the first."""
    conditions = render.filter_conditions(filters)
    if change < applied:
        # Articles indexed after the first page: left out. Every document of a commit has a
        # change up to the commit's, so the first page needs no such condition (which costs a
        # common word's search four times its own time).
        conditions.append(
            tantivy.Query.range_query(SCHEMA, "change", tantivy.FieldType.Integer, None, change)
        )
    return conditions


def _tiers(
    scored: tantivy.Query,
    typed: ParsedQuery | None,
    variants: list[Term],
    columns: Sequence[Column],
) -> list[tantivy.Query]:
    """The query as tiers, each ranked after the one before: one tier without variants; else
    the articles matching the query as typed, then those matching only through a variant."""
    if not variants or typed is None:
        return [scored]
    condition = render.matching(typed, columns=columns)
    if condition is None:  # the query as typed matches nothing: every hit is a variant's
        return [tantivy.Query.empty_query(), scored]
    return [
        render.filtered(scored, [condition]),
        tantivy.Query.boolean_query([(render.Must, scored), (render.MustNot, condition)]),
    ]


def _page(
    searcher: tantivy.Searcher,
    tiers: list[tantivy.Query],
    near: Sequence[tantivy.Query],
    sort: SearchSort,
    key: list[Any] | None,
    limit: int,
) -> tuple[list[Hit], list[Any] | None, list[int]]:
    """The page's hits in the order ``sort`` asks for, the key of its last when more follow,
    and how many hits each tier has."""
    if sort == SearchSort.RELEVANCE:
        return by_relevance(searcher, tiers, near, key, limit)
    sizes = [match_count(searcher, tier) for tier in tiers]
    hits, next_key = in_order(searcher, tiers, near, sort, key, limit)
    return hits, next_key, sizes
