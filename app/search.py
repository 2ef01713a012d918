"""Full-text search over the SQLite FTS5 index ``article_fts``: ranking, paging and highlights."""

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnClause,
    ColumnElement,
    and_,
    case,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
)
from sqlalchemy.sql.util import ClauseAdapter
from sqlmodel import Session, col

from app.models import Article
from app.pagination import Cursor
from app.query import AllOf, AnyOf, AtomKind, Column, Node, ParsedQuery, Term
from app.reader import SUMMARY_COLUMNS
from app.store import (
    ArticleFilters,
    Facet,
    Page,
    SearchSort,
    after,
    facet_counts,
    order_by,
    sort_key_types,
)

# bm25 weights of the indexed columns (title, body): a word in the headline counts five times
# what it counts in the body.
TITLE_WEIGHT = 5.0
BODY_WEIGHT = 1.0
PHRASE_BOOST = 0.5
NEAR_BOOST = 0.25
NEAR_DISTANCE = 10
# Characters no article holds (control characters are never stored) mark the matches until the
# text is HTML-escaped; only then do they become <mark> tags.
_OPEN, _CLOSE = "\x02", "\x03"

_fts = table("article_fts", column("rowid"))
_fts_table: ColumnClause[Any] = literal_column("article_fts")


@dataclass(frozen=True, slots=True)
class SearchMatch:
    """An article that matched, its relevance and its highlighted text."""

    article: dict[str, Any]
    score: float
    title_html: str
    snippet_html: str
    snippet_paragraph: int | None


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
) -> Page[SearchMatch]:
    """A page of the articles matching ``query``, best first unless another sort is asked for."""
    match = fts5_expression(query, columns=columns)
    where = and_(_fts_table.op("MATCH")(match), filters.clause())
    joined = _fts.join(Article, col(Article.id) == _fts.c.rowid)
    # Without filters the index alone counts the matches, without a lookup in article for each.
    counted = (
        select(func.count()).select_from(_fts).where(_fts_table.op("MATCH")(match))
        if filters.empty
        else select(func.count()).select_from(joined).where(where)
    )
    total = session.execute(counted).scalar_one()
    counts = facet_counts(session, facets=facets, source=joined, where=where)

    score = relevance(query, columns=columns)
    recency = func.coalesce(col(Article.year), 0)
    matches = (
        select(col(Article.id), col(Article.year), recency.label("recency"), score.label("score"))
        .select_from(joined)
        .where(where)
        .subquery()
    )
    statement = select(matches.c.id, matches.c.year, matches.c.recency, matches.c.score)
    if sort == SearchSort.RELEVANCE:
        # Best first (BM25 is lower for better); ties go to the most recent year, then the
        # article added last.
        key_types: tuple[type, ...] = (float, int, int)
        statement = statement.order_by(
            matches.c.score, matches.c.recency.desc(), matches.c.id.desc()
        )
        if cursor is not None:
            last_score, last_recency, last_id = Cursor.decode(
                cursor, sort=sort, key_types=key_types
            ).key
            statement = statement.where(
                or_(
                    matches.c.score > last_score,
                    and_(
                        matches.c.score == last_score,
                        or_(
                            matches.c.recency < last_recency,
                            and_(matches.c.recency == last_recency, matches.c.id < last_id),
                        ),
                    ),
                )
            )
    else:
        key_types = sort_key_types(sort)
        statement = statement.order_by(*_on(matches, order_by(sort)))
        if cursor is not None:
            start = Cursor.decode(cursor, sort=sort, key_types=key_types)
            statement = statement.where(_on(matches, [after(sort, start.key)])[0])
    rows = list(session.execute(statement.limit(limit + 1)).all())

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

    hits = _hits(session, match=match, rows=rows, snippet_words=snippet_words)
    return Page(items=hits, total=total, next_cursor=next_cursor, facets=counts)


def relevance(query: ParsedQuery, *, columns: Sequence[Column] = ()) -> ColumnElement[float]:
    """The ranking score (lower is better): BM25, boosted when the words stand together.

    BM25 weighs a word in the headline five times one in the body. When the query has two or
    more plain words, an article holding them as an exact phrase scores 1.5 times its BM25, and
    one holding them within ten words of each other 1.25 times (both: 1.75 times).
    """
    bm25: ColumnElement[float] = func.bm25(_fts_table, TITLE_WEIGHT, BODY_WEIGHT)
    words = _plain_words(query)
    if len(words) < 2:
        return bm25
    only = columns[0] if len(set(columns)) == 1 else None
    scope = f"{only} : " if only else ""
    quoted = ['"' + word.replace('"', '""') + '"' for word in words]
    phrase = scope + '"' + " ".join(word.replace('"', '""') for word in words) + '"'
    near = f"{scope}NEAR({' '.join(quoted)}, {NEAR_DISTANCE})"
    boost = (
        1.0
        + case((_fts.c.rowid.in_(_rowids_matching(phrase)), PHRASE_BOOST), else_=0.0)
        + case((_fts.c.rowid.in_(_rowids_matching(near)), NEAR_BOOST), else_=0.0)
    )
    scored: ColumnElement[float] = bm25 * boost
    return scored


