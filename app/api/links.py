"""The URLs responses carry: an article's own and its text's, the next page's (also a ``Link``
header), the suggested search's, and a feed's own and its JSON's.

They start with the ``public_url`` setting when it is set; otherwise with the request's scheme
and ``Host``, which ``Edge`` (app/api/edge.py) has checked against ``allowed_hosts``.
"""

import re
from urllib.parse import quote, urlencode

from fastapi import Request
from starlette.types import Scope

from app.api.schemas import ArticleSummary
from app.store.listing import bounded_lede
from app.store.models import Article

ARTICLES_PATH = "/v1/articles"
CHANGES_PATH = "/v1/changes"
TIMELINE_PATH = "/v1/timeline"
# The timeline as CSV, at its own URL (``Accept: text/csv`` on the timeline is answered so).
TIMELINE_CSV_PATH = TIMELINE_PATH + ".csv"
# The page for people's articles (``app/api/routes/pages.py``); its search is at ``/``.
PAGE_ARTICLES_PATH = "/articles"
# The probes of a load balancer or an orchestrator: never limited, never kept.
HEALTH_PATH = "/healthz"
READY_PATH = "/readyz"
PROBE_PATHS = frozenset({HEALTH_PATH, READY_PATH})
_SLUG = re.compile(r"[a-z0-9-]+")


def base_url(request: Request) -> str:
    """The ``public_url`` setting, else ``str(request.base_url)``: see ``scope_base_url``."""
    return scope_base_url(request.scope)


# Where the scope holds its request's base URL once it is known: the validators, the kept
# articles and the routes each ask for it.
_SCOPE_KEY = "byline.base_url"


def scope_base_url(scope: Scope) -> str:
    """The ``public_url`` setting, else the base URL of the request ``scope`` is of, remembered
    for each scheme, server, root path and ``Host`` (building it costs more than the rest of a
    cached answer) and in the scope."""
    found: str | None = scope.get(_SCOPE_KEY)
    if found is not None:
        return found
    public: str | None = getattr(scope["app"].state, "public_url", None)
    if public is not None:
        scope[_SCOPE_KEY] = public
        return public
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    root_path = scope.get("app_root_path", scope.get("root_path", ""))
    server = scope.get("server")  # a tuple from uvicorn, a list from the test client
    key = (scope.get("scheme"), server and tuple(server), root_path, host)
    found = _BASE_URLS.get(key)
    if found is None:
        if len(_BASE_URLS) >= 256:  # the Host header is the client's: bounded
            _BASE_URLS.clear()
        found = _BASE_URLS[key] = str(Request(scope).base_url)
    scope[_SCOPE_KEY] = found
    return found


_BASE_URLS: dict[tuple[object, ...], str] = {}


def articles_url(request: Request) -> str:
    """The absolute URL of the article list, which an article's URL extends with its slug."""
    return articles_url_at(base_url(request))


def articles_url_at(base: str) -> str:
    """``articles_url`` for the API's base URL ``base`` (ending in a slash)."""
    return f"{base}{ARTICLES_PATH[1:]}/"


def article_url(request: Request, slug: str, *, base: str | None = None) -> str:
    """The absolute URL of an article, by slug (what ``url_for`` gives, without its route walk);
    pass ``base`` from ``articles_url`` when making many."""
    return article_url_under(base or articles_url(request), slug)


def article_url_under(articles: str, slug: str) -> str:
    """The URL of an article, by slug, under the article list's URL ``articles``."""
    return articles + (slug if _SLUG.fullmatch(slug) else quote(slug, safe=""))


def article_raw_url(url: str) -> str:
    """The URL of an article's text as received, from the article's URL."""
    return f"{url}/raw"


def summary(request: Request, article: Article) -> ArticleSummary:
    """An article's summary with its absolute URL."""
    return ArticleSummary.model_validate(
        article,
        update={"url": article_url(request, article.slug), "lede": bounded_lede(article.lede)},
    )


def next_page_url(
    request: Request, next_cursor: str | None, *, parameter: str = "cursor"
) -> str | None:
    """The URL of the next page, its cursor in ``parameter`` (a ``Link: <...>; rel="next"``
    header too, by ``JSONResponse``)."""
    if next_cursor is None:
        return None
    params = request.query_params.multi_items()
    query = [(name, value) for name, value in params if name != parameter]
    query.append((parameter, next_cursor))
    path = quote(route_path(request.scope)[1:], safe="/")
    return f"{base_url(request)}{path}?{urlencode(query)}"


def search_url(request: Request, q: str | None) -> str | None:
    """The URL of this search with ``q`` for its query, from its first page (None for no ``q``)."""
    if q is None:
        return None
    params = request.query_params.multi_items()
    query = [(name, value) for name, value in params if name not in {"cursor", "q"}]
    query.insert(0, ("q", q))
    path = quote(route_path(request.scope)[1:], safe="/")
    return f"{base_url(request)}{path}?{urlencode(query)}"


def query_url(request: Request, path: str, query: list[tuple[str, str]]) -> str:
    """The absolute URL of the app's ``path`` with ``query``."""
    encoded = urlencode(query)
    return f"{base_url(request)}{quote(path[1:], safe='/')}" + (f"?{encoded}" if encoded else "")


def route_path(scope: Scope) -> str:
    """The path the app's routes match: without the root path (as Starlette's routing does)."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    if (
        root_path
        and path.startswith(root_path)
        and path[len(root_path) : len(root_path) + 1] == "/"
    ):
        return path[len(root_path) :]
    return path
