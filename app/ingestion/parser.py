"""Turn the bytes of an article file into a ``ParsedArticle``; knows nothing of the database.

The format is specified in the README ("Input format"). In short: the first non-blank line is the
headline, a ``By NAME`` line under it gives the authors, the body's lines are paragraphs (or, when
hard-wrapped, blocks of lines are), the first paragraph may open with a dateline such as
``(LONDON) --`` or ``NEW YORK, March 3 (Reuters) -`` and the closing lines may be a rights notice
(``Copyright © 2025, ABC Audio.``) or a ``REUTER`` sign-off.
"""

import codecs
import functools
import hashlib
import html
import re
import sys
import unicodedata
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime

from app.ingestion.places import is_place

# Windows-1252 leaves five bytes undefined; real files still carry them, so they decode to the
# C1 control of the same number (as Latin-1 would) instead of failing the whole file.
_CP1252_FALLBACK = "byline-cp1252-fallback"


def _undefined_cp1252_byte(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    undefined = error.object[error.start : error.end]
    return "".join(chr(byte) for byte in undefined), error.end


codecs.register_error(_CP1252_FALLBACK, _undefined_cp1252_byte)

_DASH = r"(?:\s*(?:--|—|–)\s*|\s+-\s+)"  # --, an em or en dash, or a spaced hyphen
_STRONG_DASH = r"(?:\s*(?:--|—|–)\s*)"  # what a bare place (no date, no agency) needs
_AGENCY_DASH = r"(?:\s*(?:--|—|–)\s*|\s*-\s+|\s+_\s+)"  # after (Agency): also "-" and AP's "_"
_DATE_DASH = r"(?:\s*(?:--|—|–)\s*|\s*-\s+)"  # after a date, a hyphen may touch it: "March 2- "
_DATELINE = re.compile(rf"^\(\s*(?P<place>[^()\n]{{1,80}}?)\s*\){_DASH}")  # (LONDON) --
# Month names in any case (old copy has "MARCH 12" and "FEb 26"): the date is the evidence.
_MONTH_NAMES = (
    r"Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?"
)
_MONTH = rf"(?i:{_MONTH_NAMES})\.?"
_DATE = rf"(?:{_MONTH}\s+\d{{1,2}}\b(?:,\s*\d{{4}})?|\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?)"


def _capitals_class() -> str:
    """The capital letters of the Latin, Greek and Cyrillic scripts, as ranges for a character
    class: datelines are written in them (``ŁÓDŹ``, and Moscow or Athens in their own letters)."""
    ranges: list[list[int]] = []
    for code in range(0x41, 0x530):
        if chr(code).isupper():
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
    return "".join(chr(a) if a == b else f"{chr(a)}-{chr(b)}" for a, b in ranges)


_UPPER = _capitals_class()
_CAPS_PLACE = rf"[{_UPPER}][{_UPPER}.'’-]*(?:[ /][{_UPPER}][{_UPPER}.'’-]*){{0,4}}"
_ANY_PLACE = rf"[{_UPPER}][\w.'’-]*(?:[ /][{_UPPER}][\w.'’-]*){{0,4}}"
# ", England", ", Va.", ", D.C.": a region or an AP state abbreviation after the place.
_REGION = rf"(?:,\s*(?!{_DATE})[A-Z][A-Za-z.'’-]*(?:\s[A-Z][A-Za-z.'’-]*){{0,2}})?"
# Several places of one story: WEST PALM BEACH, Fla./WASHINGTON.
_ANY_PLACES = rf"{_ANY_PLACE}{_REGION}(?:\s*/\s*{_ANY_PLACE}{_REGION})*"
_CAPS_PLACES = rf"{_CAPS_PLACE}{_REGION}(?:\s*/\s*{_CAPS_PLACE}{_REGION})*"
# With an agency: LONDON (Reuters) -, Paris (AFP) -, NEW YORK, March 3 (Reuters) -,
# MIAMI (AP) _, Feb 26 (Reuters) - (a date and no place), LONDON, (Reuters) - (a date left out).
_AGENCY_DATELINE = re.compile(
    rf"""^(?:(?P<place>{_ANY_PLACES})(?:,\s*(?P<date>{_DATE}))?,?|(?P<bare_date>{_DATE}))
        \s*\((?P<agency>[^()\n]{{1,40}})\){_AGENCY_DASH}""",
    re.VERBOSE,
)
# Without an agency, a place (in any case) and a date: SALVADOR, Feb 26 -, Toronto, March 19 -.
_DATED_DATELINE = re.compile(rf"^(?P<place>{_ANY_PLACES}),\s*(?P<date>{_DATE}){_DATE_DASH}")
# A place in capitals alone: PARIS — (a real dash and a capital next) ...
_PLACE_DATELINE = re.compile(
    rf"^(?P<place>{_CAPS_PLACES}){_STRONG_DASH}(?=[\"“‘'(\w])(?=\W*[A-Z0-9])"
)
# ... or WASHINGTON - (a spaced hyphen, a capital next; more is asked of the place, see
# ``_hyphen_place``).
_HYPHEN_DATELINE = re.compile(rf"^(?P<place>{_CAPS_PLACES})\s+-\s+(?=[\"“‘'(]?[A-Z])")
# Words that open a capitalised phrase that is no place ("On Tuesday, March 3 -"), and names of
# days and months, which no place is.
_NOT_PLACE_WORDS = re.compile(
    rf"^(?i:on|in|at|by|from|since|until|through|last|next|early|late|during|before|after)\b"
    rf"|\b(?i:(?:mon|tues|wednes|thurs|fri|satur|sun)day|{_MONTH_NAMES})\b"
)
_AGENCY_ALONE = re.compile(r"^\((?P<agency>[^()\n]{1,20})\)\s*(?:(?:--|—|–|-)\s*)?(?=\S)")
_EDITORS_NOTE = re.compile(r"^EDITOR[’']?S[’']? NOTE\b", re.IGNORECASE)
# Agencies, the only names a parenthesis in a dateline may hold ("LONDON (Reuters) -"); any other
# words in parentheses (a marker, a unit, a note: "TOKYO RUBBER (YEN PER KILO) -") make none.
AGENCIES = frozenset(
    [
        "reuters",
        "reuter",
        "ap",
        "the associated press",
        "associated press",
        "ap-dow jones",
        "dow jones",
        "afp",
        "agence france-presse",
        "upi",
        "united press international",
        "bloomberg",
        "dpa",
        "xinhua",
        "new china news agency",
        "efe",
        "ansa",
        "tass",
        "itar-tass",
        "ria",
        "ria novosti",
        "interfax",
        "pti",
        "ians",
        "uni",
        "cnn",
        "kyodo",
        "jiji",
        "yonhap",
        "anadolu",
        "aa",
        "pa",
        "cp",
        "aap",
        "sapa",
        "apa",
        "mena",
        "irna",
        "petra",
        "wafa",
        "bernama",
        "antara",
        "pna",
        "cna",
        "pap",
        "ctk",
        "mti",
        "bta",
        "hina",
        "tanjug",
        "lusa",
        "belga",
        "anp",
        "ntb",
        "tt",
        "ritzau",
        "stt",
        "notimex",
        "ips",
        "nan",
        "kna",
    ]
)


def _is_agency(name: str) -> bool:
    """Whether ``name`` (what a dateline's parenthesis holds) names news agencies only:
    ``Reuters``, ``AP``, ``Reuters/AP``."""
    names = [part.strip(" .").lower() for part in name.split("/")]
    return all(part in AGENCIES for part in names)


# Who a byline may name besides people: moved to the source, never kept as an author.
AGENCY_NAMES = {
    "the associated press": "The Associated Press",
    "associated press": "The Associated Press",
    "ap": "The Associated Press",
    "reuters": "Reuters",
    "reuters staff": "Reuters",
    "afp": "AFP",
    "agence france-presse": "Agence France-Presse",
    "cnn": "CNN",
    "bloomberg": "Bloomberg",
    "bloomberg news": "Bloomberg",
}
_STAFF_TITLE = re.compile(
    r"\b(?:staff|writer|correspondent|reporter|editor|contributor)s?$", re.IGNORECASE
)
_PARTICLES = frozenset(
    "van von de del della der den di da das dos du la le ter y bin ibn al el".split()  # noqa: SIM905
)
_CREDITS = re.compile(
    r"^\(?(?:(?:additional )?reporting|writing|editing|compiled|graphics)\b"
    r".{0,300}\bby\b.{0,300}\)?$|^our standards:",
    re.IGNORECASE,
)
_BYLINE = re.compile(r"^by\s+(?P<names>\S.{0,100})$", re.IGNORECASE)
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|&|\band\b)\s*", re.IGNORECASE)
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
# Reuters' sign-off, in any case, with the dots or stray marks old copy leaves after it.
_SIGN_OFF = re.compile(r"^\(?reuters?\)?[\s.…]*$", re.IGNORECASE)
# A sign-off after the last sentence on its line: "… said on Tuesday. REUTER".
_SIGN_OFF_AFTER_SENTENCE = re.compile(r"(?<=[.!?\"”’')])\s+(?i:reuters?)[\s.…]*$")
# An agency's end-of-story marks: AP's "-30-", "###" and "(END)", Reuters' "ENDS", "-0-".
_END_MARK = re.compile(
    r"^(?:[(\[-]\s*)?ends?(?:\s*[)\]-])?$|^-\s*(?:30|0)\s*-$|^#(?:\s*#){2,}$",
    re.IGNORECASE,
)
# A take's continuation mark, anywhere in the body: "MORE", "(MORE)", "-more-", "More...".
_MORE_MARK = re.compile(r"^(?:[(\[-]\s*)?more(?:\s*[)\]-])?(?:\.{2,}|…)?$", re.IGNORECASE)
# A transmission trailer naming the agency, desk, date and time: "AP-NY-03-12-87 1423EST",
# "UPI 03-12-87 02:23 PES".
_WIRE_TRAILER = re.compile(
    r"^(?P<agency>AP|UPI)[- ](?:[A-Z]{2,4}-)?\d\d-\d\d-\d\d(?:\d\d)?"
    r"\s+\d\d:?\d\d\s*(?:[AP]M\s*)?[A-Z]{3}$"
)
_BULLET = re.compile(r"^(?:[-*•·–]|\d{1,2}[.)])\s+")
_SENTENCE_END = (".", "!", "?", '"', "”", "'", "’", ":", ")")
_WRAP_WIDTH = 90
_ENDS_SENTENCE = re.compile(r"[.!?][\"”’')]*$")  # not "said," or "as follows:"
_MIN_WRAP_WIDTH = 40  # narrower lines of no full sentence are lists and tables, not wrapped text
_COLUMN_GAP = re.compile(r"[^\s.!?:]\s{2,}\S")
_COPYRIGHT_MARK = re.compile(r"^(?:copyright\b\s*)?(?:©|\(c\))?", re.IGNORECASE)
_YEAR = re.compile(r"\b(?P<year>1[89]\d\d|2\d\d\d)\b(?:\s*[-–]\s*(?P<until>\d{4}|\d{2})\b)?")
_RIGHTS_RESERVED = re.compile(r"\ball rights reserved(?: worldwide)?\b\.?", re.IGNORECASE)
# Control characters, and invisible ones that only get in the way (zero-width space, BOM, word
# joiner, soft hyphen); the joiners that scripts need (U+200C, U+200D) stay.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b\ufeff\u2060\u00ad]")
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
    labels: tuple[str, ...] = ()

    @property
    def lede(self) -> str | None:
        """The first paragraph, the one a reader sees first."""
        return self.paragraphs[0] if self.paragraphs else None

    @property
    def word_count(self) -> int:
        """Words in the body (the paragraphs), as news sites count them (``_WORD``)."""
        # No word spans a space, and a run of letters and digits alone (most of the text) is
        # one word: \w is exactly str.isalnum() and "_". The pattern reads only the rest.
        words = _WORD.findall
        return sum(
            1 if token.isalnum() else len(words(token))
            for paragraph in self.paragraphs
            for token in paragraph.split()
        )

    @property
    def content_hash(self) -> str:
        """sha256 of the text as received (after decoding), the article's identity."""
        return content_hash(self.raw_text)


