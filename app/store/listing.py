"""The article list's reads: an article by id or slug, a page of summaries in a sort order
with its total and facets, all in one state of the store; the columns a feed adds to a page's
rows; and rows as responses give them.
"""

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import orjson

from app.store.articles import Page, article_key, missing
from app.store.cursors import Cursor
from app.store.filters import (
    FACET_VALUES_LIMIT,
    ArticleFilters,
    Facet,
    FacetCounts,
    ListSort,
    filter_sql,
    sort_key_types,
)
from app.store.readers.base import LAST_CHANGE_SQL, Read, Reader, Row
from app.store.times import read_time

# A response's ``lede`` holds at most this many characters: a summary stays small whatever the
# article's size (a list of 100 summaries is at most about 100 KB of ledes).
LEDE_LIMIT = 1_000


def bounded_lede(lede: str | None) -> str | None:
    """The lede as responses give it: cut at a word to ``LEDE_LIMIT`` characters with an
    ellipsis when longer."""
    if lede is None or len(lede) <= LEDE_LIMIT:
        return lede
    cut = lede[: LEDE_LIMIT - 1]
    space = cut.rfind(" ")
    # A text without spaces near the end (a very long word, a URL) is cut where it is.
    if space > LEDE_LIMIT // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


SUMMARY_COLUMNS = (
    "id",
    "slug",
    "title",
    "dateline",
    "source",
    "year",
    "authors",
    "published_at",
    "lede",
    "word_count",
)

DETAIL_COLUMNS = (
    *SUMMARY_COLUMNS,
    "body",
    "copyright",
    "dateline_date",
    "web_url",
    "tags",
    "labels",
    "content_hash",
    "ingested_at",
    "updated_at",
)

# The lede is read only as far as a response needs it (``bounded_lede``, one character more to
# tell that it goes on).
_COLUMN_SQL = {"lede": f"substr(lede, 1, {LEDE_LIMIT + 1}) AS lede"}

SUMMARY_SQL = ", ".join(_COLUMN_SQL.get(column, column) for column in SUMMARY_COLUMNS)

DETAIL_SQL = ", ".join(_COLUMN_SQL.get(column, column) for column in DETAIL_COLUMNS)


def keyset_segments(sort: ListSort, key: list[Any] | None) -> list[tuple[str, list[Any], str]]:
    """The rows after ``key`` in ``sort`` order, as consecutive index range scans.

    One OR-ed keyset condition would make SQLite walk the index from the start, so a deep page
    would cost more than the first; each segment here is a seek, so every page costs the same.
    """
    if sort == ListSort.TITLE:
        ordering = "title ASC, id ASC"
        if key is None:
            return [("1 = 1", [], ordering)]
        return [
            ("title = ? AND id > ?", [key[0], key[1]], ordering),
            ("title > ?", [key[0]], ordering),
        ]
    newest = sort == ListSort.NEWEST
    by_id = "id DESC" if newest else "id ASC"
    by_year = f"year {'DESC' if newest else 'ASC'}, {by_id}"
    beyond_id = "id < ?" if newest else "id > ?"
    if key is None:
        return [("year IS NOT NULL", [], by_year), ("year IS NULL", [], by_id)]
    last_year, last_id = key
    if last_year is None:
        return [(f"year IS NULL AND {beyond_id}", [last_id], by_id)]
    later_years = "year < ?" if newest else "year > ?"
    return [
        (f"year = ? AND {beyond_id}", [last_year, last_id], by_id),
        (f"year IS NOT NULL AND {later_years}", [last_year], by_year),
        ("year IS NULL", [], by_id),
    ]


def decoded(row: Row) -> Row:
    """A row with its JSON lists and times as Python values, its lede bounded, and the body as
    paragraphs."""
    for name in ("authors", "tags", "labels"):
        value = row.get(name)
        if isinstance(value, str | bytes):
            row[name] = [] if value == "[]" else orjson.loads(value)
    for name in ("published_at", "ingested_at", "updated_at"):
        if row.get(name) is not None:
            row[name] = read_time(row[name])
    if "lede" in row:
        row["lede"] = bounded_lede(row["lede"])
    if "body" in row:
        body = row.pop("body")
        row["paragraphs"] = body.split("\n") if body else []
    return row


# What a feed entry holds beyond a summary: when the article last changed, where it is on the web.
FEED_COLUMNS = ("id", "updated_at", "web_url")


def read_feed_columns(read: Read, ids: Sequence[int]) -> dict[int, Row]:
    """``FEED_COLUMNS`` of the articles with these ids, by id (an article removed since its
    page was read is absent)."""
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    rows = read(f"SELECT {', '.join(FEED_COLUMNS)} FROM article WHERE id IN ({marks})", ids)
    return {row["id"]: decoded(row) for row in rows}


def last_change_time(read: Read) -> datetime | None:
    """When the store last changed (an article added, updated or removed); None when never."""
    rows = read(LAST_CHANGE_SQL, ())
    return read_time(rows[0]["at"]) if rows else None


