"""The kept answers of ``GET /v1/articles/{ref}``: ``CachedArticles`` sends them again before
FastAPI routes the request."""

from collections.abc import Hashable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.caching import current_version
from app.api.links import ARTICLES_PATH, article_body_key, route_path
from app.store.readers.base import Reader


class CachedArticles:
    """Keep the responses of ``GET /v1/articles/{ref}`` until the store changes, and send them
    again before FastAPI routes the request.

    Routing and solving path parameters is most of the time an article takes once its body is
    made. A response kept is the route's own (status 200, headers and body as it sent them),
    in the reader's ``bodies`` cache, by reference and base URL (the body holds absolute URLs);
    the store's version is checked on every request, as for the search cache. Anything else,
    errors included, is the route's to answer.
    """

    PREFIX = ARTICLES_PATH + "/"

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        ref = self._ref(scope)
        store: Reader | None = getattr(scope["app"].state, "reader", None) if ref else None
        if ref is None or store is None or not store.bodies.size:
            await self.app(scope, receive, send)
            return
        try:
            version = await current_version(scope, store)
        except Exception:  # the route asks again, and answers the error as usual
            await self.app(scope, receive, send)
            return
        key = article_body_key(scope, ref)
        kept = store.bodies.get(version, key)
        if kept is None:
            await self.app(scope, receive, _keeping(send, store, version, key))
            return
        headers, body = kept
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _ref(self, scope: Scope) -> str | None:
        """The ``ref`` of a GET of one article, else None."""
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        path = route_path(scope)
        ref = path[len(self.PREFIX) :]
        return ref if path.startswith(self.PREFIX) and ref and "/" not in ref else None


def _keeping(send: Send, store: Reader, version: int, key: Hashable) -> Send:
    """``send``, keeping the response in ``store.bodies`` when it is a 200 in one body."""
    start: Message = {}

    async def keep_and_send(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif start.get("status") == 200 and not message.get("more_body", False):
            store.bodies.put(version, key, (start.get("headers", []), message.get("body", b"")))
            start = {}  # a body in several messages was not kept; nor is anything after
        else:
            start = {}
        await send(message)

    return keep_and_send