def content_hash(text: str) -> str:
    """sha256 hex digest of a decoded text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def decode_text(data: bytes) -> DecodedText:
    """Decode file bytes, LF newlines, Unicode NFC: UTF-16 or UTF-32 when a byte-order mark
    says so (or, without one, UTF-16 when its NUL bytes say so), else UTF-8 (BOM dropped), else
    Windows-1252; bytes that decode to no plausible text are refused."""
    if not data.strip():
        raise ArticleRejected("empty file")
    warnings: tuple[str, ...] = ()
    if marked := _marked_encoding(data):
        text = _decode_marked(data, marked)
    elif b"\x00" in data:
        text, encoding = _utf16_by_nul_bytes(data)
        warnings = (f"no byte-order mark; read as {encoding} by the pattern of its NUL bytes",)
    else:
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            text = data.decode("cp1252", errors=_CP1252_FALLBACK)
            warnings = (
                f"not valid UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start}); "
                "read as Windows-1252",
            )
    if reason := _implausible(text, least=MIN_UNPRINTABLE):
        raise ArticleRejected(f"not text: {reason}")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not unicodedata.is_normalized("NFC", text):
        text, broken = _stream_safe(text)
        if broken:
            warnings += (
                f"{broken} run(s) of more than {MAX_COMBINING_RUN} combining marks broken "
                "with U+034F (Unicode's stream-safe format)",
            )
        text = unicodedata.normalize("NFC", text)
    return DecodedText(text, warnings)


# The byte-order marks, longest first: UTF-32LE's opens with UTF-16LE's.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "UTF-32LE"),
    (codecs.BOM_UTF32_BE, "UTF-32BE"),
    (codecs.BOM_UTF8, "UTF-8"),
    (codecs.BOM_UTF16_LE, "UTF-16LE"),
    (codecs.BOM_UTF16_BE, "UTF-16BE"),
)


def _marked_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark names; UTF-8's is left to the UTF-8 path (where it is
    dropped), and a UTF-32LE mark on a length no UTF-32 has is UTF-16LE's and a NUL."""
    for mark, encoding in _BYTE_ORDER_MARKS:
        if data.startswith(mark):
            if encoding == "UTF-8":
                return None
            if encoding == "UTF-32LE" and len(data) % 4:
                return "UTF-16LE"
            return encoding
    return None


