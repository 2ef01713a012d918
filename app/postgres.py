"""Full-text search on PostgreSQL: the query language as a ``tsquery``, and the index's vocabulary.

The store's ``article.search_vector`` is a weighted ``tsvector`` (headline ``A``, body ``B``)
built with the ``byline`` text search configuration: accents folded by ``unaccent``, English
words stemmed by Snowball, stop words kept (migration 0001). A query is rendered by asking
PostgreSQL to cut each of its words and phrases into lexemes (``phraseto_tsquery``, so that the
text is cut exactly as the articles were), then joining them with ``&``, ``|`` and ``!`` in
Python: no text of the user's is ever parsed as ``tsquery`` syntax.
"""

import re
import string
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, CursorResult

from app.query import AnyOf, AtomKind, Column, Node, ParsedQuery, Term, all_terms, is_token_char

CONFIGURATION = "byline"
# ts_rank's weights for the labels D, C, B (body) and A (headline): a word in the headline counts
# five times what it counts in the body, as with BM25 on SQLite.
RANK_WEIGHTS = "{0, 0, 0.2, 1.0}"
# Divide the rank by 1 + the logarithm of the article's length, as BM25 discounts long articles.
RANK_NORMALIZATION = 1
# Characters no article holds (control characters are never stored) mark the matches, and every
# match of the text is marked (the snippet is chosen afterwards, as on SQLite).
HEADLINE_OPTIONS = "StartSel=\x02, StopSel=\x03, HighlightAll=true"
_WEIGHTS = {Column.TITLE: "A", Column.BODY: "B"}
_MARKS = "\x02\x03"
# What the index reads of a column (migration 0001): its ASCII punctuation made spaces.
INDEXED_TEXT = "translate(COLUMN, '{punctuation}', '{spaces}')".format(
    punctuation=string.punctuation.replace("'", "''"), spaces=" " * len(string.punctuation)
)


def rank_sql(query: str = "q") -> str:
    """SQL for the rank of the article ``a`` for the ``tsquery`` ``query``, higher is better."""
    return f"ts_rank('{RANK_WEIGHTS}', a.search_vector, {query}, {RANK_NORMALIZATION})::float8"


def headline_sql(column: str) -> str:
    """SQL for the ``column`` of article ``a`` with every match of the query ``q`` marked, its
    punctuation made spaces as when it was indexed (``restored`` puts the punctuation back)."""
    text = INDEXED_TEXT.replace("COLUMN", f"a.{column}")
    return f"ts_headline('{CONFIGURATION}', {text}, q, '{HEADLINE_OPTIONS}')"


