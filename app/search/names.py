"""Spelling variants of names, prefix completions and corrections, drawn from the corpus's own
vocabulary: the search index's words (``app/search/vocabulary.py``).

The index files each word an article writes capitalised under a similarity key (``name_key``).
A query word finds its variants among the words that share its key and lie within a small edit
distance: ``Zelensky`` finds ``Zelenskyy`` and ``Zelenskiy``, ``Gaddafi`` finds ``Qaddafi`` and
``Gadhafi``, ``Yuschenko`` finds ``Yushchenko`` and ``Juschtschenko``. How a word is written is
read from the store's texts of the first articles the index says hold it.

Variants are for names only, judged by how the corpus writes a word where its case says
something (inside a sentence of body text, not in a headline-like line): a word written
capitalised there nearly everywhere is a name, one written mostly in lower case is a common word.
A word the corpus holds often gains only spellings of the same sound (transliterations); nearby
spellings (edits) are for words the corpus holds rarely or not at all. ``suggest`` offers, for a
query word the corpus holds rarely, a word one or two edits away that it holds far more often.
Everything is deterministic and offline.
"""

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

from app.search.language import (
    AnyOf,
    AtomKind,
    Node,
    ParsedQuery,
    Term,
    interpreted,
    is_token_char,
    map_terms,
)

if TYPE_CHECKING:
    from app.search.index import SearchIndex
    from app.search.vocabulary import Vocabulary
    from app.store.readers.base import Read

MIN_NAME_LENGTH = 4
SAMPLE_PLACES = 5
# Of a sampled article, only this many characters are read for how it writes a word: tokenizing a
# 10 MB body in Python would cost seconds a search.
SAMPLE_CHARACTERS = 65_536
_CACHE_SIZE = 4096
# Spellings that English, German and French wire copy trade for one another when they
# transliterate Russian, Ukrainian and Arabic names: digraphs standing for one sound (tried in
# this order, longest first; "9" stands for the sound of ch/tsch), then letters taken as the same
# sound, then doubled letters as one. Russian shcha is shch, sch, schtsch (German) or chtch
# (French); kha is kh, h or ch; short i and yery are y, i or j; u is u or ou (French); Arabic
# qaf is q, k or g; the hamza of al-Qaeda is ae or ai.
_DIGRAPHS = (
    ("schtsch", "sh"),
    ("chtch", "sh"),
    ("shch", "sh"),
    ("tsch", "9"),
    ("tch", "9"),
    ("sch", "sh"),
    ("ch", "9"),
    ("ph", "f"),
    ("dh", "d"),
    ("kh", "h"),
    ("th", "t"),
    ("gh", "g"),
    ("ou", "u"),
    ("ae", "ai"),
)
_SAME_SOUND = str.maketrans(
    {"q": "k", "c": "k", "g": "k", "w": "v", "z": "s", "x": "s", "j": "y", "i": "y"}
)
_VOWELS = re.compile("[aeiouy]")
_REPEATS = re.compile(r"(.)\1+")
# A query word held by at least this many times fewer articles than a spelling near it is rare
# next to it: a misspelling or a rare spelling of it, which may gain it (as a variant, or as
# `did_you_mean`). A word held about as often as its neighbour is a word of its own (Tokyo, Togo).
FAR_MORE = 10
# A query word is rare in the corpus, for `did_you_mean`, when at most this share of the articles
# holds it (and at most RARE_ARTICLES whatever the corpus's size).
RARE_SHARE = 1 / 2000
RARE_ARTICLES = 2
# How many places in body text are read to tell a name from a common word, at most.
EVIDENCE_PLACES = 40
# A name is written capitalised at this share of its places inside sentences, at least.
NAME_SHARE = 0.8
# How many corpus words near a misspelling are read for how they are written, at most.
SUGGESTION_CANDIDATES = 8
# The query words a suggestion looks at, and the vocabulary rows it compares each with (the
# most frequent first: a correction is far more frequent than the word it corrects).
SUGGESTED_WORDS = 4
SUGGESTION_ROWS = 5000
_PARTS = re.compile(r"([^\w]+)")


def index_tokens(text: str) -> list[str]:
    """The text cut into tokens as the query language cuts words (runs of letters, digits)."""
    return [text[start:end] for start, end in token_spans(text)]


