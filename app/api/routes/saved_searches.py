"""``/v1/saved-searches``: searches kept under a name (saved and deleted with an admin key), each
with links to its results and feeds, and the articles that matched it since it was saved.

A saved search's feeds are those of ``/v1/search`` with its parameters (``atom_url``,
``json_feed_url``): one feed module, one set of feed URLs. Its matches are the change stream
after the point it was saved at, each change's article checked against it in the search index
(app/search/arrivals.py), a page of changes at a time.

The API's engine and reader are read-only; saving and deleting go through the writer engine
the app holds for them (``app.state.writer``, on ``database_url``: the primary, never a replica).
"""

from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from app.alerts.destinations import Refused, WebhookPolicy
from app.alerts.signatures import new_secret
from app.api import examples
from app.api.authentication import require_scope
from app.api.dependencies import reader
from app.api.errors import problem_responses
from app.api.feeds import FeedFormat
from app.api.links import base_url, query_url
from app.api.responses import JSONResponse
from app.api.routes.changes import CHANGES_LIMIT, page_body
from app.api.routes.feeds import SEARCH_PATH
from app.api.schemas import (
    ChangePage,
    Delivery,
    DeliveryList,
    SavedSearch,
    SavedSearchCreate,
    SavedSearchList,
    SearchFilters,
)
from app.problems import InvalidParameter, NotFound
from app.store.api_keys import KeyScope
from app.store.change_stream import parse_since, read_changes
from app.store.database import session_scope
from app.store.deliveries import list_deliveries, redeliver
from app.store.models import SavedSearchRecord
from app.store.saved_searches import (
    create_saved_search,
    delete_saved_search,
    list_saved_searches,
    read_saved_search,
)

SAVED_SEARCHES_PATH = "/v1/saved-searches"
# A page of deliveries holds at most this many (each with its attempts).
DELIVERIES_LIMIT = 100

router = APIRouter(prefix=SAVED_SEARCHES_PATH, tags=["saved searches"])

ADMIN = [Depends(require_scope(KeyScope.ADMIN))]

# The largest id the store's integer column holds on both stores: a larger one is a 422, not
# a database error.
SavedId = Annotated[
    int,
    Path(ge=1, le=2**31 - 1, description="The saved search's id.", examples=[1]),
]


@router.post(
    "",
    status_code=201,
    response_model=SavedSearch,
    name="create_saved_search",
    summary="Save a search",
    dependencies=ADMIN,
    responses={
        201: {"description": "Saved; `Location` is its URL."},
        **problem_responses(),
    },
)
async def create_route(request: Request, saved: SavedSearchCreate) -> Response:
    """Save a query in the language of `/v1/search` with its filters, under a name (an admin
    key, when the server asks for keys), and optionally a webhook its matches are POSTed to.
    An invalid query, filter or webhook URL is a 422 naming it. Its matches are the articles
    added or updated from now on. The answer holds the webhook's secret: it is shown once."""
    if saved.webhook_url is not None:
        policy: WebhookPolicy = request.app.state.webhook_policy
        try:
            await run_in_threadpool(policy.check_saved, saved.webhook_url)  # a name resolved
        except Refused as refused:
            raise RequestValidationError(
                [{"loc": ("body", "webhook_url"), "msg": str(refused)}]
            ) from None
    filters = saved.filters.model_dump(mode="json", exclude_defaults=True)
    secret = new_secret() if saved.webhook_url is not None else None
    record = await run_in_threadpool(
        _create, _writer(request), saved, filters, base_url(request), secret
    )
    shown = _shown(request, record, whole=True)
    return Response(
        shown.model_dump_json(),
        status_code=201,
        headers={"location": shown.url},
        media_type="application/json",
    )


def _create(
    engine: Engine,
    saved: SavedSearchCreate,
    filters: dict[str, Any],
    base: str,
    secret: str | None,
) -> SavedSearchRecord:
    with session_scope(engine) as session:
        return create_saved_search(
            session,
            name=saved.name,
            q=saved.q,
            filters=filters,
            base_url=base,
            webhook_url=saved.webhook_url,
            webhook_secret=secret,
        )


