"""Decoded text to a ``ParsedArticle``, or ``ArticleRejected`` saying why: the steps in order,
each of a module of its own (headline, byline, closing lines, paragraphs, dateline and the day
its date names)."""

import html
import re
from datetime import datetime

from app.ingestion.parsed import ArticleRejected, ParsedArticle
from app.ingestion.wire.byline import take_byline
from app.ingestion.wire.closing import take_closing_lines
from app.ingestion.wire.dateline import take_dateline
from app.ingestion.wire.dates import dateline_day
from app.ingestion.wire.headline import take_headline
from app.ingestion.wire.paragraphs import body_paragraphs, without_more_marks

# Control characters, and invisible ones that only get in the way (zero-width space, BOM, word
# joiner, soft hyphen); the joiners that scripts need (U+200C, U+200D) stay.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\ufeff\u2060\u00ad]")
# A line saying the story is not there: "Story unavailable", "This story is not available",
# "Text not available at this time", "[no text]", "Blank story". What it says is missing is the
# story itself: "The text of the accord was not immediately available" is news.
_STORY = r"(?:story|text|article|item|copy|content|body)"
_PLACEHOLDER = re.compile(
    rf"""^[\W_]*(?:
        (?:(?:the|this)\s+)?(?:(?:full|complete|story|article)\s+)?{_STORY}
        \s+(?:is\s+|was\s+|has\s+been\s+)?(?:not\s+|no\s+longer\s+|un)available
        (?:\s+(?:at|for|in|on)\s+this\s+\w+)?
        |(?:no|blank|empty|missing|null)\s+(?:(?:story|article)\s+)?{_STORY}
    )[\W_]*$""",
    re.IGNORECASE | re.VERBOSE,
)


def parse_article(
    text: str, *, warnings: tuple[str, ...] = (), title_given: bool = False
) -> ParsedArticle:
    """Parse decoded text into an article, or raise ``ArticleRejected`` saying why.

    ``title_given``: the first line is a headline a structured source gave (a JSON field, front
    matter), taken as it is.
    """
    title, labels, body = take_headline(_cleaned_lines(text), title_given=title_given)
    authors, byline_agency, body = take_byline(body)
    body = _story_lines(body)
    closing = take_closing_lines(body)
    paragraphs = body_paragraphs(without_more_marks(body))
    dateline, dateline_date, agency = take_dateline(paragraphs)
    _check_not_placeholder(title, paragraphs)
    # Plain text has no date but the dateline's (a source's metadata date, where there is one,
    # replaces it: ``formats/fields.py``), its year the notice's when it writes none.
    published_at, date_warning = dateline_day(dateline_date, notice_year=closing.year)
    if date_warning is not None:
        warnings += (date_warning,)
    return ParsedArticle(
        title=title,
        paragraphs=paragraphs,
        dateline=dateline,
        source=closing.source or agency or byline_agency or closing.signed_by,
        year=article_year(closing.year, published_at),
        copyright=closing.copyright,
        raw_text=text,
        warnings=warnings,
        published_at=published_at,
        authors=authors,
        dateline_date=dateline_date,
        labels=labels,
    )


def article_year(notice_year: int | None, published_at: datetime | None) -> int | None:
    """An article's ``year``: its rights notice's, or else the year it was published in."""
    if notice_year is not None:
        return notice_year
    return published_at.year if published_at is not None else None


def _cleaned_lines(text: str) -> list[str]:
    """The text's lines, blank ones around them dropped; refused when none is left."""
    # HTML entities are decoded, control characters dropped and spaces collapsed in the parsed
    # fields only; raw_text keeps the text exactly as decoded.
    lines = [_CONTROL.sub("", html.unescape(line)).rstrip() for line in text.split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise ArticleRejected("empty file")
    return lines


def _story_lines(body: list[str]) -> list[str]:
    """The body without what follows the story in CNN/Daily Mail story files: the summary,
    from its first ``@highlight`` line."""
    highlights = next((i for i, line in enumerate(body) if line.startswith("@highlight")), None)
    return body if highlights is None else body[:highlights]


def _check_not_placeholder(title: str, paragraphs: list[str]) -> None:
    """Refuse a file whose only words say its story is not there ("Text not available")."""
    if all(_PLACEHOLDER.match(paragraph) for paragraph in paragraphs):
        said = next((line for line in (title, *paragraphs) if _PLACEHOLDER.match(line)), None)
        if said is not None:
            raise ArticleRejected(f"placeholder, no story: it says only {said[:60]!r}")