def token_spans(text: str) -> list[tuple[int, int]]:
    """Where each of the text's tokens (``index_tokens``) starts and ends."""
    spans: list[tuple[int, int]] = []
    start = None
    for position, char in enumerate(text):
        if is_token_char(char):
            if start is None:
                start = position
        elif start is not None:
            spans.append((start, position))
            start = None
    if start is not None:
        spans.append((start, len(text)))
    return spans


def folded(word: str) -> str:
    """Lower case without accents, as the index compares words."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def sounds(term: str) -> str | None:
    """The word with the spellings transliterations trade made one (``Tschaikowsky`` and
    ``Tchaikovsky`` give ``9aikovsky``); None for what is not a word of Latin letters."""
    word = folded(term)
    if len(word) < MIN_NAME_LENGTH or not word.isascii() or not word.isalpha():
        return None
    for digraph, sound in _DIGRAPHS:
        word = word.replace(digraph, sound)
    return _REPEATS.sub(r"\1", word.translate(_SAME_SOUND))


@lru_cache(maxsize=65_536)
def name_key(term: str) -> str | None:
    """A similarity key: the consonant skeleton of ``sounds``.

    ``zelensky``, ``zelenskyy`` and ``zelenskiy`` all give ``slnsk``; ``gaddafi``, ``qaddafi``
    and ``gadhafi`` give ``kdf``. None for what is not a word of Latin letters.
    """
    word = sounds(term)
    if word is None:
        return None
    return _REPEATS.sub(r"\1", _VOWELS.sub("", word)) or word[0]


def max_distance(word: str) -> int:
    """How many edits a variant of a word this long may differ by (Gaddafi and Qaddafi: 1,
    Qaddafi and Gadhafi: 2)."""
    return 1 if len(word) <= 5 else 2


def _vocabulary(index: "SearchIndex") -> "Vocabulary":
    """The words of the index's latest commit."""
    # Imported here: the index's schema keys words with this module's ``name_key``.
    from app.search.vocabulary import Vocabulary  # noqa: PLC0415

    return Vocabulary(index)


def _term(word: str, *, stemmed: bool = False) -> str | None:
    """The one term the index holds ``word`` under, as a word or (``stemmed``) as a stem; None
    when none, or several."""
    from app.search.vocabulary import index_term, stem  # noqa: PLC0415  (see _vocabulary)

    return stem(word) if stemmed else index_term(word)


@dataclass(frozen=True, slots=True)
class Expansion:
    """The query with name variants added, and which variants each word gained."""

    query: ParsedQuery
    expanded: dict[str, list[str]]


def expand_names(read: "Read", index: "SearchIndex", query: ParsedQuery) -> Expansion:
    """Add to each name in the query the variants the corpus holds."""
    words = _vocabulary(index)
    expanded: dict[str, list[str]] = {}

    def vary(term: Term) -> Node:
        if term.kind is not AtomKind.WORD:
            return term
        if not (variants := _name_variants(read, words, term.text)):
            return term
        expanded[term.text] = variants
        return AnyOf((term, *(Term(AtomKind.WORD, v, term.column) for v in variants)))

    root = map_terms(query.root, vary)
    return Expansion(ParsedQuery(root=root, warnings=query.warnings), expanded)


PREFIX_COMPLETIONS = 20


def complete_prefixes(read: "Read", index: "SearchIndex", query: ParsedQuery) -> Expansion:
    """The words each ``prefix*`` of the query finds, for the response to show: one a stem (the
    words a stem gathers are one word to the ranking), as the corpus writes it, the most held
    first.

    The search index matches a prefix against the unstemmed words: the query is left as it is.
    """
    words = _vocabulary(index)
    completed: dict[str, list[str]] = {}

    def complete(term: Term) -> Node:
        if term.kind is not AtomKind.PREFIX:
            return term
        if not (found := _completions(read, words, term.text)):
            return term
        completed[f"{term.text}*"] = found
        return term

    root = map_terms(query.root, complete)
    return Expansion(ParsedQuery(root=root, warnings=query.warnings), completed)


def _completions(read: "Read", words: "Vocabulary", prefix: str) -> list[str]:
    start = _term(prefix)
    if start is None or len(start) < 3 or not start.isalpha():
        return []
    stems = dict.fromkeys(
        stem
        for term, _ in words.with_prefix(start, limit=PREFIX_COMPLETIONS)
        if (stem := _term(term, stemmed=True)) is not None
    )
    completions: list[str] = []
    for stem in stems:
        forms = _surface_forms(read, words, stem, stemmed=True)
        if forms and folded(forms[0]) not in {folded(word) for word in completions}:
            completions.append(forms[0])
    return completions