def _decode_marked(data: bytes, encoding: str) -> str:
    """The text after a byte-order mark, strictly in the encoding it names."""
    mark_length = 4 if encoding.startswith("UTF-32") else 2
    try:
        text = data[mark_length:].decode(encoding)
    except UnicodeDecodeError as error:
        offset = error.start + mark_length
        raise ArticleRejected(
            f"not valid {encoding} though it opens with its byte-order mark "
            f"({error.reason} at offset {offset})"
        ) from None
    if "\x00" in text:
        raise ArticleRejected(f"binary file (contains NUL characters after a {encoding} mark)")
    return text


def _utf16_by_nul_bytes(data: bytes) -> tuple[str, str]:
    """Text with no byte-order mark whose NUL bytes are those of UTF-16, and its encoding.

    In UTF-16 every character of Latin-1 (the spaces, digits, newlines and punctuation of most
    languages' text) has a NUL high byte, while a low byte is NUL only for the rare U+xx00: the
    NULs of UTF-16LE fall at odd offsets (UTF-16BE: even ones), in a share of the code units of
    ``UTF16_MIN_NUL_SHARE`` at least, and few on the other side; and its reading has more than
    one word. Any other file with a NUL byte is binary, and so is one whose reading is no text.
    """
    binary = ArticleRejected("binary file (contains NUL bytes)")
    units = len(data) // 2
    odd, even = data[1::2].count(0), data[0::2].count(0)
    nul_bytes, stray = max(odd, even), min(odd, even)
    if len(data) % 2 or nul_bytes < UTF16_MIN_NUL_SHARE * units or stray * 4 > nul_bytes:
        raise binary
    encoding = "UTF-16LE" if odd > even else "UTF-16BE"
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError:
        raise binary from None
    if "\x00" in text or len(text.split()) < 2 or _implausible(text, least=1):
        raise binary
    return text, encoding


