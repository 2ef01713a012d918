"""Highlights with the engine's own analyzers: which of a text's words the query matched.

A stand-in with the interface of the highlighter written beside it: it marks each word whose
``TEXT`` term is one of the query's words, whose ``WORDS`` term starts with one of its
prefixes, and each run of words whose terms are one of its phrases.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from app.query import AtomKind, Column, ParsedQuery
from app.search.schema import TEXT, WORDS, analyze

# A run of letters and digits: a word as the analyzers' tokenizer cuts text.
_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=65_536)
def _term(analyzer: str, word: str) -> str:
    """The term ``analyzer`` makes of one word ("" when none); words repeat, so kept."""
    return next(iter(analyze(analyzer, word)), "")


@dataclass(frozen=True, slots=True)
class Marking:
    """What to mark in one column's text: the query's positive terms as the index holds them."""

    stems: frozenset[str]  # TEXT-analyzed terms of words
    prefixes: tuple[str, ...]  # WORDS-analyzed prefixes of prefix* terms
    phrases: tuple[tuple[str, ...], ...]  # TEXT-analyzed term sequences of phrases


def marking_of(query: ParsedQuery, column: Column) -> Marking:
    """What the query's terms that may match in ``column`` mark there."""
    stems: set[str] = set()
    prefixes: list[str] = []
    phrases: list[tuple[str, ...]] = []
    for term in query.terms():
        if term.column not in (None, column):
            continue
        if term.kind is AtomKind.PREFIX:
            prefixes.extend(analyze(WORDS, term.text)[-1:])
            continue
        terms = tuple(analyze(TEXT, term.text))
        if len(terms) == 1:
            stems.add(terms[0])
        elif terms:
            phrases.append(terms)
    return Marking(frozenset(stems), tuple(prefixes), tuple(phrases))


def marked(text: str, marking: Marking, *, start: str, stop: str) -> str:
    """``text`` with every match wrapped in ``start``/``stop`` (phrases as one span)."""
    if not (marking.stems or marking.prefixes or marking.phrases):
        return text
    spans = [match.span() for match in _WORD.finditer(text)]
    stems = [_term(TEXT, text[a:b]) for a, b in spans]
    chosen: list[tuple[int, int]] = []
    position = 0
    while position < len(spans):
        length = _match_length(text, spans, stems, position, marking)
        if length:
            chosen.append((spans[position][0], spans[position + length - 1][1]))
            position += length
        else:
            position += 1
    pieces, last = [], 0
    for begin, end in chosen:
        pieces += [text[last:begin], start, text[begin:end], stop]
        last = end
    pieces.append(text[last:])
    return "".join(pieces)


def _match_length(
    text: str,
    spans: list[tuple[int, int]],
    stems: list[str],
    position: int,
    marking: Marking,
) -> int:
    """How many words from ``position`` on one of the marking's terms covers (0: none)."""
    for phrase in marking.phrases:
        if tuple(stems[position : position + len(phrase)]) == phrase:
            return len(phrase)
    if stems[position] and stems[position] in marking.stems:
        return 1
    if marking.prefixes:
        begin, end = spans[position]
        word = _term(WORDS, text[begin:end])
        if word and word.startswith(marking.prefixes):
            return 1
    return 0
