"""Examples for the OpenAPI document, taken from the seed article as the API returns it, every
field as the API sends it (nulls too), and the errors each operation answers.

``tests/test_openapi.py`` checks them against a live server, so they cannot drift.
"""

from dataclasses import dataclass, replace
from typing import Any

from app.api.feeds import FeedFormat
from app.store.change_stream import BAD_SINCE

ARTICLE_SUMMARY: dict[str, Any] = {
    "id": 1,
    "slug": "ukraine-france-discussing-allied-troop-deployment-to-country-zelenskyy-says",
    "title": "Ukraine, France discussing allied troop deployment to country, Zelenskyy says",
    "dateline": "LONDON",
    "source": "ABC Audio",
    "year": 2025,
    "authors": [],
    "published_at": None,
    "lede": "Talks are ongoing between Paris and Kyiv for the possible deployment of French troops inside Ukraine despite the ongoing war with Russia, Ukrainian President Volodymyr Zelenskyy said in a post to social media.",
    "word_count": 406,
    "url": "http://127.0.0.1:8000/v1/articles/ukraine-france-discussing-allied-troop-deployment-to-country-zelenskyy-says",
}

ARTICLE_DETAIL: dict[str, Any] = {
    **ARTICLE_SUMMARY,
    "paragraphs": [
        "Talks are ongoing between Paris and Kyiv for the possible deployment of French troops inside Ukraine despite the ongoing war with Russia, Ukrainian President Volodymyr Zelenskyy said in a post to social media.",
        'Zelenskyy and French President Emmanuel Macron "had a detailed discussion about the situation on the battlefield and the progress of Ukrainian forces in the Kursk operation," the Ukrainian leader said in a Monday night post to X.',
        '"We also agreed to work closely with key allies on achieving peace and developing effective security guarantees," Zelenskyy added.',
        '"As one such guarantee, we discussed the French initiative to deploy military contingents in Ukraine," he continued. "We addressed practical steps for its implementation, potential expansion and the involvement of other nations in this effort."',
        "Macron and top French officials have repeatedly hinted at the possibility of deploying a French military contingent to Ukraine in a variety of non-combat roles.",
        "French troops, Macron has said, could train Ukrainian soldiers inside the country or serve as peacekeepers to help maintain any forthcoming ceasefire agreement.",
        "Ukrainian military analysts have also suggested that French troops could replace Ukrainian forces guarding the country's borders with Belarus and Transnistria -- the Russian-aligned separatist state in eastern Moldova -- thus freeing up Ukrainian troops for combat duties.",
        'Macron\'s suggestion of NATO boots on the ground in Ukraine drew rebukes from Russia. In June, Kremlin spokesperson Dmitry Peskov told reporters that "no instructor involved in training the Ukrainian military has immunity." He added, "It doesn\'t matter whether they\'re French or not."',
        'Macron also faced domestic criticism. Far-right leader Marine Le Pen said the president "plays the war leader, but it is the lives of our children that he speaks about with such carelessness."',
        'Far-left leader Jean-Luc Melenchon said sending French troops to Ukraine would "make us belligerents."',
        "Within NATO, Macron's suggestion won some support, particularly on the bloc's eastern flank where nations bordering Russia have generally urged a more assertive allied strategy in aiding Ukraine and containing Moscow.",
        "But key nations like the U.S., Germany and U.K. expressed discomfort with any suggestion of allied troops operating on Ukrainian soil.",
        'Macron framed his proposal as a pursuit of "strategic ambiguity" that could be achieved without “crossing the threshold of belligerence.” The president acknowledged last year there was no allied consensus on deploying troops.',
        'French Foreign Minister Jean-Noel Barrot said in November that Western allies should "not set and express red lines" related to their support for Ukraine.',
    ],
    "copyright": "Copyright © 2025, ABC Audio. All rights reserved.",
    "dateline_date": None,
    "web_url": None,
    "tags": [],
    "labels": [],
    "content_hash": "cbb63923b136674c5461e6cf718783ce548809fa78300c8bcf66e8e270a24b91",
    "raw_url": "http://127.0.0.1:8000/v1/articles/ukraine-france-discussing-allied-troop-deployment-to-country-zelenskyy-says/raw",
    "ingested_at": "2026-11-24T19:32:20.315542Z",
    "updated_at": "2026-11-24T19:32:20.315542Z",
}

