"""Read queries over stored articles: filters, sorts, keyset pages and the numbered changes.
Routes hold no SQL."""

import difflib
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StringConstraints
from sqlalchemy import Connection, func
from sqlmodel import Session, col, select

from app.problems import NotFound
from app.store.models import Article, ArticleChange, ArticleRevision, ChangeKind, IngestRun, in_utc

MAX_ID = 2**63 - 1
MAX_FILTER_VALUES = 50
FACET_VALUES_LIMIT = 50
T = TypeVar("T")


class ListSort(StrEnum):
    """Orders of the article list; each ends on the id, so the order is total."""

    NEWEST = "newest"
    OLDEST = "oldest"
    TITLE = "title"


class SearchSort(StrEnum):
    """Orders of search hits; each ends on the id, so the order is total."""

    RELEVANCE = "relevance"
    NEWEST = "newest"
    OLDEST = "oldest"


Sort = ListSort | SearchSort


# Text without a NUL character: none is stored (PostgreSQL cannot hold one) or can match.
NO_NUL = r"^[^\x00]*$"


# A year, or a year and month: the first instant of that period, in UTC.
_PERIOD = re.compile(r"(\d{4})(?:-(\d{2}))?")
# Everything else must start as an ISO 8601 date does: pydantic would read "2024" or
# "1700000000" as seconds since 1970, which nobody filtering news means.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:$|[T ])")


def _iso_moment(value: object) -> object:
    """A query's time as pydantic should parse it: a year or month made its first instant, any
    other text kept only when it starts with an ISO 8601 date."""
    if not isinstance(value, str):
        return value  # a datetime from Python callers
    text = value.strip()
    if period := _PERIOD.fullmatch(text):
        year, month = int(period[1]), int(period[2] or 1)
        if year == 0 or not 1 <= month <= 12:
            raise ValueError(f"{text!r} is not a real year or month")
        return datetime(year, month, 1, tzinfo=UTC)
    if not _ISO_DATE.match(text):
        raise ValueError(
            "should be an ISO 8601 date or time, such as 2024, 2024-05, 2024-05-01 or "
            "2024-05-01T12:00:00Z (a number is not read as a Unix time)"
        )
    return text


def _in_utc(value: datetime) -> datetime:
    """The time in UTC (a time without zone is UTC); out of range once moved there: refused."""
    try:
        return in_utc(value)
    except OverflowError:
        raise ValueError(
            f"{value.isoformat()} is out of range once moved to UTC (years 1 to 9999)"
        ) from None


# A time a filter takes: ISO 8601, in UTC once read (the stored times are).
Moment = Annotated[datetime, BeforeValidator(_iso_moment), AfterValidator(_in_utc)]


class ArticleFilters(BaseModel):
    """Filters shared by list and search; repeat a parameter to accept any of its values."""

    source: list[Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)]] = Field(
        default=[],
        max_length=MAX_FILTER_VALUES,
        description="Who holds the rights, matched whole and in any case.",
        examples=[["ABC Audio"]],
    )
    dateline: list[Annotated[str, StringConstraints(max_length=120, pattern=NO_NUL)]] = Field(
        default=[],
        max_length=MAX_FILTER_VALUES,
        description="Where the story was filed, matched whole and in any case.",
        examples=[["LONDON"]],
    )
    label: list[Annotated[str, StringConstraints(max_length=40, pattern=NO_NUL)]] = Field(
        default=[],
        max_length=MAX_FILTER_VALUES,
        description="A wire service's marker of the story's state (`corrected`, `refile`, "
        "`repeat`, `update 2`), matched whole and in any case.",
        examples=[["corrected"]],
    )
    year: list[Annotated[int, Field(ge=1, le=9999)]] = Field(
        default=[],
        max_length=MAX_FILTER_VALUES,
        description="Year of the copyright line.",
        examples=[[2025]],
    )

    published_after: Moment | None = Field(
        default=None,
        description="Only articles published at or after this time: ISO 8601, a date or a "
        "time (UTC when no zone is given); a bare year (`2024`) or month (`2024-05`) is its "
        "first instant, as a date is its midnight. Numbers are never read as Unix times. "
        "Articles with no publication time are left out.",
        examples=["2024-01-01"],
    )
    published_before: Moment | None = Field(
        default=None,
        description="Only articles published before this time, which is left out (as "
        "`published_after`: `published_before=2025` ends with the last instant of 2024).",
        examples=["2025-01-01T00:00:00Z"],
    )

    @property
    def empty(self) -> bool:
        """Whether no filter is set (a search then need not look at the article table to count)."""
        return not (
            self.source
            or self.dateline
            or self.label
            or self.year
            or self.published_after is not None
            or self.published_before is not None
        )


class Facet(StrEnum):
    """Fields that results can be counted by."""

    SOURCE = "source"
    DATELINE = "dateline"
    YEAR = "year"


FacetCounts = dict[str, list[tuple[str | int | None, int]]]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of results, the number of results in all and where the next page starts."""

    items: list[T]
    total: int
    next_cursor: str | None = None
    facets: FacetCounts | None = None


def sort_key_types(sort: Sort) -> tuple[type, ...]:
    """The types of ``sort_key`` values, to check a cursor against."""
    return (str, int) if sort == ListSort.TITLE else (int, int)


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


@dataclass(frozen=True, slots=True)
class Change:
    """One numbered change to the articles: what happened to which article, and when."""

    number: int
    article_id: int
    kind: ChangeKind
    at: datetime


def changes_after(connection: Connection, number: int, *, limit: int) -> list[Change]:
    """The changes numbered above ``number``, oldest first, at most ``limit`` of them.

    Numbers are committed in their order (migration 0015), so a reader that has applied every
    change up to N and asks for those after N never misses one committed later.
    """
    table = ArticleChange.__table__.c  # type: ignore[attr-defined]
    rows = connection.execute(
        select(table.number, table.article_id, table.kind, table.at)
        .where(table.number > number)
        .order_by(table.number)
        .limit(limit)
    )
    return [
        Change(number=row.number, article_id=row.article_id, kind=ChangeKind(row.kind), at=row.at)
        for row in rows
    ]


def last_change(connection: Connection) -> int:
    """The number of the latest committed change to the articles; 0 before the first."""
    table = ArticleChange.__table__.c  # type: ignore[attr-defined]
    return int(connection.execute(select(func.coalesce(func.max(table.number), 0))).scalar_one())


def count_changes_after(connection: Connection, number: int) -> int:
    """How many changes the store has committed numbered above ``number``."""
    table = ArticleChange.__table__.c  # type: ignore[attr-defined]
    return int(
        connection.execute(
            select(func.count()).select_from(ArticleChange).where(table.number > number)
        ).scalar_one()
    )
