"""The FastAPI application: ``create_app(settings)`` wires routes, errors and the store."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app import __version__
from app.database import create_db_engine
from app.errors import PROBLEM_TYPES, NotFound, install_problem_handlers, problem_responses
from app.routes import articles, health, search
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
        app.state.settings = settings
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

    @app.get(
        "/problems/{slug}",
        tags=["health"],
        summary="Describe a problem type",
        responses=problem_responses(NotFound),
    )
    def describe_problem(slug: str) -> dict[str, str | int]:
        """What a problem `type` of this API means."""
        kind = PROBLEM_TYPES.get(slug)
        if kind is None:
            raise NotFound(f"No problem type is called {slug!r}.")
        return {
            "type": f"/problems/{slug}",
            "title": kind.title,
            "status": kind.status,
            "description": kind.description,
        }

    return app
