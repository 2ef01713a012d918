"""``/healthz`` (the process answers), ``/readyz`` (the store can serve) and ``/v1/stats``."""

from pathlib import PurePath

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import SQLAlchemyError

from app.api.dependencies import SessionDep
from app.api.errors import problem_responses
from app.api.links import HEALTH_PATH, READY_PATH
from app.api.schemas import IndexStats, Stats, run_summary
from app.problems import NotReady
from app.store.articles import count_articles, list_runs
from app.store.changes import count_changes_after, last_change
from app.store.database import ping, schema_revision

router = APIRouter(tags=["health"])


class Health(BaseModel):
    """The process is up."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: str


class Readiness(BaseModel):
    """The store is reachable and migrated to the newest schema, and the search index has
    caught up with the store as it was when the server started."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"status": "ready", "schema_revision": "0001"}]}
    )

    status: str
    schema_revision: str


@router.get(HEALTH_PATH, response_model=Health, summary="Liveness")
def healthz() -> Health:
    """Answers as long as the process does."""
    return Health(status="ok")


@router.get(
    READY_PATH,
    response_model=Readiness,
    summary="Readiness",
    responses=problem_responses(NotReady, validated=False),
)
def readyz(request: Request) -> Readiness:
    """Answers 200 when the store is reachable and migrated to head, and once the search index
    has caught up with the changes the store held when the server started (a new or deleted
    index: once it is built). From then on it stays 200 while the index follows the store,
    even a moment behind."""
    engine = request.app.state.engine
    try:
        ping(engine)
        current, head = schema_revision(engine), request.app.state.schema_head
    except SQLAlchemyError as error:
        raise NotReady(f"The store is unreachable: {type(error).__name__}.") from None
    if current is None or current != head:
        raise NotReady(f"The schema is at revision {current}, not {head}: run `byline migrate`.")
    if (building := request.app.state.index_follower.not_ready()) is not None:
        raise NotReady(building)
    return Readiness(status="ready", schema_revision=current)


@router.get(
    "/v1/stats",
    response_model=Stats,
    summary="Statistics",
    responses=problem_responses(NotReady, validated=False),
)
def stats(session: SessionDep, request: Request) -> Stats:
    """How many articles the store holds, the last ingestion run with its counts (and the last
    part of each folder or file name it was given: `byline runs` shows them whole), the
    number of the latest change to the articles, and the search index of the process that
    answered: the last change it applied, the changes it has yet to apply, its articles and
    its size on disk."""
    index = request.app.state.search_index.state()
    try:
        runs = list_runs(session, limit=1)
        articles = count_articles(session)
        change = last_change(session.connection())
        lag = count_changes_after(session.connection(), index.applied_change)
    except SQLAlchemyError as error:
        raise NotReady(f"The store cannot answer: {type(error).__name__}.") from None
    last_run = None
    if runs:
        last_run = run_summary(runs[0])
        last_run.paths = [public_path(path) for path in last_run.paths]
    return Stats(
        articles=articles,
        last_run=last_run,
        search_index="pending" if lag else "complete",
        last_change=change,
        index=IndexStats(
            applied_change=index.applied_change,
            lag=lag,
            documents=index.documents,
            size_bytes=index.size_bytes,
        ),
    )


def public_path(path: str) -> str:
    """The last part of a path given to ``byline ingest``: where the store's machine keeps its
    files (``/home/someone/...``) is not the API's to tell."""
    return PurePath(path).name or path
