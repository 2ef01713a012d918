"""``/v1/changes``: the change stream, every article added, updated and removed after a point,
oldest first, a page at a time (app/store/change_stream.py reads it)."""

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from app.api import examples
from app.api.caching import Answer, kept_response
from app.api.dependencies import reader
from app.api.errors import problem_responses
from app.api.links import CHANGES_PATH, article_url, articles_url, next_page_url
from app.api.responses import json_body, shaped
from app.api.schemas import ArticleSummary, ChangePage
from app.problems import InvalidParameter
from app.store.change_stream import NOW, StreamPage, parse_since, read_changes

router = APIRouter(prefix=CHANGES_PATH, tags=["changes"])

# A page of changes holds at most this many: each carries a summary of about a kilobyte at most
# (its lede is bounded), so a page stays under a megabyte or so.
CHANGES_LIMIT = 500


@router.get(
    "",
    response_model=ChangePage,
    name="list_changes",
    summary="List changes",
    responses=problem_responses(InvalidParameter),
)
async def list_changes_route(
    request: Request,
    since: Annotated[
        str | None,
        Query(
            max_length=500,
            description="Where to start: the `next_cursor` of a previous page (or an item's "
            f"`cursor`) for the changes after it; `{NOW}` for none, only the current point; "
            "left out, from the first change.",
            examples=[examples.CHANGE_CURSOR, NOW],
        ),
    ] = None,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=CHANGES_LIMIT,
            description=f"Changes per page, 1 to {CHANGES_LIMIT}.",
            examples=[100],
        ),
    ] = 100,
) -> Response:
    """Every article added, updated and removed after `since`, oldest first, one item a change
    (an article changed three times is three items), each with the article as it is now (null
    once removed); follow `next` while more are waiting, then poll with `next_cursor` as
    `since`. Nothing is skipped or repeated: changes are numbered in the order they commit."""
    point = parse_since(since)
    store = reader(request)

    async def computed() -> Answer:
        page = await store.call(read_changes, store, since=point, limit=limit)
        return page_body(request, page, limit)

    return await kept_response(request, computed)


def page_body(request: Request, page: StreamPage, limit: int) -> Answer:
    """The body of a page of changes and the URL of the next page."""
    base = articles_url(request)
    items = []
    for entry in page.items:
        article = entry.article
        if article is not None:
            article["url"] = article_url(request, article["slug"], base=base)
            article = shaped(article, ArticleSummary)
        items.append(
            {
                "number": entry.number,
                "kind": entry.kind.value,
                "at": entry.at,
                "article_id": entry.article_id,
                "article": article,
                "cursor": entry.cursor,
            }
        )
    next_cursor = page.resume.cursor()
    next_url = next_page_url(request, next_cursor if page.more else None, parameter="since")
    content = {"items": items, "limit": limit, "next_cursor": next_cursor, "next": next_url}
    return json_body(shaped(content, ChangePage)), next_url
