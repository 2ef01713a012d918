"""The FastAPI application: ``create_app(settings)`` wires routes, errors, docs and the store."""

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from app import __version__
from app.api.errors import install_problem_handlers
from app.api.middleware import AllowedHosts, CachedArticles, HeadAsGet
from app.api.openapi import openapi_document
from app.api.routes import articles, health, index, problems, search
from app.api.routes.docs import install_docs
from app.search.follower import IndexFollower
from app.search.index import SearchIndex
from app.search.words import prepare_text_tables
from app.settings import Settings, get_settings
from app.store.database import create_db_engine, schema_head
from app.store.readers import open_reader

DESCRIPTION = """
Byline serves a corpus of news articles as JSON: list them, fetch one by id or slug, read the text
as it was received, and search them all with ranked, highlighted full-text search.

**Paging.** Lists are keyset-paged: follow `next` (or the `Link: <…>; rel="next"` header), or
pass `next_cursor` back as `cursor`. Page 5,000 costs what page 1 costs.

**Search syntax** (`q` of `/v1/search`):

| you write | it finds |
|---|---|
| `troops Macron` | articles with all the words |
| `"allied troops"` | the exact phrase |
| `Paris OR Kyiv` | either word (`OR` in capitals joins the words beside it) |
| `Macron -Pen`, `Macron -"Le Pen"` | articles without the word or phrase |
| `deploy*` | words starting with the prefix |
| `Macron (Berlin OR Brussels)` | parentheses group (a group can be excluded with `-`) |
| `title:Macron`, `body:"red lines"` | the word, phrase or group in that field only |

`search_in=title` limits the words that name no field. Matching ignores case and accents
(`Mélenchon` = `Melenchon`) and stems English words (`troop`
finds `troops`). Spellings of a name find each other (`Zelensky`, `Zelenskyy`, `Zelenskiy`;
`Gaddafi`, `Qaddafi`): `query.expanded` shows the variants added, `fuzzy=false` turns them off,
and a word the corpus holds rarely gets a fix in `did_you_mean` (its search in
`did_you_mean_url`) when a word an edit or two away is far more frequent. Anything else is plain
text, never an operator. Hits are ranked by BM25 with a
word in the headline weighing five times a word in the body. Highlights are HTML in which the
article's own text is escaped, so the only markup is `<mark>`.

**Errors** are RFC 9457 `application/problem+json` documents; `GET` their `type` for what it means.
"""

TAGS = [
    {"name": "index", "description": "Where the API starts: its entry points."},
    {"name": "articles", "description": "The stored articles: list, fetch, raw text."},
    {"name": "search", "description": "Ranked full-text search with highlights."},
    {"name": "health", "description": "Liveness and readiness probes."},
    {"name": "problems", "description": "What each error `type` means."},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    """A Byline application on the store that ``settings`` names."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # The API only reads: everything goes to the read URL (a replica) when there is one.
        read_url = settings.read_url
        pool_size, max_overflow = settings.pool_size, settings.max_overflow
        # Read-only connections: no request can change the store, whatever its SQL.
        app.state.engine = create_db_engine(
            read_url, pool_size=pool_size, max_overflow=max_overflow, read_only=True
        )
        app.state.reader = open_reader(
            read_url,
            cache_size=settings.search_cache,
            body_cache_bytes=settings.article_cache_mb * 2**20,
            pool_size=pool_size,
            max_overflow=max_overflow,
        )
        app.state.schema_head = schema_head(read_url)
        app.state.search_index = SearchIndex(
            settings.index_folder, writer_mb=settings.index_writer_mb
        )
        # The index follows the store from a thread of its own (app/search/follower.py).
        app.state.index_follower = IndexFollower(app.state.search_index, app.state.engine)
        app.state.index_follower.start()
        app.state.responses_in_flight = {}  # app/api/caching.py: one computation a response
        app.state.request_timeout = settings.request_timeout  # app/api/budget.py
        prepare_text_tables()
        # What the start made (modules, the app, its routes and models) lives as long as the
        # process: out of the collector's reach, a full collection walks only what requests
        # made since. Full collections were the slowest searches' time (bench/RESULTS.md: p99 of
        # `minister` at 1M, 54 ms with them, 22 ms without).
        gc.collect()
        gc.freeze()
        yield
        app.state.index_follower.stop()
        app.state.reader.close()
        app.state.engine.dispose()

    app = FastAPI(
        title="Byline",
        version=__version__,
        summary="A searchable JSON API over a folder of news articles.",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        license_info={"name": "MIT", "identifier": "MIT"},
        lifespan=lifespan,
        # Operation ids are the route names (list_articles, search_articles, ...), which is what
        # generated clients call their methods.
        generate_unique_id_function=lambda route: route.name,
        docs_url=None,  # app/api/routes/docs.py serves both pages without a CDN
        redoc_url=None,
    )
    app.state.public_url = settings.public_url  # app/api/links.py: the links' base
    app.add_middleware(CachedArticles)
    app.add_middleware(HeadAsGet)  # HEAD is answered as GET, cached or not
    app.add_middleware(AllowedHosts, hosts=settings.hosts)  # outermost: nothing for others
    install_problem_handlers(app)
    install_docs(app)
    app.include_router(index.router)
    app.include_router(articles.router)
    app.include_router(search.router)
    app.include_router(health.router)
    app.include_router(problems.router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = openapi_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
