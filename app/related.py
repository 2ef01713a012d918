"""Related articles: the ones that share an article's most distinctive words and names.

An article's words (its headline counting three times) are weighed by TF-IDF against the corpus;
the ten that weigh most become an OR query, ranked by the same BM25 as search. Each related
article comes with the words that tie it to the first, read from the index's own highlights.

This is the store's half (FTS5, PostgreSQL's ``tsvector``), with what both halves share: which
words are candidates, how they are weighed, the marks of shared words. ``app/search/related.py``
answers from the search index.
"""

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy import Connection, text
from sqlmodel import Session, col, select

from app import postgres
from app.impacts import BODY_WEIGHT, TITLE_WEIGHT
from app.models import Article
from app.names import documents_holding, folded
from app.passages import MARKED_WHOLE, body_passage, fts5_marked, needle_pattern, title_passage

DISTINCTIVE_TERMS = 10
CANDIDATE_TERMS = 40
TITLE_COUNTS = 3
DF_CAP = 1000  # document frequencies are counted up to here: past it a word is common anyway
# The words of a body are counted in its first this many characters: enough for any ordinary
# article, and a 10 MB body costs no more than a long feature.
WEIGHED_CHARACTERS = 65_536
_WORD = re.compile(r"[^\W\d_]{3,}")
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


def distinctive_terms(session: Session, *, article: Article) -> list[str]:
    """The article's words that say most about it: frequent in it, rare in the corpus."""
    total = session.execute(text("SELECT count(*) FROM article")).scalar_one()
    documents = partial(_document_frequency, session)
    return most_distinctive(candidate_words(article), total=total, documents=documents)


def candidate_words(article: Article) -> list[tuple[str, int]]:
    """The article's words (folded) that may be distinctive, with how often each counts (a
    headline's ``TITLE_COUNTS`` times), most frequent first, stopwords left out."""
    counts: Counter[str] = Counter()
    for word in _WORD.findall(article.title):
        counts[folded(word)] += TITLE_COUNTS
    for word in _WORD.findall(article.body[:WEIGHED_CHARACTERS]):
        counts[folded(word)] += 1
    return [(word, count) for word, count in counts.most_common() if word not in STOPWORDS][
        :CANDIDATE_TERMS
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


def related_articles(
    session: Session, *, article: Article, terms: list[str], limit: int = 10
) -> list[RelatedMatch]:
    """The articles closest to ``article`` by its ``distinctive_terms``, closest first."""
    if not terms:
        return []
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        rows = _related_on_postgresql(connection, article=article, terms=terms, limit=limit)
    else:
        rows = _related_on_sqlite(session, article=article, terms=terms, limit=limit)
    articles = {
        row.id: row
        for row in session.exec(select(Article).where(col(Article.id).in_([r[0] for r in rows])))
    }
    long_ones = [articles[rowid] for rowid, _, marked in rows if marked is None]
    marked_long = _marked_windows(connection, long_ones, terms)
    windows = dict(zip([a.id for a in long_ones], marked_long, strict=True))
    related = []
    for rowid, score, marked in rows:
        text = windows[rowid] if marked is None else marked
        related.append(
            RelatedMatch(articles[rowid], float(f"{-score:.6g}"), shared_terms=shared_terms(text))
        )
    return related


def _related_on_sqlite(
    session: Session, *, article: Article, terms: list[str], limit: int
) -> list[Any]:
    """(id, score, marked text) of the best matches of any of ``terms``, best first."""
    match = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
    rows = session.execute(
        text(
            "SELECT rowid, bm25(article_fts, :title_weight, :body_weight) AS score, "
            "CASE WHEN length(title) <= :whole AND length(body) <= :whole "
            "THEN highlight(article_fts, 0, char(2), char(3)) || ' ' || "
            "highlight(article_fts, 1, char(2), char(3)) END AS marked "
            "FROM article_fts WHERE article_fts MATCH :match AND rowid != :id "
            "ORDER BY score, rowid DESC LIMIT :limit"
        ),
        {
            "title_weight": TITLE_WEIGHT,
            "body_weight": BODY_WEIGHT,
            "match": match,
            "whole": MARKED_WHOLE,
            "id": article.id,
            "limit": limit,
        },
    ).all()
    return list(rows)


def _related_on_postgresql(
    connection: Connection, *, article: Article, terms: list[str], limit: int
) -> list[Any]:
    """(id, score, marked text) of the best matches of any of ``terms``, best first."""
    lexemes = postgres.phrases(connection, terms)
    query = " | ".join(f"({lexemes[term]})" for term in terms if lexemes.get(term))
    if not query:
        return []
    return postgres.best_matches(
        connection, query, excluded=article.id or 0, limit=limit, marked_whole=MARKED_WHOLE
    )


def _marked_windows(connection: Connection, articles: list[Article], terms: list[str]) -> list[str]:
    """For articles too long to mark whole, their headline and a window of their body with the
    ``terms`` marked (app/passages.py), in one text each."""
    if not articles:
        return []
    pattern = needle_pattern(terms)
    texts = [
        (title_passage(article.title).text, body_passage(article.body, pattern).text)
        for article in articles
    ]
    if connection.dialect.name == "postgresql":
        lexemes = postgres.phrases(connection, terms)
        query = " | ".join(f"({lexemes[term]})" for term in terms if lexemes.get(term))
        marked = postgres.headlines(connection, query, texts)
    else:
        match = " OR ".join('"' + term.replace('"', '""') + '"' for term in terms)
        marked = fts5_marked(texts, expression=match, start=MARK_START, stop=MARK_STOP)
    return [f"{title} {body}" for title, body in marked]


def _document_frequency(session: Session, word: str) -> int:
    """How many articles hold the word, counted up to ``DF_CAP + 1``."""
    return documents_holding(session, word, cap=DF_CAP + 1)