# Text in UTF-16 without a byte-order mark is recognised when at least this share of its
# characters are Latin-1 (a NUL high byte): the spaces alone of a language written with them
# are more. Chinese or Japanese with no spaces may fall short, and is refused as binary: such
# files come with a mark (Windows writes one), and a guess there reads ASCII as ideographs.
UTF16_MIN_NUL_SHARE = 0.1


# Share of a text's characters that may be unprintable (the C0 controls other than whitespace,
# and DEL): real text of any language has next to none, and old wire copy a few control codes a
# story, while bytes that are no text read as Windows-1252 give one in eleven. Unassigned code
# points are not counted (Python's Unicode database lags behind the standard: text in a script
# newer than it would read as unassigned), nor are C1 controls and private-use characters (text
# of another legacy encoding read as Windows-1252, Shift-JIS say, holds many, and is taken as
# before). A file of fewer unprintable characters than ``MIN_UNPRINTABLE`` is never refused for
# them: a stray control or two in a line is no sign.
MAX_UNPRINTABLE_SHARE = 0.05
MIN_UNPRINTABLE = 4
_UNPRINTABLE = re.compile("[\x00-\x08\x0e-\x1b\x7f]")


def _implausible(text: str, *, least: int) -> str | None:
    """Why ``text`` cannot be text (too many unprintable characters), or None."""
    count = len(_UNPRINTABLE.findall(text))
    if count < least or count <= MAX_UNPRINTABLE_SHARE * len(text):
        return None
    return (
        f"{count / len(text):.0%} of its characters are unprintable control characters, "
        "where real text has next to none"
    )


# Normalisation sorts each run of combining marks, at a cost that grows with the square of its
# length (10 MiB of alternating accents would take hours); Unicode's stream-safe format (UAX #15)
# bounds a run at 30 by inserting a combining grapheme joiner, which changes no real text.
MAX_COMBINING_RUN = 30
_GRAPHEME_JOINER = "\u034f"


@functools.cache
def _long_combining_run() -> re.Pattern[str]:
    """A run of more than ``MAX_COMBINING_RUN`` combining marks (built when first needed)."""
    ranges: list[str] = []
    start = None
    for code in range(sys.maxunicode + 2):
        combining = code <= sys.maxunicode and unicodedata.combining(chr(code)) != 0
        if combining and start is None:
            start = code
        elif not combining and start is not None:
            ranges.append(f"{re.escape(chr(start))}-{re.escape(chr(code - 1))}")
            start = None
    return re.compile(f"[{''.join(ranges)}]{{{MAX_COMBINING_RUN + 1},}}")


def _stream_safe(text: str) -> tuple[str, int]:
    """``text`` with a grapheme joiner after every ``MAX_COMBINING_RUN`` combining marks of a
    run, and how many runs were broken."""

    def broken(run: re.Match[str]) -> str:
        marks = run.group()
        return _GRAPHEME_JOINER.join(
            marks[start : start + MAX_COMBINING_RUN]
            for start in range(0, len(marks), MAX_COMBINING_RUN)
        )

    return _long_combining_run().subn(broken, text)


