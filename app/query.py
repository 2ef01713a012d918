"""The search query language, parsed into a plain value that any search backend can render.

Words must all match; ``"exact phrases"``; ``a OR b``; ``-excluded`` words or phrases; ``prefix*``.
Everything else is text: operators a backend might know (``AND``, ``NEAR(``, column filters) are
never passed through, so no input can make a backend raise a syntax error.
"""

import unicodedata
from dataclasses import dataclass, field
from enum import StrEnum

from app.errors import InvalidParameter

MAX_QUERY_LENGTH = 500
MAX_CLAUSES = 32


class AtomKind(StrEnum):
    WORD = "word"
    PHRASE = "phrase"
    PREFIX = "prefix"


@dataclass(frozen=True, slots=True)
class Atom:
    """One searchable unit: a word, a phrase or a prefix."""

    kind: AtomKind
    text: str


@dataclass(frozen=True, slots=True)
class ParsedQuery:
    """A query as understood: every clause must match (one of its atoms); no excluded atom may."""

    clauses: list[list[Atom]]
    excluded: list[Atom] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def is_token_char(char: str) -> bool:
    """Whether the full-text tokenizer keeps this character (letters, digits, private use)."""
    category = unicodedata.category(char)
    return category[0] in "LN" or category == "Co"


def has_words(text: str) -> bool:
    """Whether any character of the text would be indexed."""
    return any(is_token_char(char) for char in text)


def parse_query(q: str) -> ParsedQuery:
    """Parse the user's query; raise ``InvalidParameter`` when nothing in it can be searched."""
    if not q.strip():
        raise InvalidParameter("The query `q` is blank: give at least one word to search for.")
    if len(q) > MAX_QUERY_LENGTH:
        raise InvalidParameter(f"The query `q` is longer than {MAX_QUERY_LENGTH} characters.")
    # Control characters and lone surrogates are not text (a NUL would end an FTS5 string early);
    # NFKC folds compatibility forms (fullwidth letters, ligatures) into the text that is indexed.
    q = "".join(" " if unicodedata.category(char) in ("Cc", "Cs") else char for char in q)
    q = unicodedata.normalize("NFKC", q)
    warnings: list[str] = []
    clauses: list[list[Atom]] = []
    excluded: list[Atom] = []
    pending_or = False

    for raw, quoted, negated in _tokens(q, warnings):
        if not quoted and raw == "OR" and not negated:
            if clauses and not pending_or:
                pending_or = True
            else:
                warnings.append("Ignored `OR`: it needs a word on each side.")
            continue
        atom = _atom(raw, quoted, warnings)
        if atom is None:
            continue
        if negated:
            excluded.append(atom)
            continue
        if pending_or:
            clauses[-1].append(atom)
        else:
            clauses.append([atom])
        pending_or = False

    if pending_or:
        warnings.append("Ignored `OR`: it needs a word on each side.")
    if not clauses:
        reason = "only excludes words" if excluded else "has no letters or digits to search for"
        raise InvalidParameter(f"The query `q` {reason}: give at least one word to search for.")
    if len(clauses) + len(excluded) > MAX_CLAUSES:
        raise InvalidParameter(f"The query `q` has more than {MAX_CLAUSES} words or phrases.")
    return ParsedQuery(clauses=clauses, excluded=excluded, warnings=warnings)


def _tokens(q: str, warnings: list[str]) -> list[tuple[str, bool, bool]]:
    """Split the query into ``(text, quoted, negated)`` tokens."""
    tokens: list[tuple[str, bool, bool]] = []
    position, length = 0, len(q)
    while position < length:
        char = q[position]
        if char.isspace():
            position += 1
            continue
        negated = char == "-" and position + 1 < length and not q[position + 1].isspace()
        if negated:
            position += 1
        if q[position] == '"':
            end = q.find('"', position + 1)
            if end == -1:
                warnings.append("A quote was not closed: the rest of the query is one phrase.")
                end = length
            tokens.append((q[position + 1 : end], True, negated))
            position = end + 1
            continue
        end = position
        while end < length and not q[end].isspace() and q[end] != '"':
            end += 1
        tokens.append((q[position:end], False, negated))
        position = end
    return tokens


def _atom(raw: str, quoted: bool, warnings: list[str]) -> Atom | None:
    text = " ".join(raw.split())
    kind = AtomKind.PHRASE if quoted else AtomKind.WORD
    if not quoted and text.endswith("*"):
        text = text.rstrip("*")
        kind = AtomKind.PREFIX
    if not has_words(text):
        if raw.strip():
            warnings.append(f"Ignored `{raw}`: it has no letters or digits.")
        return None
    if kind is AtomKind.PHRASE and len(text.split()) == 1:
        kind = AtomKind.WORD
    return Atom(kind, text)
