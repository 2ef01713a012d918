"""The dateline opening the story's first paragraph: the place, the date and the agency of
``(LONDON) --``, ``NEW YORK, March 3 (Reuters) -``, ``PARIS —`` or ``WASHINGTON -`` (the last
asked of the gazetteer, ``app/ingestion/places.py``)."""

import re

from app.ingestion.places import is_place

_DASH = r"(?:\s*(?:--|—|–)\s*|\s+-\s+)"  # --, an em or en dash, or a spaced hyphen
_STRONG_DASH = r"(?:\s*(?:--|—|–)\s*)"  # what a bare place (no date, no agency) needs
_AGENCY_DASH = r"(?:\s*(?:--|—|–)\s*|\s*-\s+|\s+_\s+)"  # after (Agency): also "-" and AP's "_"
_DATE_DASH = r"(?:\s*(?:--|—|–)\s*|\s*-\s+)"  # after a date, a hyphen may touch it: "March 2- "
DATELINE = re.compile(rf"^\(\s*(?P<place>[^()\n]{{1,80}}?)\s*\){_DASH}")  # (LONDON) --
# Month names in any case (old copy has "MARCH 12" and "FEb 26"): the date is the evidence.
_MONTH_NAMES = (
    r"Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?"
)
_MONTH = rf"(?i:{_MONTH_NAMES})\.?"
_WEEKDAY = r"(?i:(?:mon|tues|wednes|thurs|fri|satur|sun)day)"
# March 3, Sept. 5, 1998, 5 January 2024, 5 Jan, 2024, March 3 2024, 2024-03-05, each after a
# weekday or not (Monday, March 3).
_DATE = (
    rf"(?:(?:{_WEEKDAY},?\s+)?"
    rf"(?:{_MONTH}\s+\d{{1,2}}\b(?:,?\s*\d{{4}}\b)?|\d{{1,2}}\s+{_MONTH}(?:,?\s+\d{{4}}\b)?"
    r"|\d{4}-\d\d-\d\d\b))"
)
# Before an agency, a weekday alone stands for the date too: WASHINGTON, Monday (AP) -.
_AGENCY_DATE = rf"(?:{_DATE}|{_WEEKDAY}\b)"


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
_REGION = rf"(?:,\s*(?!{_AGENCY_DATE})[A-Z][A-Za-z.'’-]*(?:\s[A-Z][A-Za-z.'’-]*){{0,2}})?"
# Several places of one story: WEST PALM BEACH, Fla./WASHINGTON.
_ANY_PLACES = rf"{_ANY_PLACE}{_REGION}(?:\s*/\s*{_ANY_PLACE}{_REGION})*"
_CAPS_PLACES = rf"{_CAPS_PLACE}{_REGION}(?:\s*/\s*{_CAPS_PLACE}{_REGION})*"
# With an agency: LONDON (Reuters) -, Paris (AFP) -, NEW YORK, March 3 (Reuters) -,
# MIAMI (AP) _, Feb 26 (Reuters) - (a date and no place, "Monday, March 3" no place either),
# LONDON, (Reuters) - (a date left out), WASHINGTON, Monday (AP) - (a weekday, no date).
_AGENCY_DATELINE = re.compile(
    rf"""^(?:(?!{_DATE})(?P<place>{_ANY_PLACES})(?:,\s*(?P<date>{_AGENCY_DATE}))?,?|(?P<bare_date>{_DATE}))
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
    rf"|\b(?:{_WEEKDAY}|(?i:{_MONTH_NAMES}))\b"
)
_AGENCY_ALONE = re.compile(r"^\((?P<agency>[^()\n]{1,20})\)\s*(?:(?:--|—|–|-)\s*)?(?=\S)")
EDITORS_NOTE = re.compile(r"^EDITOR[’']?S[’']? NOTE\b", re.IGNORECASE)
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


def take_dateline(paragraphs: list[str]) -> tuple[str | None, str | None, str | None]:
    """Take the dateline off the first paragraph (after an editor's note) of ``paragraphs``,
    a paragraph of nothing else with it, and say its ``(place, date, agency)``."""
    first = 1 if paragraphs and EDITORS_NOTE.match(paragraphs[0]) else 0
    if len(paragraphs) <= first or (found := dateline(paragraphs[first])) is None:
        return None, None, None
    place, date, agency, end = found
    rest = paragraphs[first][end:].strip()
    paragraphs[first : first + 1] = [rest] if rest else []
    return place, date, agency


def dateline(paragraph: str) -> tuple[str | None, str | None, str | None, int] | None:
    """``(place, date, agency, end)`` of a dateline opening the paragraph, or None."""
    if (match := _AGENCY_ALONE.match(paragraph)) and _is_agency(match["agency"]):
        return None, None, match["agency"], match.end()  # (Reuters) - …, (CNN)A quake …
    if match := DATELINE.match(paragraph):
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
