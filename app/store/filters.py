"""What a list of articles or a search may ask for besides its words: the filters, the sorts
and the facets, each declared once, and the SQL condition the filters put on the store.

The search index renders the same declarations as its own conditions
(``app/search/render.py``); a filter added here is known to both.
"""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, Field, StringConstraints

from app.store.times import in_utc, stored_time

MAX_FILTER_VALUES = 50

FACET_VALUES_LIMIT = 50


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
    author: list[Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)]] = Field(
        default=[],
        max_length=MAX_FILTER_VALUES,
        description="One of the article's authors (as the `authors` facet counts them), "
        "matched whole and in any case.",
        examples=[["Anna Smith"]],
    )
    tag: list[Annotated[str, StringConstraints(max_length=200, pattern=NO_NUL)]] = Field(
        default=[],
        max_length=MAX_FILTER_VALUES,
        description="One of the article's tags (as the `tags` facet counts them), matched "
        "whole and in any case.",
        examples=[["politics"]],
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


@dataclass(frozen=True, slots=True)
class WholeValueFilter:
    """A filter whose values each match a stored text whole and in any case: the value of a
    column, or any value of a column holding a JSON list.

    Its ``parameter`` names the query parameter, the field of ``ArticleFilters`` and the search
    index's keyword field; the store (``filter_sql``), the index's documents and its conditions
    (``app/search/schema.py``, ``app/search/render.py``) all follow this declaration.
    """

    parameter: str
    column: str
    listed: bool = False

    def wanted(self, filters: ArticleFilters) -> list[str]:
        """The values a request asks for."""
        values: list[str] = getattr(filters, self.parameter)
        return values

    def stored(self, article: Mapping[str, Any]) -> list[str]:
        """The values an article row holds (none for a column the row lacks)."""
        value = article.get(self.column)
        if self.listed:
            return list(value or ())
        return [] if value is None else [value]


WHOLE_VALUE_FILTERS = (
    WholeValueFilter("source", "source"),
    WholeValueFilter("dateline", "dateline"),
    WholeValueFilter("label", "labels", listed=True),
    WholeValueFilter("author", "authors", listed=True),
    WholeValueFilter("tag", "tags", listed=True),
)


class Facet(StrEnum):
    """Fields that results can be counted by, each from a column of the article table: the
    store counts the column (``app/store/listing.py``), the search index the values it holds
    for it (``app/search/schema.py``). ``authors`` and ``tags`` count each name of an article's
    list (an article without any counted under none); ``month`` is the publication time's
    month in UTC, ``2024-05``."""

    SOURCE = "source"
    DATELINE = "dateline"
    YEAR = "year"
    AUTHORS = "authors"
    TAGS = "tags"
    MONTH = "month"

    @property
    def counts_numbers(self) -> bool:
        """Whether the values counted are numbers (otherwise text, as written)."""
        return self is Facet.YEAR

    @property
    def listed(self) -> bool:
        """Whether its column holds a JSON list, each of whose values is counted."""
        return self in (Facet.AUTHORS, Facet.TAGS)

    @property
    def column(self) -> str:
        """The article table's column it counts."""
        return "published_at" if self is Facet.MONTH else self.value

    def values(self, article: Mapping[str, Any]) -> list[str]:
        """The text values an article (a mapping of the table's columns) has for it."""
        value = article.get(self.column)
        if value is None:
            return []
        if self.listed:
            return list(dict.fromkeys(value))  # each counted once an article
        if self is Facet.MONTH:
            return [month_of(value)]
        return [value]


def month_of(moment: datetime) -> str:
    """The month of ``moment`` in UTC (a time without zone is UTC), as ``2024-05``."""
    utc = in_utc(moment)
    return f"{utc.year:04d}-{utc.month:02d}"


FacetCounts = dict[str, list[tuple[str | int | None, int]]]


def sort_key_types(sort: Sort) -> tuple[type, ...]:
    """The types of ``sort_key`` values, to check a cursor against."""
    return (str, int) if sort == ListSort.TITLE else (int, int)


def filter_sql(
    filters: ArticleFilters, *, prefix: str = "", dialect: str = "sqlite"
) -> tuple[str, list[Any]]:
    """The SQL condition (and its parameters) that ``filters`` put on ``article`` (named with
    ``prefix``, such as ``a.``, in a join)."""
    # SQLite compares the text SQLAlchemy stored; PostgreSQL compares timestamps.
    when: Callable[[datetime], Any] = stored_time if dialect == "sqlite" else in_utc
    conditions = ["1 = 1"]
    parameters: list[Any] = []
    # Case-insensitive on both sides, so that `dateline=london` finds LONDON.
    for declared in WHOLE_VALUE_FILTERS:
        if not (values := declared.wanted(filters)):
            continue
        marks = ", ".join("lower(?)" for _ in values)
        column = f"{prefix}{declared.column}"
        if declared.listed:
            elements = (
                f"json_each({column})"
                if dialect == "sqlite"
                else f"json_array_elements_text({column}) AS element(value)"
            )
            conditions.append(f"EXISTS (SELECT 1 FROM {elements} WHERE lower(value) IN ({marks}))")
        else:
            conditions.append(f"lower({column}) IN ({marks})")
        parameters += values
    if filters.year:
        conditions.append(f"{prefix}year IN ({', '.join('?' for _ in filters.year)})")
        parameters += filters.year
    if filters.published_after is not None:
        conditions.append(f"{prefix}published_at >= ?")
        parameters.append(when(filters.published_after))
    if filters.published_before is not None:
        conditions.append(f"{prefix}published_at < ?")
        parameters.append(when(filters.published_before))
    return " AND ".join(conditions), parameters
