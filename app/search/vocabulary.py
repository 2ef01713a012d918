"""The index's own words: how many articles hold a word, the words that start with a prefix or
share a similarity key, and the first articles that hold a word.

A word's term is the word as the ``WORDS`` analyzer folds it (lower case, ASCII and Greek
folding, no stemming): ``title_words`` and ``body_words`` hold every article's words so, and
``NAME_KEYS`` files those an article writes capitalised under their name key. An article holds a
word when its headline or its body does; a compound the analyzer cuts in several terms
(``al-Qaida``) is held where its terms stand in a row.

``documents`` counts exactly (a search), but for a word the dictionary counts far past the cap
asked (``SURELY_PAST``). The listings (by prefix, by key) read the term
dictionary, whose numbers of articles still count an article replaced or removed until its
segment is merged, as the engine's BM25 does: they order candidates, and a candidate's own
number is counted exactly where a decision turns on it.
"""

from functools import lru_cache

import tantivy

from app.search.index import SearchIndex
from app.search.schema import NAME_KEYS, SCHEMA
from app.search.words import LONGEST_WORD, TEXT, WORDS, analyze

WORD_FIELDS = ("title_words", "body_words")
# A capped count is settled by the term dictionary when it counts the word in this many times
# the cap and at least ``SURELY_PAST_FLOOR`` articles: that many replaced or removed articles
# not yet merged away would be needed to make it wrong, and for a word in most articles the
# search it saves is the slowest step of a did-you-mean (`said` at 1M articles: 10 ms).
SURELY_PAST = 4
SURELY_PAST_FLOOR = 1_000
# Each word field's ranked field, which keeps positions: a compound's terms are looked for in a
# row there.
PHRASE_FIELDS = {"title_words": "title", "body_words": "body"}


def index_term(word: str) -> str | None:
    """The one term the index holds ``word`` under (None when it makes no term, or several)."""
    return _index_term(word) if len(word) <= LONGEST_WORD else _one(analyze(WORDS, word))


def stem(word: str) -> str | None:
    """The one term the ranked fields hold ``word`` under, stemmed (None when none, or
    several): the words of one stem are one word to the ranking."""
    return _stem(word) if len(word) <= LONGEST_WORD else _one(analyze(TEXT, word))


# The same words recur in every text read, so each is analysed once; a word longer than any
# term (hostile text) is analysed each time rather than kept.
@lru_cache(maxsize=65_536)
def _index_term(word: str) -> str | None:
    return _one(analyze(WORDS, word))


@lru_cache(maxsize=65_536)
def _stem(word: str) -> str | None:
    return _one(analyze(TEXT, word))


def _one(terms: list[str]) -> str | None:
    return terms[0] if len(terms) == 1 else None


class Vocabulary:
    """The words of one commit of the index (the latest the process has loaded)."""

    def __init__(self, index: SearchIndex) -> None:
        self.searcher = index.searcher()
        # What tells this commit from any other, for what is remembered of its words: the index's
        # folder, the last change it applied and its documents.
        self.commit = (
            str(index.folder),
            index.applied_change(self.searcher),
            self.searcher.num_docs,
        )

    def holding(
        self, word: str, *, fields: tuple[str, ...] = WORD_FIELDS, stemmed: bool = False
    ) -> tantivy.Query | None:
        """The articles whose ``fields`` (headline, body) hold ``word`` (``stemmed``: ``word`` is
        a stem, as the ranked fields hold it, and any word of that stem counts); None when the
        word makes no term."""
        if stemmed:
            # A stem is taken as it is: stemming it again may shorten it (``agre``, ``agr``).
            queries = [
                tantivy.Query.term_query(SCHEMA, PHRASE_FIELDS[field], word) for field in fields
            ]
            return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in queries])
        terms = analyze(WORDS, word)
        if not terms:
            return None
        if len(terms) == 1:
            queries = [tantivy.Query.term_query(SCHEMA, field, terms[0]) for field in fields]
        else:
            # Several terms in a row: a phrase of the stemmed fields' terms, which keep positions
            # (the ``*_words`` fields keep none); stemming an Arabic article or a name's part
            # changes nothing of it.
            stems: list[str | tuple[int, str]] = list(analyze(TEXT, word))
            queries = [
                tantivy.Query.phrase_query(SCHEMA, PHRASE_FIELDS[field], stems) for field in fields
            ]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, query) for query in queries])

    def documents(self, word: str, *, cap: int | None = None) -> int:
        """How many articles hold ``word`` in their headline or body (counted exactly; past
        ``cap``, ``cap``, which a word the dictionary counts far past it gets without a count)."""
        query = self.holding(word)
        if query is None or (cap is not None and cap <= 0):
            return 0
        if cap is not None:
            if self._surely_past(word, cap):
                return cap
            # The first ``cap`` holders, not all of them counted: the engine skips the blocks
            # that cannot make its best few (a word in half the articles: 0.8 ms → 0.24 ms).
            return len(self.searcher.search(query, cap, count=False).hits)
        return int(self.searcher.search(query, 1, count=True).count)  # type: ignore[attr-defined]

    def _surely_past(self, word: str, cap: int) -> bool:
        """Whether the term dictionary counts ``word`` in far more articles than ``cap``."""
        term = index_term(word)
        if term is None:
            return False
        counted = max(self.searcher.doc_freq(field, term) for field in WORD_FIELDS)
        return counted >= max(SURELY_PAST * cap, SURELY_PAST_FLOOR)

    def with_prefix(self, prefix: str, *, limit: int) -> list[tuple[str, int]]:
        """The terms that start with ``prefix`` (a term's beginning: folded), each with how
        many articles hold it in their headline or body at least (the more of the two columns'
        numbers), the most held first, then in alphabetical order; ``limit`` of them at most."""
        held: dict[str, int] = {}
        for field in WORD_FIELDS:
            for term, documents in self.searcher.terms_with_prefix(field, prefix, limit=limit):
                held[term] = max(held.get(term, 0), documents)
        return sorted(held.items(), key=lambda pair: (-pair[1], pair[0]))[:limit]

    def of_key(self, key: str) -> list[tuple[str, int]]:
        """The terms filed under the name key ``key``, each with how many articles write it
        capitalised somewhere, the most first."""
        start = f"{key} "
        return [
            (keyed[len(start) :], documents)
            for keyed, documents in self.searcher.terms_with_prefix(NAME_KEYS, start)
        ]

    def articles_holding(
        self,
        word: str,
        *,
        limit: int,
        fields: tuple[str, ...] = WORD_FIELDS,
        stemmed: bool = False,
    ) -> list[int]:
        """The ids of the first ``limit`` articles (lowest ids first) whose ``fields`` hold
        ``word`` (``stemmed``: ``word`` is a stem, and any word of it counts)."""
        query = self.holding(word, fields=fields, stemmed=stemmed)
        if query is None or limit <= 0:
            return []
        found = self.searcher.search(
            query, limit, count=False, order_by_field="id", order=tantivy.Order.Asc
        ).hits
        return sorted(int(id) for id, _ in found)