def headlines(
    connection: Connection, query: str, texts: Sequence[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Each (headline, body) with every match of the ``tsquery`` marked, as ``headline_sql``
    marks an article's columns (for windows of long ones, app/passages.py), in one round trip."""
    flat = [text for pair in texts for text in pair]
    if not flat:
        return []
    marking = INDEXED_TEXT.replace("COLUMN", "x.t")
    rows = run(
        connection,
        f"SELECT ts_headline('{CONFIGURATION}', {marking}, CAST(? AS tsquery),"
        f" '{HEADLINE_OPTIONS}') FROM unnest(CAST(? AS text[])) WITH ORDINALITY AS x(t, n)"
        " ORDER BY x.n",
        (query, flat),
    )
    marked = [restored(text, headline) for text, headline in zip(flat, rows.scalars(), strict=True)]
    return list(zip(marked[::2], marked[1::2], strict=True))


def lexemes(query: str) -> list[str]:
    """The lexemes a ``tsquery``'s text names."""
    return [found[1:-1].replace("''", "'") for found in _LEXEME.findall(query)]


def restored(original: str, marked: str) -> str:
    """The marks of ``marked`` on the characters of ``original``; unmarked when the two differ
    by more than the marks and the punctuation made spaces."""
    pieces = _MARK.split(marked)
    if "".join(pieces[::2]) != original.translate(_SPACED):
        return original
    characters: list[str] = []
    position = 0
    for index, piece in enumerate(pieces):
        if index % 2:  # a mark (split() keeps them at the odd places)
            characters.append(piece)
        else:
            characters.append(original[position : position + len(piece)])
            position += len(piece)
    return "".join(characters)


_MARK = re.compile("([\x02\x03])")
_SPACED = str.maketrans(string.punctuation, " " * len(string.punctuation))
_LEXEME = re.compile(r"'(?:[^']|'')*'")


def run(
    connection: Connection, sql: str, parameters: Sequence[Any] = ()
) -> CursorResult[*tuple[Any, ...]]:
    """Plain SQL written with ``?`` placeholders, on SQLite's driver or psycopg's."""
    if connection.dialect.paramstyle != "qmark":
        sql = format_placeholders(sql)
    return connection.exec_driver_sql(sql, tuple(parameters))


def format_placeholders(sql: str) -> str:
    """SQL with ``?`` placeholders in psycopg's style (``%s``): the ``?`` of string literals
    stay, and every ``%`` is doubled."""
    pieces = _LITERAL.split(sql.replace("%", "%%"))
    # split() with a capturing group: the literals are at the odd positions.
    return "".join(p if i % 2 else p.replace("?", "%s") for i, p in enumerate(pieces))


_LITERAL = re.compile(r"('(?:[^']|'')*')")


def lexeme(term: str) -> str:
    """A ``tsquery`` that matches one index term exactly, as stored (no stemming again)."""
    return "'" + term.replace("\\", "\\\\").replace("'", "''") + "'"


def phrases(connection: Connection, texts: Iterable[str]) -> dict[str, str]:
    """Each text as the ``tsquery`` of its words in a row (empty: nothing to search).

    The text is cut at every character that is not a letter or digit first, as FTS5 cuts it:
    PostgreSQL's parser would keep ``al-Qaida`` whole as well as in parts, and then the phrase
    ``al-Qaeda`` would not find ``al Qaeda``.
    """
    wanted = list(dict.fromkeys(texts))
    if not wanted:
        return {}
    words = ["".join(c if _in_word(c) else " " for c in text) for text in wanted]
    rows = connection.exec_driver_sql(
        f"SELECT phraseto_tsquery('{CONFIGURATION}', w)::text FROM unnest(%s::text[]) AS w",
        (words,),
    )
    return dict(zip(wanted, rows.scalars().all(), strict=True))


def _in_word(char: str) -> bool:
    """Letters, digits and the marks that combine with them (Thai vowels, accents)."""
    return is_token_char(char) or unicodedata.category(char)[0] == "M"


def tsquery(
    connection: Connection, query: ParsedQuery, *, columns: Sequence[Column] = ()
) -> str | None:
    """The query as ``tsquery`` text; None when it can match nothing (it has no lexemes)."""
    return tsqueries(connection, [query], columns=columns)[0]


def tsqueries(
    connection: Connection, queries: Sequence[ParsedQuery], *, columns: Sequence[Column] = ()
) -> list[str | None]:
    """Each query as ``tsquery`` text (None: it can match nothing), in one round trip."""
    only = columns[0] if len(set(columns)) == 1 else None
    texts = (term.text for query in queries for term in all_terms(query.root))
    lexemes = phrases(connection, texts)
    return [_render(query.root, only, lexemes) for query in queries]


def _render(node: Node, column: Column | None, lexemes: dict[str, str]) -> str | None:
    if isinstance(node, Term):
        text = lexemes.get(node.text, "")
        if not text:
            return None
        where = node.column or column
        weight = _WEIGHTS[where] if where else ""
        found = list(_LEXEME.finditer(text))
        pieces, start = [], 0
        for index, match in enumerate(found):
            prefix = "*" if node.kind is AtomKind.PREFIX and index == len(found) - 1 else ""
            label = f":{prefix}{weight}" if prefix or weight else ""
            pieces += [text[start : match.end()], label]
            start = match.end()
        pieces.append(text[start:])
        return "(" + "".join(pieces) + ")"
    if isinstance(node, AnyOf):
        options = [rendered for o in node.options if (rendered := _render(o, column, lexemes))]
        return "(" + " | ".join(options) + ")" if options else None
    required = [_render(child, column, lexemes) for child in node.required]
    if not required or any(part is None for part in required):
        return None
    excluded = [rendered for c in node.excluded if (rendered := _render(c, column, lexemes))]
    parts = [part for part in required if part] + [f"!{part}" for part in excluded]
    return "(" + " & ".join(parts) + ")"


def best_matches(
    connection: Connection, query: str, *, excluded: int, limit: int, marked_whole: int
) -> list[Any]:
    """(id, score, marked headline and body) of the articles best matching the ``tsquery``
    (lower scores are better), other than ``excluded``; the marked text is None for an article
    with a column longer than ``marked_whole`` characters (app/passages.py)."""
    rows = run(
        connection,
        f"SELECT a.id, -{rank_sql()} AS score,"
        " CASE WHEN length(a.title) <= ? AND length(a.body) <= ?"
        f" THEN {headline_sql('title')} || ' ' || {headline_sql('body')} END AS marked"
        " FROM article AS a, CAST(? AS tsquery) AS q"
        " WHERE a.search_vector @@ q AND a.id != ? ORDER BY score, a.id DESC LIMIT ?",
        (marked_whole, marked_whole, query, excluded, limit),
    ).all()
    return list(rows)


def vocabulary(connection: Connection) -> CursorResult[*tuple[Any, ...]]:
    """Every index term with the number of articles that hold it, streamed."""
    return connection.exec_driver_sql(
        "SELECT word, ndoc FROM ts_stat('SELECT search_vector FROM article')",
        execution_options={"stream_results": True},
    )


def holds(connection: Connection, word: str) -> bool:
    """Whether any article holds the word (stemmed as the articles were)."""
    row = connection.exec_driver_sql(
        "SELECT 1 FROM article"
        f" WHERE search_vector @@ phraseto_tsquery('{CONFIGURATION}', %s) LIMIT 1",
        (word,),
    ).first()
    return row is not None


def document_frequency(connection: Connection, word: str, *, cap: int) -> int:
    """How many articles hold the word, counted up to ``cap``."""
    return int(
        connection.exec_driver_sql(
            "SELECT count(*) FROM (SELECT 1 FROM article"
            f" WHERE search_vector @@ phraseto_tsquery('{CONFIGURATION}', %s) LIMIT %s) AS held",
            (word, cap),
        ).scalar_one()
    )


def index_term(connection: Connection, word: str) -> str | None:
    """The one lexeme the configuration makes of ``word``, or None when it makes none or several."""
    found = (
        connection.exec_driver_sql(
            f"SELECT lexeme FROM unnest(to_tsvector('{CONFIGURATION}', %s))", (word,)
        )
        .scalars()
        .all()
    )
    return found[0] if len(found) == 1 else None


def bodies_holding(
    connection: Connection, term: str, *, samples: int, characters: int
) -> list[str]:
    """The bodies (their first ``characters``) of the first articles whose body holds the index
    ``term`` (weight B is the body's)."""
    return list(
        connection.exec_driver_sql(
            "SELECT left(body, %s) FROM article"
            " WHERE search_vector @@ %s::tsquery ORDER BY id LIMIT %s",
            (characters, lexeme(term) + ":B", samples),
        ).scalars()
    )


def stemming_to(connection: Connection, words: list[str], term: str) -> set[str]:
    """Those of ``words`` that the configuration turns into the index ``term``."""
    return set(
        connection.exec_driver_sql(
            "SELECT w FROM unnest(%s::text[]) AS w"
            f" WHERE to_tsvector('{CONFIGURATION}', w) @@ %s::tsquery",
            (words, lexeme(term)),
        ).scalars()
    )


def written_forms(
    connection: Connection,
    term: str,
    *,
    samples: int,
    characters: int,
    words_of: Callable[[str], list[str]],
) -> list[str]:
    """How a few articles that hold the index ``term`` write it, one spelling an article (read
    from the first ``characters`` of each column).

    ``words_of(text)`` gives the words of a text that may stem to ``term``; of each sampled
    article's, the first that the configuration turns into ``term`` is its spelling.
    """
    rows = connection.exec_driver_sql(
        "SELECT left(title, %s), left(body, %s) FROM article"
        " WHERE search_vector @@ %s::tsquery ORDER BY id LIMIT %s",
        (characters, characters, lexeme(term), samples),
    ).all()
    candidates: list[list[str]] = []
    for title, body in rows:
        candidates.append(list(dict.fromkeys(words_of(f"{title}\n{body}"))))
    distinct = list(dict.fromkeys(word for words in candidates for word in words))
    if not distinct:
        return []
    matching = stemming_to(connection, distinct, term)
    return [
        next(w for w in words if w in matching) for words in candidates if matching & set(words)
    ]
