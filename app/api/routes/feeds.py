"""``/v1/articles.atom``, ``/v1/search.atom`` and their ``.feed.json``: any list or search as a
feed (Atom or JSON Feed 1.1), with the parameters, paging, limits and errors of its JSON.

A feed is newest first: a search's ``sort`` is ``newest`` unless the query string names one,
as the list's already is. An entry's ``updated`` is when the store last changed the article;
the feed's is its newest entry's (the store's last change for an empty page).
"""

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel

from app.api.budget import Budget, within_budget
from app.api.caching import Answer, kept_response
from app.api.dependencies import (
    ListQueryDep,
    SearchFeedQuery,
    SearchFeedQueryDep,
    list_query,
    reader,
    search_feed_query,
)
from app.api.errors import problem_responses
from app.api.feeds import (
    NEVER,
    RESPONSE_CLASSES,
    Entry,
    Feed,
    FeedFormat,
    atom_document,
    feed_resource,
    json_feed_document,
)
from app.api.links import (
    ARTICLES_PATH,
    article_raw_url,
    article_url,
    articles_url,
    next_page_url,
    query_url,
    route_path,
)
from app.api.routes.search import find
from app.problems import InvalidParameter, ProblemError, SearchTimeout
from app.store.listing import last_change_time, read_feed_columns, read_page
from app.store.readers.base import Read, Row

router = APIRouter(prefix="/v1", tags=["feeds"])

SEARCH_PATH = "/v1/search"

# The paths a feed is asked for with ``Accept`` (app/api/negotiation.py), and their feeds'.
FEED_RESOURCES = (ARTICLES_PATH, SEARCH_PATH)

# Query parameters that page a feed rather than say what it holds: left out of its title.
_PAGING = frozenset({"cursor", "limit", "facets", "snippet_words", "sort"})


def _responses(
    format: FeedFormat, *problems: type[ProblemError]
) -> dict[int | str, dict[str, Any]]:
    """The feed's 200 in its media type, and the problems of its list or search."""
    return {
        200: {
            "description": f"The page as {format.media_type}.",
            "content": {format.media_type: {"schema": {"type": "string"}}},
        },
        **problem_responses(*problems),
    }


def _list_feed_route(format: FeedFormat) -> Callable[..., Awaitable[Response]]:
    async def list_feed_route(request: Request, params: ListQueryDep) -> Response:
        store = reader(request)

        async def computed() -> Answer:
            params.facet_list()  # a feed counts nothing, but an unknown facet is still a 400
            page = await store.call(
                read_page,
                store,
                filters=params,
                sort=params.sort,
                limit=params.limit,
                cursor=params.cursor,
            )
            rows = [(row, None) for row in page.items]
            title = _title("Byline articles", request, params)
            feed = await store.call(
                _feed,
                request,
                store.rows,
                rows,
                page.next_cursor,
                sort=params.sort.value,
                title=title,
            )
            return _document(format, feed), feed.next_url

        return await kept_response(request, computed, response_class=RESPONSE_CLASSES[format])

    list_feed_route.__doc__ = (
        f"The article list as {format.media_type}, newest first: the parameters, paging and "
        "errors of `GET /v1/articles`."
    )
    return list_feed_route


def _search_feed_route(format: FeedFormat) -> Callable[..., Awaitable[Response]]:
    async def search_feed_route(request: Request, params: SearchFeedQueryDep) -> Response:
        return await kept_response(
            request,
            lambda: within_budget(request, lambda budget: _search(request, params, budget, format)),
            index=request.app.state.search_index,
            response_class=RESPONSE_CLASSES[format],
        )

    search_feed_route.__doc__ = (
        f"A search as {format.media_type}, newest first (unless `sort` says otherwise), each "
        "entry's summary its highlighted snippet: the parameters, paging and errors of "
        "`GET /v1/search`."
    )
    return search_feed_route


def _search(
    request: Request, params: SearchFeedQuery, budget: Budget, format: FeedFormat
) -> Answer:
    found = find(request, params, budget)
    rows = [(match.article, match.snippet_html) for match in found.page.items]
    title = _title(f"Byline search: {params.q}", request, params, skip="q")
    feed = _feed(
        request, found.read, rows, found.page.next_cursor, sort=params.sort.value, title=title
    )
    return _document(format, feed), feed.next_url


def _feed(
    request: Request,
    read: Read,
    rows: Sequence[tuple[Row, str | None]],
    next_cursor: str | None,
    *,
    sort: str,
    title: str,
) -> Feed:
    """The feed of a page: its summaries (each with its snippet, for a search) and the next
    page's cursor."""
    columns = read_feed_columns(read, [row["id"] for row, _ in rows])
    base = articles_url(request)
    entries = []
    for row, snippet in rows:
        more = columns.get(row["id"])
        if more is None:  # removed since the page was read
            continue
        url = article_url(request, row["slug"], base=base)
        web_url = more["web_url"]
        if not (web_url and web_url.startswith(("http://", "https://"))):
            web_url = None  # a reader would follow any other scheme (javascript:) as a link
        entries.append(
            Entry(
                id=row["id"],
                url=url,
                raw_url=article_raw_url(url),
                web_url=web_url,
                title=row["title"],
                authors=row["authors"],
                updated=more["updated_at"],
                published=row["published_at"],
                summary_html=snippet,
                summary_text=row["lede"] if snippet is None else None,
            )
        )
    path = route_path(request.scope)
    query = request.query_params.multi_items()
    # The same page as JSON: the sort named, as the JSON search's default is another.
    shown = [(name, value) for name, value in query if name != "sort"] + [("sort", sort)]
    first_page = [(name, value) for name, value in query if name != "cursor"]
    return Feed(
        id=query_url(request, path, first_page),
        title=title,
        self_url=query_url(request, path, query),
        json_url=query_url(request, feed_resource(path), shown),
        next_url=next_page_url(request, next_cursor),
        entries=entries,
        empty_updated=NEVER if entries else (last_change_time(read) or NEVER),
    )


def _title(what: str, request: Request, params: BaseModel, *, skip: str = "") -> str:
    """What the feed holds, for a reader's list: ``what`` and the filters asked for."""
    filters = [
        f"{name}={value}"
        for name, value in request.query_params.multi_items()
        if name in type(params).model_fields and name not in _PAGING and name != skip
    ]
    return f"{what} ({', '.join(filters)})" if filters else what


def _document(format: FeedFormat, feed: Feed) -> bytes:
    return atom_document(feed) if format is FeedFormat.ATOM else json_feed_document(feed)


def _add_routes() -> None:
    """The list's feeds, then the search's, each in every format."""
    for format in FeedFormat:
        router.add_api_route(
            f"/articles{format.suffix}",
            _list_feed_route(format),
            methods=["GET"],
            status_code=200,
            name=f"list_articles_{format.operation_suffix}",
            summary=f"List articles as {format.shown}",
            response_class=RESPONSE_CLASSES[format],
            responses=_responses(format, InvalidParameter),
            openapi_extra=list_query.openapi_extra,
        )
    for format in FeedFormat:
        router.add_api_route(
            f"/search{format.suffix}",
            _search_feed_route(format),
            methods=["GET"],
            status_code=200,
            name=f"search_articles_{format.operation_suffix}",
            summary=f"Search articles as {format.shown}",
            response_class=RESPONSE_CLASSES[format],
            responses=_responses(format, InvalidParameter, SearchTimeout),
            openapi_extra=search_feed_query.openapi_extra,
        )


_add_routes()
