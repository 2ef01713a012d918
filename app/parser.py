"""Turn the bytes of an article file into a ``ParsedArticle``; knows nothing of the database.

The format is specified in the README ("Input format"). In short: the first non-blank line is the
headline, every following non-blank line is a paragraph, a leading ``(PLACE) --`` gives the dateline
and a closing ``Copyright © YEAR, HOLDER.`` line gives the source and year.
"""

import codecs
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

# Windows-1252 leaves five bytes undefined; real files still carry them, so they decode to the
# C1 control of the same number (as Latin-1 would) instead of failing the whole file.
_CP1252_FALLBACK = "byline-cp1252-fallback"


def _undefined_cp1252_byte(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    undefined = error.object[error.start : error.end]
    return "".join(chr(byte) for byte in undefined), error.end


codecs.register_error(_CP1252_FALLBACK, _undefined_cp1252_byte)

_DATELINE = re.compile(
    r"""^\(\s*(?P<place>[^()\n]{1,80}?)\s*\)   # (PLACE)
        (?:\s*(?:--|—|–)\s*|\s+-\s+)           # then --, an em or en dash, or a spaced hyphen
    """,
    re.VERBOSE,
)
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
    # Control characters are dropped and runs of spaces collapsed in the parsed fields only;
    # raw_text keeps the text exactly as decoded.
    lines = [" ".join(_CONTROL.sub("", line).split()) for line in text.split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        raise ArticleRejected("empty file")
    title, *paragraphs = lines
    if not any(char.isalnum() for char in title):
        raise ArticleRejected(f"no headline: the first line has no words ({title[:40]!r})")
    if _DATELINE.match(title):
        raise ArticleRejected(f"no headline: the first line opens with a dateline ({title[:40]!r})")
    if _parse_copyright(title) is not None:
        raise ArticleRejected(f"no headline: the first line is a copyright notice ({title[:40]!r})")

    copyright_line, source, year = None, None, None
    if paragraphs and (rights := _parse_copyright(paragraphs[-1])) is not None:
        copyright_line = paragraphs.pop()
        source, year = rights

    dateline = None
    if paragraphs and (match := _DATELINE.match(paragraphs[0])):
        place = match["place"]
        if any(char.isalpha() for char in place):
            dateline = place.upper()
            rest = paragraphs[0][match.end() :].strip()
            paragraphs = [rest, *paragraphs[1:]] if rest else paragraphs[1:]

    return ParsedArticle(
        title=title,
        paragraphs=paragraphs,
        dateline=dateline,
        source=source,
        year=year,
        copyright=copyright_line,
        raw_text=text,
        warnings=warnings,
    )


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
    rest, reserved = _RIGHTS_RESERVED.subn(" ", rest)
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
