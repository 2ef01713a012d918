"""The kept answers of what depends on the store alone (an article, its raw text and revisions,
a page of the list, the change stream, the list's feeds): ``KeptAnswers`` sends them again
before the layers inside it (compression, validators) and FastAPI's routing run."""

from collections.abc import Hashable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.caching import current_version
from app.api.links import route_path, scope_base_url
from app.api.validators import Freshness, freshness
from app.store.readers.base import Reader

# An answer is kept for ``Accept-Encoding`` values and query strings up to this long (browsers'
# and clients' codings are some 20 to 40 bytes); longer ones are answered afresh: both are the
# client's, and a key of any length would hold any memory.
KEY_PART_BYTES = 1024


class KeptAnswers:
    """Keep the answers of GETs of what depends on the store alone until the store changes,
    and send them again before the layers inside this one run.

    Routing (validating the query, solving path parameters), tagging and compressing are most
    of the time such an answer takes once its body is made. An answer kept is the one those
    layers sent (status 200, the headers and body as they went out: tagged, compressed in the
    coding the request asked for), in the reader's ``bodies`` cache, by base URL (bodies hold
    absolute URLs), path, query and ``Accept-Encoding`` (the coding); the store's version is
    checked on every request, as for the search cache. What the search index answers too
    (search, related articles) is not kept here: each process's index follows the store on its
    own time. A request with ``If-None-Match`` goes in, where the validators answer it; anything
    else, errors included, is the route's to answer.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.kept_paths: dict[str, bool] = {}  # whether a path's answers are kept, by path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        store: Reader | None = (
            getattr(scope["app"].state, "reader", None) if self._kept_path(scope) else None
        )
        query: bytes = scope.get("query_string", b"")
        if store is None or not store.bodies.size or len(query) > KEY_PART_BYTES:
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
        if codings is not None and len(codings) > KEY_PART_BYTES:
            await self.app(scope, receive, send)
            return
        try:
            version = await current_version(scope, store)
        except Exception:  # the route asks again, and answers the error as usual
            await self.app(scope, receive, send)
            return
        key = (scope_base_url(scope), scope["path"], query, codings)
        kept = store.bodies.get(version, key)
        if kept is None:
            await self.app(scope, receive, _keeping(send, store, version, key))
            return
        headers, body = kept
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _kept_path(self, scope: Scope) -> bool:
        """Whether the answer to this request may be kept: a GET of what depends on the store
        alone."""
        if scope["type"] != "http" or scope["method"] != "GET":
            return False
        path = route_path(scope)
        kept = self.kept_paths.get(path)
        if kept is None:
            kept = freshness(path) is Freshness.STORE
            if len(self.kept_paths) >= 4096:  # paths are the client's: bounded
                self.kept_paths.clear()
            self.kept_paths[path] = kept
        return kept


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