def _plain_words(query: ParsedQuery) -> list[str]:
    """The words of the query that all must match, in order, when they name no field."""
    root = query.root
    required = root.required if isinstance(root, AllOf) else (root,)
    return [
        node.text
        for node in required
        if isinstance(node, Term) and node.kind is AtomKind.WORD and node.column is None
    ]


def _rowids_matching(expression: str) -> Any:
    """``SELECT rowid FROM article_fts WHERE article_fts MATCH …``, not correlated: FTS5 takes
    MATCH on the table's own name only, which inside the subquery names the inner scan."""
    inner = table("article_fts", column("rowid"))
    return select(inner.c.rowid).where(_fts_table.op("MATCH")(expression)).correlate(None)


def _on(matches: Any, clauses: list[Any]) -> list[Any]:
    """Rewrite clauses on ``article`` columns onto the same columns of the ``matches`` subquery."""
    return [ClauseAdapter(matches).traverse(clause) for clause in clauses]


def _hits(
    session: Session, *, match: str, rows: list[Any], snippet_words: int
) -> list[SearchMatch]:
    if not rows:
        return []
    ids = [row.id for row in rows]
    # Plain rows, not ORM objects: a hit needs the summary columns only.
    summaries = Article.__table__.c  # type: ignore[attr-defined]
    articles = {
        row["id"]: dict(row)
        for row in session.connection()
        .execute(
            select(*(summaries[name] for name in SUMMARY_COLUMNS)).where(summaries.id.in_(ids))
        )
        .mappings()
    }
    highlights = {
        row.rowid: (row.title, row.body)
        for row in session.execute(
            select(
                _fts.c.rowid,
                func.highlight(_fts_table, 0, _OPEN, _CLOSE).label("title"),
                func.highlight(_fts_table, 1, _OPEN, _CLOSE).label("body"),
            )
            .select_from(_fts)
            .where(_fts_table.op("MATCH")(match), _fts.c.rowid.in_(ids))
        )
    }
    hits = []
    for row in rows:
        title, body = highlights[row.id]
        paragraph, snippet = best_snippet(body, words=snippet_words)
        hits.append(
            SearchMatch(
                article=articles[row.id],
                score=float(f"{-row.score:.6g}"),
                title_html=marked_html(title),
                snippet_html=marked_html(snippet),
                snippet_paragraph=paragraph,
            )
        )
    return hits


def marked_html(text: str) -> str:
    """HTML-escape highlighted text, then turn the match markers into ``<mark>`` tags."""
    return html.escape(text, quote=False).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")


def best_snippet(body: str, *, words: int) -> tuple[int | None, str]:
    """``(paragraph index, excerpt)``: about ``words`` words of the paragraph with most matches."""
    paragraphs = _balanced(body.split("\n")) if body else []
    if not paragraphs:
        return None, ""
    index = max(range(len(paragraphs)), key=lambda i: (paragraphs[i].count(_OPEN), -i))
    tokens = paragraphs[index].split()
    first_match = next((i for i, token in enumerate(tokens) if _OPEN in token), 0)
    start = max(0, min(first_match - words // 4, len(tokens) - words))
    end = min(len(tokens), start + words)
    excerpt = " ".join(tokens[start:end])
    if _is_open_at(tokens, start):
        excerpt = _OPEN + excerpt
    if _is_open_at(tokens, end):
        excerpt += _CLOSE
    prefix = "… " if start > 0 else ""
    suffix = " …" if end < len(tokens) else ""
    return index, f"{prefix}{excerpt}{suffix}"


def _balanced(paragraphs: list[str]) -> list[str]:
    """Close a mark at the end of its paragraph and reopen it in the next (a phrase may span)."""
    balanced, open_mark = [], False
    for paragraph in paragraphs:
        text = _OPEN + paragraph if open_mark else paragraph
        open_mark = text.rfind(_OPEN) > text.rfind(_CLOSE)
        balanced.append(text + _CLOSE if open_mark else text)
    return balanced


def _is_open_at(tokens: list[str], position: int) -> bool:
    """Whether a mark opened before ``tokens[position]`` is still open there."""
    before = "".join(tokens[:position])
    return before.count(_OPEN) > before.count(_CLOSE)
