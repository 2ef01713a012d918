"""Markdown articles: YAML front matter (title, date, source, authors, tags) over the text,
whose headings, links, images and emphasis are read as their words."""

import re
from typing import Any

import yaml

from app.ingestion.formats.decoding import decode_text
from app.ingestion.formats.fields import field_text, with_fields
from app.ingestion.parsed import ArticleRejected, Record
from app.ingestion.wire.parse import parse_article

# Front matter is metadata: a few fields, not a document. A bound on its size bounds the YAML
# parser's time and memory (with aliases refused, its output is no larger than its input).
MAX_FRONT_MATTER_CHARS = 64 * 1024

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
_EMPHASIS = re.compile(
    r"\*\*(?=\S)(?P<strong>(?:[^*]|\*(?!\*))+?)(?<=\S)\*\*"
    r"|__(?=\S)(?P<underlined>(?:[^_]|_(?!_))+?)(?<=\S)__"
    r"|\*(?=\S)(?P<em>[^*]+?)(?<=\S)\*"
    r"|_(?=\S)(?P<underscored>[^_]+?)(?<=\S)_"
)


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
    title = field_text(meta.get("title")) or field_text(
        str(meta["title"]) if meta.get("title") else None
    )
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
    parsed = with_fields(
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
