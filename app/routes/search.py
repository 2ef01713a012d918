"""``/v1/search``: ranked full-text search with highlights."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.dependencies import (
    CursorParam,
    FacetsDep,
    FiltersDep,
    Limit,
    SearchInDep,
    SessionDep,
)
from app.errors import InvalidParameter, problem_responses
from app.links import next_page_url, summary
from app.models import Highlight, QueryUnderstanding, SearchHit, SearchPage, facet_values
from app.names import Expansion, complete_prefixes, expand_names, suggest
from app.query import (
    AllOf,
    AnyOf,
    AtomKind,
    Column,
    Node,
    ParsedQuery,
    Term,
    interpreted,
    parse_query,
    shown,
)
from app.search import search_articles
from app.store import SearchSort

router = APIRouter(prefix="/v1", tags=["search"])

# Below this many hits, the response suggests a corrected query (`did_you_mean`).
FEW_HITS = 3

QUERY_HELP = (
    'Words (all must match), "exact phrases", `a OR b`, `-excluded`, `prefix*`, parentheses, '
    "`title:` or `body:` before a word, phrase or group. Matching ignores case and accents and "
    "stems English words. Anything else is searched as text."
)


@router.get(
    "/search",
    response_model=SearchPage,
    name="search_articles",
    summary="Search articles",
    responses=problem_responses(InvalidParameter),
)
def search_route(
    request: Request,
    response: Response,
    session: SessionDep,
    filters: FiltersDep,
    q: Annotated[str, Query(max_length=500, description=QUERY_HELP, examples=["Macron troops"])],
    facets: FacetsDep,
    columns: SearchInDep,
    limit: Limit = 20,
    cursor: CursorParam = None,
    sort: Annotated[
        SearchSort,
        Query(
            description="`relevance` (best first), `newest` or `oldest`.", examples=["relevance"]
        ),
    ] = SearchSort.RELEVANCE,
    fuzzy: Annotated[
        bool,
        Query(
            description="Add the spelling variants of names that the corpus holds "
            "(`Zelensky` also finds `Zelenskyy`), and suggest a correction when little is found.",
            examples=[True],
        ),
    ] = True,
    snippet_words: Annotated[
        int,
        Query(ge=5, le=100, description="How many words a snippet holds at most.", examples=[30]),
    ] = 30,
) -> SearchPage:
    """Articles matching `q`, best first, each with its headline and a snippet highlighted."""
    query = parse_query(q)
    completion = complete_prefixes(session, query)
    expansion = (
        expand_names(session, completion.query) if fuzzy else Expansion(completion.query, {})
    )
    expanded = completion.expanded | expansion.expanded
    page = search_articles(
        session,
        query=expansion.query,
        filters=filters,
        sort=sort,
        limit=limit,
        cursor=cursor,
        snippet_words=snippet_words,
        facets=facets,
        columns=columns,
    )
    hits = [
        SearchHit.model_validate(
            summary(request, match.article),
            update={
                "score": match.score,
                "highlight": Highlight(
                    title=match.title_html,
                    snippet=match.snippet_html,
                    paragraph=match.snippet_paragraph,
                ),
            },
        )
        for match in page.items
    ]
    return SearchPage(
        query=understanding(q, query, columns, expanded),
        did_you_mean=(
            suggest(session, query, expanded=expansion.expanded) if page.total < FEW_HITS else None
        ),
        items=hits,
        total=page.total,
        limit=limit,
        next_cursor=page.next_cursor,
        next=next_page_url(request, response, page.next_cursor),
        facets=facet_values(page.facets),
    )


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
