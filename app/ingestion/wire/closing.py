"""The story's closing lines: a rights notice (its holder and year), a sign-off or transmission
trailer naming the agency, credits, and end and continuation marks."""

import re
from dataclasses import dataclass

from app.ingestion.wire.byline import AGENCY_NAMES
from app.ingestion.wire.paragraphs import MORE_MARK, collapse

CREDITS = re.compile(
    r"^\(?(?:(?:additional )?reporting|writing|editing|compiled|graphics)\b"
    r".{0,300}\bby\b.{0,300}\)?$|^our standards:",
    re.IGNORECASE,
)
# Reuters' sign-off, in any case, with the dots or stray marks old copy leaves after it.
SIGN_OFF = re.compile(r"^\(?reuters?\)?[\s.…]*$", re.IGNORECASE)
# A sign-off after the last sentence on its line: "… said on Tuesday. REUTER".
_SIGN_OFF_AFTER_SENTENCE = re.compile(r"(?<=[.!?\"”’')])\s+(?i:reuters?)[\s.…]*$")
# An agency's end-of-story marks: AP's "-30-", "###" and "(END)", Reuters' "ENDS", "-0-".
_END_MARK = re.compile(
    r"^(?:[(\[-]\s*)?ends?(?:\s*[)\]-])?$|^-\s*(?:30|0)\s*-$|^#(?:\s*#){2,}$",
    re.IGNORECASE,
)
# A transmission trailer naming the agency, desk, date and time: "AP-NY-03-12-87 1423EST",
# "UPI 03-12-87 02:23 PES".
_WIRE_TRAILER = re.compile(
    r"^(?P<agency>AP|UPI)[- ](?:[A-Z]{2,4}-)?\d\d-\d\d-\d\d(?:\d\d)?"
    r"\s+\d\d:?\d\d\s*(?:[AP]M\s*)?[A-Z]{3}$"
)
# "Copyright ©", "©", "(c)", and the sign first as Reuters wrote it for years: "(c) Copyright".
_COPYRIGHT_MARK = re.compile(
    r"^(?:copyright\b\s*)?(?:(?:©|\(c\))(?:\s*copyright\b)?)?", re.IGNORECASE
)
_YEAR = re.compile(r"\b(?P<year>1[89]\d\d|2\d\d\d)\b(?:\s*[-–]\s*(?P<until>\d{4}|\d{2})\b)?")
_RIGHTS_RESERVED = re.compile(r"\ball rights reserved(?: worldwide)?\b\.?", re.IGNORECASE)
_COPYRIGHT_MAX_LENGTH = 200
_COPYRIGHT_MAX_HOLDER_WORDS = 8


@dataclass(slots=True)
class ClosingLines:
    """What a story's closing lines said: a rights notice, its holder and year, a signer."""

    copyright: str | None = None
    source: str | None = None
    year: int | None = None
    signed_by: str | None = None


def take_closing_lines(body: list[str]) -> ClosingLines:
    """Take the closing lines off ``body`` (a notice, a sign-off, credits and end marks, in any
    order) and say what they held."""
    closing = ClosingLines()
    while body:
        last = collapse(body[-1])
        if not last or _END_MARK.match(last) or MORE_MARK.match(last):
            body.pop()
        elif closing.copyright is None and (rights := parse_copyright(last)) is not None:
            closing.copyright, (closing.source, closing.year) = last, rights
            body.pop()
        elif closing.signed_by is None and (signer := _signed_by(last)) is not None:
            closing.signed_by = signer
            body.pop()
        elif CREDITS.match(last):  # (Reporting by …; Editing by …), Our Standards: …
            body.pop()
        elif closing.signed_by is None and (after := _SIGN_OFF_AFTER_SENTENCE.search(last)):
            closing.signed_by = "Reuters"
            body[-1] = last[: after.start()]
        else:
            break
    return closing


def _signed_by(line: str) -> str | None:
    """The agency a closing sign-off or transmission trailer names, or None if it is neither."""
    if SIGN_OFF.match(line):
        return "Reuters"
    if trailer := _WIRE_TRAILER.match(line):
        code = trailer["agency"]
        return AGENCY_NAMES.get(code.lower(), code)
    return None


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


def parse_copyright(line: str) -> tuple[str | None, int | None] | None:
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
        # What followed the year keeps its stop: "Thomson Reuters 2014. Click …" has a
        # holder of one sentence, "Thomson Reuters".
        after = rest[found.end() :]
        rest = rest[: found.start()].rstrip() + ("" if after[:1] in ".,;" else " ") + after
    source = _holder(rest)
    if year is None and not reserved:
        return None
    if not (has_sign or reserved or year_first):
        return None
    if source is not None and len(source.split()) > _COPYRIGHT_MAX_HOLDER_WORDS:
        return None
    return source, year
