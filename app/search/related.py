"""Related articles: the ones that share an article's most distinctive words and names.

An article's words (its headline counting three times) are weighed by TF-IDF against the
index's articles; the ten that weigh most become an OR query, ranked by the engine as search
ranks. Each related article comes with the words it shares with the first, marked with the
index's analyzers.

A word's document frequency is the number of articles the search for it matches (its ``TEXT``
term, folded and stemmed, in the headline or the body), capped at ``DF_CAP + 1``: the engine's
own document frequency of its term in each column (``Searcher.doc_freq``) tells a word past the
cap without counting it. It counts an article replaced or removed until its segment is merged,
as the engine's BM25 does: a word held by a few more articles than the cap may be taken as past
it. The total is the index's articles (the progress document left out).

The related articles are an OR of the words as search queries them (``render``: each word in
the headline weighing ``TITLE_BOOST`` times the body), the article itself left out, ordered as
search orders by relevance (score, then the most recent year, then the highest id). Each comes
with the words it shares, marked on the store's text: a long headline or body on its window
(``app/search/passages.py``).
"""

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import tantivy
from sqlmodel import Session, col, select

from app.search import render
from app.search.highlight import Marking, marked, marking_of, window_needles
from app.search.hits import match_count
from app.search.index import SearchIndex
from app.search.name_keys import folded
from app.search.passages import MARKED_WHOLE, body_passage, title_passage
from app.search.query_tree import AnyOf, AtomKind, Column, ParsedQuery, Term
from app.search.relevance_order import best_first
from app.search.schema import SCHEMA
from app.search.words import TEXT, analyze, word_spans
from app.store.models import Article

DISTINCTIVE_TERMS = 10
CANDIDATE_TERMS = 40
TITLE_COUNTS = 3
DF_CAP = 1000  # document frequencies are counted up to here: past it a word is common anyway
# The words of a body are counted in its first this many characters: enough for any ordinary
# article, and a 10 MB body costs no more than a long feature.
WEIGHED_CHARACTERS = 65_536
# A shorter word (an initial, "US") ties unrelated articles.
MIN_LETTERS = 3
# What marks a shared word in a related article's text: characters no article holds.
MARK_START, MARK_STOP = "\x02", "\x03"
_MARKED = re.compile(f"{MARK_START}([^{MARK_STOP}]*){MARK_STOP}")
# Words too common in English news to tie two stories together.
STOPWORDS = frozenset(
    """
    about above after again against all also and any are because been before being below between
    both but can could did does doing down during each few for from further had has have having
    her here hers herself him himself his how into its itself just more most not now off once
    only other our ours out over own said same says she should some such than that the their
    theirs them themselves then there these they this those through too under until very was
    were what when where which while who whom why will with would you your yours yourself one
    two three new year years told last first like many much may might must per
    """.split()  # noqa: SIM905  (a word list reads best as words)
)


@dataclass(frozen=True, slots=True)
class RelatedMatch:
    """An article related to another, how closely, and the words they share."""

    article: Article
    score: float
    shared_terms: list[str]


def candidate_words(article: Article) -> list[tuple[str, int]]:
    """The article's words (folded) that may be distinctive, with how often each counts (a
    headline's ``TITLE_COUNTS`` times), most frequent first, stopwords left out."""
    counts: Counter[str] = Counter()
    for word in _candidates(article.title):
        counts[folded(word)] += TITLE_COUNTS
    for word in _candidates(article.body[:WEIGHED_CHARACTERS]):
        counts[folded(word)] += 1
    return [(word, count) for word, count in counts.most_common() if word not in STOPWORDS][
        :CANDIDATE_TERMS
    ]


def _candidates(text: str) -> list[str]:
    """The words of ``text`` (as the index cuts them) of three letters or more, no digit in
    them: numbers and initials tie unrelated articles."""
    words = (text[start:end] for start, end in word_spans(text))
    return [
        word
        for word in words
        if len(word) >= MIN_LETTERS and not any(char.isdecimal() for char in word)
    ]


def most_distinctive(
    candidates: list[tuple[str, int]], *, total: int, documents: Callable[[str], int]
) -> list[str]:
    """The ``DISTINCTIVE_TERMS`` candidates that weigh most by TF-IDF among ``total`` articles,
    ``documents`` telling how many hold a word (counted up to ``DF_CAP + 1``)."""
    weighted = []
    for word, count in candidates:
        held = documents(word)
        if held <= 1:  # only this article holds it: it can tie nothing
            continue
        weighted.append((count * math.log(1 + total / held), word))
    weighted.sort(key=lambda pair: (-pair[0], pair[1]))
    return [word for _, word in weighted[:DISTINCTIVE_TERMS]]


def shared_terms(marked: str) -> list[str]:
    """The words marked in ``marked``, folded, sorted, once each."""
    return sorted({folded(word) for word in _MARKED.findall(marked)})


# The columns a word is counted in: what the related query searches.
COLUMNS = tuple(column.value for column in Column)


def distinctive_terms(index: SearchIndex, *, article: Article) -> list[str]:
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


def related_articles(
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
