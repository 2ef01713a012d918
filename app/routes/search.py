"""``/v1/search``: ranked full-text search with highlights."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.dependencies import CursorParam, FacetsDep, FiltersDep, Limit, SessionDep
from app.errors import InvalidParameter, problem_responses
from app.links import next_page_url, summary
from app.models import Highlight, QueryUnderstanding, SearchHit, SearchPage, facet_values
from app.query import Atom, AtomKind, ParsedQuery, parse_query
from app.search import search_articles
from app.store import SearchSort

router = APIRouter(prefix="/v1", tags=["search"])

QUERY_HELP = (
    'Words (all must match), "exact phrases", `a OR b`, `-excluded`, `prefix*`. '
    "Matching ignores case and accents and stems English words. Anything else is searched as text."
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
    limit: Limit = 20,
    cursor: CursorParam = None,
    sort: Annotated[
        SearchSort,
        Query(
            description="`relevance` (best first), `newest` or `oldest`.", examples=["relevance"]
        ),
    ] = SearchSort.RELEVANCE,
    snippet_words: Annotated[
        int,
        Query(ge=5, le=100, description="How many words a snippet holds at most.", examples=[30]),
    ] = 30,
) -> SearchPage:
    """Articles matching `q`, best first, each with its headline and a snippet highlighted."""
    query = parse_query(q)
    page = search_articles(
        session,
        query=query,
        filters=filters,
        sort=sort,
        limit=limit,
        cursor=cursor,
        snippet_words=snippet_words,
        facets=facets,
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
        query=understanding(q, query),
        items=hits,
        total=page.total,
        limit=limit,
        next_cursor=page.next_cursor,
        next=next_page_url(request, response, page.next_cursor),
        facets=facet_values(page.facets),
    )


def understanding(q: str, query: ParsedQuery) -> QueryUnderstanding:
    """How the query was read, for the response."""
    single = [clause[0] for clause in query.clauses if len(clause) == 1]
    return QueryUnderstanding(
        q=q,
        words=[atom.text for atom in single if atom.kind is AtomKind.WORD],
        phrases=[atom.text for atom in single if atom.kind is AtomKind.PHRASE],
        prefixes=[atom.text for atom in single if atom.kind is AtomKind.PREFIX],
        alternatives=[[shown(a) for a in clause] for clause in query.clauses if len(clause) > 1],
        excluded=[shown(atom) for atom in query.excluded],
        warnings=query.warnings,
    )


def shown(atom: Atom) -> str:
    """An atom written back in the query language."""
    if atom.kind is AtomKind.PHRASE:
        return f'"{atom.text}"'
    return f"{atom.text}*" if atom.kind is AtomKind.PREFIX else atom.text
