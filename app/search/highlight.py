"""Highlights: which words of a headline or body a query matched, found with the index's own
analyzers so that what is marked is exactly what matches.

A query's positive terms become a ``Marking`` per column (``marking_of``); ``marked`` tokenizes
the text as the index did (``TEXT`` for words and phrases, ``WORDS`` for prefixes, the grams of
text without spaces) and wraps each match. Its cost is linear in the text; text that cannot be
tokenized comes back unmarked rather than raising.

Tokenizing is most of a search's time (a 4,000-character body takes 0.3 ms, the engine's own
search of 100,000 articles less), and most paragraphs hold none of the query's words, so a
paragraph is tokenized only when its screened text (``words.screened``: folded as the terms
are) holds a term's beginning where a word starts (``screen_needles``); the others cannot
match. What is marked is the same as when the whole text is tokenized.
"""

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache

import tantivy

from app.search import grams
from app.search.passages import needle_pattern
from app.search.query_tree import AtomKind, Column, ParsedQuery
from app.search.words import ANALYZERS, TEXT, WORDS, analyze, folded, screened, word_run


@dataclass(frozen=True, slots=True)
class Marking:
    """What to mark in one column's text: the query's positive terms as the index holds them."""

    stems: frozenset[str]  # TEXT-analyzed terms of words
    prefixes: tuple[str, ...]  # WORDS-analyzed prefixes of prefix* terms
    phrases: tuple[tuple[str, ...], ...]  # TEXT-analyzed term sequences of phrases


def marking_of(query: ParsedQuery, column: Column) -> Marking:
    """What a search for ``query`` marks in ``column``: its positive terms (not the excluded
    ones) that apply there (``title:`` and ``body:`` terms only in theirs).

    A word the analyzer splits (``e-mail``) is the phrase of its parts, as the engine matches
    it; a prefix the analyzer splits (``jean-lu*``) marks its leading parts as a word or phrase
    and the words starting with its last part, as the engine matches it; a word holding text
    without spaces also marks each of its runs wherever it stands inside a longer run.
    """
    stems: set[str] = set()
    prefixes: list[str] = []
    phrases: list[tuple[str, ...]] = []
    for term in query.terms():
        if term.column is not None and term.column is not column:
            continue
        text = term.text
        if term.kind is AtomKind.PREFIX:
            parts = analyze(WORDS, text)
            if parts and parts[-1] not in prefixes:
                prefixes.append(parts[-1])
            text = " ".join(parts[:-1])
        parts = analyze(TEXT, text)
        if len(parts) == 1:
            stems.add(parts[0])
        elif parts and tuple(parts) not in phrases:
            phrases.append(tuple(parts))
        if term.kind is AtomKind.WORD:
            stems.update("".join(units) for units in grams.query_units(term.text))
    return Marking(frozenset(stems), tuple(prefixes), tuple(phrases))


@lru_cache(maxsize=256)
def screen_needles(marking: Marking) -> re.Pattern[str] | None:
    """What a paragraph's screened text holds when it may hold a match, as a pattern: where a
    word starts (after no letter or digit), the beginning of a stem of the marking's words and
    phrases (``stem_start``), or a prefix; None when any paragraph may (a word inside text
    without spaces)."""
    stems = [*marking.stems, *(term for phrase in marking.phrases for term in phrase)]
    if any(grams.query_units(stem) for stem in marking.stems):
        return None
    needles = {screened(stem_start(stem)) for stem in stems}
    needles.update(screened(prefix) for prefix in marking.prefixes)
    if not needles or "" in needles:
        return None
    # A letter or digit before a needle is inside a word: no term starts there (every letter
    # of a word is screened to lower case, so no capital stands there). Looked at behind the
    # needle's end, so that the engine still looks for the needle's letters first.
    escaped = [re.escape(needle) for needle in sorted(needles)]
    return re.compile("|".join(f"{needle}(?<![a-z0-9]{needle})" for needle in escaped))


def stem_start(stem: str) -> str:
    """What every word of ``stem`` starts with, as the ``WORDS`` analyzer writes it.

    The English stemmer keeps a word's beginning and rewrites at most its stem's last
    character (``happy``: ``happi``), or its last two when the stem ends with an ``e`` it
    wrote (``dying``: ``die``; ``ability``, ``able``), and never a word's first character."""
    cut = 2 if stem.endswith("e") else 1
    return stem[: max(1, len(stem) - cut)]


def window_needles(words: Sequence[str]) -> re.Pattern[str] | None:
    """What the window of a long text is chosen by (``app/search/passages.py``): the words and the
    index terms they stand for (a stem begins as most forms of its word do)."""
    return needle_pattern([*words, *(term for word in words for term in analyze(TEXT, word))])


