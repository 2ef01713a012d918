"""The headline: the first line, with the lines a brief item's was wrapped onto, without the
wire's markers (``(CORRECTED)``, ``UPDATE 2-``), which become labels; a first line that is a
story's dateline or a rights notice is no headline."""

import re

from app.ingestion.parsed import ArticleRejected
from app.ingestion.wire.byline import byline_authors, named_agency
from app.ingestion.wire.closing import CREDITS, SIGN_OFF, parse_copyright
from app.ingestion.wire.dateline import DATELINE, EDITORS_NOTE, dateline
from app.ingestion.wire.paragraphs import BULLET, SENTENCE_END, WRAP_WIDTH, collapse


def take_headline(lines: list[str], *, title_given: bool) -> tuple[str, tuple[str, ...], list[str]]:
    """The headline opening ``lines``, its labels, and the lines under it.

    ``title_given``: the first line is a headline a structured source gave (a JSON field, front
    matter), taken as it is.
    """
    title, body = collapse(lines[0]), lines[1:]
    if title_given:
        return title, (), body
    title, body = _wrapped_headline(title, body)
    title, labels = _headline_labels(title)
    _check_headline(title)
    return title, labels, body


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
    rest = collapse(_BRACKETED_MARKER.sub(label, rest))
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
        headline, body = f"{headline} {collapse(body[0])}", body[1:]
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
    text = collapse(line)
    if (
        not text
        or len(headline.split()) < _WRAPPED_HEADLINE_MIN_WORDS
        or line[:1].isspace()
        or len(text) > WRAP_WIDTH
        or headline.endswith(SENTENCE_END)
        or (text.endswith((".", "!", "?")) and _headline_style(text, least=1) != "capitals")
        or not any(char.isalnum() for char in text)
        or any(byline_authors(text))
        or named_agency(text)
        or dateline(text) is not None
        or BULLET.match(text)
        or EDITORS_NOTE.match(text)
        or SIGN_OFF.match(text)
        or CREDITS.match(text)
        or parse_copyright(text) is not None
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
            or _headline_style(collapse(after), least=1) != style
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
    found = dateline(title)
    if (
        found is not None
        and (found[1] or found[2] or DATELINE.match(title))
        and not (title[found[3] :].strip() and title[found[3] :].upper() == title[found[3] :])
    ):
        raise ArticleRejected(f"no headline: the first line opens with a dateline ({title[:40]!r})")
    if parse_copyright(title) is not None:
        raise ArticleRejected(f"no headline: the first line is a copyright notice ({title[:40]!r})")
