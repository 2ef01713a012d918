"""Related articles answered by the search index: the article's distinctive words weighed with
the index's document frequencies, the articles holding them ranked by the engine, and the words
each shares marked with the index's analyzers.

The words that may be distinctive, their weights and the marks of shared words are the store's
half's (``app/related.py``); what the index brings is the corpus's statistics and the ranking.
A word's document frequency is the number of articles the search for it matches (its ``TEXT``
term, folded and stemmed, in the headline or the body), capped at ``DF_CAP + 1`` as the store's
is: the engine's own document frequency of its term in each column (``Searcher.doc_freq``)
tell a word past the cap without counting it. They count an article replaced or removed until
its segment is merged, as the engine's BM25 does: a word held by a few more articles than the
cap may be taken as past it. The total is the index's articles (the progress document left out).

The related articles are an OR of the words as search queries them (``render``: each word in
the headline weighing ``TITLE_BOOST`` times the body), the article itself left out, ordered as
search orders by relevance (score, then the most recent year, then the highest id). Each comes
with the words it shares, marked on the store's text: a long headline or body on its window
(``app/passages.py``).
"""

import re

import tantivy
from sqlmodel import Session, col, select

from app.models import Article
from app.passages import MARKED_WHOLE, body_passage, title_passage
from app.query import AnyOf, AtomKind, Column, ParsedQuery, Term
from app.related import (
    DF_CAP,
    MARK_START,
    MARK_STOP,
    RelatedMatch,
    candidate_words,
    most_distinctive,
    shared_terms,
)
from app.search import render
from app.search.engine import best_first, match_count
from app.search.highlight import Marking, marked, marking_of, window_needles
from app.search.index import SearchIndex
from app.search.schema import SCHEMA, TEXT, analyze

# The columns a word is counted in: what the related query searches.
COLUMNS = tuple(column.value for column in Column)


def distinctive_terms_in_index(index: SearchIndex, *, article: Article) -> list[str]:
    """The article's words that say most about it, weighed against the index's articles."""
    searcher = index.searcher()
    total = index.articles(searcher)

    def documents(word: str) -> int:
        terms = analyze(TEXT, word)
        if len(terms) == 1 and max(searcher.doc_freq(f, terms[0]) for f in COLUMNS) > DF_CAP:
            return DF_CAP + 1
        # Articles holding the word in the headline, the body or both, as the query matches
        # it: counted only below the cap, so a common word costs no count.
        matching = render.matching(ParsedQuery(Term(AtomKind.WORD, word)))
        return min(match_count(searcher, matching), DF_CAP + 1) if matching is not None else 0

    return most_distinctive(candidate_words(article), total=total, documents=documents)


def related_in_index(
    session: Session, index: SearchIndex, *, article: Article, terms: list[str], limit: int = 10
) -> list[RelatedMatch]:
    """The articles closest to ``article`` by its distinctive ``terms``, closest first; one the
    store no longer holds (the index not yet caught up with its removal) is left out."""
    query = ParsedQuery(AnyOf(tuple(Term(AtomKind.WORD, term) for term in terms)))
    scored = render.ranked(query)
    if scored is None:
        return []
    others = tantivy.Query.boolean_query(
        [
            (render.Must, scored),
            (render.MustNot, tantivy.Query.term_query(SCHEMA, "id", article.id)),
        ]
    )
    searcher = index.searcher()
    size = match_count(searcher, others)
    hits = best_first(searcher, others, 0, after=None, skip=0, wanted=limit, size=size)
    articles = {
        row.id: row
        for row in session.exec(
            select(Article).where(col(Article.id).in_([hit.id for hit in hits]))
        )
    }
    marking = marking_of(query, Column.BODY)
    needles = window_needles(terms)
    related = []
    for hit in hits:
        if (other := articles.get(hit.id)) is None:
            continue
        shared = shared_terms(_marked_text(other, marking, needles))
        related.append(RelatedMatch(other, float(f"{hit.score:.6g}"), shared_terms=shared))
    return related


def _marked_text(article: Article, marking: Marking, needles: re.Pattern[str] | None) -> str:
    """The article's headline and body with ``marking``'s words marked: a column too long to
    mark whole on its window, the body's around the paragraph with most ``needles``."""
    title, body = article.title, article.body
    if len(title) > MARKED_WHOLE:
        title = title_passage(title).text
    if len(body) > MARKED_WHOLE:
        body = body_passage(body, needles).text
    return " ".join(
        marked(part, marking, start=MARK_START, stop=MARK_STOP) for part in (title, body)
    )
