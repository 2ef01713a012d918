"""What reading an article file gives: a ``ParsedArticle`` for each article it holds (in a
``Record`` saying where in the file), or ``ArticleRejected`` saying why it cannot be one."""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime

_WORD = re.compile(r"\w+(?:['’.-]\w+)*")


class ArticleRejected(ValueError):
    """The file cannot be taken as an article; the message says why."""


# The version of what parsing makes of a text: bumped whenever the same text comes to give other
# fields (a date read from the dateline, say). Files last read by an older version are read again
# by the next ingestion, and their articles take the new fields without a revision, since their
# text is the same (``app/ingestion/writer.py``): a store converges on what this version reads.
PARSER_VERSION = 1


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
        return hashlib.sha256(self.raw_text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Record:
    """One article read from a file, or why it could not be: ``part`` says where in the file
    (None for a file that is one article, ``3`` for the third record of an export)."""

    part: str | None
    article: ParsedArticle | None = None
    rejection: str | None = None
