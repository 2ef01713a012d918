"""The query language: how text is read, and that no input can upset FTS5."""

import sqlite3
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.errors import InvalidParameter
from app.query import Atom, AtomKind, parse_query
from app.search import fts5_expression

W, P, X = AtomKind.WORD, AtomKind.PHRASE, AtomKind.PREFIX


@pytest.mark.parametrize(
    ("q", "clauses", "excluded"),
    [
        ("troops Macron", [[Atom(W, "troops")], [Atom(W, "Macron")]], []),
        ('"allied troops" Kyiv', [[Atom(P, "allied troops")], [Atom(W, "Kyiv")]], []),
        ("deploy*", [[Atom(X, "deploy")]], []),
        ("Paris OR Kyiv", [[Atom(W, "Paris"), Atom(W, "Kyiv")]], []),
        ("a OR b OR c d", [[Atom(W, "a"), Atom(W, "b"), Atom(W, "c")], [Atom(W, "d")]], []),
        ('Macron -Le -"Marine Pen"', [[Atom(W, "Macron")]], [Atom(W, "Le"), Atom(P, "Marine Pen")]),
        ("well-known", [[Atom(W, "well-known")]], []),
        ('"one"', [[Atom(W, "one")]], []),
        ("AND", [[Atom(W, "AND")]], []),
        ("x - y", [[Atom(W, "x")], [Atom(W, "y")]], []),
    ],
)
def test_parse(q: str, clauses: list[list[Atom]], excluded: list[Atom]) -> None:
    parsed = parse_query(q)
    assert parsed.clauses == clauses
    assert parsed.excluded == excluded


@pytest.mark.parametrize(
    ("q", "warning"),
    [
        ('"unclosed phrase', "not closed"),
        ("OR Macron", "OR"),
        ("Macron OR", "OR"),
        ("Macron --", "no letters"),
    ],
)
def test_warnings(q: str, warning: str) -> None:
    assert any(warning in text for text in parse_query(q).warnings)


@pytest.mark.parametrize(
    ("q", "expression"),
    [
        ("Macron troops", '"Macron" AND "troops"'),
        ('say "he said" x*', '"say" AND "he said" AND "x" *'),
        ("a OR b -c", '(("a" OR "b")) NOT "c"'),
        ("a -b -c", '(("a") NOT "b") NOT "c"'),
        ("a\x00b", '"a" AND "b"'),
        ("NEAR(a", '"NEAR(a"'),
    ],
)
def test_fts5_rendering(q: str, expression: str) -> None:
    assert fts5_expression(parse_query(q)) == expression


@pytest.fixture(scope="module")
def fts() -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE VIRTUAL TABLE t USING fts5(title, body, "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
    connection.execute("INSERT INTO t VALUES ('Macron and troops', 'said \"it\" -- www.x.com')")
    yield connection
    connection.close()


@settings(max_examples=400)
@given(
    st.text(
        alphabet=st.sampled_from(list("ab \"*-()^:+OR AND NOT NEAR{}[],.'\\é中\x00\t"))
        | st.characters(),
        max_size=60,
    )
)
def test_any_query_is_rejected_cleanly_or_valid_fts5(fts: sqlite3.Connection, q: str) -> None:
    try:
        expression = fts5_expression(parse_query(q))
    except InvalidParameter:
        return
    fts.execute("SELECT rowid FROM t WHERE t MATCH ?", (expression,)).fetchall()
