"""The query language's tree rendered as the engine's query objects, and ranking, defined here
once.

Text is never handed to a string parser: each term becomes the engine's own query, its text
cut into terms by the index's analyzers (``app/search/schema.py``), so that a query term and
an indexed term always meet.

- A word is its ``TEXT`` term (folded, stemmed) in ``title`` or ``body``; a word the analyzer
  cuts in several terms (``e-mail``, ``U.S.``, ``15.8m``) is the phrase of them, as a reader
  means it. A phrase is a phrase query of its terms.
- ``prefix*`` is a regular expression on the unstemmed ``*_words`` fields: the prefix, escaped,
  then anything. The engine runs it over its term dictionary as an automaton, within the
  searcher's own snapshot and without a cap on the number of words it stands for; listing the
  terms first (``terms_with_prefix``) would cost a round trip a term and need a cap. A prefix
  of several terms (``jean-lu*``) is the phrase of the leading terms and the prefix of the last.
- ``OR`` is a Should of its options, the words beside each other a Must, ``-x`` a MustNot.
- A term that names a column (``title:``), or ``search_in`` naming one, keeps the term there.

Ranking: BM25 over both columns, a headline's clause boosted ``TITLE_BOOST`` times. When the
query has two or more plain words, two optional clauses add to the score of an article that
holds them together: the words as an exact phrase (weighed ``PHRASE_BOOST``) and within
``NEAR_DISTANCE`` words of each other (``NEAR_BOOST``). The engine adds the scores of the
clauses that match, so these raise the score of such an article by about half and a quarter of
its words' own score.

The proximity clauses are a second phase (``proximity``), scored for the best
``PROXIMITY_WINDOW`` hits of the first (``ranked``) only, as Elasticsearch's ``rescore`` and
Vespa's second phase do: they read the positions of every word in every article they look at,
which for two common words is most of a search's time when every match is scored (``minister
said`` at 100,000 articles: 14 ms with them, 2.5 ms without), while readers look at the first
pages. Past the window, hits keep the first phase's order.
"""

import re
from collections.abc import Sequence

import tantivy

from app.search.grams import grams_query
from app.search.query_tree import AllOf, AnyOf, AtomKind, Column, Node, ParsedQuery, Term
from app.search.schema import SCHEMA, microseconds
from app.search.words import KEYWORD, TEXT, WORDS, analyze
from app.store.filters import WHOLE_VALUE_FILTERS, ArticleFilters

TITLE_BOOST = 5.0
PHRASE_BOOST = 0.5
NEAR_BOOST = 0.25
NEAR_DISTANCE = 10
# The best hits of the first phase that the proximity clauses score again.
PROXIMITY_WINDOW = 100

Must, Should, MustNot = tantivy.Occur.Must, tantivy.Occur.Should, tantivy.Occur.MustNot


def ranked(query: ParsedQuery, *, columns: Sequence[Column] = ()) -> tantivy.Query | None:
    """The query with its first phase of ranking (BM25, the headline boosted); None when
    nothing in it is indexed, so that it can match nothing."""
    return _node(query.root, _only(columns))


def proximity(query: ParsedQuery, *, columns: Sequence[Column] = ()) -> list[tantivy.Query]:
    """The second phase: the clauses scoring an article that holds the query's plain words
    together (none when it has fewer than two). Each is asked alone of the window's articles:
    as options of one query, the engine would read them over every article between those."""
    return _together(query, _only(columns))


def among(ids: Sequence[int]) -> tantivy.Query:
    """The articles of ``ids``, scoring nothing. An option a term: the engine's set of terms
    walks the whole dictionary of ids (a hundred ids at 100,000 articles: 0.85 ms, as options
    0.11 ms)."""
    options = [(Should, tantivy.Query.term_query(SCHEMA, "id", id)) for id in ids]
    return tantivy.Query.const_score_query(tantivy.Query.boolean_query(options), 0.0)


def matching(query: ParsedQuery, *, columns: Sequence[Column] = ()) -> tantivy.Query | None:
    """The query as a condition (its score is not used): its first phase, which matches as
    the whole ranking does; None when it can match nothing."""
    return ranked(query, columns=columns)


def filtered(query: tantivy.Query, conditions: Sequence[tantivy.Query]) -> tantivy.Query:
    """``query``, scored as it is, kept to the documents meeting every one of ``conditions``."""
    if not conditions:
        return query
    condition = tantivy.Query.boolean_query([(Must, c) for c in conditions])
    return tantivy.Query.boolean_query(
        [(Must, query), (Must, tantivy.Query.const_score_query(condition, 0.0))]
    )


