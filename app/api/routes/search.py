"""``/v1/search``: ranked full-text search with highlights."""

from collections.abc import Mapping
from typing import Any, NamedTuple

from fastapi import APIRouter, Request, Response

from app.api.budget import Budget, within_budget
from app.api.caching import Answer, kept_response
from app.api.dependencies import SearchQuery, SearchQueryDep, search_query
from app.api.errors import problem_responses
from app.api.links import article_url, articles_url, next_page_url, search_url
from app.api.responses import facet_content, json_body, shaped
from app.api.schemas import QueryUnderstanding, SearchHit, SearchPage
from app.problems import InvalidParameter, SearchTimeout
from app.search import search_index
from app.search.completions import complete_prefixes
from app.search.corrections import suggest
from app.search.language import parse_query
from app.search.name_variants import Expansion, expand_names
from app.search.query_tree import (
    AllOf,
    AnyOf,
    AtomKind,
    Column,
    Node,
    ParsedQuery,
    Term,
    interpreted,
    shown,
)
from app.search.snippets import SearchMatch
from app.store.articles import Page
from app.store.readers.base import Read

router = APIRouter(prefix="/v1", tags=["search"])


@router.get(
    "/search",
    response_model=SearchPage,
    name="search_articles",
    summary="Search articles",
    responses=problem_responses(InvalidParameter, SearchTimeout),
    openapi_extra=search_query.openapi_extra,
)
async def search_route(request: Request, params: SearchQueryDep) -> Response:
    """Articles matching `q`, best first, each with its headline and a snippet highlighted."""
    # Searching takes from a fraction of a millisecond to a second: not on the event loop, and
    # stopped past the time budget.
    return await kept_response(
        request,
        lambda: within_budget(request, lambda budget: _search(request, params, budget)),
        index=request.app.state.search_index,
    )


class Found(NamedTuple):
    """What a search found, and how it read the query: what its response is made of."""

    read: Read
    query: ParsedQuery
    expanded: Expansion
    completed: dict[str, list[str]]
    page: Page[SearchMatch]


def find(
    request: Request,
    params: SearchQuery,
    budget: Budget,
    *,
    aggregations: Mapping[str, Any] | None = None,
) -> Found:
    """The page of matches that ``params`` ask for, within ``budget``; with ``aggregations``
    counted beside its facets (``search_index``)."""
    query = parse_query(params.q)
    index = request.app.state.search_index
    # The reader's connections, not a session: a search reads a few rows by id, and a session
    # (its transaction, its result machinery) cost a third of a search's time on PostgreSQL.
    read = budget.read(request.app.state.reader)
    completion = complete_prefixes(read, index, query)
    expansion = (
        expand_names(read, index, completion.query)
        if params.fuzzy
        else Expansion(completion.query, {})
    )
    page = search_index(
        read,
        index=index,
        query=expansion.query,
        filters=params,
        sort=params.sort,
        limit=params.limit,
        cursor=params.cursor,
        snippet_words=params.snippet_words,
        facets=params.facet_list(),
        columns=params.columns(),
        typed=completion.query,
        aggregations=aggregations,
    )
    return Found(read, query, expansion, completion.expanded, page)


def _search(request: Request, params: SearchQuery, budget: Budget) -> Answer:
    """The body of a search response and the URL of the next page."""
    found = find(request, params, budget)
    page = found.page
    index = request.app.state.search_index
    did_you_mean = suggest(found.read, index, found.query, expanded=found.expanded.expanded)
    expanded = found.completed | found.expanded.expanded
    next_url = next_page_url(request, page.next_cursor)
    content = {
        "query": understanding(params.q, found.query, params.columns(), expanded).model_dump(),
        "items": _hits(request, page.items),
        "total": page.total,
        "limit": params.limit,
        "next_cursor": page.next_cursor,
        "next": next_url,
        "facets": facet_content(page.facets),
        "did_you_mean": did_you_mean,
        "did_you_mean_url": search_url(request, did_you_mean),
    }
    return json_body(shaped(content, SearchPage)), next_url


def _hits(request: Request, matches: list[SearchMatch]) -> list[dict[str, Any]]:
    """The page's hits as the response gives them: each article's summary, its URL, score,
    the name variants it holds and its highlights."""
    base = articles_url(request)
    return [
        search_hit(match, article_url(request, match.article["slug"], base=base))
        for match in matches
    ]


def search_hit(match: SearchMatch, url: str) -> dict[str, Any]:
    """A hit as the response gives it, with the article's URL ``url``."""
    row = match.article
    row["url"] = url
    row["score"] = match.score
    row["matched_variants"] = match.matched_variants
    row["highlight"] = {
        "title": match.title_html,
        "snippet": match.snippet_html,
        "paragraph": match.snippet_paragraph,
    }
    return shaped(row, SearchHit)


def understanding(
    q: str, query: ParsedQuery, columns: list[Column], expanded: dict[str, list[str]]
) -> QueryUnderstanding:
    """How the query was read, for the response."""
    terms = list(query.terms())
    return QueryUnderstanding(
        q=q,
        interpreted=interpreted(query.root),
        words=[_text(term) for term in terms if term.kind is AtomKind.WORD],
        phrases=[_text(term) for term in terms if term.kind is AtomKind.PHRASE],
        prefixes=[_text(term) for term in terms if term.kind is AtomKind.PREFIX],
        alternatives=[[shown(option) for option in group.options] for group in _groups(query.root)],
        excluded=[shown(node) for node in _excluded(query.root)],
        search_in=[column.value for column in columns] or [column.value for column in Column],
        expanded=expanded,
        warnings=query.warnings,
    )


def _text(term: Term) -> str:
    return f"{term.column}:{term.text}" if term.column else term.text


def _groups(node: Node) -> list[AnyOf]:
    if isinstance(node, Term):
        return []
    if isinstance(node, AnyOf):
        return [node, *(group for option in node.options for group in _groups(option))]
    return [group for child in node.required for group in _groups(child)]


def _excluded(node: Node) -> list[Node]:
    if isinstance(node, AllOf):
        return [*node.excluded, *(n for child in node.required for n in _excluded(child))]
    if isinstance(node, AnyOf):
        return [n for option in node.options for n in _excluded(option)]
    return []
