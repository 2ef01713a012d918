"""Full-text search: ranking, paging and highlights, over SQLite's FTS5 index ``article_fts`` or
PostgreSQL's ``article.search_vector`` (app/postgres.py renders the query for it)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import Connection
from sqlmodel import Session

from app import postgres
from app.impacts import (
    BODY_WEIGHT,
    TITLE_WEIGHT,
    Ranked,
    after_cursor,
    in_relevance_order,
    index_term,
    ranked_from_list,
)
from app.names import index_tokens
from app.pagination import Cursor
from app.passages import (
    MARKED_WHOLE,
    Passage,
    body_passage,
    fts5_marked,
    needle_pattern,
    title_passage,
)
from app.postgres import run
from app.query import AllOf, AnyOf, AtomKind, Column, Node, ParsedQuery, Term, added_terms
from app.reader import SUMMARY_SQL, decoded, filter_sql
from app.search.snippets import (
    CLOSE,
    OPEN,
    SearchMatch,
    balanced,
    best_snippet,
    clipped,
    excerpt,
    lede_snippet,
    marked_html,
)
from app.store import (
    FACET_VALUES_LIMIT,
    ArticleFilters,
    Facet,
    FacetCounts,
    Page,
    SearchSort,
    sort_key_types,
)

PHRASE_BOOST = 0.5
NEAR_BOOST = 0.25
NEAR_DISTANCE = 10


def fts5_expression(query: ParsedQuery, *, columns: Sequence[Column] = ()) -> str:
    """Render a parsed query as an FTS5 MATCH expression; every term is a quoted string.

    ``columns`` limits the terms that name no column of their own (``search_in``).
    """
    only = columns[0] if len(set(columns)) == 1 else None
    return _fts5(query.root, only)


def _fts5(node: Node, column: Column | None) -> str:
    if isinstance(node, Term):
        quoted = '"' + node.text.replace('"', '""') + '"'
        quoted = f"{quoted} *" if node.kind is AtomKind.PREFIX else quoted
        where = node.column or column
        return f"{where} : {quoted}" if where else quoted
    if isinstance(node, AnyOf):
        return "(" + " OR ".join(_fts5(option, column) for option in node.options) + ")"
    expression = " AND ".join(_fts5(child, column) for child in node.required)
    # FTS5's NOT is binary and left-associative: ((a AND b) NOT c) NOT d.
    for child in node.excluded:
        expression = f"({expression}) NOT {_fts5(child, column)}"
    return expression if len(node.required) == 1 and not node.excluded else f"({expression})"


def search_articles(
    session: Session,
    *,
    query: ParsedQuery,
    filters: ArticleFilters,
    sort: SearchSort = SearchSort.RELEVANCE,
    limit: int = 20,
    cursor: str | None = None,
    snippet_words: int = 30,
    facets: Sequence[Facet] = (),
    columns: Sequence[Column] = (),
    typed: ParsedQuery | None = None,
) -> Page[SearchMatch]:
    """A page of the articles matching ``query``, best first unless another sort is asked for.

    ``typed`` is the query before name variants were added to it (``query`` with them). By
    relevance, the articles matching ``typed`` come first, then those matching only through a
    variant (``_tiered``), each tier in BM25 order; each hit lists the variants it holds.

    Plain SQL on the session's connection (one snapshot): built with SQLAlchemy's expression
    language these statements cost more to put together than SQLite takes to run them.
    """
    connection = session.connection()
    on_postgresql = connection.dialect.name == "postgresql"
    dialect = "postgresql" if on_postgresql else "sqlite"
    condition, parameters = filter_sql(filters, prefix="a.", dialect=dialect)
    rendered = _rendered(connection, query, typed, columns)
    match = rendered.match
    if match is None:  # nothing in the query is indexed: nothing matches
        empty: FacetCounts | None = {facet.value: [] for facet in facets} if facets else None
        return Page(items=[], total=0, next_cursor=None, facets=empty)
    if on_postgresql:
        source, matching = "article AS a", "a.search_vector @@ CAST(? AS tsquery)"
    else:
        source, matching = _JOINED, "article_fts MATCH ?"
    where = f"{matching} AND {condition}"
    arguments = [match, *parameters]
    ordering, after_sql, after_arguments, relevance_after = _keyset(sort, cursor)
    # A word in many articles: its list ranks the page and knows the total (app/impacts.py).
    listed = (
        ranked_from_list(connection, word, after=relevance_after, limit=limit)
        if sort == SearchSort.RELEVANCE
        and filters.empty
        and not on_postgresql
        and (word := _one_word(query, columns)) is not None
        else None
    )
    if listed is not None:
        total_count = listed[1]
    else:
        # Without filters the FTS5 index alone counts the matches, without a lookup in article
        # each.
        counted = (
            "SELECT count(*) FROM article_fts WHERE article_fts MATCH ?"
            if filters.empty and not on_postgresql
            else f"SELECT count(*) FROM {source} WHERE {where}"
        )
        total_count = int(
            run(connection, counted, arguments[: 1 if filters.empty else None]).scalar_one()
        )
    counts = _facet_counts(connection, facets, source, where, arguments)

    if on_postgresql:
        score, score_arguments = _rank_sql(match, rendered.phrase)
    else:
        score, score_arguments = _score_sql(query, columns=columns)
    if rendered.variants:
        score, score_arguments = _tiered(
            score, score_arguments, rendered.typed, on_postgresql=on_postgresql
        )
    matches = (
        f"SELECT a.id AS id, a.year AS year, coalesce(a.year, 0) AS recency, {score} AS score"
        f" FROM {source} WHERE {where}"
    )
    arguments = [*score_arguments, *arguments]
    rows: Sequence[Any] | None = listed[0] if listed is not None else None
    if rows is None and sort == SearchSort.RELEVANCE and filters.empty and not on_postgresql:
        rows = _best_from_index(
            connection, score, [*score_arguments, match], relevance_after, limit
        )
    if rows is None:
        rows = run(
            connection,
            f"SELECT id, year, recency, score FROM ({matches}) AS hit WHERE {after_sql}"
            f" ORDER BY {ordering} LIMIT ?",
            (*arguments, *after_arguments, limit + 1),
        ).all()

    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        key = (
            [last.score, last.recency, last.id]
            if sort == SearchSort.RELEVANCE
            else [last.year, last.id]
        )
        next_cursor = Cursor(sort, key).encode()

    hits = _hits(
        connection,
        match=match,
        query=query,
        columns=columns,
        rows=rows,
        snippet_words=snippet_words,
        variants=rendered.variants,
    )
    return Page(items=hits, total=total_count, next_cursor=next_cursor, facets=counts)


@dataclass(frozen=True, slots=True)
class _Rendered:
    """A search's query in the store's match language: ``match`` the query (None: it can match
    nothing), ``phrase`` its plain words as a phrase (PostgreSQL's boost), ``typed`` the query
    as typed (None: it matches nothing), and each name variant with its own expression (empty:
    no variant was added, and the hits are ranked in one tier)."""

    match: str | None
    phrase: str | None
    typed: str | None
    variants: list[tuple[str, str]]


def _rendered(
    connection: Connection,
    query: ParsedQuery,
    typed: ParsedQuery | None,
    columns: Sequence[Column],
) -> _Rendered:
    """The query, the query as typed and each variant, in the store's match language (on
    PostgreSQL in one round trip)."""
    variants = added_terms(query, typed)
    typed_query = [typed] if typed is not None and variants else []
    variant_queries = [ParsedQuery(variant) for variant in variants]
    if connection.dialect.name == "postgresql":
        words = _plain_words(query)
        phrase_query = (
            [ParsedQuery(Term(AtomKind.PHRASE, " ".join(words)))] if len(words) > 1 else []
        )
        match, *others = postgres.tsqueries(
            connection, [query, *phrase_query, *typed_query, *variant_queries], columns=columns
        )
        phrase = others[0] if phrase_query else None
        expressions = others[len(phrase_query) :]
    else:
        match, phrase = fts5_expression(query, columns=columns), None
        expressions = [
            fts5_expression(q, columns=columns) for q in [*typed_query, *variant_queries]
        ]
    typed_match = expressions[0] if typed_query else None
    variant_matches = expressions[len(typed_query) :]
    return _Rendered(
        match=match,
        phrase=phrase,
        typed=typed_match,
        variants=[
            (variant.text, expression)
            for variant, expression in zip(variants, variant_matches, strict=True)
            if expression is not None
        ],
    )


def _keyset(sort: SearchSort, cursor: str | None) -> tuple[str, str, list[Any], list[Any] | None]:
    """The ORDER BY of ``sort``; the condition (and its parameters) that keeps the hits after
    ``cursor``; for relevance, the cursor's (score, recency, id)."""
    after_sql, after_arguments = "1 = 1", list[Any]()
    relevance_after: list[Any] | None = None
    if sort == SearchSort.RELEVANCE:
        # Best first (lower is better); ties go to the most recent year, then the article added
        # last.
        key_types: tuple[type, ...] = (float, int, int)
        ordering = "score, recency DESC, id DESC"
        if cursor is not None:
            last_score, last_recency, last_id = Cursor.decode(
                cursor, sort=sort, key_types=key_types
            ).key
            after_sql = "(score > ? OR (score = ? AND (recency < ? OR (recency = ? AND id < ?))))"
            after_arguments = [last_score, last_score, last_recency, last_recency, last_id]
            relevance_after = [last_score, last_recency, last_id]
    else:
        key_types = sort_key_types(sort)
        newest = sort == SearchSort.NEWEST
        ordering = "year DESC NULLS LAST, id DESC" if newest else "year ASC NULLS LAST, id ASC"
        if cursor is not None:
            last_year, last_id = Cursor.decode(cursor, sort=sort, key_types=key_types).key
            beyond_id, beyond_year = ("id < ?", "year < ?") if newest else ("id > ?", "year > ?")
            if last_year is None:
                after_sql, after_arguments = f"(year IS NULL AND {beyond_id})", [last_id]
            else:
                after_sql = f"({beyond_year} OR (year = ? AND {beyond_id}) OR year IS NULL)"
                after_arguments = [last_year, last_year, last_id]
    return ordering, after_sql, after_arguments, relevance_after