FACETS: dict[str, Any] = {
    "source": [{"value": "ABC Audio", "count": 1}],
    "dateline": [{"value": "LONDON", "count": 1}],
    "year": [{"value": 2025, "count": 1}],
}

ARTICLE_PAGE: dict[str, Any] = {
    "items": [ARTICLE_SUMMARY],
    "total": 1,
    "limit": 20,
    "next_cursor": None,
    "next": None,
    "facets": FACETS,
}

HIGHLIGHT: dict[str, Any] = {
    "title": "Ukraine, France discussing allied <mark>troop</mark> deployment to country, Zelenskyy says",
    "snippet": "French <mark>troops</mark>, <mark>Macron</mark> has said, could train Ukrainian soldiers inside the country or serve as peacekeepers to help maintain any …",
    "paragraph": 5,
}

SEARCH_HIT: dict[str, Any] = {
    **ARTICLE_SUMMARY,
    "score": 5.32315,
    "highlight": HIGHLIGHT,
    "matched_variants": [],
}

QUERY_UNDERSTANDING: dict[str, Any] = {
    "q": "Macron troops",
    "interpreted": "Macron troops",
    "words": ["Macron", "troops"],
    "phrases": [],
    "prefixes": [],
    "alternatives": [],
    "excluded": [],
    "search_in": ["title", "body"],
    "expanded": {},
    "warnings": [],
}

SEARCH_PAGE: dict[str, Any] = {
    "query": QUERY_UNDERSTANDING,
    "items": [SEARCH_HIT],
    "total": 1,
    "limit": 1,
    "next_cursor": None,
    "next": None,
    "facets": FACETS,
    "did_you_mean": None,
    "did_you_mean_url": None,
}

RELATED_HIT: dict[str, Any] = {
    **ARTICLE_SUMMARY,
    "score": 2.31,
    "shared_terms": ["macron", "troops", "ukrainian"],
}

RELATED_PAGE: dict[str, Any] = {"article": ARTICLE_SUMMARY, "terms": [], "items": []}

RUN_SUMMARY: dict[str, Any] = {
    "id": 1,
    "started_at": "2026-11-24T19:32:20.315542Z",
    "finished_at": "2026-11-24T19:32:20.402131Z",
    "paths": ["seeds"],
    "counts": {
        "added": 1,
        "updated": 0,
        "unchanged": 0,
        "duplicate": 0,
        "failed": 0,
        "skipped": 0,
        "pruned": 0,
    },
}

INDEX_STATS: dict[str, Any] = {
    "applied_change": 1,
    "lag": 0,
    "documents": 1,
    "size_bytes": 48_213,
}

STATS: dict[str, Any] = {
    "articles": 1,
    "last_run": RUN_SUMMARY,
    "search_index": "complete",
    "last_change": 1,
    "index": INDEX_STATS,
}

REVISION: dict[str, Any] = {
    "revision": 1,
    "current": True,
    "title": ARTICLE_SUMMARY["title"],
    "content_hash": "cbb63923b136674c5461e6cf718783ce548809fa78300c8bcf66e8e270a24b91",
    "valid_from": "2026-11-24T19:32:20.315542Z",
    "valid_until": None,
    "changed": [],
    "paragraphs_added": 14,
    "paragraphs_removed": 0,
}

REVISION_LIST: dict[str, Any] = {"article": ARTICLE_SUMMARY, "revisions": [REVISION]}

