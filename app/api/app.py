"""The FastAPI application: ``create_app(settings)`` wires routes, errors, docs and the store."""

import functools
import gc
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from app import __version__
from app.alerts.destinations import WebhookPolicy
from app.alerts.webhooks import WebhookSender
from app.api.access_log import AccessLog
from app.api.admission import Admission
from app.api.authentication import KeyCheck
from app.api.body_limit import BodyLimit
from app.api.compression import Compression
from app.api.cors import CrossOrigin
from app.api.edge import Edge
from app.api.errors import install_problem_handlers
from app.api.hosts import AllowedHosts
from app.api.kept_answers import KeptAnswers
from app.api.links import TIMELINE_CSV_PATH, TIMELINE_PATH
from app.api.metrics import RequestMetrics
from app.api.negotiation import Negotiation, feed_offers
from app.api.openapi import DESCRIPTION, TAGS, openapi_document
from app.api.rate_limits import RateCounter
from app.api.routes import (
    articles,
    changes,
    feeds,
    health,
    index,
    metrics,
    problems,
    saved_searches,
    search,
    timeline,
)
from app.api.routes.docs import install_docs
from app.api.routes.feeds import FEED_RESOURCES
from app.api.routes.pages import install_pages
from app.api.routes.timeline import CSV_MEDIA_TYPE
from app.api.validators import Validators
from app.api.webhook_payloads import delivery_body
from app.search.follower import IndexFollower
from app.search.index import SearchIndex
from app.search.words import prepare_text_tables
from app.settings import Settings, get_settings
from app.store.database import create_db_engine, schema_head
from app.store.readers import open_reader


@asynccontextmanager
async def _serving(app: FastAPI, *, settings: Settings) -> AsyncIterator[None]:
    """What a serving app holds while it runs: the store's engine and reader, the search index
    and its follower; let go when it stops."""
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
    # The one thing the API writes, saved searches (app/api/routes/saved_searches.py), goes to
    # the primary through a writer of its own: a connection opened only when one is saved or
    # deleted, queued behind an ingestion by the store's write lock.
    app.state.writer = create_db_engine(
        settings.database_url, writer=True, pool_size=1, max_overflow=1
    )
    app.state.schema_head = schema_head(read_url)
    app.state.search_index = SearchIndex(settings.index_folder, writer_mb=settings.index_writer_mb)
    # The index follows the store from a thread of its own (app/search/follower.py).
    app.state.index_follower = IndexFollower(app.state.search_index, app.state.engine)
    app.state.index_follower.start()
    # Saved searches' webhooks, and the rounds of matching an ingestion left undone, with a
    # writer of their own: a delivery waiting for the write lock never holds up a save.
    app.state.alerts_writer = create_db_engine(
        settings.database_url, writer=True, pool_size=1, max_overflow=1
    )
    app.state.webhook_sender = WebhookSender(
        engine=app.state.engine,
        writer=app.state.alerts_writer,
        read=app.state.reader.rows,
        payload=delivery_body,
        policy=app.state.webhook_policy,
        timeout=settings.webhook_timeout,
        retry_s=settings.webhook_retry_seconds,
        attempts=settings.webhook_attempts,
    )
    app.state.webhook_sender.start()
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
    app.state.webhook_sender.stop()
    app.state.alerts_writer.dispose()
    app.state.index_follower.stop()
    app.state.reader.close()
    app.state.writer.dispose()
    app.state.engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """A Byline application on the store that ``settings`` names."""
    settings = settings or get_settings()

    app = FastAPI(
        title="Byline",
        version=__version__,
        summary="A searchable JSON API over a folder of news articles.",
        description=DESCRIPTION,
        openapi_tags=TAGS,
        license_info={"name": "MIT", "identifier": "MIT"},
        lifespan=functools.partial(_serving, settings=settings),
        # Operation ids are the route names (list_articles, search_articles, ...), which is what
        # generated clients call their methods.
        generate_unique_id_function=lambda route: route.name,
        docs_url=None,  # app/api/routes/docs.py serves both pages without a CDN
        redoc_url=None,
    )
    app.state.public_url = settings.public_url  # app/api/links.py: the links' base
    app.state.api_keys = settings.api_keys  # app/api/authentication.py: the scope guard
    app.state.webhook_policy = WebhookPolicy(settings.webhook_hosts)  # saved searches' hooks
    # The last added is the outermost: a 304 or a tagged answer, a compressed answer, a kept
    # answer and a refused key or rate all go out through the edge, which adds the headers
    # every answer carries, and counts and logs each, whoever answered it.
    # ETag, 304, Cache-Control; what a key was asked for is no shared cache's to keep.
    app.add_middleware(
        Validators,
        max_age=settings.cache_max_age,
        shared=settings.api_keys != "required",
        shaping=hashlib.blake2b(settings.model_dump_json().encode(), digest_size=8).hexdigest(),
    )
    if settings.compression:  # outside the validators: a compressed answer's tag names its coding
        app.add_middleware(
            Compression,
            min_bytes=settings.compression_min_bytes,
            kept_bytes=settings.compression_cache_mb * 2**20,
        )
    # Outside compression and the validators: a kept answer is sent as they sent it.
    app.add_middleware(KeptAnswers)
    # Outside the kept answers and the validators: a feed, or the timeline's CSV, asked for by
    # Accept is tagged and kept as its own URL.
    offers = feed_offers(FEED_RESOURCES)
    offers[TIMELINE_PATH] = {CSV_MEDIA_TYPE: TIMELINE_CSV_PATH.removeprefix(TIMELINE_PATH)}
    app.add_middleware(Negotiation, offers=offers)
    # Always there: an API key may have a rate of its own when no default is set.
    app.add_middleware(
        Admission,
        keys=None
        if settings.api_keys == "off"
        else KeyCheck(required=settings.api_keys == "required"),
        rates=RateCounter(rate=settings.default_rate, storage_url=settings.rate_limit_storage),
    )
    if settings.metrics:
        app.state.metrics = RequestMetrics(app.state)
        app.include_router(metrics.router)
    app.add_middleware(
        Edge,
        hosts=AllowedHosts(settings.hosts),
        body_limit=BodyLimit(settings.max_body_bytes),
        cross_origin=CrossOrigin(app, origins=settings.cors_origins)
        if settings.cors_origins
        else None,
        metrics=app.state.metrics if settings.metrics else None,
        access_log=AccessLog() if settings.access_log == "json" else None,
    )
    install_problem_handlers(app)
    install_docs(app)
    install_pages(app)
    app.include_router(index.router)
    app.include_router(articles.router)
    app.include_router(search.router)
    app.include_router(timeline.router)
    app.include_router(changes.router)
    app.include_router(feeds.router)
    app.include_router(saved_searches.router)
    app.include_router(health.router)
    app.include_router(problems.router)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = openapi_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
