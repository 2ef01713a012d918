"""``/v1/timeline``: how many articles one or more queries match per day, week, month or year
of publication, as JSON or CSV (``/v1/timeline.csv``, or ``Accept: text/csv``), counted by the
search index (app/search/timeline.py)."""

import csv
import io
from typing import Annotated, Any

import tantivy
from fastapi import APIRouter, Depends, Request, Response
from pydantic import Field

from app.api import examples
from app.api.budget import Budget, within_budget
from app.api.caching import Answer, kept_response
from app.api.dependencies import QUERY_HELP, ColumnName, SearchQuery, columns_of
from app.api.errors import problem_responses
from app.api.links import TIMELINE_CSV_PATH, TIMELINE_PATH
from app.api.query_params import QueryModel
from app.api.responses import JSONResponse, PageResponse, json_body, shaped
from app.api.schemas import Timeline, TimelineBucket, TimelineSeries
from app.problems import InvalidParameter, SearchTimeout
from app.search import render
from app.search.completions import complete_prefixes
from app.search.index import SearchIndex
from app.search.language import parse_query
from app.search.name_variants import Expansion, expand_names
from app.search.query_tree import Column
from app.search.timeline import (
    Counts,
    Interval,
    bucket_keys,
    every_article,
    store_counts,
    timeline_counts,
)
from app.store.filters import ArticleFilters
from app.store.readers.base import Read

router = APIRouter(tags=["search"])

# The most queries one timeline sets side by side: each is a search of its own.
MAX_QUERIES = 10

CSV_MEDIA_TYPE = "text/csv"
CSV_COLUMNS = ("q", "start", "end", "count", "articles", "share")


class TimelineQuery(ArticleFilters):
    """The query string of a timeline: a search's without its page, and the interval."""

    q: list[Annotated[str, Field(max_length=500)]] = Field(
        default=[],
        max_length=MAX_QUERIES,
        description=f"{QUERY_HELP} Repeat the parameter (up to {MAX_QUERIES} times) for a "
        "series per query, side by side; left out, one series of every article the filters "
        "keep.",
        examples=[["Macron"]],
    )
    interval: Interval = Field(
        default=Interval.MONTH,
        description="The buckets' length: `day`, `week` (from Monday, as ISO 8601), `month` "
        "or `year`, by the publication time in UTC.",
        examples=["year"],
    )
    search_in: list[ColumnName] = Field(
        default=[],
        description=SearchQuery.model_fields["search_in"].description,
        examples=[["title"]],
    )
    fuzzy: bool = Field(
        default=True,
        description=SearchQuery.model_fields["fuzzy"].description,
        examples=[True],
    )


timeline_query = QueryModel(TimelineQuery)
TimelineQueryDep = Annotated[TimelineQuery, Depends(timeline_query)]


class CSVResponse(PageResponse):
    """A CSV document (RFC 4180): a header row, then a row a bucket of each series."""

    media_type = CSV_MEDIA_TYPE


@router.get(
    TIMELINE_PATH,
    response_model=Timeline,
    name="timeline",
    summary="Count articles over time",
    responses={
        **problem_responses(InvalidParameter, SearchTimeout),
        200: {
            "description": "The timeline; as CSV at `/v1/timeline.csv` or with `Accept: text/csv`.",
            "content": {CSV_MEDIA_TYPE: {"example": examples.TIMELINE_CSV}},
        },
    },
    openapi_extra=timeline_query.openapi_extra,
)
async def timeline_route(request: Request, params: TimelineQueryDep) -> Response:
    """How many articles each `q` matches (with the list's filters, and the search's
    `search_in` and `fuzzy`) per day, week, month or year of publication (UTC), each bucket
    with its share of all the store's articles published then; the articles without a
    publication time are counted as `undated`. Buckets run from the first with articles to
    the last (or from `published_after` to `published_before`), empty ones included, the same
    for every series. Counted exactly by the search index.

    As CSV (`/v1/timeline.csv`, or `Accept: text/csv`): the columns `q,start,end,count,
    articles,share`, a row a bucket of each series, then the series' undated articles in a
    row without `start` and `end`."""
    return await _answer(request, params, as_csv=False)


