"""The body's paragraphs: a line each, or, when the copy is hard-wrapped at a width, a block of
lines each, joined; with the facts about lines the headline's wrapping shares."""

import re
from array import array
from collections.abc import Iterator

# A take's continuation mark, anywhere in the body: "MORE", "(MORE)", "-more-", "More...".
MORE_MARK = re.compile(r"^(?:[(\[-]\s*)?more(?:\s*[)\]-])?(?:\.{2,}|…)?$", re.IGNORECASE)
BULLET = re.compile(r"^(?:[-*•·–]|\d{1,2}[.)])\s+")
SENTENCE_END = (".", "!", "?", '"', "”", "'", "’", ":", ")")
WRAP_WIDTH = 90
_ENDS_SENTENCE = re.compile(r"[.!?][\"”’')]*$")  # not "said," or "as follows:"
_MIN_WRAP_WIDTH = 40  # narrower lines of no full sentence are lists and tables, not wrapped text
_COLUMN_GAP = re.compile(r"[^\s.!?:]\s{2,}\S")


def collapse(line: str) -> str:
    """The line's words, one space between them."""
    return " ".join(line.split())


def without_more_marks(lines: list[str]) -> list[str]:
    """The body with each take's ``MORE`` line made a blank line: a paragraph ends there."""
    return ["" if MORE_MARK.match(line.strip()) else line for line in lines]


def body_paragraphs(lines: list[str]) -> list[str]:
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
        paragraphs += _block_paragraphs(block) if joined else map(collapse, block)
    # A line of no words (AP's "___", "...") is a separator, not a paragraph.
    return [paragraph for paragraph in paragraphs if any(char.isalnum() for char in paragraph)]


def _short_lines(block: list[str]) -> bool:
    """Whether every line but the last fits the width hard-wrapped text is cut at."""
    inner = [line.strip() for line in block[:-1]]
    return (
        bool(inner)
        and max(len(line) for line in inner) <= WRAP_WIDTH
        and not any(line.endswith(SENTENCE_END) for line in inner)
    )


def _is_wrapped(block: list[str]) -> bool:
    """Whether a block's lines are text cut at a width, rather than a paragraph each.

    Wrapped lines are short, and some of them stop mid-sentence with the sentence going on, in
    lower case, on the next line (or paragraphs are marked by indenting their first line).
    """
    inner = [line.strip() for line in block[:-1]]
    if not inner or max(len(line) for line in inner) > WRAP_WIDTH:
        return False
    indented = [line[:1].isspace() for line in block]
    if any(indented[1:]) and not all(indented):
        return True
    continued = sum(
        1
        for line, following in zip(inner, block[1:], strict=True)
        if not line.endswith(SENTENCE_END) and following.strip()[:1].islower()
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
        if line.endswith(SENTENCE_END):
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
        if not paragraphs or ended or line[:1].isspace() or BULLET.match(text) is not None:
            paragraphs.append([])
        paragraphs[-1].append(text)
    return [collapse(" ".join(paragraph)) for paragraph in paragraphs]