_JOINED = "article_fts JOIN article AS a ON a.id = article_fts.rowid"
# Rows beyond the page the index-only ranking fetches, to see that no tie crosses its end.
_TIE_MARGIN = 16


def _best_from_index(
    connection: Connection,
    score: str,
    arguments: list[Any],
    after: list[Any] | None,
    limit: int,
) -> list[Ranked] | None:
    """The next ``limit + 1`` hits in relevance order, ranked by the index alone; None when that
    cannot be told exactly (then the caller ranks the join of index and articles).

    Scoring every match is the cost of a common word; joining each match to its article for the
    tie-break (year, id) is as much again. The index orders by score alone and stops after the
    page and a margin; only those rows are looked up. The answer is exact when the last row
    fetched scores strictly worse than the page's last (no row left behind can tie into the
    page), or when every match was fetched.
    """
    wanted = limit + 1 + _TIE_MARGIN
    condition, condition_arguments = ("score >= ?", [after[0]]) if after else ("1 = 1", [])
    fetched = connection.exec_driver_sql(
        f"SELECT id, score FROM (SELECT article_fts.rowid AS id, {score} AS score"
        f" FROM article_fts WHERE article_fts MATCH ?) WHERE {condition} ORDER BY score LIMIT ?",
        (*arguments, *condition_arguments, wanted),
    ).all()
    if not fetched:
        return []
    marks = ", ".join("?" for _ in fetched)
    years: dict[int, int | None] = dict(
        connection.exec_driver_sql(
            f"SELECT id, year FROM article WHERE id IN ({marks})",
            tuple(row.id for row in fetched),
        ).all()
    )
    ranked = after_cursor(
        in_relevance_order(((row.id, row.score) for row in fetched), years), after
    )
    page = ranked[: limit + 1]
    if len(fetched) < wanted:
        return page  # every match was fetched
    if len(page) == limit + 1 and page[-1].score < fetched[-1].score:
        return page
    return None


