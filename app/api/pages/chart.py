"""The timeline chart of the search page: a bar per bucket of a query's counts, as geometry the
template draws in SVG (no script, no asset), each bar a link that narrows the dates to its own.

Left to choose, the chart picks the interval that shows the matches' span in a readable number of
bars (``fitting_interval``): counted by month first, and by year (summed from the months, with no
second pass) or by week or day (a second, narrower pass) when the span calls for it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import tantivy

from app.search.timeline import Counts, Interval, bucket_keys, timeline_counts

# The drawing's coordinates: the SVG scales to the page's width, keeping these proportions.
WIDTH = 800.0
HEIGHT = 150.0
# Room left above the tallest bar, so that it never touches the frame.
HEADROOM = 6.0

MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

# The most months a month chart spans (ten years); longer spans are drawn by year.
MOST_MONTHS = 120
# The most bars a chart draws: an interval asked for that would draw more is set aside for the
# one that fits (a day's bars over decades would be tens of thousands of links).
MOST_BARS = 500
# Spans of at most this many months are drawn by week, and those within one month by day.
WEEK_MONTHS = 4
DAY_MONTHS = 1


@dataclass(frozen=True, slots=True)
class Bar:
    """A bucket of the chart: its dates, its count and where it is drawn."""

    start: date
    end: date | None
    count: int
    label: str
    x: float
    width: float
    height: float
    href: str

    @property
    def y(self) -> float:
        """The top of the bar (SVG's y grows downwards)."""
        return HEIGHT - self.height


@dataclass(frozen=True, slots=True)
class Chart:
    """A query's timeline as drawn: its interval, bars, the largest count and the undated."""

    interval: Interval
    bars: list[Bar]
    peak: int
    total: int
    undated: int
    declined: Interval | None = None  # the interval asked for, when it had too many bars

    @property
    def first(self) -> Bar | None:
        """The first bucket with matches, where the axis starts."""
        return self.bars[0] if self.bars else None

    @property
    def last(self) -> Bar | None:
        """The last bucket with matches, where the axis ends."""
        return self.bars[-1] if self.bars else None


def fitting_interval(months: int) -> Interval:
    """The interval that draws a span of ``months`` months (first to last, both counted) in a
    readable number of bars: days within a month, weeks up to four months, months up to ten years,
    years beyond."""
    if months <= DAY_MONTHS:
        return Interval.DAY
    if months <= WEEK_MONTHS:
        return Interval.WEEK
    if months <= MOST_MONTHS:
        return Interval.MONTH
    return Interval.YEAR


def counted(
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    interval: Interval | None,
    *,
    by_month: Counts | None = None,
) -> tuple[Interval, Counts]:
    """The counts of ``query`` by ``interval``, or by the interval that fits the span of its
    matches when None or when ``interval`` would draw more than ``MOST_BARS`` bars.
    ``by_month`` are its counts by month when the search counted them already: months and
    years are then made without another pass."""

    def months() -> Counts:
        if by_month is not None:
            return by_month
        return timeline_counts(searcher, query, Interval.MONTH)

    if interval is not None:
        if interval is Interval.MONTH:
            counts = months()
        elif interval is Interval.YEAR:
            counts = _years(months())
        else:
            counts = timeline_counts(searcher, query, interval)
        keys = counts.buckets.keys()
        if not keys or (max(keys) - min(keys)) // interval.width < MOST_BARS:
            return interval, counts
    monthly = months()
    keys = monthly.buckets.keys()
    chosen = fitting_interval(max(keys) - min(keys) + 1 if keys else MOST_MONTHS)
    if chosen is Interval.MONTH:
        return chosen, monthly
    if chosen is Interval.YEAR:
        return chosen, _years(monthly)
    return chosen, timeline_counts(searcher, query, chosen)


def _years(by_month: Counts) -> Counts:
    """Counts by month summed by year (a year's key is its January's)."""
    by_year: dict[int, int] = {}
    for month, count in by_month.buckets.items():
        year = month - month % 12
        by_year[year] = by_year.get(year, 0) + count
    return Counts(by_year, by_month.undated, by_month.total)


def chart(
    interval: Interval,
    counts: Counts,
    *,
    href: Callable[[date, date | None], str],
    asked: Interval | None = None,
) -> Chart:
    """The chart of ``counts``: its buckets from the first with matches to the last, each the
    same width, and a bar for each with matches, linking to ``href(start, end)``. Empty buckets
    are room on the axis, with nothing drawn: a sparse match over years spans a hundred buckets,
    most of them empty."""
    keys = bucket_keys(interval, [counts])
    if not keys:
        return Chart(interval, [], 0, counts.total, counts.undated)
    peak = max(counts.buckets.values())
    step = WIDTH / len(keys)
    gap = min(2.0, step * 0.2)
    bar_width = round(max(step - gap, 0.5), 2)
    bars = []
    for key in sorted(counts.buckets):
        count = counts.buckets[key]
        start, end = interval.start(key), interval.end(key)
        position = (key - keys[0]) // interval.width
        height = (HEIGHT - HEADROOM) * count / peak
        bars.append(
            Bar(
                start=start,
                end=end,
                count=count,
                label=bucket_label(interval, start),
                x=round(position * step + gap / 2, 2),
                width=bar_width,
                # A bar is never drawn thinner than a line, however tall the peak.
                height=round(max(height, 1.5), 2),
                href=href(start, end),
            )
        )
    declined = asked if asked is not None and asked is not interval else None
    return Chart(interval, bars, peak, counts.total, counts.undated, declined)


def bucket_label(interval: Interval, start: date) -> str:
    """How a bucket is named on the page: ``2024``, ``May 2024``, ``week of 6 May 2024``,
    ``6 May 2024``."""
    if interval is Interval.YEAR:
        return f"{start.year}"
    if interval is Interval.MONTH:
        return f"{MONTHS[start.month - 1]} {start.year}"
    day = f"{start.day} {MONTHS[start.month - 1]} {start.year}"
    return f"week of {day}" if interval is Interval.WEEK else day
