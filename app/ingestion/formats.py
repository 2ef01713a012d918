"""Input formats: each reads a file's bytes into its articles (a text file holds one, a JSON
Lines export many). A new format is one reader here and one entry in ``READERS``.

Markdown's YAML front matter and the fields of JSON exports override what the text says; the
mapping is in the README ("Other input formats"). Every reader costs time and memory in
proportion to the file at most (its patterns never backtrack over a line, front matter is small
and has no aliases, an export has a bounded number of records), so that no file can stall a run.
"""

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import yaml

from app.ingestion.parser import ArticleRejected, ParsedArticle, decode_text, parse_article


@dataclass(frozen=True, slots=True)
class Record:
    """One article read from a file, or why it could not be: ``part`` says where in the file
    (None for a file that is one article, ``3`` for the third record of an export)."""

    part: str | None
    article: ParsedArticle | None = None
    rejection: str | None = None


Reader = Callable[[bytes], list[Record]]


def read_text(data: bytes) -> list[Record]:
    """A plain-text article (the seed format)."""
    decoded = decode_text(data)
    return [Record(None, parse_article(decoded.text, warnings=decoded.warnings))]


# Front matter is metadata: a few fields, not a document. A bound on its size bounds the YAML
# parser's time and memory (with aliases refused, its output is no larger than its input).
MAX_FRONT_MATTER_CHARS = 64 * 1024
# An export holds at most this many records: each becomes an article (or a line of the report),
# so the bound keeps one file's memory and report in proportion (100 bytes a record at 10 MiB).
MAX_RECORDS = 100_000
# A date longer than this is no date; the bound keeps the parsers that try it cheap.
MAX_DATE_CHARS = 100

_FRONT_MATTER_OPEN = re.compile(r"---[ \t]*\n")
_FRONT_MATTER_CLOSE = re.compile(r"^(?:---|\.\.\.)[ \t]*$", re.MULTILINE)
# Inline patterns never scan past the next delimiter of their kind, so a line full of openers
# that never close costs time in proportion to its length, not to its square.
_HEADING = re.compile(r"\s{0,3}#{1,6}(?:\s+|$)")
_SETEXT_UNDERLINE = re.compile(r" {0,3}(?:=+|-+)[ \t]*$")
_WORDS = re.compile(r"\w+")
# A link's target may hold one level of parentheses (``wiki/Mercury_(planet)``), still linear.
_TARGET = r"\((?:[^()]|\([^()]*\))*\)"
_IMAGE = re.compile(r"!\[(?P<alt>[^\[\]]*)\]" + _TARGET)
_LINK = re.compile(r"\[(?P<text>[^\[\]]+)\]" + _TARGET)
_TRUNCATION = re.compile(r"\s*(?:…|\.\.\.)?\s*\[\+\d+ chars\]$")
_TRUNCATION_TAIL = 100  # NewsAPI's mark and the spaces before it fit in this many characters
_EMPHASIS = re.compile(
    r"\*\*(?=\S)(?P<strong>(?:[^*]|\*(?!\*))+?)(?<=\S)\*\*"
    r"|__(?=\S)(?P<underlined>(?:[^_]|_(?!_))+?)(?<=\S)__"
    r"|\*(?=\S)(?P<em>[^*]+?)(?<=\S)\*"
    r"|_(?=\S)(?P<underscored>[^_]+?)(?<=\S)_"
)
_NAME_SEPARATOR = re.compile(r",|;|\band\b")


def read_markdown(data: bytes) -> list[Record]:
    """A Markdown article; YAML front matter (title, date, source, authors, tags) wins."""
    decoded = decode_text(data)
    meta: dict[str, Any] = {}
    body = decoded.text
    if found := _front_matter(body):
        front_matter, end = found
        loaded = load_front_matter(front_matter)
        if loaded is not None and not isinstance(loaded, dict):
            raise ArticleRejected("front matter is not a mapping of fields")
        meta, body = loaded or {}, body[end:]
    lines = [_plain(line) for line in body.split("\n")]
    title = _text(meta.get("title")) or _text(str(meta["title"]) if meta.get("title") else None)
    if title is not None:
        first = next((index for index, line in enumerate(lines) if line.strip()), None)
        if first is not None and _same_words(lines[first], title):
            # The heading repeats the title (in its own case, often): the body starts after it
            # (and after its underline, a setext heading's), where the dateline is.
            underlined = first + 1 < len(lines) and _SETEXT_UNDERLINE.match(lines[first + 1])
            del lines[first : first + (2 if underlined else 1)]
        lines.insert(0, title)
    parsed = parse_article(
        "\n".join(lines), warnings=decoded.warnings, title_given=title is not None
    )
    parsed = _with_fields(
        parsed,
        raw_text=decoded.text,
        published=meta.get("date"),
        source=meta.get("source"),
        authors=meta.get("authors", meta.get("author")),
        tags=meta.get("tags"),
    )
    return [Record(None, parsed)]