@router.get(
    "",
    response_model=SavedSearchList,
    name="list_saved_searches",
    summary="List saved searches",
    responses=problem_responses(validated=False),
)
async def list_route(request: Request) -> SavedSearchList:
    """Every saved search, oldest first."""
    store = reader(request)
    records = await store.call(list_saved_searches, store.rows)
    return SavedSearchList(items=[_shown(request, record) for record in records])


@router.get(
    "/{saved_id}",
    response_model=SavedSearch,
    name="get_saved_search",
    summary="Get a saved search",
    responses=problem_responses(NotFound),
)
async def get_route(request: Request, saved_id: SavedId) -> SavedSearch:
    """A saved search: its query and filters, and the URLs of its matches, results and feeds."""
    store = reader(request)
    return _shown(request, await store.call(read_saved_search, store.rows, saved_id=saved_id))


@router.delete(
    "/{saved_id}",
    status_code=204,
    name="delete_saved_search",
    summary="Delete a saved search",
    dependencies=ADMIN,
    responses={204: {"description": "Deleted."}, **problem_responses(NotFound)},
)
async def delete_route(request: Request, saved_id: SavedId) -> Response:
    """Delete a saved search (an admin key, when the server asks for keys)."""
    await run_in_threadpool(_delete, _writer(request), saved_id)
    return Response(status_code=204)


def _delete(engine: Engine, saved_id: int) -> None:
    with session_scope(engine) as session:
        delete_saved_search(session, saved_id=saved_id)


@router.get(
    "/{saved_id}/matches",
    response_model=ChangePage,
    name="saved_search_matches",
    summary="List a saved search's matches",
    responses=problem_responses(InvalidParameter, NotFound),
)
async def matches_route(
    request: Request,
    saved_id: SavedId,
    since: Annotated[
        str | None,
        Query(
            max_length=500,
            description="Where to start: the `next_cursor` of a previous page (or an item's "
            "`cursor`); left out, from the point the search was saved at.",
            examples=[examples.CHANGE_CURSOR],
        ),
    ] = None,
    limit: Annotated[
        int,
        Query(
            ge=1,
            le=CHANGES_LIMIT,
            description=f"Matches per page, 1 to {CHANGES_LIMIT}.",
            examples=[100],
        ),
    ] = 100,
) -> Response:
    """The changes since the search was saved (or since `since`) whose articles it matched
    as they arrived, oldest first, in the shape of `/v1/changes` (each with the article as it
    is now: null once removed); an article added or updated twice in one ingestion batch is
    listed at its last change. Follow `next` while it is set, then poll with `next_cursor` as
    `since`: it is where matching has come to, so nothing is skipped."""
    asked = None if since is None else parse_since(since)  # a bad cursor is a 400 first
    store = reader(request)
    record = await store.call(read_saved_search, store.rows, saved_id=saved_id)
    point = parse_since(record.start_cursor) if asked is None else asked
    page = await store.call(read_changes, store, since=point, limit=limit, matched_by=saved_id)
    body, next_url = page_body(request, page, limit)
    return JSONResponse(body, next_url=next_url)