# The seed's ingestion, as ``GET /v1/changes`` lists it (its time that of the example article).
CHANGE_CURSOR = "WyJjaGFuZ2VzIixbMSwiMjAyNi0xMS0yNFQxOTozMjoyMC4zMTU1NDJaIl1d"

CHANGE: dict[str, Any] = {
    "number": 1,
    "kind": "added",
    "at": "2026-11-24T19:32:20.315542Z",
    "article_id": 1,
    "article": ARTICLE_SUMMARY,
    "cursor": CHANGE_CURSOR,
}

CHANGE_PAGE: dict[str, Any] = {
    "items": [CHANGE],
    "limit": 100,
    "next_cursor": CHANGE_CURSOR,
    "next": None,
}

# The seed's timeline of `Macron` by year: its one article has no publication time.
TIMELINE_SERIES: dict[str, Any] = {"q": "Macron", "total": 1, "undated": 1, "buckets": []}

TIMELINE: dict[str, Any] = {"interval": "year", "series": [TIMELINE_SERIES]}

# A bucket of a corpus with publication times (the seed has none).
TIMELINE_BUCKET: dict[str, Any] = {
    "start": "2025-03-01",
    "end": "2025-04-01",
    "count": 12,
    "articles": 480,
    "share": 0.025,
}

# The seed's timeline as CSV: a row a bucket and series, then its undated articles.
TIMELINE_CSV = "q,start,end,count,articles,share\r\nMacron,,,1,1,1.0\r\n"

SAVED_SEARCH_FILTERS: dict[str, Any] = {
    "source": [],
    "dateline": ["LONDON"],
    "label": [],
    "author": [],
    "tag": [],
    "year": [],
    "published_after": None,
    "published_before": None,
    "search_in": [],
    "fuzzy": True,
}

SAVED_SEARCH_CREATE: dict[str, Any] = {
    "name": "Macron in London",
    "q": "Macron troops",
    "filters": {"dateline": ["LONDON"]},
}

SAVED_SEARCH_URL = "http://127.0.0.1:8000/v1/saved-searches/1"
SAVED_SEARCH_QUERY = "q=Macron+troops&dateline=LONDON"

SAVED_SEARCH: dict[str, Any] = {
    "id": 1,
    "name": "Macron in London",
    "q": "Macron troops",
    "filters": SAVED_SEARCH_FILTERS,
    "created_at": "2026-11-24T19:40:00.000000Z",
    "last_change": 1,
    "url": SAVED_SEARCH_URL,
    "matches_url": f"{SAVED_SEARCH_URL}/matches",
    "search_url": f"http://127.0.0.1:8000/v1/search?{SAVED_SEARCH_QUERY}",
    "atom_url": f"http://127.0.0.1:8000/v1/search.atom?{SAVED_SEARCH_QUERY}",
    "json_feed_url": f"http://127.0.0.1:8000/v1/search.feed.json?{SAVED_SEARCH_QUERY}",
    "webhook_url": None,
    "webhook_secret": None,
    "deliveries_url": f"{SAVED_SEARCH_URL}/deliveries",
}

DELIVERY: dict[str, Any] = {
    "id": 7,
    "state": "delivered",
    "matches": 2,
    "first_change": 41,
    "last_change": 44,
    "created_at": "2026-11-24T19:45:00.000000Z",
    "next_attempt_at": None,
    "finished_at": "2026-11-24T19:46:02.000000Z",
    "attempts": [
        {
            "at": "2026-11-24T19:45:01.000000Z",
            "duration_ms": 10003.2,
            "status": None,
            "error": "no answer within 10 s",
        },
        {"at": "2026-11-24T19:46:01.000000Z", "duration_ms": 41.7, "status": 200, "error": None},
    ],
}

SAVED_SEARCH_LIST: dict[str, Any] = {"items": [SAVED_SEARCH]}

PROBLEM: dict[str, Any] = {
    "type": "/problems/not-found",
    "title": "Not found",
    "status": 404,
    "detail": "No article has the id 99999999999999999999.",
    "instance": "/v1/articles/99999999999999999999",
}