def _facet_counts(
    connection: Connection,
    facets: Sequence[Facet],
    source: str,
    where: str,
    arguments: list[Any],
) -> FacetCounts | None:
    """Per facet, its most frequent values over all the matches."""
    if not facets:
        return None
    counts: FacetCounts = {}
    for facet in dict.fromkeys(facets):
        column = f"a.{facet.value}"
        rows = run(
            connection,
            f"SELECT {column}, count(*) AS number FROM {source} WHERE {where}"
            f" GROUP BY {column} ORDER BY number DESC, {column} LIMIT {FACET_VALUES_LIMIT}",
            arguments,
        )
        counts[facet.value] = [(value, number) for value, number in rows]
    return counts


def _score_sql(query: ParsedQuery, *, columns: Sequence[Column] = ()) -> tuple[str, list[Any]]:
    """The ranking score (lower is better) as SQL, and its parameters: BM25, boosted when the
    words stand together.

    BM25 weighs a word in the headline five times one in the body. When the query has two or
    more plain words, an article holding them as an exact phrase scores 1.5 times its BM25, and
    one holding them within ten words of each other 1.25 times (both: 1.75 times).
    """
    bm25 = f"bm25(article_fts, {TITLE_WEIGHT}, {BODY_WEIGHT})"
    words = _plain_words(query)
    if len(words) < 2:
        return bm25, []
    only = columns[0] if len(set(columns)) == 1 else None
    scope = f"{only} : " if only else ""
    quoted = ['"' + word.replace('"', '""') + '"' for word in words]
    phrase = scope + '"' + " ".join(word.replace('"', '""') for word in words) + '"'
    near = f"{scope}NEAR({' '.join(quoted)}, {NEAR_DISTANCE})"
    # FTS5 takes MATCH on the table's own name only, which inside a subquery names the inner
    # scan: these subqueries are not correlated.
    inside = "article_fts.rowid IN (SELECT rowid FROM article_fts WHERE article_fts MATCH ?)"
    boost = (
        f"(1.0 + CASE WHEN {inside} THEN {PHRASE_BOOST} ELSE 0.0 END"
        f" + CASE WHEN {inside} THEN {NEAR_BOOST} ELSE 0.0 END)"
    )
    return f"{bm25} * {boost}", [phrase, near]


