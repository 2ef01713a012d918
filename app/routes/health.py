"""``/healthz`` (the process answers) and ``/readyz`` (the store can serve)."""

from fastapi import APIRouter, Request
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from app.database import has_table, schema_revision
from app.errors import NotReady, problem_responses

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Liveness")
def healthz() -> dict[str, str]:
    """Answers as long as the process does."""
    return {"status": "ok"}


@router.get("/readyz", summary="Readiness", responses=problem_responses(NotReady))
def readyz(request: Request) -> dict[str, str]:
    """Answers 200 when the store is reachable, migrated to head and has its search index."""
    engine = request.app.state.engine
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        current, head = schema_revision(engine), request.app.state.schema_head
        search_index = has_table(engine, "article_fts")
    except SQLAlchemyError as error:
        raise NotReady(f"The store is unreachable: {type(error).__name__}.") from None
    if current != head:
        raise NotReady(f"The schema is at revision {current}, not {head}: run `byline migrate`.")
    if not search_index:
        raise NotReady("The full-text index article_fts is missing: run `byline migrate`.")
    return {"status": "ready", "schema": current or ""}