def filter_conditions(filters: ArticleFilters) -> list[tantivy.Query]:
    """The conditions ``filters`` put on the articles: each whole-value filter's values
    (``WHOLE_VALUE_FILTERS``) matched whole in any case, the year, the publication time from
    ``published_after`` (in) to ``published_before`` (out)."""
    conditions = []
    for declared in WHOLE_VALUE_FILTERS:
        if values := declared.wanted(filters):
            terms = [term for value in values for term in analyze(KEYWORD, value)]
            conditions.append(tantivy.Query.term_set_query(SCHEMA, declared.parameter, terms))
    if filters.year:
        conditions.append(tantivy.Query.term_set_query(SCHEMA, "year", filters.year))
    after, before = filters.published_after, filters.published_before
    if after is not None or before is not None:
        conditions.append(
            tantivy.Query.range_query(
                SCHEMA,
                "published_at",
                tantivy.FieldType.Integer,
                None if after is None else microseconds(after),
                None if before is None else microseconds(before),
                include_lower=True,  # an open side is inclusive for the engine
                include_upper=before is None,
            )
        )
    return conditions


def _only(columns: Sequence[Column]) -> Column | None:
    return columns[0] if len(set(columns)) == 1 else None


def _node(node: Node, column: Column | None) -> tantivy.Query | None:
    if isinstance(node, Term):
        return _term(node, column)
    if isinstance(node, AnyOf):
        options = [q for option in node.options if (q := _node(option, column)) is not None]
        if len(options) <= 1:
            return options[0] if options else None
        return tantivy.Query.boolean_query([(Should, option) for option in options])
    required = [_node(child, column) for child in node.required]
    if any(q is None for q in required):
        return None  # a word that is not indexed is in no article
    excluded = [q for child in node.excluded if (q := _node(child, column)) is not None]
    clauses = [(Must, q) for q in required if q is not None]
    if len(clauses) == 1 and not excluded:
        return clauses[0][1]
    return tantivy.Query.boolean_query([*clauses, *((MustNot, q) for q in excluded)])


def _term(term: Term, column: Column | None) -> tantivy.Query | None:
    where = term.column or column
    columns = [where] if where else list(Column)
    per_column = []
    for each in columns:
        query = _prefix(term.text, each) if term.kind is AtomKind.PREFIX else _words(term, each)
        if query is None:
            return None
        per_column.append(
            tantivy.Query.boost_query(query, TITLE_BOOST) if each is Column.TITLE else query
        )
    if len(per_column) == 1:
        return per_column[0]
    return tantivy.Query.boolean_query([(Should, q) for q in per_column])


def _words(term: Term, column: Column) -> tantivy.Query | None:
    """A word or a phrase in ``column``: its term, or the phrase of its terms; a run of text
    without spaces in it (Chinese, Japanese, Thai) is also found inside longer runs, by its
    pairs of characters (app/search/grams.py)."""
    whole = _sequence(analyze(TEXT, term.text), column.value)
    inside = grams_query(SCHEMA, f"{column.value}_grams", term.text)
    if inside is None or whole is None:
        return whole or inside
    return tantivy.Query.boolean_query([(Should, whole), (Should, inside)])


def _sequence(terms: Sequence[str], field: str, *, slop: int = 0) -> tantivy.Query | None:
    if not terms:
        return None
    if len(terms) == 1:
        return tantivy.Query.term_query(SCHEMA, field, terms[0])
    return tantivy.Query.phrase_query(SCHEMA, field, list(terms), slop=slop)


def _prefix(text: str, column: Column) -> tantivy.Query | None:
    """``text*`` in ``column``: the words starting with the prefix, unstemmed."""
    terms = analyze(WORDS, text)
    if not terms:
        return None
    leading = analyze(TEXT, " ".join(terms[:-1]))
    if not leading:
        return tantivy.Query.regex_query(SCHEMA, f"{column.value}_words", _starts_with(terms[-1]))
    # A prefix the analyzer splits (`jean-lu*`, `a.b*`) is a phrase ending in a prefix: on the
    # ranked field, whose stems begin as their words do.
    words: list[str | tuple[int, str]] = [*leading, terms[-1]]
    return tantivy.Query.phrase_prefix_query(SCHEMA, column.value, words)


def _starts_with(prefix: str) -> str:
    """A regular expression for the terms starting with ``prefix``: every character that is no
    letter or digit escaped."""
    return "".join(char if char.isalnum() else re.escape(char) for char in prefix) + ".*"


def _together(query: ParsedQuery, column: Column | None) -> list[tantivy.Query]:
    """The clauses that raise the score of an article holding the query's plain words together
    (empty when it has fewer than two)."""
    root = query.root
    required = root.required if isinstance(root, AllOf) else (root,)
    words = [
        node.text
        for node in required
        if isinstance(node, Term) and node.kind is AtomKind.WORD and node.column is None
    ]
    terms = [term for word in words for term in analyze(TEXT, word)]
    if len(words) < 2 or len(terms) < 2:
        return []
    clauses = []
    for each in [column] if column else list(Column):
        weight = TITLE_BOOST if each is Column.TITLE else 1.0
        for slop, boost in ((0, PHRASE_BOOST), (NEAR_DISTANCE, NEAR_BOOST)):
            phrase = _sequence(terms, each.value, slop=slop)
            if phrase is not None:
                clauses.append(tantivy.Query.boost_query(phrase, weight * boost))
    return clauses
