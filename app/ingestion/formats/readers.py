"""The readers by file suffix: a new format is one reader and one entry in ``READERS``."""

from collections.abc import Callable

from app.ingestion.formats.decoding import decode_text
from app.ingestion.formats.json_exports import read_json, read_json_lines
from app.ingestion.formats.markdown import read_markdown
from app.ingestion.parsed import Record
from app.ingestion.wire.parse import parse_article

# How a format reads a file's bytes into its articles.
FormatReader = Callable[[bytes], list[Record]]


def read_text(data: bytes) -> list[Record]:
    """A plain-text article (the seed format)."""
    decoded = decode_text(data)
    return [Record(None, parse_article(decoded.text, warnings=decoded.warnings))]


READERS: dict[str, FormatReader] = {
    ".txt": read_text,
    ".md": read_markdown,
    ".markdown": read_markdown,
    ".json": read_json,
    ".jsonl": read_json_lines,
    ".ndjson": read_json_lines,
}


def reader_for(suffix: str) -> FormatReader:
    """The reader of files with this suffix (plain text for any other)."""
    return READERS.get(suffix.lower(), read_text)
