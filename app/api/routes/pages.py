"""``/`` and ``/articles/{ref}``: the page for people (``app/api/pages/``).

The search page is the search and the list of the API in HTML: a search box taking the whole
query language, the hits with their highlights, a facet sidebar whose values filter, a timeline of
the query's coverage whose bars narrow the dates, and paging by cursor. Every state is its URL's
query string, with the API's parameter names, so a page can be shared, bookmarked and gone back
to. An article's page has its text, its related articles and its revisions.

Pages are kept by store version as the API's answers are (``app/api/caching.py``), and carry a
Content-Security-Policy allowing this origin's style sheet and script only. Bad input is a page
saying what is wrong, the query kept in the box, with the problem's status.
"""

import inspect
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar
from urllib.parse import quote_plus, urlencode

from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from pydantic import Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.api import pages
from app.api.budget import Budget, within_budget
from app.api.caching import Answer, kept_response
from app.api.dependencies import SearchQuery, reader
from app.api.errors import field_errors_of, validation_detail
from app.api.links import PAGE_ARTICLES_PATH, article_raw_url, article_url
from app.api.pages.chart import Chart, chart, counted
from app.api.pages.fragments import FacetValue
from app.api.pages.rendering import day, render
from app.api.query_params import QueryModel
from app.api.responses import PageResponse
from app.api.routes.docs import content_security_policy
from app.api.routes.search import find, understanding
from app.problems import InvalidParameter, ProblemError
from app.search import render as query_render
from app.search.corrections import suggest
from app.search.related import distinctive_terms, related_articles
from app.search.timeline import (
    Counts,
    Interval,
    counts_from,
    every_article,
    timeline_aggregations,
)
from app.store.articles import article_versions, get_article
from app.store.filters import ArticleFilters, Facet, ListSort, SearchSort
from app.store.listing import read_article, read_page
from app.store.readers.base import Row

router = APIRouter(include_in_schema=False)

ASSETS_URL = "/assets"
ASSETS_DIR = Path(pages.__file__).resolve().parent / "static"

PAGE_SIZE = 20
# The values of a facet the sidebar shows unless asked for all (``more``), as search sites do:
# the most frequent, and any chosen.
FACET_SHOWN = 10
RELATED = 8

# The sidebar's facets, each with the filter its values set.
SIDEBAR: dict[Facet, str] = {
    Facet.SOURCE: "source",
    Facet.DATELINE: "dateline",
    Facet.YEAR: "year",
    Facet.AUTHORS: "author",
    Facet.TAGS: "tag",
}
FACET_TITLES = {
    Facet.SOURCE: "Source",
    Facet.DATELINE: "Dateline",
    Facet.YEAR: "Year",
    Facet.AUTHORS: "Authors",
    Facet.TAGS: "Tags",
}
# The filters a page shows as chosen, with the words that name them.
FILTER_NAMES = {
    "source": "source",
    "dateline": "dateline",
    "label": "label",
    "author": "author",
    "tag": "tag",
    "year": "year",
}
SORT_NAMES = {
    SearchSort.RELEVANCE.value: "Best match",
    ListSort.NEWEST.value: "Newest",
    ListSort.OLDEST.value: "Oldest",
    ListSort.TITLE.value: "Headline",
}
HTML_MEDIA_TYPE = "text/html; charset=utf-8"
PAGE_HEADERS = {
    "Content-Security-Policy": content_security_policy(),
    "Referrer-Policy": "same-origin",
}