def _name_variants(read: "Read", words: "Vocabulary", word: str) -> list[str]:
    """Spellings of the same name that the corpus writes, other than ``word`` itself; in a
    compound such as ``al-Qaida``, each part is varied in turn (``al-Qaeda``)."""
    parts = _PARTS.split(word)
    if len(parts) == 1:
        return _variants_of(read, words, word)
    variants = []
    for index, part in enumerate(parts):
        for variant in _variants_of(read, words, part) if _PARTS.fullmatch(part) is None else []:
            variants.append("".join([*parts[:index], variant, *parts[index + 1 :]]))
    # The Arabic article is written al- or el-: the other is added where the corpus writes it.
    articles = [index for index, part in enumerate(parts) if folded(part) in {"al", "el"}]
    for spelling in [word, *variants]:
        pieces = _PARTS.split(spelling)
        for index in articles:
            pieces_swapped = [
                *pieces[:index],
                pieces[index].translate(_AL_EL),
                *pieces[index + 1 :],
            ]
            swapped = "".join(pieces_swapped)
            if swapped not in variants and words.documents(swapped, cap=1):
                variants.append(swapped)
    return variants


_AL_EL = str.maketrans("aeAE", "eaEA")


def _variants_of(read: "Read", words: "Vocabulary", word: str) -> list[str]:
    """The rules of variants: a name (or a word the corpus does not show to be anything else)
    gains the names of the same sound; a word the corpus holds rarely next to a name near it
    also gains that name."""
    own_term = _term(word)
    if own_term is None or (key := name_key(own_term)) is None:
        return []
    heard = sounds(own_term) or ""
    from rapidfuzz.distance import OSA  # noqa: PLC0415  (searches only: ingestion's memory)

    # Edits are counted between the sounds, so that spellings of one sound cost nothing.
    near = [
        (term, documents, sounds(term) == heard)
        for term, documents in words.of_key(key)
        if term != own_term and OSA.distance(heard, sounds(term) or term) <= max_distance(own_term)
    ]
    if not near:
        return []
    own = _usage(read, words, own_term)
    if own.known and not own.is_name:
        return []  # a common word (or one the corpus writes either way): not varied
    held = words.documents(word, cap=max(documents for _, documents, _ in near) + 1)
    variants: list[str] = []
    for term, documents, same_sound in near:
        if not same_sound and held * FAR_MORE > documents:
            continue  # a word of its own next to this one (Tokyo and Togo), not its misspelling
        usage = _usage(read, words, term)
        if not usage.is_name:
            continue
        for form in _by_frequency(list(usage.names)):
            # One spelling a word: the search folds case (WALKER is Walker).
            if _term(form) not in {own_term, *map(_term, variants)}:
                variants.append(form)
    return sorted(variants, key=str.lower)


def suggest(
    read: "Read",
    index: "SearchIndex",
    query: ParsedQuery,
    *,
    expanded: Iterable[str] = (),
) -> str | None:
    """The query written back with each word the corpus holds rarely replaced by a word one or
    two edits away that it holds far more often (None when no word is replaced); its operators,
    fields, phrases and exclusions are kept.

    Words that gained name variants (``expanded``) already found what the corpus holds. At most
    ``SUGGESTED_WORDS`` words are looked at, so a long query costs no more than a short one.
    """
    typed: list[str] = []

    def collect(term: Term) -> Node:
        if term.kind is AtomKind.WORD and term.text not in typed:
            typed.append(term.text)
        return term

    map_terms(query.root, collect)
    skip = set(expanded)
    candidates = [w for w in typed if w not in skip and len(folded(w)) >= MIN_NAME_LENGTH]
    replacements: dict[str, str] = {}
    rare: int | None = None
    words: Vocabulary | None = None
    for word in candidates[:SUGGESTED_WORDS]:
        if rare is None or words is None:
            words = _vocabulary(index)
            rare = _rare_articles(words)
        held = words.documents(word, cap=rare + 1)
        if held > rare:
            continue
        best = _closest(read, words, word, more_than=max(held * FAR_MORE, held))
        if best is not None:
            replacements[word] = best
    if not replacements:
        return None

    def replace(term: Term) -> Node:
        if term.kind is AtomKind.WORD and term.text in replacements:
            return Term(AtomKind.WORD, replacements[term.text], term.column)
        return term

    return interpreted(map_terms(query.root, replace))


