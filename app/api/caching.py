"""Responses kept until the store changes (``BYLINE_SEARCH_CACHE``), each computed once.

Search and the list of articles keep their encoded bodies in the reader's ``responses`` cache,
by store version, base URL (the bodies hold absolute URLs, so Host and proxy headers count) and
query string; a search also by the last change its search index applied, since the index
follows the store a moment after each commit (an answer from an index still behind would
otherwise be kept until the store next changed). Clients asking the same thing at once wait
for one computation (single flight), also when nothing is kept.
"""

import asyncio
from collections.abc import Awaitable, Callable, Hashable

from fastapi import Request, Response
from starlette.types import Scope

from app.api.dependencies import reader
from app.api.links import base_url
from app.api.responses import JSONResponse, PageResponse
from app.problems import SearchTimeout
from app.search.index import SearchIndex
from app.store.readers.base import Reader

# A response's body and the URL of its next page (for the ``Link`` header).
Answer = tuple[bytes, str | None]


async def kept_response(
    request: Request,
    compute: Callable[[], Awaitable[Answer]],
    *,
    index: SearchIndex | None = None,
    response_class: type[PageResponse] = JSONResponse,
) -> Response:
    """The kept answer to this request, or ``compute()``'s, then kept; with ``index``, the
    answer of that search index as it is now; sent as ``response_class`` (its media type)."""
    store = reader(request)
    key: Hashable = (
        request.url.path,
        base_url(request),
        tuple(sorted(request.query_params.multi_items())),
        index.applied_change() if index is not None else None,
    )
    flights = request.app.state.responses_in_flight
    if index is not None and not store.responses.entries:
        # A search with nothing kept (BYLINE_SEARCH_CACHE=0): the store's version, a round trip
        # on PostgreSQL, would key nothing; the index's change keys the requests that share one
        # computation. A page of articles keeps the version in its flight's key: one asked
        # after a commit never gets a page read before it.
        body, next_url = await _once(flights, key, compute)
        return response_class(body, next_url=next_url)
    version = await current_version(request.scope, store)
    answer: Answer | None = store.responses.get(version, key)
    if answer is None:
        answer = await _once(flights, (version, key), compute)
        store.responses.put(version, key, answer)
    body, next_url = answer
    return response_class(body, next_url=next_url)


async def current_version(scope: Scope, store: Reader) -> int:
    """The store's version for this request: the one ``Validators`` read for its tag, else read
    now (on PostgreSQL a round trip, not to be made twice)."""
    version: int | None = scope.get("state", {}).get("store_version")
    if version is None:
        version = await store.call(store.version)
    return version


async def _once(
    flights: dict[Hashable, "asyncio.Future[Answer]"],
    key: Hashable,
    compute: Callable[[], Awaitable[Answer]],
) -> Answer:
    """``await compute()``, shared with every caller asking for ``key`` while it runs."""
    while (flight := flights.get(key)) is not None:
        try:
            return await asyncio.shield(flight)
        except asyncio.CancelledError:
            if not flight.cancelled():  # this caller was cancelled, not the computation
                raise
    flight = flights[key] = asyncio.get_running_loop().create_future()
    try:
        answer = await compute()
    except asyncio.CancelledError:
        flight.cancel()  # a waiter computes it again
        raise
    except SearchTimeout as error:
        if error.client_gone:  # stopped because this caller left: a waiter computes it again
            flight.cancel()
        else:
            flight.set_exception(error)
            flight.exception()
        raise
    except Exception as error:
        flight.set_exception(error)
        flight.exception()  # marked as retrieved, should no caller be waiting
        raise
    else:
        flight.set_result(answer)
        return answer
    finally:
        del flights[key]