class PageParams(ArticleFilters):
    """The search page's query string: the search's and the list's, with ``q`` optional (none
    lists every article), and the timeline's interval (left out, the one that fits)."""

    q: str = Field(default="", max_length=500)
    sort: str | None = Field(default=None, max_length=20)
    cursor: str | None = Field(default=None, max_length=500)
    interval: Interval | None = None
    more: list[str] = Field(default=[], max_length=len(SIDEBAR))

    def expanded(self) -> set[Facet]:
        """The facets whose every counted value the sidebar shows (``more``), not the first
        ``FACET_SHOWN``; a 400 names an unknown one."""
        known = {facet.value: facet for facet in SIDEBAR}
        for name in self.more:
            if name not in known:
                raise InvalidParameter(f"Unknown facet {name!r} in more: use {', '.join(known)}.")
        return {known[name] for name in self.more}

    def search_sort(self) -> SearchSort:
        return _sort(SearchSort, self.sort or SearchSort.RELEVANCE.value)

    def list_sort(self) -> ListSort:
        return _sort(ListSort, self.sort or ListSort.NEWEST.value)


page_params = QueryModel(PageParams)


SortKind = TypeVar("SortKind", SearchSort, ListSort)


def _sort(kind: type[SortKind], name: str) -> SortKind:
    try:
        return kind(name)
    except ValueError:
        known = ", ".join(sort.value for sort in kind)
        raise InvalidParameter(f"Unknown sort {name!r}: use {known}.") from None


class HTMLPage(PageResponse):
    """A page of the site, with its policy: this origin's style sheet and script only."""

    media_type = HTML_MEDIA_TYPE

    def __init__(self, body: bytes, *, next_url: str | None = None, status: int = 200) -> None:
        super().__init__(body, next_url=next_url)
        self.status_code = status
        self.headers.update(PAGE_HEADERS)


# A value as a query string writes it, kept: a sidebar links its facets' values on every page,
# and the same sources, authors and tags come back page after page.
_quoted = lru_cache(maxsize=4096)(quote_plus)


class PageState:
    """The URL of the page being shown, and of the pages one change away from it: the same
    query string with a parameter set, added or taken out (and the cursor dropped, since a
    cursor belongs to the page it came from)."""

    def __init__(self, request: Request) -> None:
        self.root = request.scope.get("root_path", "")
        self.items = [(k, v) for k, v in request.query_params.multi_items() if v != ""]
        # The encoded parameters but some names, by those names: a page has a link a facet value
        # and a timeline bar, each the same kept parameters and one or two of its own.
        self._kept_queries: dict[tuple[str, ...], str] = {}

    def url(self, items: Iterable[tuple[str, str]]) -> str:
        query = urlencode(list(items))
        return f"{self.root}/?{query}" if query else f"{self.root}/"

    def _url_keeping(self, names: tuple[str, ...], fresh: list[tuple[str, str]]) -> str:
        """``url([*self.kept(*names), *fresh])``, the kept part encoded once a page."""
        kept = self._kept_queries.get(names)
        if kept is None:
            kept = self._kept_queries[names] = urlencode(self.kept(*names))
        # As urlencode writes each pair (the values here are text), without its checks; the
        # names are this module's own parameters', letters and underscores.
        added = "&".join(f"{name}={_quoted(value)}" for name, value in fresh)
        query = "&".join(part for part in (kept, added) if part)
        return f"{self.root}/?{query}" if query else f"{self.root}/"

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.items if key == name]

    def kept(self, *names: str) -> list[tuple[str, str]]:
        """The parameters but ``names`` and the cursor."""
        return [(k, v) for k, v in self.items if k not in names and k != "cursor"]

    def setting(self, **values: str | None) -> str:
        """This page with each of ``values`` set (None takes it out), from its first page."""
        fresh = [(name, value) for name, value in values.items() if value is not None]
        return self._url_keeping(tuple(values), fresh)

    def adding(self, name: str, value: str) -> str:
        """This page with one more value of ``name``, from its first page."""
        return self._url_keeping((), [(name, value)])

    def removing(self, name: str, value: str) -> str:
        """This page without that value of ``name``, from its first page."""
        return self.url([(k, v) for k, v in self.kept() if (k, v) != (name, value)])

    def next_page(self, cursor: str | None) -> str | None:
        return None if cursor is None else self.url([*self.kept(), ("cursor", cursor)])


