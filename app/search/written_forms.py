"""How the corpus writes an index term, read from the store's texts of the first articles the
index says hold it: its spellings, the most frequent first, and whether it is a name.

A word is judged by how the corpus writes it where its case says something (inside a sentence of
body text, not in a headline-like line): a word written capitalised there nearly everywhere is a
name, one written mostly in lower case is a common word. What is read is remembered for the
index's commit (``Vocabulary.commit``): a commit that adds or removes articles is another, so
nothing stale is answered.
"""

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from app.search.vocabulary import Vocabulary, index_term, stem
from app.search.words import word_spans

if TYPE_CHECKING:
    from app.store.readers.base import Read

SAMPLE_PLACES = 5
# Of a sampled article, only this many characters are read for how it writes a word: tokenizing a
# 10 MB body in Python would cost seconds a search.
SAMPLE_CHARACTERS = 65_536
_CACHE_SIZE = 4096
# How many places in body text are read to tell a name from a common word, at most.
EVIDENCE_PLACES = 40
# A name is written capitalised at this share of its places inside sentences, at least.
NAME_SHARE = 0.8
_OPENING = "\"'\u201c\u2018\u00ab\u201e\u201a\u2039([{"
_CLOSING = "\"'\u201d\u2019\u00bb\u203a)]}"
_SENTENCE_END = ".!?\u2026"
_DASHES = "-\u2013\u2014"


@dataclass(frozen=True, slots=True)
class Usage:
    """How the corpus writes a term inside sentences of body text, at the places read."""

    names: tuple[str, ...]  # the capitalised spellings, as written
    lower: int  # how many places write it in lower case

    @property
    def capitalised(self) -> int:
        """How many places write it capitalised."""
        return len(self.names)

    @property
    def known(self) -> bool:
        """Whether any place says how the corpus writes it."""
        return self.capitalised + self.lower > 0

    @property
    def is_name(self) -> bool:
        """Written capitalised nearly everywhere inside sentences."""
        return self.known and self.capitalised >= NAME_SHARE * (self.capitalised + self.lower)


_usage_cache: dict[tuple[tuple[str, int, int], str], Usage] = {}
_surface_cache: dict[tuple[tuple[str, int, int], str, bool], list[str]] = {}


def usage_of(read: "Read", words: Vocabulary, term: str) -> Usage:
    """How the corpus writes ``term`` at up to EVIDENCE_PLACES places in body text, counting only
    the places where case tells a name: not at a sentence's or paragraph's start, and not in a
    line of capitals or of Title Case (the headlines of wire copy). Remembered for the index's
    commit."""
    cache_key = (words.commit, term)
    if (found := _usage_cache.get(cache_key)) is not None:
        return found
    names: list[str] = []
    lower = 0
    for body, spans in _body_places(read, words, term):
        for start, end in spans:
            if not _tells_case(body, start):
                continue
            if body[start].isupper():
                names.append(body[start:end])
            else:
                lower += 1
    usage = Usage(tuple(names), lower)
    if len(_usage_cache) >= _CACHE_SIZE:
        _usage_cache.clear()
    _usage_cache[cache_key] = usage
    return usage


def surface_forms(
    read: "Read", words: Vocabulary, term: str, *, stemmed: bool = False
) -> list[str]:
    """How the corpus writes an index term (``stemmed``: the words of a stem), from a few
    articles that hold it: the most frequent spelling first (remembered for the index's
    commit)."""
    cache_key = (words.commit, term, stemmed)
    if (found := _surface_cache.get(cache_key)) is not None:
        return found
    forms = by_frequency(_spellings(read, words, term, stemmed=stemmed))
    if len(_surface_cache) >= _CACHE_SIZE:
        _surface_cache.clear()
    _surface_cache[cache_key] = forms
    return forms


def by_frequency(spellings: list[str]) -> list[str]:
    """The distinct spellings, the most frequent first, ties in the order met."""
    return sorted(dict.fromkeys(spellings), key=spellings.count, reverse=True)