def _rare_articles(words: "Vocabulary") -> int:
    """How many articles at most hold a word that is rare in this corpus: the corpus's size as
    the index's commit counts its documents, read without a query."""
    return max(RARE_ARTICLES, int(words.searcher.num_docs * RARE_SHARE))


def _closest(read: "Read", words: "Vocabulary", word: str, *, more_than: int) -> str | None:
    """The word as the corpus writes it that is fewest edits from ``word``, then held by the
    most articles (more than ``more_than``); None when none is within ``max_distance``."""
    wanted = _term(word)
    if wanted is None:
        return None
    limit = max_distance(wanted)
    # Misspellings keep the first letter, mostly: compare with the words that start like it
    # (the most held first), and with those that sound alike.
    listed = words.with_prefix(wanted[0], limit=SUGGESTION_ROWS)
    if (key := name_key(wanted)) is not None:
        listed += words.of_key(key)
    from rapidfuzz.distance import OSA  # noqa: PLC0415  (searches only: ingestion's memory)

    held = dict(
        sorted(
            (
                (term, documents)
                for term, documents in listed
                if documents > more_than
                and len(term) <= len(wanted) + limit
                and OSA.distance(wanted, term, score_cutoff=limit) <= limit
            ),
            key=lambda pair: pair[1],
        )
    )  # a word listed twice keeps its higher number
    candidates = sorted(((documents, term) for term, documents in held.items()), reverse=True)
    scored = []
    for documents, term in candidates[:SUGGESTION_CANDIDATES]:
        for form in _surface_forms(read, words, term):
            distance = OSA.distance(wanted, _term(form) or folded(form), score_cutoff=limit)
            if 0 < distance <= limit:
                scored.append((distance, -documents, form))
    if not scored:
        return None
    return min(scored)[2]


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


# What is remembered of a term's places, by the index commit that led to them (``Vocabulary.
# commit``): a commit that adds or removes articles is another, so nothing stale is answered.
_usage_cache: dict[tuple[tuple[str, int, int], str], Usage] = {}


def _usage(read: "Read", words: "Vocabulary", term: str) -> Usage:
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


def _places(text: str, term: str, *, limit: int, stemmed: bool = False) -> list[tuple[int, int]]:
    """Where ``text`` writes a word the index holds as ``term`` (``stemmed``: a word of that
    stem): the first ``limit`` spans."""
    from app.search.schema import word_spans  # noqa: PLC0415  (see _vocabulary)

    spans: list[tuple[int, int]] = []
    for start, end in word_spans(text):
        if len(spans) >= limit:
            break
        if _term(text[start:end], stemmed=stemmed) == term:
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


def _body_places(
    read: "Read", words: "Vocabulary", term: str
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


_OPENING = "\"'\u201c\u2018\u00ab\u201e\u201a\u2039([{"
_CLOSING = "\"'\u201d\u2019\u00bb\u203a)]}"
_SENTENCE_END = ".!?\u2026"
_DASHES = "-\u2013\u2014"


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
    long_words = [word for word in index_tokens(line) if len(word) >= 4 and word[0].isalpha()]
    return len(long_words) >= 3 and all(word[0].isupper() for word in long_words)


_surface_cache: dict[tuple[tuple[str, int, int], str, bool], list[str]] = {}


def _surface_forms(
    read: "Read", words: "Vocabulary", term: str, *, stemmed: bool = False
) -> list[str]:
    """How the corpus writes an index term (``stemmed``: the words of a stem), from a few
    articles that hold it: the most frequent spelling first (remembered for the index's
    commit)."""
    cache_key = (words.commit, term, stemmed)
    if (found := _surface_cache.get(cache_key)) is not None:
        return found
    forms = _by_frequency(_spellings(read, words, term, stemmed=stemmed))
    if len(_surface_cache) >= _CACHE_SIZE:
        _surface_cache.clear()
    _surface_cache[cache_key] = forms
    return forms


def _by_frequency(spellings: list[str]) -> list[str]:
    """The distinct spellings, the most frequent first, ties in the order met."""
    return sorted(dict.fromkeys(spellings), key=spellings.count, reverse=True)


def _spellings(read: "Read", words: "Vocabulary", term: str, *, stemmed: bool = False) -> list[str]:
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