def install_pages(app: FastAPI) -> None:
    """Serve the pages and their assets on ``app``; and a page, not a problem+json, to a browser
    opening an address that has nothing outside the API (a mistyped or outdated link)."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="page-assets")
    app.include_router(router)
    answer_problem = app.exception_handlers[StarletteHTTPException]

    async def not_found(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        if error.status_code == 404 and _opened_in_a_browser(request):
            detail = f"Nothing is at {request.url.path[:200]}."
            return _problem_page(request, PageState(request), 404, detail)
        answered = answer_problem(request, error)
        return await answered if inspect.isawaitable(answered) else answered

    app.add_exception_handler(StarletteHTTPException, not_found)


def _opened_in_a_browser(request: Request) -> bool:
    """Whether the request is a browser's opening a page: off the API, asking for HTML."""
    off_the_api = not request.url.path.startswith(("/v1", "/problems/"))
    return off_the_api and "text/html" in request.headers.get("accept", "")


@router.get("/")
async def search_page(request: Request) -> Response:
    """The search page: a search when ``q`` is given, else every article, newest first."""
    state = PageState(request)
    try:
        params = await page_params(request)
    except RequestValidationError as error:
        detail = validation_detail(field_errors_of(error.errors()))
        return _problem_page(request, state, 422, detail)
    index = request.app.state.search_index

    async def computed() -> Answer:
        if params.q.strip():
            return await within_budget(
                request, lambda budget: _search_page(request, state, params, budget)
            )
        store = reader(request)
        page = await store.call(
            read_page,
            store,
            filters=params,
            sort=params.list_sort(),
            limit=PAGE_SIZE,
            cursor=params.cursor,
            facets=list(SIDEBAR),
        )
        return await within_budget(
            request, lambda budget: _list_page(request, state, params, page, budget)
        )

    try:
        return await kept_response(request, computed, index=index, response_class=HTMLPage)
    except ProblemError as problem:
        return _problem_page(request, state, problem.status, problem.detail)


@router.get(PAGE_ARTICLES_PATH + "/{ref}")
async def article_page(request: Request, ref: str) -> Response:
    """An article's page: its text, what it is related to, and its revisions."""
    state = PageState(request)
    if len(ref) > 200:
        return _problem_page(request, state, 404, f"No article has the id or slug {ref[:40]!r}…")

    async def computed() -> Answer:
        store = reader(request)
        article = await store.call(read_article, store, ref)
        return await within_budget(
            request, lambda budget: _article_page(request, state, article, budget)
        )

    try:
        index = request.app.state.search_index
        return await kept_response(request, computed, index=index, response_class=HTMLPage)
    except ProblemError as problem:
        return _problem_page(request, state, problem.status, problem.detail)


def _search_page(request: Request, state: PageState, params: PageParams, budget: Budget) -> Answer:
    """The search page of ``params.q``."""
    sort = params.search_sort()
    query = SearchQuery.model_validate(
        {
            **params.model_dump(include=set(ArticleFilters.model_fields)),
            "q": params.q,
            "sort": sort,
            "cursor": params.cursor,
            "limit": PAGE_SIZE,
            "facets": [facet.value for facet in SIDEBAR],
        }
    )
    # The chart's months counted beside the facets, in the search's own pass over its matches.
    months = timeline_aggregations(Interval.MONTH, total=False)
    found = find(request, query, budget, aggregations=months)
    index = request.app.state.search_index
    did_you_mean = suggest(found.read, index, found.query, expanded=found.expanded.expanded)
    budget.check()
    scored = query_render.ranked(found.expanded.query)
    conditions = query_render.filter_conditions(params)
    aggregated = found.page.aggregated
    timeline = _chart(
        request,
        state,
        params,
        None if scored is None else query_render.filtered(scored, conditions),
        by_month=None if aggregated is None else counts_from(aggregated, total=found.page.total),
    )
    understood = understanding(params.q, found.query, [], found.completed | found.expanded.expanded)
    hits = [
        _hit(
            match.article,
            href=_article_href(state, match.article["slug"]),
            title_html=match.title_html,
            snippet_html=match.snippet_html,
            matched_variants=match.matched_variants,
        )
        for match in found.page.items
    ]
    next_url = state.next_page(found.page.next_cursor)
    body = render(
        "search.html",
        **_common(state, params),
        csv_query=_csv_query(state, timeline),
        sort=sort.value,
        sorts=[(s.value, SORT_NAMES[s.value]) for s in SearchSort],
        hits=hits,
        total=found.page.total,
        facets=_facets(state, found.page.facets, params.expanded()),
        timeline=timeline,
        next_url=next_url,
        did_you_mean=did_you_mean,
        did_you_mean_url=None if did_you_mean is None else state.setting(q=did_you_mean),
        also_searched=sorted({v for vs in understood.expanded.values() for v in vs}),
        warnings=understood.warnings,
    )
    return body, next_url