def marked(text: str, marking: Marking, *, start: str, stop: str) -> str:
    """``text`` with every match wrapped in ``start``/``stop`` (phrases as one span)."""
    if not text or not (marking.stems or marking.prefixes or marking.phrases):
        return text
    needles = screen_needles(marking)
    try:
        if needles is None:
            spans = sorted(_spans(text, marking))
        else:
            spans = sorted(_screened_spans(text, marking, needles))
    except (ValueError, UnicodeError):  # text the analyzers cannot take (a lone surrogate)
        return text
    parts: list[str] = []
    shown = 0
    for begin, end in _merged(spans):
        parts += [text[shown:begin], start, text[begin:end], stop]
        shown = end
    parts.append(text[shown:])
    return "".join(parts)


def _screened_spans(
    text: str, marking: Marking, needles: re.Pattern[str]
) -> Iterator[tuple[int, int]]:
    """``_spans`` of the paragraphs whose screened text holds a needle, each run of them (with
    the paragraphs without a word between them, across which a phrase goes on) tokenized as
    one text."""
    held = screened(text)
    if needles.search(held) is None:
        return
    if "\n" not in text:
        yield from _spans(text, marking)
        return
    words = word_run().search
    block: tuple[int, int] | None = None  # the run's first character, and its last's end
    start = 0
    for paragraph, screen in zip(text.split("\n"), held.split("\n"), strict=True):
        end = start + len(paragraph)
        if needles.search(screen) is not None:
            block = (block[0] if block is not None else start, end)
        elif block is not None and words(paragraph) is not None:
            yield from _spans_in(text, block, marking)
            block = None
        start = end + 1
    if block is not None:
        yield from _spans_in(text, block, marking)


def _spans_in(text: str, block: tuple[int, int], marking: Marking) -> Iterator[tuple[int, int]]:
    begin, end = block
    for first, last in _spans(text[begin:end], marking):
        yield first + begin, last + begin


def _spans(text: str, marking: Marking) -> Iterator[tuple[int, int]]:
    """Where in ``text`` the marking matches, as code point offsets (overlaps possible)."""
    tokens = ANALYZERS[TEXT].pre_tokenize(folded(text)).tokens
    terms = [token.text for token in tokens]
    stems, firsts = marking.stems, {phrase[0] for phrase in marking.phrases}
    if marking.prefixes:
        # The unstemmed words, one for each token: the two analyzers cut text alike and the
        # stemmer drops no token (a count that differs raises, and the text is left unmarked).
        words = ANALYZERS[WORDS].analyze(folded(text))
        alike = zip(terms, words, strict=True)
        found = [
            number
            for number, (term, word) in enumerate(alike)
            if term in stems or word.startswith(marking.prefixes)
        ]
    else:
        # Comprehensions, not one loop with branches: a body's hundreds of tokens are most of
        # a search's time.
        found = [number for number, term in enumerate(terms) if term in stems]
    for number in found:
        yield tokens[number].char_offset_from, tokens[number].char_offset_to
    starts = [number for number, term in enumerate(terms) if term in firsts] if firsts else []
    for number in starts:
        for phrase in marking.phrases:
            if phrase[0] != terms[number]:
                continue
            last = _phrase_end(tokens, terms, number, phrase)
            if last is not None:
                yield tokens[number].char_offset_from, tokens[last].char_offset_to
    yield from _run_spans(text, marking.stems)


def _phrase_end(
    tokens: list[tantivy.Token], terms: list[str], first: int, phrase: tuple[str, ...]
) -> int | None:
    """The index of the phrase's last token when it stands from token ``first`` on, each term
    at the next position (a word left out of the index breaks it, as it does in the index)."""
    position = tokens[first].position
    for offset in range(1, len(phrase)):
        number = first + offset
        if (
            number >= len(terms)
            or terms[number] != phrase[offset]
            or tokens[number].position != position + offset
        ):
            return None
    return first + len(phrase) - 1


def _run_spans(text: str, stems: frozenset[str]) -> Iterator[tuple[int, int]]:
    """Where the runs of text without spaces among ``stems`` stand inside the text's runs, as
    the grams find them (character by character, never across two runs)."""
    needles = {units for stem in stems for units in grams.query_units(stem)}
    if not needles:
        return
    for run in grams.runs(text):
        # Characters joined by a separator no character holds, so a match starts and ends on
        # whole characters (a Thai consonant is not found inside the same consonant with a tone).
        joined = "\0" + "\0".join(run.units) + "\0"
        for units in needles:
            needle = "\0" + "\0".join(units) + "\0"
            # The character a match starts at is the number of separators before it, counted
            # from the previous match on, so a long run is read once per needle.
            first, counted = -1, 0
            found = joined.find(needle)
            while found != -1:
                first += joined.count("\0", counted, found + 1)
                counted = found + 1
                yield run.starts[first], run.ends[first + len(units) - 1]
                found = joined.find(needle, found + 1)


def _merged(spans: list[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """Sorted spans with the overlapping ones joined into one."""
    current: tuple[int, int] | None = None
    for begin, end in spans:
        if current is not None and begin < current[1]:
            current = (current[0], max(current[1], end))
            continue
        if current is not None:
            yield current
        current = (begin, end)
    if current is not None:
        yield current