def read_article(reader: Reader, ref: str) -> Row:
    """The whole article with this numeric id or slug; raise ``NotFound`` otherwise."""
    column, value = article_key(ref)  # a column name of ours, never the caller's text
    found = reader.rows(f"SELECT {DETAIL_SQL} FROM article WHERE {column} = ?", (value,))
    if not found:
        raise missing(ref)
    return decoded(found[0])


def read_page(
    reader: Reader,
    *,
    filters: ArticleFilters,
    sort: ListSort = ListSort.NEWEST,
    limit: int = 20,
    cursor: str | None = None,
    facets: Sequence[Facet] = (),
) -> Page[Row]:
    """A page of article summaries in ``sort`` order, after ``cursor`` when given.

    Its total, facets and rows show one state of the store: when nothing committed while
    they were read (the version is the same after), each query read the store at that
    version; otherwise they are read again in one snapshot (a transaction costs more).
    """
    before = reader.version()
    page = _page(reader, before, filters, sort, limit, cursor, facets)
    if reader.version() == before:
        return page
    with reader.snapshot() as version:
        return _page(reader, version, filters, sort, limit, cursor, facets)


def _page(
    reader: Reader,
    version: int | None,
    filters: ArticleFilters,
    sort: ListSort,
    limit: int,
    cursor: str | None,
    facets: Sequence[Facet],
) -> Page[Row]:
    where, parameters = filter_sql(filters, dialect=reader.dialect)
    total = reader.cached(
        version,
        ("count", where, tuple(parameters)),
        lambda: int(
            reader.rows(f"SELECT count(*) AS n FROM article WHERE {where}", parameters)[0]["n"]
        ),
    )
    counts = facet_counts(reader, version, facets, where, parameters)
    key = None
    if cursor is not None:
        key = Cursor.decode(cursor, sort=sort, key_types=sort_key_types(sort)).key
    rows: list[Row] = []
    for condition, condition_parameters, ordering in keyset_segments(sort, key):
        wanted = limit + 1 - len(rows)
        rows += reader.rows(
            f"SELECT {SUMMARY_SQL} FROM article WHERE {where} AND {condition}"
            f" ORDER BY {ordering} LIMIT ?",
            [*parameters, *condition_parameters, wanted],
        )
        if len(rows) > limit:
            break
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        sort_values = [last["title"] if sort == ListSort.TITLE else last["year"], last["id"]]
        next_cursor = Cursor(sort, sort_values).encode()
    items = [decoded(row) for row in rows]
    return Page(items=items, total=total, next_cursor=next_cursor, facets=counts)


def facet_counts(
    reader: Reader,
    version: int | None,
    facets: Iterable[Facet],
    where: str,
    parameters: Sequence[Any],
) -> FacetCounts | None:
    """Per facet, its most frequent values over the articles ``where`` keeps (cached)."""
    wanted = list(dict.fromkeys(facets))
    if not wanted:
        return None
    counts: FacetCounts = {}
    for facet in wanted:
        column = facet.value
        if facet.listed or facet is Facet.MONTH:
            sql = _values_sql(facet, where, reader.dialect)
        else:
            sql = (
                f"SELECT {column} AS value, count(*) AS number FROM article WHERE {where}"
                f" GROUP BY {column} ORDER BY number DESC, {column} LIMIT {FACET_VALUES_LIMIT}"
            )
        # A list's SQL keeps the articles twice (their values, and those with none).
        given = [*parameters, *parameters] if facet.listed else list(parameters)
        counts[column] = reader.cached(
            version,
            ("facet", sql, tuple(given)),
            lambda sql=sql, given=given: [  # type: ignore[misc]
                (row["value"], row["number"]) for row in reader.rows(sql, given)
            ],
        )
    return counts


def _values_sql(facet: Facet, where: str, dialect: str) -> str:
    """The SQL counting the values of a list facet (each name of each article's list, and the
    articles whose list is empty under none) or the month, in the search index's order: most
    frequent first, none before any value, then the values by code point on either store."""
    column = facet.column
    if facet.listed:
        if dialect == "sqlite":
            each = f"json_each(kept.{column}) AS element"
        else:
            each = f"json_array_elements_text(kept.{column}) AS element(value)"
        values = (
            f"SELECT element.value AS value FROM (SELECT {column} FROM article WHERE {where})"
            f" AS kept, {each}"
            f" UNION ALL SELECT NULL FROM article WHERE {where}"
            f" AND json_array_length({column}) = 0"
        )
    elif dialect == "sqlite":  # the stored text: `2024-05-01 12:00:00.000000`, in UTC
        values = f"SELECT substr({column}, 1, 7) AS value FROM article WHERE {where}"
    else:
        values = (
            f"SELECT to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM') AS value"
            f" FROM article WHERE {where}"
        )
    collation = "" if dialect == "sqlite" else ' COLLATE "C"'
    return (
        f"SELECT value, count(*) AS number FROM ({values}) AS counted GROUP BY value"
        f" ORDER BY number DESC, value IS NOT NULL, value{collation}"
        f" LIMIT {FACET_VALUES_LIMIT}"
    )