def _list_page(
    request: Request, state: PageState, params: PageParams, page: Any, budget: Budget
) -> Answer:
    """The search page without a query: every article the filters keep, in ``sort`` order."""
    conditions = query_render.filter_conditions(params)
    timeline = _chart(request, state, params, query_render.filtered(every_article(), conditions))
    budget.check()
    hits = [
        _hit(
            row,
            href=_article_href(state, row["slug"]),
            title_html=None,
            snippet_html=None,
            matched_variants=[],
        )
        for row in page.items
    ]
    next_url = state.next_page(page.next_cursor)
    body = render(
        "search.html",
        **_common(state, params),
        csv_query=_csv_query(state, timeline),
        sort=params.list_sort().value,
        sorts=[(s.value, SORT_NAMES[s.value]) for s in ListSort],
        hits=hits,
        total=page.total,
        facets=_facets(state, page.facets, params.expanded()),
        timeline=timeline,
        next_url=next_url,
        did_you_mean=None,
        did_you_mean_url=None,
        also_searched=[],
        warnings=[],
    )
    return body, next_url


def _article_page(request: Request, state: PageState, article: Row, budget: Budget) -> Answer:
    """An article's page."""
    api_url = article_url(request, article["slug"])
    with budget.session(request.app.state.engine) as session:
        stored = get_article(session, ref=str(article["id"]))
        index = request.app.state.search_index
        terms = distinctive_terms(index, article=stored)
        related = [
            {
                "title": match.article.title,
                "href": _article_href(state, match.article.slug),
                "source": match.article.source,
                "published_at": match.article.published_at,
                "shared_terms": match.shared_terms,
            }
            for match in related_articles(
                session, index, article=stored, terms=terms, limit=RELATED
            )
        ]
        versions = article_versions(session, article=stored)
    body = render(
        "article.html",
        **_common(state, None),
        article=article,
        api_url=api_url,
        raw_url=article_raw_url(api_url),
        related=related,
        terms=terms,
        versions=versions if len(versions) > 1 else [],
    )
    return body, None


def _chart(
    request: Request,
    state: PageState,
    params: PageParams,
    query: Any | None,
    *,
    by_month: Counts | None = None,
) -> Chart | None:
    """The timeline of what ``query`` matches (None matches nothing: no chart), from its
    counts ``by_month`` when they were counted already."""
    if query is None:
        return None
    searcher = request.app.state.search_index.searcher()
    interval, counts = counted(searcher, query, params.interval, by_month=by_month)
    return chart(
        interval,
        counts,
        href=lambda start, end: state.setting(
            published_after=start.isoformat(),
            published_before=None if end is None else end.isoformat(),
            interval=None,
        ),
        asked=params.interval,
    )


