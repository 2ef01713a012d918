"""Read queries over stored articles: filters, sorts and keyset pages. Routes hold no SQL."""

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Generic, TypeVar

from pydantic import BaseModel, Field, StringConstraints, field_validator
from sqlalchemy import ColumnElement, and_, func, or_, true
from sqlalchemy.orm import defer
from sqlmodel import Session, col, select

from app.errors import NotFound
from app.models import Article, ArticleRevision, IngestRun
from app.pagination import Cursor

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


class ArticleFilters(BaseModel):
    """Filters shared by list and search; repeat a parameter to accept any of its values."""

    source: list[Annotated[str, StringConstraints(max_length=200)]] = Field(
        default=[],
        max_length=MAX_FILTER_VALUES,
        description="Who holds the rights, matched whole and in any case.",
        examples=[["ABC Audio"]],
    )
    dateline: list[Annotated[str, StringConstraints(max_length=120)]] = Field(
        default=[],
        max_length=MAX_FILTER_VALUES,
        description="Where the story was filed, matched whole and in any case.",
        examples=[["LONDON"]],
    )
    year: list[Annotated[int, Field(ge=1, le=9999)]] = Field(
        default=[],
        max_length=MAX_FILTER_VALUES,
        description="Year of the copyright line.",
        examples=[[2025]],
    )

    published_after: datetime | None = Field(
        default=None,
        description="Only articles published at or after this time (ISO 8601; a date is its "
        "midnight, UTC when no zone is given). Articles with no publication time are left out.",
        examples=["2024-01-01"],
    )
    published_before: datetime | None = Field(
        default=None,
        description="Only articles published before this time (ISO 8601, as `published_after`).",
        examples=["2025-01-01T00:00:00Z"],
    )

    @field_validator("published_after", "published_before", mode="after")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value

    @property
    def empty(self) -> bool:
        """Whether no filter is set (a search then need not look at the article table to count)."""
        return not (
            self.source
            or self.dateline
            or self.year
            or self.published_after is not None
            or self.published_before is not None
        )

    def clause(self) -> ColumnElement[bool]:
        """The SQL condition these filters put on ``article``."""
        conditions: list[ColumnElement[bool]] = []
        # Case-insensitive on both sides in SQL, so that `dateline=london` finds LONDON.
        for column, values in ((Article.source, self.source), (Article.dateline, self.dateline)):
            if values:
                wanted = [func.lower(value) for value in values]
                conditions.append(func.lower(col(column)).in_(wanted))
        if self.year:
            conditions.append(col(Article.year).in_(self.year))
        if self.published_after is not None:
            conditions.append(col(Article.published_at) >= self.published_after)
        if self.published_before is not None:
            conditions.append(col(Article.published_at) < self.published_before)
        return and_(true(), *conditions)


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


def facet_counts(
    session: Session, *, facets: Sequence[Facet], source: Any, where: ColumnElement[bool]
) -> FacetCounts | None:
    """Per facet, its most frequent values over all rows of ``source`` that ``where`` keeps."""
    if not facets:
        return None
    counts: FacetCounts = {}
    for facet in dict.fromkeys(facets):
        column = getattr(Article, facet.value)
        number = func.count().label("number")
        rows = session.execute(
            select(column, number)
            .select_from(source)
            .where(where)
            .group_by(column)
            .order_by(number.desc(), column)
            .limit(FACET_VALUES_LIMIT)
        )
        counts[facet.value] = [(value, count) for value, count in rows]
    return counts


def order_by(sort: Sort) -> list[Any]:
    """ORDER BY terms of a sort; unknown years go last either way."""
    if sort == ListSort.TITLE:
        return [col(Article.title).asc(), col(Article.id).asc()]
    if sort == ListSort.OLDEST:
        return [col(Article.year).asc().nulls_last(), col(Article.id).asc()]
    return [col(Article.year).desc().nulls_last(), col(Article.id).desc()]


def sort_key(sort: Sort, article: Article) -> list[Any]:
    """The values a keyset cursor records for an article in this sort."""
    if sort == ListSort.TITLE:
        return [article.title, article.id]
    return [article.year, article.id]


