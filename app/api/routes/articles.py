"""``/v1/articles``: list, fetch and read the text as received."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from fastapi.responses import PlainTextResponse

from app.api.budget import Budget, within_budget
from app.api.caching import Answer, kept_response
from app.api.dependencies import ListQuery, ListQueryDep, SessionDep, list_query, reader
from app.api.errors import problem_responses
from app.api.links import (
    ARTICLES_PATH,
    article_raw_url,
    article_url,
    articles_url,
    next_page_url,
    summary,
)
from app.api.responses import JSONResponse, facet_content, json_body, shaped
from app.api.schemas import (
    ArticleDetail,
    ArticlePage,
    RelatedHit,
    RelatedPage,
    Revision,
    RevisionList,
)
from app.problems import InvalidParameter, NotFound, SearchTimeout
from app.search.related import distinctive_terms, related_articles
from app.store.articles import Page, article_versions, get_article
from app.store.listing import read_article, read_page
from app.store.readers.base import Reader, Row

router = APIRouter(prefix=ARTICLES_PATH, tags=["articles"])

ArticleRef = Annotated[
    str,
    Path(
        max_length=200,
        description="The article's numeric id or its slug.",
        examples=[
            "1",
            "ukraine-france-discussing-allied-troop-deployment-to-country-zelenskyy-says",
        ],
    ),
]


@router.get(
    "",
    response_model=ArticlePage,
    name="list_articles",
    summary="List articles",
    responses=problem_responses(InvalidParameter),
    openapi_extra=list_query.openapi_extra,
)
async def list_articles_route(request: Request, params: ListQueryDep) -> Response:
    """Article summaries, newest first, a page at a time (follow `next` or the `Link` header)."""
    store = reader(request)

    async def computed() -> Answer:
        # A page is a few index seeks and its count is cached: on SQLite, answered on the event
        # loop (the reader says where its reads run).
        page = await store.call(
            read_page,
            store,
            filters=params,
            sort=params.sort,
            limit=params.limit,
            cursor=params.cursor,
            facets=params.facet_list(),
        )
        return _page_body(request, params, page)

    return await kept_response(request, computed)


def _page_body(request: Request, params: ListQuery, page: Page[Row]) -> Answer:
    """The body of a page of summaries and the URL of the next page."""
    items = []
    base = articles_url(request)
    for row in page.items:
        row["url"] = article_url(request, row["slug"], base=base)
        items.append(row)  # SUMMARY_COLUMNS and then url: ArticleSummary's order
    next_url = next_page_url(request, page.next_cursor)
    content = {
        "items": items,
        "total": page.total,
        "limit": params.limit,
        "next_cursor": page.next_cursor,
        "next": next_url,
        "facets": facet_content(page.facets),
    }
    return json_body(shaped(content, ArticlePage)), next_url


@router.get(
    "/{ref}",
    response_model=ArticleDetail,
    summary="Get an article",
    name="get_article",
    responses=problem_responses(NotFound),
)
async def get_article_route(request: Request, ref: ArticleRef) -> Response:
    """The whole article, by numeric id or slug."""
    # One primary-key or unique-index lookup: on SQLite, answered on the event loop. The response
    # is kept until the store changes, and sent again, by app.api.kept_answers.KeptAnswers.
    store = reader(request)
    return JSONResponse(await store.call(_article_body, store, request, ref))


def _article_body(store: Reader, request: Request, ref: str) -> bytes:
    article = read_article(store, ref)
    url = article_url(request, article["slug"])
    article.update(url=url, raw_url=article_raw_url(url))
    return json_body(shaped(article, ArticleDetail))


@router.get(
    "/{ref}/raw",
    response_class=PlainTextResponse,
    name="get_article_raw",
    summary="Get an article's text as received",
    responses={
        200: {"content": {"text/plain": {}}, "description": "The text, UTF-8."},
        **problem_responses(NotFound),
    },
)
def get_article_raw_route(session: SessionDep, ref: ArticleRef) -> PlainTextResponse:
    """The text of the article file as ingested (decoded to UTF-8 with LF line ends)."""
    article = get_article(session, ref=ref)
    return PlainTextResponse(article.raw_text, media_type="text/plain; charset=utf-8")


@router.get(
    "/{ref}/related",
    response_model=RelatedPage,
    name="related_articles",
    summary="Get related articles",
    responses=problem_responses(NotFound, SearchTimeout),
)
async def related_articles_route(
    request: Request,
    ref: ArticleRef,
    limit: Annotated[
        int, Query(ge=1, le=50, description="How many related articles, 1 to 50.", examples=[10])
    ] = 10,
) -> RelatedPage:
    """The articles that share the most distinctive words and names of this one, each with the
    words that tie them."""
    # A search of its own: in the thread pool, and stopped past the time budget.
    return await within_budget(request, lambda budget: _related(request, ref, limit, budget))


def _related(request: Request, ref: str, limit: int, budget: Budget) -> RelatedPage:
    with budget.session(request.app.state.engine) as session:
        article = get_article(session, ref=ref)
        index = request.app.state.search_index
        terms = distinctive_terms(index, article=article)
        matches = related_articles(session, index, article=article, terms=terms, limit=limit)
        return RelatedPage(
            article=summary(request, article),
            terms=terms,
            items=[
                RelatedHit.model_validate(
                    summary(request, match.article),
                    update={"score": match.score, "shared_terms": match.shared_terms},
                )
                for match in matches
            ],
        )


@router.get(
    "/{ref}/revisions",
    response_model=RevisionList,
    name="article_revisions",
    summary="Get an article's revisions",
    responses=problem_responses(NotFound),
)
def article_revisions_route(request: Request, session: SessionDep, ref: ArticleRef) -> RevisionList:
    """Every version of the article, oldest first, each with what changed from the one before
    (the file changed and was ingested again: id and slug stay, the older text is kept)."""
    article = get_article(session, ref=ref)
    return RevisionList(
        article=summary(request, article),
        revisions=[
            Revision(
                revision=version.number,
                current=version.current,
                title=version.title,
                content_hash=version.content_hash,
                valid_from=version.valid_from,
                valid_until=version.valid_until,
                changed=version.changed,
                paragraphs_added=version.paragraphs_added,
                paragraphs_removed=version.paragraphs_removed,
            )
            for version in article_versions(session, article=article)
        ],
    )