def _csv_query(state: PageState, timeline: Chart | None) -> str:
    """The query string of the chart's counts as CSV (``/v1/timeline.csv``)."""
    interval = [] if timeline is None else [("interval", timeline.interval.value)]
    return urlencode([*state.kept("sort", "interval"), *interval])


def _hit(article: Row, **shown: Any) -> SimpleNamespace:
    """A hit as the template reads it: the article's fields and what the page shows of it, as
    attributes (Jinja2 reads an attribute at once, a dict's key only after that failed)."""
    when = day(article["published_at"]) or article["year"]
    parts = (article["source"], article["dateline"], when, ", ".join(article["authors"] or ()))
    meta = " · ".join(str(part) for part in parts if part)
    return SimpleNamespace(**{**article, **shown, "meta": meta})


def _facets(
    state: PageState, counted: dict[str, list[tuple[Any, int]]] | None, expanded: set[Facet]
) -> list[Any]:
    """The sidebar: per facet, its values with their counts and the page each leads to (the
    value added to the filter, or taken out when it is chosen already): the first
    ``FACET_SHOWN`` and any chosen, or all of those counted when the facet is ``expanded``; and
    the page showing more of them, or fewer."""
    sidebar = []
    for facet, parameter in SIDEBAR.items():
        chosen = {value.casefold() for value in state.values(parameter)}
        found = (counted or {}).get(facet.value, [])
        values: list[FacetValue] = []
        for position, (value, count) in enumerate(found):
            if value is None:
                if position < FACET_SHOWN or facet in expanded:
                    values.append(FacetValue(None, count, None, chosen=False))
                continue
            text = str(value)
            is_chosen = text.casefold() in chosen
            if not (is_chosen or position < FACET_SHOWN or facet in expanded):
                continue
            href = (
                state.removing(parameter, _as_sent(state, parameter, text))
                if is_chosen
                else state.adding(parameter, text)
            )
            values.append(FacetValue(text, count, href, chosen=is_chosen))
        more = fewer = None
        if facet in expanded:
            fewer = state.removing("more", facet.value)
        elif len(found) > FACET_SHOWN:
            more = state.adding("more", facet.value)
        sidebar.append(
            {
                "name": FACET_TITLES[facet],
                "id": facet.value,
                "values": values,
                "more_href": more,
                "fewer_href": fewer,
            }
        )
    return sidebar


def _as_sent(state: PageState, parameter: str, value: str) -> str:
    """The value of ``parameter`` as the URL has it (filters match in any case)."""
    for sent in state.values(parameter):
        if sent.casefold() == value.casefold():
            return sent
    return value


def _common(state: PageState, params: PageParams | None) -> dict[str, Any]:
    """What every page shows: the search box (with the query and the filters it keeps) and the
    filters chosen, each with the page without it."""
    chosen = []
    hidden = []
    if params is not None:
        for name, words in FILTER_NAMES.items():
            for value in state.values(name):
                chosen.append({"name": words, "value": value, "href": state.removing(name, value)})
                hidden.append((name, value))
        for name, words in (("published_after", "from"), ("published_before", "before")):
            for value in state.values(name):
                chosen.append(
                    {"name": words, "value": value, "href": state.setting(**{name: None})}
                )
                hidden.append((name, value))
    return {
        "root": state.root,
        "q": params.q if params is not None else "",
        "chosen": chosen,
        "hidden": hidden,
        "state": state,
        "home": state.url([]),
    }


def _article_href(state: PageState, slug: str) -> str:
    return f"{state.root}{PAGE_ARTICLES_PATH}/{slug}"


def _problem_page(request: Request, state: PageState, status: int, detail: str) -> Response:
    """A page saying what is wrong, with the search box holding the query as sent."""
    body = render(
        "problem.html",
        root=state.root,
        q=request.query_params.get("q", ""),
        chosen=[],
        hidden=[],
        state=state,
        home=state.url([]),
        status=int(status),
        detail=detail,
    )
    return HTMLPage(body, status=int(status))