def _same_words(line: str, title: str) -> bool:
    """Whether a line says the title: the same words, in any case and punctuation (a title
    of no words, only the same text)."""
    title_words = [word.casefold() for word in _WORDS.findall(title)]
    if not title_words:
        return line.strip() == title
    return [word.casefold() for word in _WORDS.findall(line)] == title_words


def _front_matter(text: str) -> tuple[str, int] | None:
    """The YAML between a first line ``---`` and the next ``---`` (or ``...``) line, and where
    the body starts; None when the text opens with no such block."""
    if not (opening := _FRONT_MATTER_OPEN.match(text)):
        return None
    closing = _FRONT_MATTER_CLOSE.search(text, opening.end() - 1)
    if closing is None:
        return None
    if closing.start() - opening.end() > MAX_FRONT_MATTER_CHARS:
        raise ArticleRejected(
            f"front matter too large: more than {MAX_FRONT_MATTER_CHARS} characters"
        )
    end = closing.end() + 1 if text.startswith("\n", closing.end()) else closing.end()
    return text[opening.end() : max(closing.start() - 1, opening.end())], end


def load_front_matter(text: str) -> Any:
    """The value of YAML front matter, refusing anchors and aliases.

    An alias repeats a value without repeating its text, so a few hundred bytes of nested
    aliases can expand to gigabytes; metadata has no use for them.
    """
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        for event in yaml.parse(text, Loader=loader):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
                raise ArticleRejected("front matter uses YAML anchors or aliases (refused)")
        return yaml.load(text, Loader=loader)  # noqa: S506  (a safe loader, aliases refused above)
    except (yaml.YAMLError, ValueError, OverflowError, RecursionError) as error:
        if isinstance(error, ArticleRejected):
            raise
        # date: 2024-02-30 is a ValueError; a nesting deeper than the stack, a RecursionError.
        reason = "nested too deeply" if isinstance(error, RecursionError) else error
        raise ArticleRejected(f"front matter is not valid YAML: {reason}") from None


def _plain(line: str) -> str:
    """A Markdown line as text: headings, links, images and emphasis reduced to their words."""
    if heading := _HEADING.match(line):
        line = _heading_text(line[heading.end() :])
    line = _IMAGE.sub(r"\g<alt>", line)
    line = _LINK.sub(r"\g<text>", line)
    return _EMPHASIS.sub(_emphasised, line)


def _heading_text(rest: str) -> str:
    """An ATX heading's words, without its closing ``#`` run (which follows a space)."""
    text = rest.strip()
    unclosed = text.rstrip("#")
    return unclosed.rstrip() if not unclosed or unclosed[-1].isspace() else text


def _emphasised(match: re.Match[str]) -> str:
    return next(text for text in match.groups() if text is not None)


def read_json(data: bytes) -> list[Record]:
    """A JSON export: one article object, a list of them, or an object with an ``articles`` list
    (as NewsAPI answers)."""
    decoded = decode_text(data)
    try:
        value = json.loads(decoded.text)
    except json.JSONDecodeError as error:
        raise ArticleRejected(
            f"not valid JSON: {error.msg} (line {error.lineno}, column {error.colno})"
        ) from None
    except RecursionError:
        raise ArticleRejected("JSON nested too deeply") from None
    except ValueError as error:  # a number of more digits than Python converts
        raise ArticleRejected(f"not valid JSON: {error}") from None
    if isinstance(value, dict) and isinstance(value.get("articles"), list):
        value = value["articles"]
    if isinstance(value, dict):
        return [_json_record(None, value, raw=decoded.text, warnings=decoded.warnings)]
    if not isinstance(value, list):
        raise ArticleRejected("JSON holds neither an article object nor a list of them")
    if len(value) > MAX_RECORDS:
        raise ArticleRejected(f"too many records: more than {MAX_RECORDS} in one file")
    return [
        _json_record(str(index), item, raw=_dumps(item), warnings=decoded.warnings)
        for index, item in enumerate(value, start=1)
    ]