BASE = "http://127.0.0.1:8000/"  # the links' base in every example: the README's server

API_INDEX: dict[str, Any] = {
    "entry_points": [
        {"name": "list_articles", "summary": "List articles", "href": BASE + "v1/articles"},
        {"name": "get_article", "summary": "Get an article", "href": BASE + "v1/articles/{ref}"},
        {
            "name": "get_article_raw",
            "summary": "Get an article's text as received",
            "href": BASE + "v1/articles/{ref}/raw",
        },
        {
            "name": "related_articles",
            "summary": "Get related articles",
            "href": BASE + "v1/articles/{ref}/related",
        },
        {
            "name": "article_revisions",
            "summary": "Get an article's revisions",
            "href": BASE + "v1/articles/{ref}/revisions",
        },
        {"name": "search_articles", "summary": "Search articles", "href": BASE + "v1/search"},
        {
            "name": "timeline",
            "summary": "Count articles over time",
            "href": BASE + "v1/timeline",
        },
        {"name": "list_changes", "summary": "List changes", "href": BASE + "v1/changes"},
        {
            "name": "list_articles_atom",
            "summary": "List articles as Atom",
            "href": BASE + "v1/articles.atom",
        },
        {
            "name": "list_articles_json_feed",
            "summary": "List articles as JSON Feed",
            "href": BASE + "v1/articles.feed.json",
        },
        {
            "name": "search_articles_atom",
            "summary": "Search articles as Atom",
            "href": BASE + "v1/search.atom",
        },
        {
            "name": "search_articles_json_feed",
            "summary": "Search articles as JSON Feed",
            "href": BASE + "v1/search.feed.json",
        },
        {
            "name": "list_saved_searches",
            "summary": "List saved searches",
            "href": BASE + "v1/saved-searches",
        },
        {
            "name": "create_saved_search",
            "summary": "Save a search",
            "href": BASE + "v1/saved-searches",
        },
        {
            "name": "get_saved_search",
            "summary": "Get a saved search",
            "href": BASE + "v1/saved-searches/{saved_id}",
        },
        {
            "name": "delete_saved_search",
            "summary": "Delete a saved search",
            "href": BASE + "v1/saved-searches/{saved_id}",
        },
        {
            "name": "saved_search_matches",
            "summary": "List a saved search's matches",
            "href": BASE + "v1/saved-searches/{saved_id}/matches",
        },
        {
            "name": "saved_search_deliveries",
            "summary": "List a saved search's webhook deliveries",
            "href": BASE + "v1/saved-searches/{saved_id}/deliveries",
        },
        {
            "name": "redeliver",
            "summary": "Send a webhook delivery again",
            "href": BASE + "v1/saved-searches/{saved_id}/deliveries/{delivery_id}/retry",
        },
        {"name": "healthz", "summary": "Liveness", "href": BASE + "healthz"},
        {"name": "readyz", "summary": "Readiness", "href": BASE + "readyz"},
        {"name": "stats", "summary": "Statistics", "href": BASE + "v1/stats"},
        {
            "name": "describe_problem",
            "summary": "Describe a problem type",
            "href": BASE + "problems/{slug}",
        },
    ],
    "openapi": BASE + "openapi.json",
    "docs": BASE + "docs",
    "redoc": BASE + "redoc",
}
# Each entry's method: GET but for what changes the store.
for _entry in API_INDEX["entry_points"]:
    _entry["method"] = {
        "create_saved_search": "POST",
        "delete_saved_search": "DELETE",
        "redeliver": "POST",
    }.get(_entry["name"], "GET")


@dataclass(frozen=True, slots=True)
class ProblemExample:
    """An error an operation answers, and the request that gets it (``tests/test_openapi.py``
    sends it, with no body): the document shows it as the problem+json body, made with the problem type's own
    ``type``, ``title`` and ``status``."""

    kind: str  # the problem type's slug
    summary: str
    request: str  # path and query string
    detail: str
    errors: tuple[dict[str, str], ...] = ()
    host: str | None = None  # the Host header, when not the server's own
    method: str = "GET"  # the operation's, for one that is no GET