def parse_article(
    text: str, *, warnings: tuple[str, ...] = (), title_given: bool = False
) -> ParsedArticle:
    """Parse decoded text into an article, or raise ``ArticleRejected`` saying why.

    ``title_given``: the first line is a headline a structured source gave (a JSON field, front
    matter), taken as it is.
    """
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
    labels: tuple[str, ...] = ()
    if not title_given:
        title, body = _wrapped_headline(title, body)
        title, labels = _headline_labels(title)
        _check_headline(title)

    authors: tuple[str, ...] = ()
    byline_agency = None
    first = next((index for index, line in enumerate(body) if line.strip()), None)
    if first is not None:
        names, byline_agency = _authors(_collapse(body[first]))
        if names or byline_agency:
            authors, body = names, body[first + 1 :]
            # A byline's second line: "Associated Press Writer", "Reuters".
            if body and (_STAFF_TITLE.search(body[0].strip()) or _agency(body[0])):
                byline_agency = byline_agency or _agency(body[0])
                body = body[1:]
    if (
        highlights := next(
            (i for i, line in enumerate(body) if line.startswith("@highlight")), None
        )
    ) is not None:
        body = body[:highlights]  # CNN/Daily Mail story files: the summary follows the story

    closing = _closing_lines(body)
    copyright_line, source, year = closing.copyright, closing.source, closing.year
    paragraphs = _paragraphs(_without_more_marks(body))
    dateline, dateline_date, agency = None, None, None
    first = 1 if paragraphs and _EDITORS_NOTE.match(paragraphs[0]) else 0
    if len(paragraphs) > first and (found := _dateline(paragraphs[first])) is not None:
        dateline, dateline_date, agency, end = found
        rest = paragraphs[first][end:].strip()
        paragraphs[first : first + 1] = [rest] if rest else []
    source = source or agency or byline_agency or closing.signed_by
    _check_not_placeholder(title, paragraphs)

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
        labels=labels,
    )


def _collapse(line: str) -> str:
    return " ".join(line.split())


# A wire service's markers of a story's state, and the label each is kept as: "(CORRECTED)",
# "(UPDATE 2)", "REFILE-", "UPDATE 1-", "RPT-". Metadata, not part of the headline.
_MARKER_LABELS = {
    "corrected": "corrected",
    "correction": "corrected",
    "corrects": "corrected",
    "refile": "refile",
    "refiled": "refile",
    "repeat": "repeat",
    "repeated": "repeat",
    "rpt": "repeat",
    "update": "update",
    "updated": "update",
    "urgent": "urgent",
    "flash": "flash",
    "bulletin": "bulletin",
    "advisory": "advisory",
    "embargoed": "embargoed",
    "withdrawn": "withdrawn",
    "kill": "kill",
}
_MARKER = rf"(?P<marker>{'|'.join(_MARKER_LABELS)})(?:\s+(?P<number>\d{{1,2}}))?"
# In parentheses, in any case: before the headline with a dash ("(CORRECTED) - ACME CORP YEAR
# NET") or anywhere in it ("ACME CORP (REPEAT) SETS DIVIDEND").
_BRACKETED_MARKER = re.compile(rf"\(\s*{_MARKER}\s*\)", re.IGNORECASE)
_LEADING_BRACKETED_MARKER = re.compile(
    rf"^\(\s*{_MARKER}\s*\)(?:\s*(?:--|—|–|-)\s+|\s*)", re.IGNORECASE
)
# Before the headline in capitals and a hyphen, as Reuters writes them: "REFILE-UPDATE 2-ACME".
_PREFIXED_MARKER = re.compile(rf"^(?i:{_MARKER})(?<=[A-Z0-9])\s*-\s*(?=\S)")


def _leading_marker(headline: str) -> re.Match[str] | None:
    """A marker opening the headline: ``(CORRECTED) -`` in any case, ``UPDATE 1-`` in capitals."""
    if (prefix := _PREFIXED_MARKER.match(headline)) and headline[: prefix.end()].isupper():
        return prefix
    return _LEADING_BRACKETED_MARKER.match(headline)


def _headline_labels(headline: str) -> tuple[str, tuple[str, ...]]:
    """The headline without its correction, refile or update markers, and their labels
    (``corrected``, ``update 2``), in the order written."""
    labels: list[str] = []

    def label(match: re.Match[str]) -> str:
        name = _MARKER_LABELS[match["marker"].lower()]
        labels.append(f"{name} {int(match['number'])}" if match["number"] else name)
        return " "

    rest = headline
    while (prefix := _leading_marker(rest)) is not None:
        label(prefix)
        rest = rest[prefix.end() :]
    rest = _collapse(_BRACKETED_MARKER.sub(label, rest))
    if not any(char.isalnum() for char in rest):
        return headline, ()  # a headline that is only a marker stays as written
    return rest, tuple(dict.fromkeys(labels))


# Words a headline line stops on only when it goes on below (articles, prepositions, conjunctions).
_OPEN_ENDING_WORDS = frozenset(
    "a an the of in on at to for from by with into onto over under after before as and or but "  # noqa: SIM905
    "nor than that its his her their our vs".split()
)
_HEADLINE_MAX_LINES = 3
# A headline is wrapped because it is long: a line of one or two words is a whole headline.
_WRAPPED_HEADLINE_MIN_WORDS = 3