@router.get(TIMELINE_CSV_PATH, include_in_schema=False)
async def timeline_csv_route(request: Request, params: TimelineQueryDep) -> Response:
    """The timeline as CSV (``timeline_route`` documents both)."""
    return await _answer(request, params, as_csv=True)


async def _answer(request: Request, params: TimelineQuery, *, as_csv: bool) -> Response:
    # Each series is a search: off the event loop, and stopped past the time budget.
    return await kept_response(
        request,
        lambda: within_budget(request, lambda budget: _timeline(request, params, budget, as_csv)),
        index=request.app.state.search_index,
        response_class=CSVResponse if as_csv else JSONResponse,
    )


def _timeline(request: Request, params: TimelineQuery, budget: Budget, as_csv: bool) -> Answer:
    """The timeline's body."""
    index = request.app.state.search_index
    searcher = index.searcher()  # one snapshot for every count
    read = budget.read(request.app.state.reader)
    columns = columns_of(params.search_in)
    conditions = render.filter_conditions(params)
    queries: list[str | None] = list(params.q) or [None]
    found: list[Counts] = []
    for q in queries:
        query = _query(read, index, q, fuzzy=params.fuzzy, columns=columns, conditions=conditions)
        found.append(
            Counts({}, 0, 0) if query is None else timeline_counts(searcher, query, params.interval)
        )
        budget.check()
    keys = bucket_keys(
        params.interval, found, after=params.published_after, before=params.published_before
    )
    store = store_counts(index, searcher, params.interval)
    series = [
        _series(q, counts, store, keys, params.interval)
        for q, counts in zip(queries, found, strict=True)
    ]
    if as_csv:
        return _csv(series, store.undated), None
    content = {"interval": params.interval.value, "series": series}
    return json_body(shaped(content, Timeline)), None


def _query(
    read: Read,
    index: SearchIndex,
    q: str | None,
    *,
    fuzzy: bool,
    columns: list[Column],
    conditions: list[tantivy.Query],
) -> tantivy.Query | None:
    """What a series counts: the articles ``q`` matches as a search does (its prefixes and
    name variants), kept by the filters; None when nothing can match."""
    if q is None:
        return render.filtered(every_article(), conditions)
    query = parse_query(q)
    completion = complete_prefixes(read, index, query)
    expansion = (
        expand_names(read, index, completion.query) if fuzzy else Expansion(completion.query, {})
    )
    scored = render.ranked(expansion.query, columns=columns)
    return None if scored is None else render.filtered(scored, conditions)


def _series(
    q: str | None, counts: Counts, store: Counts, keys: list[int], interval: Interval
) -> dict[str, Any]:
    """A series as the response gives it."""
    buckets = []
    for key in keys:
        count, articles = counts.buckets.get(key, 0), store.buckets.get(key, 0)
        bucket = {
            "start": interval.start(key),
            "end": interval.end(key),
            "count": count,
            "articles": articles,
            "share": count / articles if articles else 0.0,
        }
        buckets.append(shaped(bucket, TimelineBucket))
    content = {"q": q, "total": counts.total, "undated": counts.undated, "buckets": buckets}
    return shaped(content, TimelineSeries)


def _csv(series: list[dict[str, Any]], store_undated: int) -> bytes:
    """The series as CSV: a row a bucket, then a row of the undated articles."""
    out = io.StringIO()
    writer = csv.writer(out)  # RFC 4180: CRLF line ends, quotes where needed
    writer.writerow(CSV_COLUMNS)
    for one in series:
        q = one["q"] or ""
        for bucket in one["buckets"]:
            end = bucket["end"]
            writer.writerow(
                [
                    q,
                    bucket["start"].isoformat(),
                    "" if end is None else end.isoformat(),
                    bucket["count"],
                    bucket["articles"],
                    repr(bucket["share"]),
                ]
            )
        undated = one["undated"]
        share = undated / store_undated if store_undated else 0.0
        writer.writerow([q, "", "", undated, store_undated, repr(share)])
    return out.getvalue().encode()
