"""The fields a structured source gives (a date, a source, authors, tags, a URL), taking
precedence over what the parsed text says; dates in ISO 8601, RFC 2822, YAML or epoch time."""

import re
from dataclasses import replace
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from app.ingestion.parsed import ParsedArticle
from app.ingestion.wire.closing import parse_copyright
from app.ingestion.wire.parse import article_year
from app.store.times import in_utc

# A date longer than this is no date; the bound keeps the parsers that try it cheap.
MAX_DATE_CHARS = 100
_NAME_SEPARATOR = re.compile(r",|;|\band\b")


def field_text(value: Any) -> str | None:
    """A field's text on one line, spaces collapsed; None for no string or a blank one."""
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    return None


def with_fields(
    parsed: ParsedArticle,
    *,
    raw_text: str,
    published: Any = None,
    source: Any = None,
    authors: Any = None,
    tags: Any = None,
    web_url: str | None = None,
) -> ParsedArticle:
    """The parsed article with the fields a structured source gives taking precedence (its
    date over the dateline's, which stands when the source gives none it can read)."""
    warnings = parsed.warnings
    published_at = None
    # What the article has instead of a date it cannot read.
    instead = "published_at from the dateline" if parsed.published_at else "no published_at"
    if published is not None:
        try:
            published_at = parse_date(published)
        except DateOutOfRange:
            warnings += (f"date {str(published)[:40]!r} is out of range in UTC: {instead}",)
        else:
            if published_at is None:
                warnings += (f"unreadable date {str(published)[:40]!r}: {instead}",)
    if published_at is None:
        published_at = parsed.published_at
    names = _names(authors)
    return replace(
        parsed,
        raw_text=raw_text,
        source=field_text(source) or parsed.source,
        authors=names or parsed.authors,
        year=article_year(_notice_year(parsed), published_at),
        published_at=published_at,
        tags=_names(tags),
        web_url=web_url,
        warnings=warnings,
    )


def _notice_year(parsed: ParsedArticle) -> int | None:
    """The year of the parsed text's rights notice, which a source's date does not replace."""
    rights = parse_copyright(parsed.copyright) if parsed.copyright is not None else None
    return rights[1] if rights is not None else None


def _names(value: Any) -> tuple[str, ...]:
    """Names from a list, or from one string separated by commas or "and"."""
    if isinstance(value, dict):  # {"original": "By …"} (NYT) or {"name": …}
        value = value.get("original") or value.get("name")
    if isinstance(value, str):
        value = _NAME_SEPARATOR.split(re.sub(r"^by\s+", "", value, flags=re.I))
    if not isinstance(value, list):
        return ()
    names = (item.get("name") if isinstance(item, dict) else item for item in value)
    return tuple(
        dict.fromkeys(text for name in names if (text := field_text(name)) and "://" not in text)
    )


class DateOutOfRange(ValueError):
    """A date that UTC cannot hold (9999-12-31T23:59:59-23:59 falls after year 9999 in UTC)."""


def parse_date(value: Any) -> datetime | None:
    """A timezone-aware datetime from ISO 8601, RFC 2822 or a YAML date; naive ones are UTC.

    None when the value is no date; ``DateOutOfRange`` when it is one that UTC cannot hold.
    """
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        if value < 10**9:  # not a plausible epoch time (20240305 is no date of 1970)
            return None
        try:  # a number past a float's range overflows as it is divided
            seconds = value / 1000 if value > 10**11 else value  # epoch milliseconds or seconds
            moment = datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            return None
    elif isinstance(value, str):
        if len(value) > MAX_DATE_CHARS:
            return None
        moment_or_none = _written_date(value.strip())
        if moment_or_none is None:
            return None
        moment = moment_or_none
    else:
        return None
    try:
        return in_utc(moment)
    except OverflowError:
        raise DateOutOfRange(str(value)) from None


_WRITTEN_FORMATS = ("%B %d, %Y", "%b %d, %Y", "%d %B %Y", "%d %b %Y", "%Y%m%dT%H%M%SZ", "%Y%m%d")


def _written_date(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        pass
    for pattern in _WRITTEN_FORMATS:
        try:
            return datetime.strptime(text, pattern)
        except ValueError:
            continue
    return None
