"""Highlights at a bounded cost: a long headline or body is marked on a window, never whole.

Marking a text costs time in its length (tokenizing a 9 MB body takes seconds). A column of up
to ``MARKED_WHOLE`` characters is marked whole (``app/search/highlight.py``). A longer body is
cut to a ``WINDOW`` of its best paragraph: the paragraph with most occurrences of the query's
words (found by a case-insensitive scan, which costs milliseconds for 10 MB), around its first
occurrence; a longer headline is cut to its first ``WINDOW`` characters. Only the window is
marked.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass

# Columns up to this many characters are marked whole: articles of ordinary length (a long
# feature is 60,000 characters) are marked as they are.
MARKED_WHOLE = 65_536
# A window is about a thousand words, ten times the longest snippet.
WINDOW = 8_192
# How far a cut looks for a space, so that it falls between words.
_CUT_SLACK = 256


@dataclass(frozen=True, slots=True)
class Passage:
    """A window of a column: its text, the paragraph it is taken from, and whether that
    paragraph goes on before or after it."""

    text: str
    paragraph: int
    clipped_start: bool
    clipped_end: bool


def needle_pattern(needles: Iterable[str]) -> re.Pattern[str] | None:
    """A case-insensitive pattern for any of ``needles`` (None when there are none)."""
    wanted = sorted({needle.casefold() for needle in needles if needle}, key=len, reverse=True)
    if not wanted:
        return None
    return re.compile("|".join(re.escape(needle) for needle in wanted), re.IGNORECASE)


def body_passage(body: str, pattern: re.Pattern[str] | None) -> Passage:
    """The window of ``body`` to mark: in its paragraph with most occurrences of ``pattern``
    (the first of those tied), starting a little before the first of them."""
    paragraphs = body.split("\n")
    index, first = 0, 0
    if pattern is not None:
        best = 0
        for number, paragraph in enumerate(paragraphs):
            found = pattern.findall(paragraph)
            if len(found) > best:
                best, index = len(found), number
        if best:
            match = pattern.search(paragraphs[index])
            first = match.start() if match else 0
    paragraph = paragraphs[index]
    if len(paragraph) <= WINDOW:
        return Passage(paragraph, index, clipped_start=False, clipped_end=False)
    start = _word_start(paragraph, max(0, first - WINDOW // 4))
    end = _word_end(paragraph, min(len(paragraph), start + WINDOW))
    return Passage(
        paragraph[start:end], index, clipped_start=start > 0, clipped_end=end < len(paragraph)
    )


def title_passage(title: str) -> Passage:
    """The first ``WINDOW`` characters of a headline, cut between words."""
    if len(title) <= WINDOW:
        return Passage(title, 0, clipped_start=False, clipped_end=False)
    end = _word_end(title, WINDOW)
    return Passage(title[:end], 0, clipped_start=False, clipped_end=True)


def _word_start(text: str, position: int) -> int:
    """``position``, moved on past the next space when one is near."""
    if position == 0:
        return 0
    space = text.find(" ", position, position + _CUT_SLACK)
    return position if space < 0 else space + 1


def _word_end(text: str, position: int) -> int:
    """``position``, moved back to the last space before it when one is near."""
    if position >= len(text):
        return len(text)
    space = text.rfind(" ", max(0, position - _CUT_SLACK), position)
    return position if space <= 0 else space