MISSING_ID = "99999999999999999999"
LONG_REF = "x" * 201  # one more character than a reference may have
LONG_SLUG = "x" * 101
OTHER_HOST = "elsewhere.example"


def _not_found(path: str) -> ProblemExample:
    return ProblemExample(
        "not-found", "No such article", path, f"No article has the id {MISSING_ID}."
    )


def _invalid(location: str, name: str, request: str, detail: str) -> ProblemExample:
    return ProblemExample(
        "validation-error",
        f"An invalid `{name}`",
        request,
        f"Invalid request: {name}: {detail}",
        ({"location": location, "name": name, "detail": detail},),
    )


def _too_low_limit(path: str) -> ProblemExample:
    return _invalid("query", "limit", path, "Input should be greater than or equal to 1")


def _too_long_ref(path: str) -> ProblemExample:
    return _invalid("path", "ref", path, "String should have at most 200 characters")


def _search_stopped(request: str) -> ProblemExample:
    return ProblemExample(
        "search-timeout",
        "Past the time budget",
        request,
        "The request needed more than the server's time budget of 10 s (BYLINE_REQUEST_TIMEOUT)"
        " and was stopped; narrow it, or try again later.",
    )


MISSING_SAVED_ID = 2147483647  # the largest id a saved search can have


def _no_saved_search(path: str) -> ProblemExample:
    return ProblemExample(
        "not-found",
        "No such saved search",
        path,
        f"No saved search has the id {MISSING_SAVED_ID}: GET /v1/saved-searches lists them.",
    )


def _invalid_saved_id(path: str) -> ProblemExample:
    return _invalid(
        "path", "saved_id", path, f"Input should be less than or equal to {MISSING_SAVED_ID}"
    )