def _tiered(
    score: str, arguments: list[Any], typed_match: str | None, *, on_postgresql: bool
) -> tuple[str, list[Any]]:
    """The score (lower is better) in two tiers: unchanged (at most 0) for an article matching
    the query as typed (``typed_match``), and ``1 / (1 - score)`` (above 0, in the same order)
    for one matching only through a name variant, so that every typed match comes first and a
    single score still orders the hits and keys the cursors.

    BM25 weighs a rare word heavily: a variant few articles hold, in a headline, would outrank
    the word the reader typed, held once in a long body.
    """
    if typed_match is None:  # the query as typed can match nothing (no indexed word)
        condition, condition_arguments = "1 = 0", []
    elif on_postgresql:
        condition, condition_arguments = "a.search_vector @@ CAST(? AS tsquery)", [typed_match]
    else:
        # Not correlated (as in _score_sql): the typed matches are listed once a statement.
        condition = "article_fts.rowid IN (SELECT rowid FROM article_fts WHERE article_fts MATCH ?)"
        condition_arguments = [typed_match]
    return (
        f"(CASE WHEN {condition} THEN {score} ELSE 1.0 / (1.0 - ({score})) END)",
        [*condition_arguments, *arguments, *arguments],
    )


def _rank_sql(match: str, phrase: str | None) -> tuple[str, list[Any]]:
    """The ranking score on PostgreSQL (lower is better, as on SQLite), and its parameters.

    ``ts_rank`` with the headline weighing five times the body, the rank divided by the log of
    the article's length; when the query has two or more plain words, an article holding them
    as an exact ``phrase`` scores 1.5 times. (PostgreSQL has no "within ten words" operator: the
    NEAR boost of SQLite has no counterpart here.)
    """
    rank = postgres.rank_sql("CAST(? AS tsquery)")
    if phrase is None:
        return f"-{rank}", [match]
    boost = f"CASE WHEN a.search_vector @@ CAST(? AS tsquery) THEN {1 + PHRASE_BOOST} ELSE 1.0 END"
    return f"-({rank} * {boost})", [match, phrase]


