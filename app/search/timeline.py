"""A timeline of coverage: how many matching articles were published per day, week, month or
year, counted by the engine's histogram aggregations, with each bucket's share of the whole
store's articles in it.

An article's date is its publication time in UTC (``published_at``); the index holds it as a
day from the epoch and a month (``app/search/schema.py``), small whole numbers the engine's
histograms count exactly. Weeks start on Monday (ISO 8601): 1970-01-05, the epoch's fourth day,
was one. Articles without a publication time are counted apart, as undated.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

import tantivy

from app.problems import InvalidParameter
from app.search.index import SearchIndex
from app.search.schema import EPOCH, PROGRESS_ID, PUBLISHED_DAY, PUBLISHED_MONTH, SCHEMA
from app.store.times import in_utc

# The most buckets a timeline spans, empty ones included: days over some 55 years. A longer
# one is refused (a 400 that says which interval or dates would do) rather than sent.
MAX_BUCKETS = 20_000

_EPOCH_DAY = EPOCH.date()
_MONDAY = 4  # 1970-01-05, the epoch's first Monday, as a day from the epoch


class Interval(StrEnum):
    """The length of a timeline's buckets."""

    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"

    @property
    def histogram(self) -> dict[str, object]:
        """The engine's histogram of this interval: its field, width and offset. Only buckets
        with articles are asked for; the rest are filled in here."""
        field, width, offset = {
            Interval.DAY: (PUBLISHED_DAY, 1, 0),
            Interval.WEEK: (PUBLISHED_DAY, 7, _MONDAY),
            Interval.MONTH: (PUBLISHED_MONTH, 1, 0),
            Interval.YEAR: (PUBLISHED_MONTH, 12, 0),
        }[self]
        return {"field": field, "interval": width, "offset": offset, "min_doc_count": 1}

    @property
    def width(self) -> int:
        """How many of its field's units (days or months) a bucket spans."""
        return {Interval.DAY: 1, Interval.WEEK: 7, Interval.MONTH: 1, Interval.YEAR: 12}[self]

    def key(self, moment: datetime) -> int:
        """The key of the bucket holding ``moment`` (in UTC; a time without zone is UTC)."""
        utc = in_utc(moment)
        if self in (Interval.DAY, Interval.WEEK):
            day = (utc.date() - _EPOCH_DAY).days
            return day if self is Interval.DAY else day - (day - _MONDAY) % 7
        month = utc.year * 12 + utc.month - 1
        return month - month % 12 if self is Interval.YEAR else month

    def start(self, key: int) -> date:
        """The first day of the bucket of ``key``."""
        if self in (Interval.DAY, Interval.WEEK):
            return _EPOCH_DAY + timedelta(days=key)
        return date(key // 12, key % 12 + 1, 1)

    def end(self, key: int) -> date | None:
        """The day after the bucket of ``key`` (None past the last day a date can be)."""
        try:
            return self.start(key + self.width)
        except (ValueError, OverflowError):
            return None


# The whole store's counts, by index folder, applied change, documents and interval: the same
# for every query, and a pass over every article (some 60 ms at 300,000), so counted once a
# commit (the documents tell a rebuild at the same change from the index before it).
_STORE_COUNTS: dict[tuple[str, int, int, "Interval"], "Counts"] = {}
_STORE_COUNTS_KEPT = 32


@dataclass(frozen=True, slots=True)
class Counts:
    """What a query matches on a timeline: per bucket key, the articles of its non-empty
    buckets; the articles without a publication time; all the articles it matches."""

    buckets: dict[int, int]
    undated: int
    total: int


def every_article() -> tantivy.Query:
    """Every article of the index (its progress document is none)."""
    return tantivy.Query.range_query(SCHEMA, "id", tantivy.FieldType.Integer, PROGRESS_ID + 1, None)


def store_counts(index: SearchIndex, searcher: tantivy.Searcher, interval: Interval) -> Counts:
    """Every article of the index the searcher reads, per bucket of ``interval``; kept until
    the index applies another change."""
    key = (str(index.folder), index.applied_change(searcher), searcher.num_docs, interval)
    counts = _STORE_COUNTS.get(key)
    if counts is None:
        counts = timeline_counts(searcher, every_article(), interval)
        if len(_STORE_COUNTS) >= _STORE_COUNTS_KEPT:
            _STORE_COUNTS.clear()
        _STORE_COUNTS[key] = counts
    return counts


def timeline_aggregations(interval: Interval, *, total: bool = True) -> dict[str, Any]:
    """The aggregations that count a timeline by ``interval`` (``counts_from`` reads their
    answer), named apart so that they can be asked for beside others, in the same pass; with
    ``total`` False, without the count of all the matches, for a caller that has it already."""
    aggregations: dict[str, Any] = {"timeline_buckets": {"histogram": interval.histogram}}
    if total:
        # Every article has an id: all it matches, in the same pass.
        aggregations["timeline_total"] = {"value_count": {"field": "id"}}
    return aggregations


def counts_from(answer: Mapping[str, Any], *, total: int | None = None) -> Counts:
    """The counts of a timeline from the answer to its ``timeline_aggregations``, of ``total``
    matches (None: as the answer counted them)."""
    buckets = {
        round(bucket["key"]): int(bucket["doc_count"])
        for bucket in answer["timeline_buckets"]["buckets"]
        if bucket["doc_count"]
    }
    if total is None:
        total = int(answer["timeline_total"]["value"])
    # A dated article has one day and one month, so it is in one bucket: the rest are undated.
    return Counts(buckets, undated=total - sum(buckets.values()), total=total)


def timeline_counts(searcher: tantivy.Searcher, query: tantivy.Query, interval: Interval) -> Counts:
    """The articles ``query`` matches, per bucket of ``interval`` and undated: exact, since a
    histogram counts every matching document of every segment."""
    try:
        answer = searcher.aggregate(query, timeline_aggregations(interval))
    except ValueError as error:  # the engine's bounds on buckets and memory
        raise InvalidParameter(
            f"This timeline has too many buckets to count ({error}): choose a longer interval "
            "or narrow the dates with published_after and published_before."
        ) from None
    return counts_from(answer)


def bucket_keys(
    interval: Interval,
    found: Sequence[Counts],
    *,
    after: datetime | None = None,
    before: datetime | None = None,
) -> list[int]:
    """The keys of a timeline's buckets, empty ones included: from the first bucket with
    articles in any of ``found`` (or that of ``after``) to the last (or that of the last
    instant before ``before``)."""
    keys = {key for counts in found for key in counts.buckets}
    first = interval.key(after) if after is not None else min(keys, default=None)
    last = max(keys, default=None)
    if before is not None:
        try:
            last = interval.key(in_utc(before) - timedelta(microseconds=1))
        except OverflowError:  # before the first instant there is: nothing is
            return []
    if first is None or last is None or last < first:
        return []
    size = (last - first) // interval.width + 1
    if size > MAX_BUCKETS:
        raise InvalidParameter(
            f"This timeline would have {size} buckets of a {interval.value}, more than "
            f"{MAX_BUCKETS}: choose a longer interval or narrow the dates with "
            "published_after and published_before."
        )
    return list(range(first, last + 1, interval.width))
