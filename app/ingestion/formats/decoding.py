"""File bytes to text, as every reader starts: the encoding (byte-order marks, UTF-16 without
one, UTF-8, Windows-1252), LF newlines and Unicode NFC; bytes that are no text are refused."""

import codecs
import functools
import re
import sys
import unicodedata
from dataclasses import dataclass

from app.ingestion.parsed import ArticleRejected

# Windows-1252 leaves five bytes undefined; real files still carry them, so they decode to the
# C1 control of the same number (as Latin-1 would) instead of failing the whole file.
_CP1252_FALLBACK = "byline-cp1252-fallback"


def _undefined_cp1252_byte(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeDecodeError)
    undefined = error.object[error.start : error.end]
    return "".join(chr(byte) for byte in undefined), error.end


codecs.register_error(_CP1252_FALLBACK, _undefined_cp1252_byte)


@dataclass(frozen=True, slots=True)
class DecodedText:
    """Text decoded from a file, with anything the reader should be warned about."""

    text: str
    warnings: tuple[str, ...] = ()


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
