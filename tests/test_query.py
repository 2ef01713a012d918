"""The query language: how text is read, and that no input can upset the engine."""

import pytest
import tantivy
from hypothesis import given, settings
from hypothesis import strategies as st

from app.problems import InvalidParameter
from app.search import render
from app.search.index import SearchIndex
from app.search.language import parse_query
from app.search.query_tree import AllOf, AnyOf, AtomKind, Column, Term, interpreted

W, P, X = AtomKind.WORD, AtomKind.PHRASE, AtomKind.PREFIX


@pytest.mark.parametrize(
    ("q", "root"),
    [
        ("troops", Term(W, "troops")),
        ("troops Macron", AllOf((Term(W, "troops"), Term(W, "Macron")))),
        ('"allied troops" Kyiv', AllOf((Term(P, "allied troops"), Term(W, "Kyiv")))),
        ("deploy*", Term(X, "deploy")),
        ("Paris OR Kyiv", AnyOf((Term(W, "Paris"), Term(W, "Kyiv")))),
        (
            "a OR b OR c d",
            AllOf((AnyOf((Term(W, "a"), Term(W, "b"), Term(W, "c"))), Term(W, "d"))),
        ),
        (
            'Macron -Le -"Marine Pen"',
            AllOf((Term(W, "Macron"),), (Term(W, "Le"), Term(P, "Marine Pen"))),
        ),
        ("well-known", Term(W, "well-known")),
        ('"one"', Term(W, "one")),
        ("AND", Term(W, "AND")),
        ("x - y", AllOf((Term(W, "x"), Term(W, "y")))),
        ("Macron's", Term(W, "Macron")),
        ("Macron’s", Term(W, "Macron")),
        ("title:Macron", Term(W, "Macron", Column.TITLE)),
        ("TITLE:Macron", Term(W, "Macron", Column.TITLE)),
        ('body:"red lines"', Term(P, "red lines", Column.BODY)),
        (
            "title:(a OR body:b)",
            AnyOf((Term(W, "a", Column.TITLE), Term(W, "b", Column.BODY))),
        ),
        ("colour:red", Term(W, "colour:red")),
        ("title: red", AllOf((Term(W, "title"), Term(W, "red")))),  # with a warning
        (
            "a (b -c)",
            AllOf((Term(W, "a"), Term(W, "b")), (Term(W, "c"),)),
        ),
        (
            "a -(b OR c)",
            AllOf((Term(W, "a"),), (AnyOf((Term(W, "b"), Term(W, "c"))),)),
        ),
        ("((a))", Term(W, "a")),
    ],
)
def test_parse(q: str, root: object) -> None:
    assert parse_query(q).root == root


@pytest.mark.parametrize(
    ("q", "warning"),
    [
        ('"unclosed phrase', "not closed"),
        ("OR Macron", "OR"),
        ("Macron OR", "OR"),
        ("Macron --", "no letters"),
        ("(Macron", "not closed"),
        ("Macron)", "closes no"),
        ("a OR -b", "cannot exclude"),
        ("(" * 12 + "a", "nest"),
    ],
)
def test_warnings(q: str, warning: str) -> None:
    assert any(warning in text for text in parse_query(q).warnings)


@pytest.mark.parametrize(
    ("q", "reading"),
    [
        ("Macron -(Berlin OR Brussels)", "Macron -(Berlin OR Brussels)"),
        ('title:"red lines" x*', 'title:"red lines" x*'),
        ("a OR b", "(a OR b)"),
    ],
)
def test_interpreted(q: str, reading: str) -> None:
    assert interpreted(parse_query(q).root) == reading


@pytest.mark.parametrize("q", ["", "  ", "*", "-a", "-(a b)", "OR", "()", '""', "(-a)"])
def test_nothing_to_search_is_rejected(q: str) -> None:
    with pytest.raises(InvalidParameter):
        parse_query(q)


@pytest.mark.parametrize(
    ("q", "operators"),
    [
        ("OR", "(`OR`)"),
        ("OR OR", "(`OR`)"),
        ("- OR", "(`OR`)"),
        ('title:() OR ""', "(`title:`, `OR`)"),
    ],
)
def test_operators_alone_are_said_to_search_nothing(q: str, operators: str) -> None:
    with pytest.raises(InvalidParameter) as raised:
        parse_query(q)
    assert raised.value.detail == (
        f"The query `q` holds only operators {operators} and an operator alone searches nothing: "
        "give at least one word."
    )


@pytest.mark.parametrize("q", ["--", '""', "*"])
def test_no_letters_or_digits_is_said_so(q: str) -> None:
    with pytest.raises(InvalidParameter, match="has no letters or digits"):
        parse_query(q)


@pytest.mark.parametrize(
    ("q", "words", "field_name"),
    [("title:", ["title"], "title:"), ("Body: Macron", ["Body", "Macron"], "body:")],
)
def test_a_field_without_a_term_is_searched_as_a_word_with_a_warning(
    q: str, words: list[str], field_name: str
) -> None:
    parsed = parse_query(q)
    assert [term.text for term in parsed.terms()] == words
    assert all(term.column is None for term in parsed.terms())
    assert parsed.warnings == [
        f"`{field_name}` names a field but no term follows it: it was searched as the word "
        f"`{words[0]}`; write the term right after the colon (`{field_name}Macron`)."
    ]


def test_a_field_with_its_term_warns_nothing() -> None:
    assert parse_query('title:Macron body:"red lines"').warnings == []


def test_too_many_terms_is_rejected() -> None:
    with pytest.raises(InvalidParameter, match="more than"):
        parse_query(" ".join(f"w{number}" for number in range(40)))


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> tantivy.Searcher:
    """A searcher of an empty search index: what a query becomes must run on it."""
    return SearchIndex(tmp_path_factory.mktemp("index"), writer_mb=15).searcher()


PIECES = ["title:", "body:", " OR ", "OR", "(", ")", "-", "’s", '"', "*", " ", "a", "é", "中"]


@settings(max_examples=1000)
@given(
    st.lists(
        st.sampled_from(PIECES)
        | st.characters()
        | st.sampled_from(list("^:+{}[],.'\\\x00\t&|!<>")),
        max_size=30,
    ).map("".join),
    st.sampled_from([(), (Column.TITLE,), (Column.BODY,)]),
)
def test_any_query_is_rejected_cleanly_or_runs_on_the_engine(
    searcher: tantivy.Searcher, q: str, columns: tuple[Column, ...]
) -> None:
    try:
        parsed = parse_query(q)
    except InvalidParameter:
        return
    for query in (render.ranked(parsed, columns=columns), render.matching(parsed, columns=columns)):
        if query is not None:
            searcher.search(query, limit=10)
