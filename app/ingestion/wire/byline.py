"""The byline under the headline: ``By NAME and NAME``, the people it names and an agency it
names besides them (kept as the source), and a staff-title or agency line under it."""

import re

from app.ingestion.wire.paragraphs import collapse

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
_BYLINE = re.compile(r"^by\s+(?P<names>\S.{0,100})$", re.IGNORECASE)
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|&|\band\b)\s*", re.IGNORECASE)


def take_byline(body: list[str]) -> tuple[tuple[str, ...], str | None, list[str]]:
    """The authors and agency of a byline opening ``body``, and the lines after it (``body``
    itself when it opens with no byline)."""
    first = next((index for index, line in enumerate(body) if line.strip()), None)
    if first is None:
        return (), None, body
    names, agency = byline_authors(collapse(body[first]))
    if not (names or agency):
        return (), None, body
    body = body[first + 1 :]
    # A byline's second line: "Associated Press Writer", "Reuters".
    if body and (_STAFF_TITLE.search(body[0].strip()) or named_agency(body[0])):
        agency = agency or named_agency(body[0])
        body = body[1:]
    return names, agency, body


def byline_authors(line: str) -> tuple[tuple[str, ...], str | None]:
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


def named_agency(line: str) -> str | None:
    """The agency a line names alone (``Reuters``, ``Associated Press.``), or None."""
    return AGENCY_NAMES.get(collapse(line).strip(" .").lower())


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