def _wrapped_headline(headline: str, body: list[str]) -> tuple[str, list[str]]:
    """The headline with the lines it was wrapped onto (a brief item's), and the body below."""
    lines = 1
    while (
        lines < _HEADLINE_MAX_LINES
        and body
        and _continues_headline(headline, body[0], body[1] if len(body) > 1 else "")
    ):
        headline, body = f"{headline} {_collapse(body[0])}", body[1:]
        lines += 1
    return headline, body


def _continues_headline(headline: str, line: str, after: str) -> bool:
    """Whether ``line``, right under a headline line, is the rest of the headline.

    The headline line must be long (three words or more) and stop mid-phrase: on a comma, a
    dash or a word such as ``of`` or ``the``, or with ``line`` going on in lower case; or be in
    the same capitals (or title case) as ``line``, which then ends the block. A byline, a
    dateline, an indented or bulleted line, a notice or a sentence of the story (ending in a
    full stop, not in capitals) is never part of a headline.
    """
    text = _collapse(line)
    if (
        not text
        or len(headline.split()) < _WRAPPED_HEADLINE_MIN_WORDS
        or line[:1].isspace()
        or len(text) > _WRAP_WIDTH
        or headline.endswith(_SENTENCE_END)
        or (text.endswith((".", "!", "?")) and _headline_style(text, least=1) != "capitals")
        or not any(char.isalnum() for char in text)
        or any(_authors(text))
        or _agency(text)
        or _dateline(text) is not None
        or _BULLET.match(text)
        or _EDITORS_NOTE.match(text)
        or _SIGN_OFF.match(text)
        or _CREDITS.match(text)
        or _parse_copyright(text) is not None
    ):
        return False
    last_word = headline.rsplit(" ", 1)[-1].lower()
    if headline.endswith((",", "-", "—", "–")) or last_word in _OPEN_ENDING_WORDS:
        return True
    if text[0].islower():
        return True
    style = _headline_style(headline, least=2)
    return (
        style is not None
        and style == _headline_style(text, least=1)
        and (
            not after.strip()
            or after[:1].isspace()
            or _headline_style(_collapse(after), least=1) != style
        )
    )


def _headline_style(line: str, *, least: int) -> str | None:
    """``"capitals"``, or ``"title"`` (every word of four letters or more capitalised, and at
    least ``least`` of them), or None."""
    letters = [char for char in line if char.isalpha()]
    if len(letters) < 2:
        return None
    if all(char.isupper() for char in letters):
        return "capitals"
    long_words = [word for word in line.split() if sum(char.isalpha() for char in word) >= 4]
    if len(long_words) >= least and all(
        word[0].isupper() for word in long_words if word[0].isalpha()
    ):
        return "title"
    return None


def _check_headline(title: str) -> None:
    if not any(char.isalnum() for char in title):
        raise ArticleRejected(f"no headline: the first line has no words ({title[:40]!r})")
    # A headline may read "SOCCER - Liverpool beat Chelsea" or "PARIS — Strike"; a line that
    # opens with a dateline naming an agency or a date ("LONDON (Reuters) - ...") and goes on
    # as a story is the story, not its headline. A table's title in capitals ("LONDON GOLD,
    # APRIL 7 - 340.50 DLRS") is a headline.
    found = _dateline(title)
    if (
        found is not None
        and (found[1] or found[2] or _DATELINE.match(title))
        and not (title[found[3] :].strip() and title[found[3] :].upper() == title[found[3] :])
    ):
        raise ArticleRejected(f"no headline: the first line opens with a dateline ({title[:40]!r})")
    if _parse_copyright(title) is not None:
        raise ArticleRejected(f"no headline: the first line is a copyright notice ({title[:40]!r})")


def _authors(line: str) -> tuple[tuple[str, ...], str | None]:
    """The people of a ``By NAME`` or ``By NAME and NAME`` line, and an agency it names.

    ``By JANE DOE, The Associated Press`` gives Jane Doe and the agency; a staff title such as
    ``AP Science Writer`` is dropped; a line that does not name people is no byline.
    """
    match = _BYLINE.match(line)
    if match is None:
        return (), None
    authors: list[str] = []
    agency = None
    for raw in _AUTHOR_SPLIT.split(match["names"]):
        part = raw.strip(" .")
        if not part:
            continue
        if (known := AGENCY_NAMES.get(part.lower())) is not None:
            agency = agency or known
            continue
        if _STAFF_TITLE.search(part):
            continue
        for name, known in AGENCY_NAMES.items():
            if part.lower().endswith(f" {name}"):  # JOHN SMITH Associated Press
                part, agency = part[: -len(name)].strip(), agency or known
                break
        if not _is_name(part):
            return (), None
        authors.append(part.title() if part.isupper() else part)
    return tuple(authors), agency


def _agency(line: str) -> str | None:
    return AGENCY_NAMES.get(_collapse(line).strip(" .").lower())


def _is_name(text: str) -> bool:
    words = text.split()
    return (
        1 <= len(words) <= 5
        and all(
            not any(char.isdigit() for char in word)
            and (
                word[0].isupper()
                or word.lower() in _PARTICLES
                or word[:3].lower() in ("al-", "el-")
            )
            for word in words
        )
        and words[0][0].isupper()
    )