def sort_key_types(sort: Sort) -> tuple[type, ...]:
    """The types of ``sort_key`` values, to check a cursor against."""
    return (str, int) if sort == ListSort.TITLE else (int, int)


def after(sort: Sort, key: list[Any]) -> ColumnElement[bool]:
    """The condition for rows that come after ``key`` in this sort (keyset pagination)."""
    last, last_id = key
    if sort == ListSort.TITLE:
        title = col(Article.title)
        return or_(title > last, and_(title == last, col(Article.id) > last_id))
    year, article_id = col(Article.year), col(Article.id)
    beyond_id = article_id < last_id if sort == ListSort.NEWEST else article_id > last_id
    if last is None:
        return and_(year.is_(None), beyond_id)
    beyond_year = year < last if sort == ListSort.NEWEST else year > last
    return or_(beyond_year, and_(year == last, beyond_id), year.is_(None))


def keyset_segments(
    sort: ListSort, key: list[Any] | None
) -> list[tuple[ColumnElement[bool], list[Any]]]:
    """The rows after ``key`` in ``sort`` order, as consecutive index range scans.

    One OR-ed keyset condition would make SQLite walk the index from the start, so a deep page
    would cost more than the first; each segment here is a seek, so every page costs the same.
    """
    article_id = col(Article.id)
    if sort == ListSort.TITLE:
        title = col(Article.title)
        ordering = [title.asc(), article_id.asc()]
        if key is None:
            return [(true(), ordering)]
        return [
            (and_(title == key[0], article_id > key[1]), ordering),
            (title > key[0], ordering),
        ]
    year = col(Article.year)
    newest = sort == ListSort.NEWEST
    by_id = article_id.desc() if newest else article_id.asc()
    by_year = [year.desc() if newest else year.asc(), by_id]

    def beyond_id(last: int) -> ColumnElement[bool]:
        return article_id < last if newest else article_id > last

    unknown_years = year.is_(None)
    if key is None:
        return [(year.is_not(None), by_year), (unknown_years, [by_id])]
    last_year, last_id = key
    if last_year is None:
        return [(and_(unknown_years, beyond_id(last_id)), [by_id])]
    later_years = year < last_year if newest else year > last_year
    return [
        (and_(year == last_year, beyond_id(last_id)), [by_id]),
        (and_(year.is_not(None), later_years), by_year),
        (unknown_years, [by_id]),
    ]


def list_articles(
    session: Session,
    *,
    filters: ArticleFilters,
    sort: ListSort = ListSort.NEWEST,
    limit: int = 20,
    cursor: str | None = None,
    facets: Sequence[Facet] = (),
) -> Page[Article]:
    """A page of articles in ``sort`` order, after ``cursor`` when given."""
    where = filters.clause()
    total = session.exec(select(func.count()).select_from(Article).where(where)).one()
    counts = facet_counts(session, facets=facets, source=Article, where=where)
    key = None
    if cursor is not None:
        key = Cursor.decode(cursor, sort=sort, key_types=sort_key_types(sort)).key
    statement = (
        select(Article)
        .options(defer(Article.raw_text), defer(Article.body))  # type: ignore[arg-type]
        .where(where)
    )
    rows: list[Article] = []
    for condition, ordering in keyset_segments(sort, key):
        wanted = limit + 1 - len(rows)
        rows += session.exec(statement.where(condition).order_by(*ordering).limit(wanted))
        if len(rows) > limit:
            break
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = Cursor(sort, sort_key(sort, rows[-1])).encode()
    return Page(items=rows, total=total, next_cursor=next_cursor, facets=counts)


def get_article(session: Session, *, ref: str) -> Article:
    """The article with this numeric id or slug; raise ``NotFound`` otherwise."""
    if ref.isascii() and ref.isdigit():
        article_id = int(ref)
        article = session.get(Article, article_id) if article_id <= MAX_ID else None
        if article is None:
            raise NotFound(f"No article has the id {ref}.")
        return article
    article = session.exec(select(Article).where(Article.slug == ref)).first()
    if article is None:
        raise NotFound(f"No article has the slug {ref!r}.")
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
