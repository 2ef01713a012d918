"""Prefix completions: the words each ``prefix*`` of a query finds, as the corpus writes them,
for the response to show; drawn from the search index's words (``app/search/vocabulary.py``)."""

from typing import TYPE_CHECKING

from app.search.index import SearchIndex
from app.search.name_keys import folded
from app.search.name_variants import Expansion
from app.search.query_tree import AtomKind, Node, ParsedQuery, Term, map_terms
from app.search.vocabulary import Vocabulary, index_term, stem
from app.search.written_forms import surface_forms

if TYPE_CHECKING:
    from app.store.readers.base import Read

PREFIX_COMPLETIONS = 20


def complete_prefixes(read: "Read", index: SearchIndex, query: ParsedQuery) -> Expansion:
    """The words each ``prefix*`` of the query finds, for the response to show: one a stem (the
    words a stem gathers are one word to the ranking), as the corpus writes it, the most held
    first.

    The search index matches a prefix against the unstemmed words: the query is left as it is.
    """
    words = Vocabulary(index)
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


def _completions(read: "Read", words: Vocabulary, prefix: str) -> list[str]:
    start = index_term(prefix)
    if start is None or len(start) < 3 or not start.isalpha():
        return []
    stems = dict.fromkeys(
        stemmed
        for term, _ in words.with_prefix(start, limit=PREFIX_COMPLETIONS)
        if (stemmed := stem(term)) is not None
    )
    completions: list[str] = []
    for stemmed in stems:
        forms = surface_forms(read, words, stemmed, stemmed=True)
        if forms and folded(forms[0]) not in {folded(word) for word in completions}:
            completions.append(forms[0])
    return completions
