"""Which of some articles match a query: the search of ``/v1/search`` (its prefixes completed
and its names varied as the index holds them) restricted to those articles' ids, so its cost
grows with the articles asked about, not with the index; and an index in memory of a batch of
articles alone, for saved searches to be matched against as the batch arrives (a percolator:
the corpus is never searched again).
"""

import itertools
from collections.abc import Collection, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import tantivy

from app.search import render
from app.search.engine import search_index
from app.search.index import SearchIndex
from app.search.name_variants import expand_names
from app.search.query_tree import Column, ParsedQuery
from app.search.schema import SCHEMA, article_document, memory_index, progress_document
from app.search.snippets import SearchMatch
from app.store.filters import ArticleFilters
from app.store.readers.base import Read

# The writer's memory for an index of one batch: the engine's least is 15 MB a thread.
ARRIVALS_WRITER_MB = 32

# Numbers each index in memory's name: a name tells an index from every other.
_arrivals = itertools.count(1)


def arrivals_index(articles: Iterable[tuple[Mapping[str, Any], int]]) -> SearchIndex:
    """An index in memory of ``articles`` alone (each as the store holds it, with the number
    of its latest change), with the same analyzers and fields as the store's."""
    index = SearchIndex(
        Path(f"<arrivals {next(_arrivals)}>"), writer_mb=ARRIVALS_WRITER_MB, index=memory_index()
    )
    writer = index.index.writer(index.writer_heap, 1)
    applied = 0
    for article, change in articles:
        writer.add_document(article_document(article, change=change))
        applied = max(applied, change)
    writer.add_document(progress_document(applied))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return index


def ids_among(
    read: Read,
    index: SearchIndex,
    *,
    query: ParsedQuery,
    ids: Collection[int],
    fuzzy: bool = True,
    filters: ArticleFilters | None = None,
    columns: Sequence[Column] = (),
) -> set[int]:
    """The ids of ``ids`` whose articles match ``query`` (and ``filters``, its words looked for
    in ``columns``: all when none) in the index as it is, as ``/v1/search`` matches them (name
    variants and all), without ranking them or marking their text."""
    if not ids:
        return set()
    condition = render.matching(_varied(read, index, query, fuzzy), columns=columns)
    if condition is None:
        return set()
    conditions = render.filter_conditions(filters or ArticleFilters())
    conditions.append(tantivy.Query.term_set_query(SCHEMA, "id", sorted(ids)))
    searcher = index.searcher()
    found = searcher.search(render.filtered(condition, conditions), len(ids), count=False).hits
    held = searcher.fast_field_values("id", [address for _, address in found])
    return {int(id) for id in held if id is not None}


def matching_among(
    read: Read,
    index: SearchIndex,
    *,
    query: ParsedQuery,
    ids: Collection[int],
    fuzzy: bool = True,
    filters: ArticleFilters | None = None,
    columns: Sequence[Column] = (),
    snippet_words: int = 30,
) -> dict[int, SearchMatch]:
    """The articles of ``ids`` that match ``query`` as ``ids_among`` finds them, by id, each
    with its highlights; an id the index does not hold (a removed article) matches nothing."""
    if not ids:
        return {}
    page = search_index(
        read,
        index,
        query=_varied(read, index, query, fuzzy),
        filters=filters or ArticleFilters(),
        limit=len(ids),
        snippet_words=snippet_words,
        columns=columns,
        typed=query,
        among=ids,
    )
    return {match.article["id"]: match for match in page.items}


def _varied(read: Read, index: SearchIndex, query: ParsedQuery, fuzzy: bool) -> ParsedQuery:
    """The query with its names' variants in the index (``fuzzy``), as ``/v1/search`` adds
    them; its prefixes need nothing added (the index matches them as they are)."""
    return expand_names(read, index, query).query if fuzzy else query
