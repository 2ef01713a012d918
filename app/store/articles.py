"""Reads of stored articles, ingestion runs and revisions through a session: an article by
id or slug, its versions, the runs and their totals. The hot reads of the API are in ``listing``.
"""

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import Connection, and_, case, func
from sqlmodel import Session, col, select

from app.problems import NotFound
from app.store.filters import FacetCounts
from app.store.models import Article, ArticleRevision, IngestRun

MAX_ID = 2**63 - 1

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of results, the number of results in all and where the next page starts."""

    items: list[T]
    total: int
    next_cursor: str | None = None
    facets: FacetCounts | None = None
    # A search's answers to the aggregations it was asked for beside its facets, by name.
    aggregated: dict[str, Any] | None = None


def article_key(ref: str) -> tuple[str, int | str]:
    """The column and value an article reference names: ``("id", 12)`` or ``("slug", "…")``;
    raise ``NotFound`` for an id no article can have."""
    if ref.isascii() and ref.isdigit():
        if int(ref) > MAX_ID:
            raise missing(ref)
        return "id", int(ref)
    if "\x00" in ref:  # no slug holds one (and PostgreSQL refuses to compare text with one)
        raise missing(ref)
    return "slug", ref


def missing(ref: str) -> NotFound:
    """The 404 for an article reference that names no article."""
    if ref.isascii() and ref.isdigit():
        return NotFound(f"No article has the id {ref}.")
    return NotFound(f"No article has the slug {ref!r}.")


def get_article(session: Session, *, ref: str) -> Article:
    """The article with this numeric id or slug; raise ``NotFound`` otherwise."""
    column, value = article_key(ref)
    article = (
        session.get(Article, value)
        if column == "id"
        else session.exec(select(Article).where(Article.slug == value)).first()
    )
    if article is None:
        raise missing(ref)
    return article


def list_runs(session: Session, *, limit: int = 20) -> list[IngestRun]:
    """The latest ingestion runs, newest first."""
    statement = select(IngestRun).order_by(col(IngestRun.id).desc()).limit(limit)
    return list(session.exec(statement))


@dataclass(frozen=True, slots=True)
class RunTotals:
    """The ingestion runs in all: those finished without and with a failed file and those not
    finished (under way, or cut off), the files of each outcome over every run, and when the
    last run started and finished."""

    succeeded: int
    failed: int
    unfinished: int
    files: dict[str, int]
    last_started_at: datetime | None
    last_finished_at: datetime | None


def run_totals(session: Session, *, outcomes: Sequence[str], failure: str) -> RunTotals:
    """The totals of every run, in two statements whatever their number: ``outcomes`` are the
    keys of a report's counts to add up, ``failure`` the one that makes a run failed."""
    table = IngestRun.__table__.c  # type: ignore[attr-defined]
    failed_files = func.coalesce(table.report[("counts", failure)].as_integer(), 0)
    finished = table.finished_at.is_not(None)
    row = session.execute(
        select(
            func.count(),
            func.count(table.finished_at),
            func.coalesce(func.sum(case((and_(finished, failed_files > 0), 1), else_=0)), 0),
            *(
                func.coalesce(func.sum(table.report[("counts", outcome)].as_integer()), 0)
                for outcome in outcomes
            ),
        )
    ).one()
    runs, done, failed, *files = (int(value) for value in row)
    last = session.execute(
        select(table.started_at, table.finished_at).order_by(table.id.desc()).limit(1)
    ).first()
    return RunTotals(
        succeeded=done - failed,
        failed=failed,
        unfinished=runs - done,
        files=dict(zip(outcomes, files, strict=True)),
        last_started_at=last.started_at if last else None,
        last_finished_at=last.finished_at if last else None,
    )


def run_under_way(connection: Connection, *, started_after: datetime) -> bool:
    """Whether an ingestion started after ``started_after`` has not finished (it runs, or it
    was cut off)."""
    table = IngestRun.__table__.c  # type: ignore[attr-defined]
    found = connection.execute(
        select(table.id)
        .where(table.finished_at.is_(None), table.started_at > started_after)
        .limit(1)
    ).first()
    return found is not None


def get_run(session: Session, *, run_id: int) -> IngestRun:
    """One ingestion run; raise ``NotFound`` when there is none with that id."""
    run = session.get(IngestRun, run_id) if 0 < run_id <= MAX_ID else None
    if run is None:
        raise NotFound(f"No ingestion run has the id {run_id}.")
    return run


def count_articles(session: Session) -> int:
    """How many articles the store holds."""
    return session.exec(select(func.count()).select_from(Article)).one()


@dataclass(frozen=True, slots=True)
class Version:
    """One version of an article, with what changed from the one before."""

    number: int
    current: bool
    title: str
    content_hash: str
    valid_from: datetime
    valid_until: datetime | None
    changed: list[str]
    paragraphs_added: int
    paragraphs_removed: int


def article_versions(session: Session, *, article: Article) -> list[Version]:
    """Every version of an article, oldest first: its kept revisions, then itself."""
    revisions = session.exec(
        select(ArticleRevision)
        .where(ArticleRevision.article_id == article.id)
        .order_by(col(ArticleRevision.id))
    ).all()
    snapshots: list[Any] = [*revisions, article]
    versions = []
    previous: Any = None
    for number, snapshot in enumerate(snapshots, start=1):
        paragraphs = snapshot.body.split("\n") if snapshot.body else []
        before = previous.body.split("\n") if previous is not None and previous.body else []
        matcher = difflib.SequenceMatcher(a=before, b=paragraphs, autojunk=False)
        kept = sum(block.size for block in matcher.get_matching_blocks())
        changed = (
            [
                name
                for name in ("title", "dateline", "source", "year", "body")
                if getattr(previous, name) != getattr(snapshot, name)
            ]
            if previous is not None
            else []
        )
        current = snapshot is article
        valid_from = snapshot.updated_at if current else snapshot.ingested_at
        versions.append(
            Version(
                number=number,
                current=current,
                title=snapshot.title,
                content_hash=snapshot.content_hash,
                valid_from=valid_from,
                valid_until=None if current else snapshot.replaced_at,
                changed=["paragraphs" if name == "body" else name for name in changed],
                paragraphs_added=len(paragraphs) - kept,
                paragraphs_removed=len(before) - kept,
            )
        )
        previous = snapshot
    return versions