def _one_word(query: ParsedQuery, columns: Sequence[Column]) -> str | None:
    """The query's word when it is one plain word searched in every column, else None."""
    root = query.root
    if isinstance(root, Term) and root.kind is AtomKind.WORD and root.column is None:
        return None if len(set(columns)) == 1 else root.text
    return None


def _plain_words(query: ParsedQuery) -> list[str]:
    """The words of the query that all must match, in order, when they name no field."""
    root = query.root
    required = root.required if isinstance(root, AllOf) else (root,)
    return [
        node.text
        for node in required
        if isinstance(node, Term) and node.kind is AtomKind.WORD and node.column is None
    ]


def _hits(
    connection: Connection,
    *,
    match: str,
    query: ParsedQuery,
    columns: Sequence[Column],
    rows: Sequence[Any],
    snippet_words: int,
    variants: Sequence[tuple[str, str]] = (),
) -> list[SearchMatch]:
    """The page's ``rows`` as hits: summary, marked headline and snippet, and which of the
    ``variants`` ((word, its match expression)) each holds."""
    if not rows:
        return []
    ids = [row.id for row in rows]
    holding = _variants_held(connection, variants, ids)
    marks = ", ".join("?" for _ in ids)
    summaries = run(
        connection, f"SELECT {SUMMARY_SQL} FROM article WHERE id IN ({marks})", ids
    ).mappings()
    articles = {row["id"]: decoded(dict(row)) for row in summaries}
    on_postgresql = connection.dialect.name == "postgresql"
    # A column longer than MARKED_WHOLE is not marked here (NULL) but on a window of it below.
    marked: Iterable[Sequence[Any]]
    if on_postgresql:
        marked = [
            (rowid, _restored(title, title_marked), _restored(body, body_marked))
            for rowid, title, body, title_marked, body_marked in run(
                connection,
                # The long columns are not read here: _marked_windows reads them once.
                f"SELECT a.id, CASE WHEN length(a.title) <= {MARKED_WHOLE} THEN a.title END,"
                f" CASE WHEN length(a.body) <= {MARKED_WHOLE} THEN a.body END,"
                f" CASE WHEN length(a.title) <= {MARKED_WHOLE}"
                f" THEN {postgres.headline_sql('title')} END,"
                f" CASE WHEN length(a.body) <= {MARKED_WHOLE}"
                f" THEN {postgres.headline_sql('body')} END"
                f" FROM article AS a, CAST(? AS tsquery) AS q WHERE a.id IN ({marks})",
                (match, *ids),
            )
        ]
    else:
        marked = connection.exec_driver_sql(
            f"SELECT rowid, CASE WHEN length(title) <= {MARKED_WHOLE}"
            " THEN highlight(article_fts, 0, ?, ?) END,"
            f" CASE WHEN length(body) <= {MARKED_WHOLE} THEN highlight(article_fts, 1, ?, ?) END"
            f" FROM article_fts WHERE article_fts MATCH ? AND rowid IN ({marks})",
            (OPEN, CLOSE, OPEN, CLOSE, match, *ids),
        )
    highlights: dict[int, tuple[str | None, str | None]] = {
        rowid: (title, body) for rowid, title, body in marked
    }
    windows = _marked_windows(
        connection,
        match=match,
        query=query,
        columns=columns,
        ids=[rowid for rowid, texts in highlights.items() if None in texts],
    )
    hits = []
    for row in rows:
        title, body = highlights[row.id]
        title_window, body_window = windows.get(row.id, (None, None))
        if title is None and title_window is not None:
            title = clipped(title_window)
        if body is None and body_window is not None:
            paragraph: int | None = body_window.paragraph
            snippet = excerpt(
                balanced([body_window.text])[0],
                words=snippet_words,
                clipped_start=body_window.clipped_start,
                clipped_end=body_window.clipped_end,
            )
        else:
            paragraph, snippet = best_snippet(body or "", words=snippet_words)
        if OPEN not in snippet:
            # The query matched the headline only: the lede says what the story is.
            paragraph, snippet = lede_snippet(articles[row.id], words=snippet_words)
        hits.append(
            SearchMatch(
                article=articles[row.id],
                score=float(f"{-row.score:.6g}"),
                title_html=marked_html(title or ""),
                snippet_html=marked_html(snippet),
                snippet_paragraph=paragraph,
                matched_variants=holding.get(row.id, []),
            )
        )
    return hits