@dataclass(slots=True)
class ClosingLines:
    """What a story's closing lines said: a rights notice, its holder and year, a signer."""

    copyright: str | None = None
    source: str | None = None
    year: int | None = None
    signed_by: str | None = None


def _closing_lines(body: list[str]) -> ClosingLines:
    """Take the closing lines off ``body`` (a notice, a sign-off, credits and end marks, in any
    order) and say what they held."""
    closing = ClosingLines()
    while body:
        last = _collapse(body[-1])
        if not last or _END_MARK.match(last) or _MORE_MARK.match(last):
            body.pop()
        elif closing.copyright is None and (rights := _parse_copyright(last)) is not None:
            closing.copyright, (closing.source, closing.year) = last, rights
            body.pop()
        elif closing.signed_by is None and (signer := _signed_by(last)) is not None:
            closing.signed_by = signer
            body.pop()
        elif _CREDITS.match(last):  # (Reporting by …; Editing by …), Our Standards: …
            body.pop()
        elif closing.signed_by is None and (after := _SIGN_OFF_AFTER_SENTENCE.search(last)):
            closing.signed_by = "Reuters"
            body[-1] = last[: after.start()]
        else:
            break
    return closing


def _check_not_placeholder(title: str, paragraphs: list[str]) -> None:
    """Refuse a file whose only words say its story is not there ("Text not available")."""
    if all(_PLACEHOLDER.match(paragraph) for paragraph in paragraphs):
        said = next((line for line in (title, *paragraphs) if _PLACEHOLDER.match(line)), None)
        if said is not None:
            raise ArticleRejected(f"placeholder, no story: it says only {said[:60]!r}")


def _signed_by(line: str) -> str | None:
    """The agency a closing sign-off or transmission trailer names, or None if it is neither."""
    if _SIGN_OFF.match(line):
        return "Reuters"
    if trailer := _WIRE_TRAILER.match(line):
        code = trailer["agency"]
        return AGENCY_NAMES.get(code.lower(), code)
    return None


def _without_more_marks(lines: list[str]) -> list[str]:
    """The body with each take's ``MORE`` line made a blank line: a paragraph ends there."""
    return ["" if _MORE_MARK.match(line.strip()) else line for line in lines]


def _paragraphs(lines: list[str]) -> list[str]:
    """Paragraphs of the body: a line each, or, for hard-wrapped blocks, a block each."""
    # Blocks are held as the bounds of their lines (a list a block would cost 80 bytes each, and
    # a file of one-letter paragraphs has millions).
    bounds = array("q")
    start = None
    for index, line in enumerate(lines):
        if line.strip():
            start = index if start is None else start
        elif start is not None:
            bounds.extend((start, index))
            start = None
    if start is not None:
        bounds.extend((start, len(lines)))

    def blocks() -> Iterator[list[str]]:
        return (lines[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2))

    # A text wrapped in one block is wrapped in all: a short block whose one break happens to
    # fall before a capital ("…the coast of" / "Miyagi prefecture.") is joined too.
    wrapped = [_is_wrapped(block) for block in blocks()]
    if any(wrapped):
        wrapped = [
            done or _short_lines(block) for done, block in zip(wrapped, blocks(), strict=True)
        ]
    paragraphs: list[str] = []
    for block, joined in zip(blocks(), wrapped, strict=True):
        paragraphs += _block_paragraphs(block) if joined else map(_collapse, block)
    # A line of no words (AP's "___", "...") is a separator, not a paragraph.
    return [paragraph for paragraph in paragraphs if any(char.isalnum() for char in paragraph)]


def _short_lines(block: list[str]) -> bool:
    """Whether every line but the last fits the width hard-wrapped text is cut at."""
    inner = [line.strip() for line in block[:-1]]
    return (
        bool(inner)
        and max(len(line) for line in inner) <= _WRAP_WIDTH
        and not any(line.endswith(_SENTENCE_END) for line in inner)
    )


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
    return continued * 3 >= len(inner) or _cut_at_a_width(inner, block[1:])


def _cut_at_a_width(inner: list[str], following: list[str]) -> bool:
    """Whether most lines stop mid-sentence near one width, the words going on on the next line.

    This finds wrapped copy whose next lines do not start in lower case (copy in capitals, as
    much of the 1980s wire was, or breaks that fall before names and figures). A line of columns
    (two spaces or more inside it, as in a market table) is no wrapped sentence, and lines left
    short with no sentence ended count against.
    """
    width = max(len(line) for line in inner)
    if len(inner) < 2 or width < _MIN_WRAP_WIDTH:
        return False
    cut = unfinished = 0
    for line, next_line in zip(inner, following, strict=True):
        if line.endswith(_SENTENCE_END):
            continue
        if _next_word_fits(line, next_line, width):
            unfinished += 1  # a line left short mid-sentence: its writer broke it, not a width
        elif not _COLUMN_GAP.search(line) and next_line.strip()[:1].isalnum():
            cut += 1
    return cut * 2 >= len(inner) and cut > 2 * unfinished