def _spellings(read: "Read", words: Vocabulary, term: str, *, stemmed: bool = False) -> list[str]:
    """The words as written at the first SAMPLE_PLACES places (by article, headline before
    body) where the index holds ``term`` (``stemmed``: a word of that stem)."""
    ids = words.articles_holding(term, limit=SAMPLE_PLACES, stemmed=stemmed)
    texts = _texts(read, ids, ("title", "body"))
    spellings: list[str] = []
    for id in ids:
        for written in texts.get(id, ()):
            if len(spellings) >= SAMPLE_PLACES:
                continue
            left = SAMPLE_PLACES - len(spellings)
            spans = _places(written, term, limit=left, stemmed=stemmed)
            spellings.extend(written[start:end] for start, end in spans)
    return spellings


def _body_places(
    read: "Read", words: Vocabulary, term: str
) -> list[tuple[str, list[tuple[int, int]]]]:
    """The first SAMPLE_PLACES articles whose body holds ``term`` (their bodies' first
    SAMPLE_CHARACTERS), each with the spans of the words that the index holds as ``term``:
    EVIDENCE_PLACES in all, at most. Both stores read the same places."""
    ids = words.articles_holding(term, limit=SAMPLE_PLACES, fields=("body_words",))
    bodies = _texts(read, ids, ("body",))
    places: list[tuple[str, list[tuple[int, int]]]] = []
    left = EVIDENCE_PLACES
    for id in ids:
        if left <= 0:
            break
        if (held := bodies.get(id)) is None:
            continue  # removed from the store since the index's commit
        (body,) = held
        spans = _places(body, term, limit=left)
        left -= len(spans)
        places.append((body, spans))
    return places


def _places(text: str, term: str, *, limit: int, stemmed: bool = False) -> list[tuple[int, int]]:
    """Where ``text`` writes a word the index holds as ``term`` (``stemmed``: a word of that
    stem): the first ``limit`` spans."""
    term_of = stem if stemmed else index_term
    spans: list[tuple[int, int]] = []
    for start, end in word_spans(text):
        if len(spans) >= limit:
            break
        if term_of(text[start:end]) == term:
            spans.append((start, end))
    return spans


def _texts(
    read: "Read", ids: list[int], columns: tuple[Literal["title", "body"], ...]
) -> dict[int, tuple[str, ...]]:
    """The first SAMPLE_CHARACTERS of each of ``columns`` of the articles, in one read."""
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    # Column names of ours and placeholders: no caller's text.
    heads = ", ".join(f"substr({column}, 1, ?) AS {column}" for column in columns)
    rows = read(
        f"SELECT id, {heads} FROM article WHERE id IN ({marks})",  # noqa: S608
        [*(SAMPLE_CHARACTERS for _ in columns), *ids],
    )
    return {row["id"]: tuple(row[column] or "" for column in columns) for row in rows}


def _tells_case(text: str, start: int) -> bool:
    """Whether the case of the word at ``start`` of a stored body (one paragraph a line) says
    something of the word: it stands inside a sentence (not first after . ! ? or a dash, nor
    after a quote opening a sentence, nor first in its paragraph) in a paragraph that is not all
    capitals or Title Case."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    if _headline_like(text[line_start : line_end if line_end >= 0 else len(text)]):
        return False
    position, quoted, spaced = start - 1, False, False
    while position >= line_start and (text[position].isspace() or text[position] in _OPENING):
        quoted = quoted or text[position] in _OPENING
        spaced = True if text[position].isspace() else spaced
        position -= 1
    if position < line_start:
        return False
    before = text[position]
    if before in _SENTENCE_END or (before == ":" and quoted):
        return False
    return not (before in _DASHES and spaced)


def _headline_like(line: str) -> bool:
    """A line of capitals, or of Title Case: every word of four letters or more capitalised, three
    such words at least, and no full stop at its end (a headline has none; a short line of prose,
    German above all, which capitalises every noun, may hold only capitalised long words)."""
    letters = [char for char in line if char.isalpha()]
    if letters and all(char.isupper() for char in letters):
        return True
    if line.rstrip().rstrip(_CLOSING)[-1:] in _SENTENCE_END:
        return False
    long_words = [word for word in _tokens(line) if len(word) >= 4 and word[0].isalpha()]
    return len(long_words) >= 3 and all(word[0].isupper() for word in long_words)


def _tokens(text: str) -> list[str]:
    """The words of the text, cut as the index cuts them."""
    return [text[start:end] for start, end in word_spans(text)]
