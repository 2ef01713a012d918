"""The kept answers of ``GET /v1/articles/{ref}``: ``CachedArticles`` sends them again before
the layers inside it (feeds, compression, validators) and FastAPI's routing run."""

from collections.abc import Hashable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.caching import current_version
from app.api.links import ARTICLES_PATH, article_body_key, route_path
from app.store.readers.base import Reader

# An answer is kept for ``Accept-Encoding`` values up to this long (browsers' and clients' are
# some 20 to 40 bytes); longer ones are answered afresh.
CODINGS_KEPT_BYTES = 256


class CachedArticles:
    """Keep the answers of ``GET /v1/articles/{ref}`` until the store changes, and send them
    again before the layers inside this one run.

    Compressing, tagging and routing (solving path parameters) are most of the time an article
    takes once its body is made. An answer kept is the one those layers sent (status 200, the
    headers and body as they went out: tagged, compressed in the coding the request asked for),
    in the reader's ``bodies`` cache, by reference, base URL (the body holds absolute URLs) and
    ``Accept-Encoding`` (the coding); the store's version is checked on every request, as for
    the search cache. A request with ``If-None-Match`` goes in, where the validators answer it;
    anything else, errors included, is the route's to answer.
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
        codings: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"accept-encoding":
                # Several lines of it: the layers inside read them as one.
                codings = value if codings is None else codings + b", " + value
            elif name == b"if-none-match":
                await self.app(scope, receive, send)
                return
        if codings is not None and len(codings) > CODINGS_KEPT_BYTES:
            await self.app(scope, receive, send)  # the client's header: no key of any length
            return
        key = (*article_body_key(scope, ref), codings)
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
