"""Did-you-mean corrections: for a query word the corpus holds rarely, a word one or two edits
away that it holds far more often, drawn from the search index's words
(``app/search/vocabulary.py``) and written as the corpus writes it."""

from collections.abc import Iterable
from typing import TYPE_CHECKING

from app.search.index import SearchIndex
from app.search.name_keys import FAR_MORE, MIN_NAME_LENGTH, folded, max_distance, name_key
from app.search.query_tree import AtomKind, Node, ParsedQuery, Term, interpreted, map_terms
from app.search.vocabulary import Vocabulary, index_term
from app.search.written_forms import surface_forms

if TYPE_CHECKING:
    from app.store.readers.base import Read

# A query word is rare in the corpus, for `did_you_mean`, when at most this share of the articles
# holds it (and at most RARE_ARTICLES whatever the corpus's size).
RARE_SHARE = 1 / 2000
RARE_ARTICLES = 2
# How many corpus words near a misspelling are read for how they are written, at most.
SUGGESTION_CANDIDATES = 8
# The query words a suggestion looks at, and the vocabulary rows it compares each with (the
# most frequent first: a correction is far more frequent than the word it corrects).
SUGGESTED_WORDS = 4
SUGGESTION_ROWS = 5000


def suggest(
    read: "Read",
    index: SearchIndex,
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
            words = Vocabulary(index)
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


def _rare_articles(words: Vocabulary) -> int:
    """How many articles at most hold a word that is rare in this corpus: the corpus's size as
    the index's commit counts its documents, read without a query."""
    return max(RARE_ARTICLES, int(words.searcher.num_docs * RARE_SHARE))


def _closest(read: "Read", words: Vocabulary, word: str, *, more_than: int) -> str | None:
    """The word as the corpus writes it that is fewest edits from ``word``, then held by the
    most articles (more than ``more_than``); None when none is within ``max_distance``."""
    wanted = index_term(word)
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
        for form in surface_forms(read, words, term):
            distance = OSA.distance(wanted, index_term(form) or folded(form), score_cutoff=limit)
            if 0 < distance <= limit:
                scored.append((distance, -documents, form))
    if not scored:
        return None
    return min(scored)[2]