def _next_word_fits(line: str, next_line: str, width: int) -> bool:
    """Whether the next line's first word would have fitted on ``line`` within ``width``: if
    so, the line was not cut at the width but ended where its writer ended it."""
    first_word = next_line.split(maxsplit=1)[0] if next_line.strip() else ""
    return len(line.strip()) + 1 + len(first_word) <= width


def _block_paragraphs(block: list[str]) -> list[str]:
    """Join a wrapped block's lines; an indented or bulleted line starts a new paragraph, and
    where no line is indented, so does a line whose first word would have fitted on the line
    before, when that one ends a sentence (it was cut by its writer, not at the width)."""
    indented = any(line[:1].isspace() for line in block[1:])
    width = max(len(line.strip()) for line in block)
    paragraphs: list[list[str]] = []
    for index, line in enumerate(block):
        text = line.strip()
        ended = (
            index > 0
            and not indented
            and _ENDS_SENTENCE.search(paragraphs[-1][-1]) is not None
            and _next_word_fits(paragraphs[-1][-1], text, width)
        )
        if not paragraphs or ended or line[:1].isspace() or _BULLET.match(text) is not None:
            paragraphs.append([])
        paragraphs[-1].append(text)
    return [_collapse(" ".join(paragraph)) for paragraph in paragraphs]


def _dateline(paragraph: str) -> tuple[str | None, str | None, str | None, int] | None:
    """``(place, date, agency, end)`` of a dateline opening the paragraph, or None."""
    if (match := _AGENCY_ALONE.match(paragraph)) and _is_agency(match["agency"]):
        return None, None, match["agency"], match.end()  # (Reuters) - …, (CNN)A quake …
    if match := _DATELINE.match(paragraph):
        place = match["place"]
        if any(char.isalpha() for char in place):
            return place.upper(), None, None, match.end()
        return None
    if (match := _AGENCY_DATELINE.match(paragraph)) and _is_agency(match["agency"]):
        place = (match["place"] or "").strip(" ,") or None
        date = match["date"] or match["bare_date"]
        return (place.upper() if place else None), date, match["agency"], match.end()
    found = _unsourced_dateline(paragraph)
    if found is None:
        return None
    place = found["place"].strip(" ,")
    if sum(char.isalpha() for char in place) < 2:
        return None
    return place.upper(), found.groupdict().get("date"), None, found.end()


def _unsourced_dateline(paragraph: str) -> re.Match[str] | None:
    """A dateline naming no agency: a place and a date, or a place in capitals and a dash."""
    if (match := _DATED_DATELINE.match(paragraph)) and not _NOT_PLACE_WORDS.search(match["place"]):
        return match
    if match := _PLACE_DATELINE.match(paragraph):
        return match
    match = _HYPHEN_DATELINE.match(paragraph)
    if match and _hyphen_place(match["place"]):
        return match
    return None


def _hyphen_place(place: str) -> bool:
    """Whether capitals before a single spaced hyphen, with no date or agency, are a place.

    A hyphen also follows a slug, a label or a name (``STOCKS - Wall Street fell``,
    ``EXCLUSIVE - …``, ``US RETAIL SALES - Sales rose``, ``NATO - the alliance said``): the
    place must open with a word of three letters or more (``UN`` is a town too) and be one the
    gazetteer knows (app/ingestion/places.py; each of several, ``WASHINGTON/LONDON``, a state or
    country after a comma aside).
    """
    words = re.findall(r"[^\W\d_]+", place)
    if not words or len(words[0]) < 3 or _NOT_PLACE_WORDS.search(place):
        return False
    return all(is_place(part.split(",")[0]) for part in place.split("/"))


def parse_file_bytes(data: bytes) -> ParsedArticle:
    """Decode and parse the bytes of one article file."""
    decoded = decode_text(data)
    return parse_article(decoded.text, warnings=decoded.warnings)


_ABBREVIATIONS = frozenset("inc ltd co corp bros plc llc jr st no".split())  # noqa: SIM905


def _holder(text: str) -> str | None:
    """The rights holder: the notice's first sentence ("Copyright 2024 NPR. To see more, …"),
    without "or its affiliated companies"."""
    words = text.split()
    kept = []
    for word in words:
        kept.append(word)
        # "Inc." and "U.S." do not end the sentence; "Network." does.
        initialism = "." in word[:-1]
        abbreviation = word[:-1].lower().strip(",") in _ABBREVIATIONS
        if word.endswith(".") and len(word) > 2 and not (initialism or abbreviation):
            break
    holder = " ".join(kept)
    holder = re.sub(r"\s+or its affiliated companies\b", "", holder, flags=re.IGNORECASE)
    return holder.strip(" ,.;:-–—") or None


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
    source = _holder(rest)
    if year is None and not reserved:
        return None
    if not (has_sign or reserved or year_first):
        return None
    if source is not None and len(source.split()) > _COPYRIGHT_MAX_HOLDER_WORDS:
        return None
    return source, year
