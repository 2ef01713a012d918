"""JSON and JSON Lines exports: an article object, a list of them or NewsAPI's answer, or one
object a line; each record's fields (headline, body, date, source, authors, tags, URL) mapped
to an article, a bad record failing alone."""

import json
import re
from collections.abc import Iterator
from typing import Any

from app.ingestion.formats.decoding import decode_text
from app.ingestion.formats.fields import field_text, with_fields
from app.ingestion.parsed import ArticleRejected, Record
from app.ingestion.wire.parse import parse_article

# An export holds at most this many records: each becomes an article (or a line of the report),
# so the bound keeps one file's memory and report in proportion (100 bytes a record at 10 MiB).
MAX_RECORDS = 100_000
_TRUNCATION = re.compile(r"\s*(?:…|\.\.\.)?\s*\[\+\d+ chars\]$")
_TRUNCATION_TAIL = 100  # NewsAPI's mark and the spaces before it fit in this many characters


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
    title = (
        field_text(item.get("title")) or field_text(headline) or field_text(item.get("webTitle"))
    )
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
        parsed = with_fields(
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
            web_url=field_text(item.get("url")),
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