# By operation id. Every operation also shows the 400 of a Host this server does not answer for
# (app/api/openapi.py adds it: ``unknown_host``).
PROBLEM_EXAMPLES: dict[str, tuple[ProblemExample, ...]] = {
    "list_articles": (
        ProblemExample(
            "invalid-parameter",
            "An unknown facet",
            "/v1/articles?facets=colour",
            "Unknown facet 'colour': use source, dateline, year, authors, tags, month.",
        ),
        _too_low_limit("/v1/articles?limit=0"),
    ),
    "get_article": (
        _not_found(f"/v1/articles/{MISSING_ID}"),
        _too_long_ref(f"/v1/articles/{LONG_REF}"),
    ),
    "get_article_raw": (
        _not_found(f"/v1/articles/{MISSING_ID}/raw"),
        _too_long_ref(f"/v1/articles/{LONG_REF}/raw"),
    ),
    "related_articles": (
        _not_found(f"/v1/articles/{MISSING_ID}/related"),
        _search_stopped("/v1/articles/1/related"),
        _too_low_limit("/v1/articles/1/related?limit=0"),
    ),
    "article_revisions": (
        _not_found(f"/v1/articles/{MISSING_ID}/revisions"),
        _too_long_ref(f"/v1/articles/{LONG_REF}/revisions"),
    ),
    "list_changes": (
        ProblemExample(
            "invalid-parameter",
            "A cursor this API did not make",
            "/v1/changes?since=nonsense",
            BAD_SINCE,
        ),
        _too_low_limit("/v1/changes?limit=0"),
    ),
    "search_articles": (
        ProblemExample(
            "invalid-parameter",
            "A blank query",
            "/v1/search?q=+",
            "The query `q` is blank: give at least one word to search for.",
        ),
        _search_stopped("/v1/search?q=Macron"),
        _too_low_limit("/v1/search?q=Macron&limit=0"),
    ),
    "timeline": (
        ProblemExample(
            "invalid-parameter",
            "A blank query",
            "/v1/timeline?q=+",
            "The query `q` is blank: give at least one word to search for.",
        ),
        _search_stopped("/v1/timeline?q=Macron"),
        _invalid(
            "query",
            "interval",
            "/v1/timeline?interval=hour",
            "Input should be 'day', 'week', 'month' or 'year'",
        ),
    ),
    "create_saved_search": (
        ProblemExample(
            "validation-error",
            "No body",
            "/v1/saved-searches",
            "Invalid request: body: Field required",
            ({"location": "body", "name": "body", "detail": "Field required"},),
            method="POST",
        ),
    ),
    "get_saved_search": (
        _no_saved_search(f"/v1/saved-searches/{MISSING_SAVED_ID}"),
        _invalid_saved_id(f"/v1/saved-searches/{MISSING_ID}"),
    ),
    "delete_saved_search": (
        replace(_no_saved_search(f"/v1/saved-searches/{MISSING_SAVED_ID}"), method="DELETE"),
        replace(_invalid_saved_id(f"/v1/saved-searches/{MISSING_ID}"), method="DELETE"),
    ),
    "saved_search_matches": (
        _no_saved_search(f"/v1/saved-searches/{MISSING_SAVED_ID}/matches"),
        ProblemExample(
            "invalid-parameter",
            "A cursor this API did not make",
            "/v1/saved-searches/1/matches?since=nonsense",
            BAD_SINCE,
        ),
        _too_low_limit("/v1/saved-searches/1/matches?limit=0"),
    ),
    "saved_search_deliveries": (
        _no_saved_search(f"/v1/saved-searches/{MISSING_SAVED_ID}/deliveries"),
        _too_low_limit("/v1/saved-searches/1/deliveries?limit=0"),
    ),
    "redeliver": (
        replace(
            _no_saved_search(f"/v1/saved-searches/{MISSING_SAVED_ID}/deliveries/7/retry"),
            method="POST",
        ),
        replace(
            _invalid(
                "path",
                "delivery_id",
                "/v1/saved-searches/1/deliveries/0/retry",
                "Input should be greater than or equal to 1",
            ),
            method="POST",
        ),
    ),
    "readyz": (
        ProblemExample(
            "not-ready",
            "The store cannot be reached",
            "/readyz",
            "The store is unreachable: OperationalError.",
        ),
    ),
    "stats": (
        ProblemExample(
            "not-ready",
            "The store cannot be reached",
            "/v1/stats",
            "The store cannot answer: OperationalError.",
        ),
    ),
    "describe_problem": (
        ProblemExample(
            "not-found",
            "No such problem type",
            "/problems/no-such-type",
            "No problem type is called 'no-such-type'.",
        ),
        _invalid(
            "path", "slug", f"/problems/{LONG_SLUG}", "String should have at most 100 characters"
        ),
    ),
}


def unknown_host(path: str) -> ProblemExample:
    """The 400 that a request to ``path`` naming another host gets."""
    return ProblemExample(
        "unknown-host",
        "Another host",
        path,
        f"This server does not answer for the host '{OTHER_HOST}': "
        "see the allowed_hosts and public_url settings.",
        host=OTHER_HOST,
    )


def rate_limited(path: str) -> ProblemExample:
    """The 429 that a client past a rate of 600 requests a minute gets for ``path``."""
    return ProblemExample(
        "rate-limited",
        "Over the rate limit",
        path,
        "More than 600 requests in 1 minute from this address: try again in 12 s.",
    )


# A feed answers the problems of its list or search, at its own path.
for _format in FeedFormat:
    for _path, _operation in (("/v1/articles", "list_articles"), ("/v1/search", "search_articles")):
        PROBLEM_EXAMPLES[f"{_operation}_{_format.operation_suffix}"] = tuple(
            replace(example, request=example.request.replace(_path, _path + _format.suffix, 1))
            for example in PROBLEM_EXAMPLES[_operation]
        )