def _variants_held(
    connection: Connection, variants: Sequence[tuple[str, str]], ids: list[int]
) -> dict[int, list[str]]:
    """For each of ``ids`` that holds any, the ``variants`` it holds, in their order, in one
    statement for the page."""
    if not variants or not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    if connection.dialect.name == "postgresql":
        rows = run(
            connection,
            "SELECT a.id, v.n FROM article AS a,"
            " unnest(CAST(? AS text[])) WITH ORDINALITY AS v(q, n)"
            f" WHERE a.id IN ({marks}) AND a.search_vector @@ CAST(v.q AS tsquery)",
            ([expression for _, expression in variants], *ids),
        ).all()
        found = [(rowid, number - 1) for rowid, number in rows]
    else:
        selects = " UNION ALL ".join(
            f"SELECT rowid, {number} FROM article_fts WHERE article_fts MATCH ?"
            f" AND rowid IN ({marks})"
            for number in range(len(variants))
        )
        arguments = [argument for _, expression in variants for argument in (expression, *ids)]
        found = [(rowid, number) for rowid, number in run(connection, selects, arguments)]
    held: dict[int, set[int]] = {}
    for rowid, number in found:
        held.setdefault(rowid, set()).add(number)
    return {
        rowid: list(dict.fromkeys(variants[n][0] for n in sorted(numbers)))
        for rowid, numbers in held.items()
    }


def _restored(original: str | None, marked: str | None) -> str | None:
    return None if original is None or marked is None else postgres.restored(original, marked)


def _marked_windows(
    connection: Connection,
    *,
    match: str,
    query: ParsedQuery,
    columns: Sequence[Column],
    ids: list[int],
) -> dict[int, tuple[Passage | None, Passage | None]]:
    """For each of ``ids`` (articles with a column too long to mark whole), a window of its
    long headline and of its long body, marked as the index would mark them (app/passages.py).
    """
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    on_postgresql = connection.dialect.name == "postgresql"
    # Only the long columns are read whole; a short one is not needed again.
    rows = run(
        connection,
        f"SELECT id, CASE WHEN length(title) > {MARKED_WHOLE} THEN title END,"
        f" CASE WHEN length(body) > {MARKED_WHOLE} THEN body END"
        f" FROM article WHERE id IN ({marks})",
        ids,
    ).all()
    pattern = needle_pattern(_needles(query, match=match, on_postgresql=on_postgresql))
    windows: dict[int, tuple[Passage | None, Passage | None]] = {
        rowid: (
            title_passage(title) if title is not None else None,
            body_passage(body, pattern) if body is not None else None,
        )
        for rowid, title, body in rows
    }
    texts = [
        (title.text if title else "", body.text if body else "") for title, body in windows.values()
    ]
    if on_postgresql:
        marked = postgres.headlines(connection, match, texts)
    else:
        expression = _marking_expression(query, columns)
        marked = (
            fts5_marked(texts, expression=expression, start=OPEN, stop=CLOSE)
            if expression
            else texts
        )
    return {
        rowid: (
            replace(title, text=title_text) if title else None,
            replace(body, text=body_text) if body else None,
        )
        for (rowid, (title, body)), (title_text, body_text) in zip(
            windows.items(), marked, strict=True
        )
    }


def _marking_expression(query: ParsedQuery, columns: Sequence[Column]) -> str:
    """An FTS5 expression that any of the query's terms matches: a window need not hold every
    term, and its marks are those of the terms it holds, as in the whole article."""
    only = columns[0] if len(set(columns)) == 1 else None
    return " OR ".join(dict.fromkeys(_fts5(term, only) for term in query.terms()))


def _needles(query: ParsedQuery, *, match: str, on_postgresql: bool) -> list[str]:
    """What the scan for a body's best paragraph looks for: the query's words and the index
    terms they stand for (stems are prefixes of most of their words' forms)."""
    words = [word for term in query.terms() for word in index_tokens(term.text)]
    if on_postgresql:
        stems = postgres.lexemes(match)
    else:
        stems = [stem for word in words if (stem := index_term(word)) is not None]
    return [*words, *stems]