def read_json_lines(data: bytes) -> list[Record]:
    """A JSON Lines export: one article object per line; a bad line fails alone."""
    decoded = decode_text(data)
    records: list[Record] = []
    for number, line in enumerate(_lines(decoded.text), start=1):
        if not line.strip():
            continue
        if len(records) == MAX_RECORDS:
            raise ArticleRejected(f"too many records: more than {MAX_RECORDS} in one file")
        try:
            item = json.loads(line)
        except json.JSONDecodeError as error:
            reason = f"not valid JSON: {error.msg} (column {error.colno})"
            records.append(Record(str(number), rejection=reason))
            continue
        except RecursionError:
            records.append(Record(str(number), rejection="JSON nested too deeply"))
            continue
        except ValueError as error:  # a number of more digits than Python converts
            records.append(Record(str(number), rejection=f"not valid JSON: {error}"))
            continue
        records.append(_json_record(str(number), item, raw=line, warnings=decoded.warnings))
    if not records:
        raise ArticleRejected("empty file")
    return records


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` one at a time (a list of millions of short lines is large)."""
    start = 0
    while (end := text.find("\n", start)) != -1:
        yield text[start:end]
        start = end + 1
    yield text[start:]


def _dumps(item: Any) -> str:
    return json.dumps(item, ensure_ascii=False, indent=2, sort_keys=True)


def _json_record(part: str | None, item: Any, *, raw: str, warnings: tuple[str, ...]) -> Record:
    if not isinstance(item, dict):
        return Record(part, rejection="not a JSON object")
    headline = item.get("headline")
    if isinstance(headline, dict):  # the New York Times archive: {"main": …}
        headline = headline.get("main")
    title = _text(item.get("title")) or _text(headline) or _text(item.get("webTitle"))
    if title is None:
        return Record(part, rejection="no headline: no `title` or `headline` field")
    fields: dict[str, Any] = item["fields"] if isinstance(item.get("fields"), dict) else {}
    body = _first_value(item, "body", "content", "text", "bodyText", "article", "description")
    body = body or fields.get("bodyText") or ""
    if isinstance(body, list):
        body = "\n\n".join(str(piece) for piece in body if isinstance(piece, str))
    body = body if isinstance(body, str) else ""  # kept as written: its line breaks matter
    body = _untruncated(body)
    source = item.get("source")
    if isinstance(source, dict):
        source = source.get("name")
    try:
        parsed = parse_article(f"{title}\n\n{body}", warnings=warnings, title_given=True)
        parsed = _with_fields(
            parsed,
            raw_text=raw,
            published=_first_value(
                item,
                "publishedAt",
                "published",
                "published_at",
                "pub_date",
                "webPublicationDate",
                "datePublished",
                "date",
                "seendate",
            ),
            source=source,
            authors=_first_value(item, "authors", "author", "byline"),
            tags=_first_value(item, "tags", "keywords"),
            web_url=_text(item.get("url")),
        )
    except ArticleRejected as rejection:
        return Record(part, rejection=str(rejection))
    return Record(part, parsed)


def _untruncated(body: str) -> str:
    """The body without NewsAPI's closing "… [+2345 chars]" (looked for in its tail only)."""
    trimmed = body.rstrip()
    tail = trimmed[-_TRUNCATION_TAIL:]
    if not (mark := _TRUNCATION.search(tail)):
        return body
    return trimmed[: len(trimmed) - len(tail) + mark.start()]


def _first_value(item: dict[str, Any], *names: str) -> Any:
    return next((item[name] for name in names if item.get(name) not in (None, "", [])), None)


def _text(value: Any) -> str | None:
    if isinstance(value, str) and value.strip():
        return " ".join(value.split())
    return None


def _with_fields(
    parsed: ParsedArticle,
    *,
    raw_text: str,
    title: str | None = None,
    published: Any = None,
    source: Any = None,
    authors: Any = None,
    tags: Any = None,
    web_url: str | None = None,
) -> ParsedArticle:
    """The parsed article with the fields a structured source gives taking precedence."""
    warnings = parsed.warnings
    published_at = None
    if published is not None:
        try:
            published_at = parse_date(published)
        except DateOutOfRange:
            warnings += (f"date {str(published)[:40]!r} is out of range in UTC: no published_at",)
        else:
            if published_at is None:
                warnings += (f"unreadable date {str(published)[:40]!r}: no published_at",)
    names = _names(authors)
    return replace(
        parsed,
        title=title or parsed.title,
        raw_text=raw_text,
        source=_text(source) or parsed.source,
        authors=names or parsed.authors,
        year=published_at.year if published_at and parsed.year is None else parsed.year,
        published_at=published_at,
        tags=_names(tags),
        web_url=web_url,
        warnings=warnings,
    )


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
        dict.fromkeys(text for name in names if (text := _text(name)) and "://" not in text)
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
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
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


READERS: dict[str, Reader] = {
    ".txt": read_text,
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".json": read_json,
    ".jsonl": read_json_lines,
    ".ndjson": read_json_lines,
}


def reader_for(suffix: str) -> Reader:
    """The reader of files with this suffix (plain text for any other)."""
    return READERS.get(suffix.lower(), read_text)
