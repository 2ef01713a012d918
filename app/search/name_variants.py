"""Spelling variants of a query's names, drawn from the corpus's own vocabulary: the search
index's words (``app/search/vocabulary.py``).

A query word finds its variants among the words that share its name key and lie within a small
edit distance (``app/search/name_keys.py``). Variants are for names only, judged by how the
corpus writes a word (``app/search/written_forms.py``). A word the corpus holds often gains only
spellings of the same sound (transliterations); nearby spellings (edits) are for words the corpus
holds rarely or not at all.
"""

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.search.index import SearchIndex
from app.search.name_keys import FAR_MORE, folded, max_distance, name_key, sounds
from app.search.query_tree import AnyOf, AtomKind, Node, ParsedQuery, Term, map_terms
from app.search.vocabulary import Vocabulary, index_term
from app.search.written_forms import by_frequency, usage_of

if TYPE_CHECKING:
    from app.store.readers.base import Read

_PARTS = re.compile(r"([^\w]+)")
_AL_EL = str.maketrans("aeAE", "eaEA")


@dataclass(frozen=True, slots=True)
class Expansion:
    """The query with name variants added, and which variants each word gained."""

    query: ParsedQuery
    expanded: dict[str, list[str]]


def expand_names(read: "Read", index: SearchIndex, query: ParsedQuery) -> Expansion:
    """Add to each name in the query the variants the corpus holds."""
    words = Vocabulary(index)
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


def _name_variants(read: "Read", words: Vocabulary, word: str) -> list[str]:
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


def _variants_of(read: "Read", words: Vocabulary, word: str) -> list[str]:
    """The rules of variants: a name (or a word the corpus does not show to be anything else)
    gains the names of the same sound; a word the corpus holds rarely next to a name near it
    also gains that name."""
    own_term = index_term(word)
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
    own = usage_of(read, words, own_term)
    if own.known and not own.is_name:
        return []  # a common word (or one the corpus writes either way): not varied
    held = words.documents(word, cap=max(documents for _, documents, _ in near) + 1)
    variants: list[str] = []
    for term, documents, same_sound in near:
        if not same_sound and held * FAR_MORE > documents:
            continue  # a word of its own next to this one (Tokyo and Togo), not its misspelling
        usage = usage_of(read, words, term)
        if not usage.is_name:
            continue
        for form in by_frequency(list(usage.names)):
            # One spelling a word: the search folds case (WALKER is Walker).
            if index_term(form) not in {own_term, *map(index_term, variants)}:
                variants.append(form)
    return sorted(variants, key=str.lower)
