"""The day a dateline's date stands for: ``Feb 26``, ``Sept. 5, 1998``, ``5 January 2024`` or
``2024-01-05`` as a ``datetime`` at 00:00 UTC, its year the date's own or else the rights
notice's; no day when neither gives a year, or when there is no such day (``Feb 30``)."""

import re
from datetime import UTC, date, datetime
from typing import NamedTuple

# Each month by the forms wire copy writes it in, in any case: its name, its first three letters
# and, for September, "Sept" (a full stop after any of them is dropped before they are looked up).
_MONTHS = {
    form: number
    for number, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        start=1,
    )
    for form in (name, name[:3])
} | {"sept": 9}
_WEEKDAY = re.compile(r"^(?i:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?i:day)?\.?$")
_ISO_DATE = re.compile(r"^(?P<year>\d{4})-(?P<month>\d\d)-(?P<day>\d\d)$")
_DAY = re.compile(r"^\d{1,2}$")
_YEAR = re.compile(r"^\d{4}$")


class DatelineDay(NamedTuple):
    """The moment a dateline's date stands for, or None; and a warning when it names no day."""

    moment: datetime | None
    warning: str | None = None


def dateline_day(written: str | None, *, notice_year: int | None) -> DatelineDay:
    """The start (00:00 UTC) of the day a dateline's date names, ``written`` as the dateline has
    it; a date without a year is of ``notice_year`` (the rights notice's), or of none.

    A weekday alone, or a date of no year, is no day and says nothing; a date that no calendar
    has (``Feb 30``, ``Feb 29`` of 2023) is none either, with a warning rather than an error.
    """
    if written is None:
        return DatelineDay(None)
    found = _day_month_year(written)
    if found is None:
        return DatelineDay(None)
    day, month, own_year = found
    year = own_year if own_year is not None else notice_year
    if year is None:
        return DatelineDay(None)
    try:
        day_named = date(year, month, day)
    except ValueError:
        warning = f"dateline date {written!r} is no day of {year}: no published_at from it"
        return DatelineDay(None, warning)
    return DatelineDay(datetime(day_named.year, day_named.month, day_named.day, tzinfo=UTC))


def _day_month_year(written: str) -> tuple[int, int, int | None] | None:
    """The day, month and year (None when not written) a date says, in either order, after any
    weekday (``Monday, March 3``); None when it is no date of a month and day."""
    text = written.strip()
    if iso := _ISO_DATE.match(text):
        return int(iso["day"]), int(iso["month"]), int(iso["year"])
    words = text.replace(",", " ").split()
    if words and _WEEKDAY.match(words[0]):
        words = words[1:]
    if len(words) not in (2, 3) or (len(words) == 3 and not _YEAR.match(words[2])):
        return None
    year = int(words[2]) if len(words) == 3 else None
    first, second = words[0], words[1]
    if _DAY.match(first) and (month := _MONTHS.get(second.rstrip(".").lower())):
        return int(first), month, year
    if _DAY.match(second) and (month := _MONTHS.get(first.rstrip(".").lower())):
        return int(second), month, year
    return None
