"""The FastAPI application: ``create_app(settings)`` wires routes, errors and the store."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app import __version__
from app.database import create_db_engine, schema_head
from app.errors import install_problem_handlers
from app.routes import articles, health, problems, search
from app.settings import Settings, get_settings

DESCRIPTION = """
Byline serves a corpus of news articles as JSON: list them, fetch one, search them all.

Errors are RFC 9457 `application/problem+json`. Lists are paged with an opaque `cursor`
(follow `next`, or the `Link: rel="next"` header).
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """A Byline application on the store that ``settings`` names."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.engine = create_db_engine(settings.database_url)
        app.state.schema_head = schema_head(settings.database_url)
        yield
        app.state.engine.dispose()

    app = FastAPI(
        title="Byline",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
    )
    install_problem_handlers(app)
    app.include_router(articles.router)
    app.include_router(search.router)
    app.include_router(health.router)
    app.include_router(problems.router)

    return app
