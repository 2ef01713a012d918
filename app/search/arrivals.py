"""Which of some articles match a query: the search of ``/v1/search`` (its prefixes completed
and its names varied as the corpus holds them now) restricted to those articles' ids, so its
cost grows with the articles asked about, not with the index."""

from collections.abc import Collection, Sequence

from app.search.completions import complete_prefixes
from app.search.engine import search_index
from app.search.index import SearchIndex
from app.search.name_variants import Expansion, expand_names
from app.search.query_tree import Column, ParsedQuery
from app.search.snippets import SearchMatch
from app.store.filters import ArticleFilters
from app.store.readers.base import Read


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
    """The articles of ``ids`` that match ``query`` (and ``filters``, its words looked for in
    ``columns``: all when none) in the index as it is, by id, each with its highlights; an id
    the index does not hold (a removed article) matches nothing."""
    if not ids:
        return {}
    completion = complete_prefixes(read, index, query)
    expansion = (
        expand_names(read, index, completion.query) if fuzzy else Expansion(completion.query, {})
    )
    page = search_index(
        read,
        index,
        query=expansion.query,
        filters=filters or ArticleFilters(),
        limit=len(ids),
        snippet_words=snippet_words,
        columns=columns,
        typed=completion.query,
        among=ids,
    )
    return {match.article["id"]: match for match in page.items}
