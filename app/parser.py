"""Turn the bytes of an article file into a ``ParsedArticle``; knows nothing of the database.

The format is specified in the README ("Input format"). In short: the first non-blank line is the
headline, a ``By NAME`` line under it gives the authors, the body's lines are paragraphs (or, when
hard-wrapped, blocks of lines are), the first paragraph may open with a dateline such as
``(LONDON) --`` or ``NEW YORK, March 3 (Reuters) -`` and the closing lines may be a rights notice
(``Copyright © 2025, ABC Audio.``) or a ``REUTER`` sign-off.
"""

import codecs
import hashlib
import html
import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

# Windows-1252 leaves five bytes undefined; real files still carry them, so they decode to the
# C1 control of the same number (as Latin-1 would) instead of failing the whole file.
_CP1252_FALLBACK = "byline-cp1252-fallback"


def _undefined_cp1252_byte(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    undefined = error.object[error.start : error.end]
    return "".join(chr(byte) for byte in undefined), error.end


codecs.register_error(_CP1252_FALLBACK, _undefined_cp1252_byte)

_DASH = r"(?:\s*(?:--|—|–)\s*|\s+-\s+)"  # --, an em or en dash, or a spaced hyphen
_DATELINE = re.compile(rf"^\(\s*(?P<place>[^()\n]{{1,80}}?)\s*\){_DASH}")  # (LONDON) --
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\.?"
)
_UPPER = "A-ZÀ-ÖØ-Þ"
# LONDON (Reuters) -, WASHINGTON (AP) —, SALVADOR, Feb 26 -, NEW YORK, March 3 (Reuters) -, PARIS —
_WIRE_DATELINE = re.compile(
    rf"""^(?P<place>[{_UPPER}][{_UPPER}.'’-]*(?:[ /][{_UPPER}][{_UPPER}.'’-]*){{0,4}}
        (?:,\s*(?!{_MONTH}\s)[A-Z][A-Za-z.'’-]*(?:\s[A-Z][A-Za-z.'’-]*){{0,2}})?)  # , England
        (?:,\s*(?P<date>{_MONTH}\s+\d{{1,2}}(?:,\s*\d{{4}})?))?
        (?:\s*\((?P<agency>[^()\n]{{1,40}})\))?
        {_DASH}""",
    re.VERBOSE,
)
# Agencies that a parenthesis at the start of a story names instead of a place.
AGENCIES = frozenset(
    {
        "reuters",
        "ap",
        "afp",
        "upi",
        "bloomberg",
        "dpa",
        "xinhua",
        "efe",
        "ansa",
        "tass",
        "pti",
        "cnn",
    }
)
_BYLINE = re.compile(r"^by\s+(?P<names>\S.{0,100})$", re.IGNORECASE)
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|&|\band\b)\s*", re.IGNORECASE)
_SIGN_OFF = re.compile(r"^\(?(?:REUTERS?|Reuters?)\)?\.?$")
_BULLET = re.compile(r"^(?:[-*•·–]|\d{1,2}[.)])\s+")
_SENTENCE_END = (".", "!", "?", '"', "”", "'", "’", ":", ")")
_WRAP_WIDTH = 90
_COPYRIGHT_MARK = re.compile(r"^(?:copyright\b\s*)?(?:©|\(c\))?", re.IGNORECASE)
_YEAR = re.compile(r"\b(?P<year>1[89]\d\d|2\d\d\d)\b(?:\s*[-–]\s*(?P<until>\d{4}|\d{2})\b)?")
_RIGHTS_RESERVED = re.compile(r"\ball rights reserved(?: worldwide)?\b\.?", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_WORD = re.compile(r"\w+(?:['’.-]\w+)*")
_COPYRIGHT_MAX_LENGTH = 200
_COPYRIGHT_MAX_HOLDER_WORDS = 8


class ArticleRejected(ValueError):
    """The file cannot be taken as an article; the message says why."""


@dataclass(frozen=True, slots=True)
class DecodedText:
    """Text decoded from a file, with anything the reader should be warned about."""

    text: str
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ParsedArticle:
    """What the parser extracted from one article file."""

    title: str
    paragraphs: list[str]
    dateline: str | None
    source: str | None
    year: int | None
    copyright: str | None
    raw_text: str
    warnings: tuple[str, ...] = field(default=())
    authors: tuple[str, ...] = ()
    dateline_date: str | None = None
    published_at: datetime | None = None
    web_url: str | None = None
    tags: tuple[str, ...] = ()

    @property
    def lede(self) -> str | None:
        """The first paragraph, the one a reader sees first."""
        return self.paragraphs[0] if self.paragraphs else None

    @property
    def word_count(self) -> int:
        """Words in the body (the paragraphs), as news sites count them."""
        return sum(len(_WORD.findall(paragraph)) for paragraph in self.paragraphs)

    @property
    def content_hash(self) -> str:
        """sha256 of the text as received (after decoding), the article's identity."""
        return content_hash(self.raw_text)


def content_hash(text: str) -> str:
    """sha256 hex digest of a decoded text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decode_text(data: bytes) -> DecodedText:
    """Decode file bytes: UTF-8 (BOM dropped) or else Windows-1252, LF newlines, Unicode NFC."""
    if not data.strip():
        raise ArticleRejected("empty file")
    if b"\x00" in data:
        raise ArticleRejected("binary file (contains NUL bytes)")
    warnings: tuple[str, ...] = ()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        text = data.decode("cp1252", errors=_CP1252_FALLBACK)
        warnings = (
            f"not valid UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start}); "
            "read as Windows-1252",
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return DecodedText(unicodedata.normalize("NFC", text), warnings)


def parse_article(text: str, *, warnings: tuple[str, ...] = ()) -> ParsedArticle:
    """Parse decoded text into an article, or raise ``ArticleRejected`` saying why."""
    # HTML entities are decoded, control characters dropped and spaces collapsed in the parsed
    # fields only; raw_text keeps the text exactly as decoded.
    lines = [_CONTROL.sub("", html.unescape(line)).rstrip() for line in text.split("\n")]
    while lines and not lines[0].strip():
        lines.pop(0)
    while lines and not lines[-1].strip():
        lines.pop()
    if not lines:
        raise ArticleRejected("empty file")
    title, body = _collapse(lines[0]), lines[1:]
    _check_headline(title)

    authors: tuple[str, ...] = ()
    first = next((index for index, line in enumerate(body) if line.strip()), None)
    if first is not None and (names := _authors(_collapse(body[first]))):
        authors, body = names, body[first + 1 :]

    copyright_line, source, year, signed_off = None, None, None, False
    while body:  # only the closing lines count: a notice, a sign-off, in either order
        last = _collapse(body[-1])
        if not last:
            body.pop()
        elif copyright_line is None and (rights := _parse_copyright(last)) is not None:
            copyright_line, (source, year) = last, rights
            body.pop()
        elif not signed_off and _SIGN_OFF.match(last):
            signed_off = True
            body.pop()
        else:
            break

    paragraphs = _paragraphs(body)
    dateline, dateline_date, agency = None, None, None
    if paragraphs and (found := _dateline(paragraphs[0])) is not None:
        dateline, dateline_date, agency, end = found
        rest = paragraphs[0][end:].strip()
        paragraphs = [rest, *paragraphs[1:]] if rest else paragraphs[1:]
    source = source or agency or ("Reuters" if signed_off else None)

    return ParsedArticle(
        title=title,
        paragraphs=paragraphs,
        dateline=dateline,
        source=source,
        year=year,
        copyright=copyright_line,
        raw_text=text,
        warnings=warnings,
        authors=authors,
        dateline_date=dateline_date,
    )


def _collapse(line: str) -> str:
    return " ".join(line.split())


def _check_headline(title: str) -> None:
    if not any(char.isalnum() for char in title):
        raise ArticleRejected(f"no headline: the first line has no words ({title[:40]!r})")
    if _DATELINE.match(title) or _WIRE_DATELINE.match(title):
        raise ArticleRejected(f"no headline: the first line opens with a dateline ({title[:40]!r})")
    if _parse_copyright(title) is not None:
        raise ArticleRejected(f"no headline: the first line is a copyright notice ({title[:40]!r})")


def _authors(line: str) -> tuple[str, ...]:
    """The names of a ``By NAME`` or ``By NAME and NAME`` line, or nothing."""
    match = _BYLINE.match(line)
    if match is None:
        return ()
    names = [name.strip(" .") for name in _AUTHOR_SPLIT.split(match["names"]) if name.strip(" .")]
    if not names or not all(_is_name(name) for name in names):
        return ()
    return tuple(name.title() if name.isupper() else name for name in names)


def _is_name(text: str) -> bool:
    words = text.split()
    return 1 <= len(words) <= 4 and all(
        word[0].isupper() and not any(char.isdigit() for char in word) for word in words
    )


def _paragraphs(lines: list[str]) -> list[str]:
    """Paragraphs of the body: a line each, or, for hard-wrapped blocks, a block each."""
    paragraphs: list[str] = []
    block: list[str] = []
    for line in [*lines, ""]:
        if line.strip():
            block.append(line)
            continue
        if block:
            paragraphs += _block_paragraphs(block) if _is_wrapped(block) else map(_collapse, block)
            block = []
    return [paragraph for paragraph in paragraphs if paragraph]


def _is_wrapped(block: list[str]) -> bool:
    """Whether a block's lines are text cut at a width, rather than a paragraph each.

    Wrapped lines are short, and some of them stop mid-sentence with the sentence going on, in
    lower case, on the next line (or paragraphs are marked by indenting their first line).
    """
    inner = [line.strip() for line in block[:-1]]
    if not inner or max(len(line) for line in inner) > _WRAP_WIDTH:
        return False
    indented = [line[:1].isspace() for line in block]
    if any(indented[1:]) and not all(indented):
        return True
    continued = sum(
        1
        for line, following in zip(inner, block[1:], strict=True)
        if not line.endswith(_SENTENCE_END) and following.strip()[:1].islower()
    )
    return continued * 3 >= len(inner)


def _block_paragraphs(block: list[str]) -> list[str]:
    """Join a wrapped block's lines; an indented or bulleted line starts a new paragraph."""
    paragraphs: list[list[str]] = []
    for line in block:
        starts_new = line[:1].isspace() or _BULLET.match(line.strip()) is not None
        if not paragraphs or starts_new:
            paragraphs.append([])
        paragraphs[-1].append(line.strip())
    return [_collapse(" ".join(paragraph)) for paragraph in paragraphs]


def _dateline(paragraph: str) -> tuple[str | None, str | None, str | None, int] | None:
    """``(place, date, agency, end)`` of a dateline opening the paragraph, or None."""
    if match := _DATELINE.match(paragraph):
        place = match["place"]
        if place.lower() in AGENCIES:  # (Reuters) - ...: an agency, no place
            return None, None, place, match.end()
        if any(char.isalpha() for char in place):
            return place.upper(), None, None, match.end()
        return None
    if match := _WIRE_DATELINE.match(paragraph):
        place = match["place"].strip(" ,")
        if sum(char.isalpha() for char in place) < 2:
            return None
        return place.upper(), match["date"], match["agency"], match.end()
    return None


def parse_file_bytes(data: bytes) -> ParsedArticle:
    """Decode and parse the bytes of one article file."""
    decoded = decode_text(data)
    return parse_article(decoded.text, warnings=decoded.warnings)


def _notice_year(first: str, until: str | None) -> int:
    """The year a notice is of: the end of a range such as 2010-2024 or 2025-26."""
    if until is None:
        return int(first)
    if len(until) == 2:
        return int(first[:2] + until)
    return int(until)


def _parse_copyright(line: str) -> tuple[str | None, int | None] | None:
    """``(source, year)`` when the line is a rights line, such as ``Copyright © 2025, ABC Audio.``

    A story may end on a sentence about copyright, so the line must also look like a notice: a
    short holder, a year or "All rights reserved", and a sign, that phrase or the year up front.
    """
    if len(line) > _COPYRIGHT_MAX_LENGTH:
        return None
    mark = _COPYRIGHT_MARK.match(line)
    if mark is None or not mark.group():
        return None
    has_sign = "©" in mark.group() or "(c)" in mark.group().lower()
    rest = line[mark.end() :]
    # What follows "All rights reserved" is boilerplate ("This material may not be published,
    # broadcast, rewritten or redistributed."), not part of the holder's name.
    reserved = _RIGHTS_RESERVED.search(rest)
    if reserved is not None:
        rest = rest[: reserved.start()]
    year = None
    year_first = False
    if found := _YEAR.search(rest):
        year = _notice_year(found["year"], found["until"])
        year_first = not rest[: found.start()].strip(" ,")
        rest = rest[: found.start()] + " " + rest[found.end() :]
    source = " ".join(rest.split()).strip(" ,.;:-–—") or None
    if year is None and not reserved:
        return None
    if not (has_sign or reserved or year_first):
        return None
    if source is not None and len(source.split()) > _COPYRIGHT_MAX_HOLDER_WORDS:
        return None
    return source, year