@router.get(
    "/{saved_id}/deliveries",
    response_model=DeliveryList,
    name="saved_search_deliveries",
    summary="List a saved search's webhook deliveries",
    responses=problem_responses(NotFound),
)
async def deliveries_route(
    request: Request,
    saved_id: SavedId,
    before: Annotated[
        int | None,
        Query(
            ge=1,
            le=2**31 - 1,
            description="Only deliveries older than this id: the `next` link sets it.",
            examples=[7],
        ),
    ] = None,
    limit: Annotated[
        int,
        Query(ge=1, le=DELIVERIES_LIMIT, description="Deliveries per page.", examples=[20]),
    ] = 20,
) -> Response:
    """Each POST of the search's matches to its webhook, newest first: its state (`pending`,
    `delivered`, `failed`), when it is tried next, and every attempt with the status the
    receiver answered or the error met."""
    store = reader(request)
    await store.call(read_saved_search, store.rows, saved_id=saved_id)  # a 404 first
    items, older = await store.call(
        list_deliveries, store.rows, saved_id=saved_id, before=before, limit=limit
    )
    next_url = (
        None
        if older is None
        else query_url(
            request,
            f"{SAVED_SEARCHES_PATH}/{saved_id}/deliveries",
            [("before", str(older)), ("limit", str(limit))],
        )
    )
    body = DeliveryList(items=[Delivery.model_validate(item) for item in items], next=next_url)
    return JSONResponse(body.model_dump_json().encode(), next_url=next_url)


DeliveryId = Annotated[
    int, Path(ge=1, le=2**31 - 1, description="The delivery's id.", examples=[7])
]


@router.post(
    "/{saved_id}/deliveries/{delivery_id}/retry",
    status_code=202,
    response_model=Delivery,
    name="redeliver",
    summary="Send a webhook delivery again",
    dependencies=ADMIN,
    responses={
        202: {"description": "It is sent again within a second or so."},
        **problem_responses(NotFound),
    },
)
async def redeliver_route(request: Request, saved_id: SavedId, delivery_id: DeliveryId) -> Response:
    """Send a delivery again, now: one attempt more, whatever its state (a receiver that came
    back after every retry failed, or lost what it was sent). An admin key, when the server
    asks for keys. Its id, body and thus `webhook-id` are the same: a receiver that kept it
    drops the repeat."""
    shown = await run_in_threadpool(
        redeliver, _writer(request), saved_id=saved_id, delivery_id=delivery_id
    )
    if shown is None:
        store = reader(request)
        await store.call(read_saved_search, store.rows, saved_id=saved_id)  # a 404 for it
        raise NotFound(
            f"Saved search {saved_id} has no delivery {delivery_id}: its `deliveries_url` "
            "lists them."
        )
    return Response(
        Delivery.model_validate(shown).model_dump_json(),
        status_code=202,
        media_type="application/json",
    )


def _shown(request: Request, record: SavedSearchRecord, *, whole: bool = False) -> SavedSearch:
    """A saved search as the API shows it, with its URLs; ``whole``: as it was saved, its
    webhook's URL whole and its secret."""
    filters = SearchFilters.model_validate(record.filters)
    parameters = search_parameters(record.q, filters)
    url = query_url(request, f"{SAVED_SEARCHES_PATH}/{record.id}", [])
    assert record.id is not None
    return SavedSearch(
        id=record.id,
        name=record.name,
        q=record.q,
        filters=filters,
        created_at=record.created_at,
        last_change=record.last_change,
        url=url,
        matches_url=f"{url}/matches",
        search_url=query_url(request, SEARCH_PATH, parameters),
        atom_url=query_url(request, SEARCH_PATH + FeedFormat.ATOM.suffix, parameters),
        json_feed_url=query_url(request, SEARCH_PATH + FeedFormat.JSON_FEED.suffix, parameters),
        webhook_url=record.webhook_url if whole else _masked(record.webhook_url),
        webhook_secret=record.webhook_secret if whole else None,
        deliveries_url=f"{url}/deliveries",
    )


def _masked(url: str | None) -> str | None:
    """A webhook's URL with its path and query hidden: they often hold a token."""
    if url is None:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…"


def search_parameters(q: str, filters: SearchFilters) -> list[tuple[str, str]]:
    """The query string of ``/v1/search`` (or its feeds) for ``q`` and ``filters``."""
    parameters = [("q", q)]
    for name, value in filters.model_dump(mode="json", exclude_defaults=True).items():
        for one in value if isinstance(value, list) else [value]:
            parameters.append((name, str(one).lower() if isinstance(one, bool) else str(one)))
    return parameters


def _writer(request: Request) -> Engine:
    engine: Engine = request.app.state.writer
    return engine
