"""Highlights mark exactly what the index's analyzers match: folded, stemmed, prefixes on
unstemmed words, phrases as one span, words inside text without spaces."""

import sqlite3
from pathlib import Path

import pytest

from app.ingestion.formats.readers import read_text
from app.search import highlight
from app.search.highlight import Marking, marked, marking_of, screen_needles, stem_start
from app.search.language import parse_query
from app.search.query_tree import Column
from app.search.words import TEXT, analyze, screened
from tests.conftest import WIRE_FIXTURES


def mark(q: str, text: str, column: Column = Column.BODY) -> str:
    return marked(text, marking_of(parse_query(q), column), start="[", stop="]")


@pytest.mark.parametrize(
    ("q", "text", "expected"),
    [
        # Case and accents are folded both ways.
        ("cafe", "Le Café de Flore, CAFÉ", "Le [Café] de Flore, [CAFÉ]"),
        ("Zürich", "ZURICH, Zurich, zürich", "[ZURICH], [Zurich], [zürich]"),
        ("Łódź", "LODZ and Łódź", "[LODZ] and [Łódź]"),
        ("São", "Sao Paulo, SÃO PAULO", "[Sao] Paulo, [SÃO] PAULO"),
        # English stems, as the stemmer has them: "ministerial" is another stem.
        (
            "minister",
            "Ministers, ministerial, the Minister",
            "[Ministers], ministerial, the [Minister]",
        ),
        # A prefix is on the unstemmed words.
        ("minist*", "Ministers, ministerial, a mint", "[Ministers], [ministerial], a mint"),
        # A phrase is one span, only where its words stand in sequence.
        (
            '"prime minister"',
            "The Prime Minister, the prime of the minister",
            "The [Prime Minister], the prime of the minister",
        ),
        # A word the analyzer splits is the phrase of its parts.
        ("e-mail", "an e-mail, an E mail, an email", "an [e-mail], an [E mail], an email"),
        # The possessive is dropped from the query, and the name marked where it stands.
        ("Zelenskyy's", "Zelenskyy's aide met Zelenskyy", "[Zelenskyy]'s aide met [Zelenskyy]"),
        # Greek and Cyrillic: case folded; Greek accents and the final sigma folded too, as
        # readers read them.
        ("Αθήνα", "ΑΘΉΝΑ, Αθήνα, ΑΘΗΝΑ", "[ΑΘΉΝΑ], [Αθήνα], [ΑΘΗΝΑ]"),
        ("Αθήνας", "της Αθήνας, ΤΗΣ ΑΘΗΝΑΣ", "της [Αθήνας], ΤΗΣ [ΑΘΗΝΑΣ]"),
        ("москва", "В МОСКВЕ и Москва, москва", "В МОСКВЕ и [Москва], [москва]"),
        ("Πούτιν Путин", "Ο Πούτιν (Путин) είπε", "Ο [Πούτιν] ([Путин]) είπε"),
        # Words inside text without spaces, where the grams find them.
        ("政府", "北京市政府今天宣布新的政策。政府", "北京市[政府]今天宣布新的政策。[政府]"),
        (
            "金利",
            "日本銀行はマイナス金利政策の解除を決定した。",
            "日本銀行はマイナス[金利]政策の解除を決定した。",
        ),
        ("กรุงเทพ", "ฝนตกหนักในกรุงเทพมหานคร", "ฝนตกหนักใน[กรุงเทพ]มหานคร"),
        # A Thai consonant is not marked inside the same consonant with a vowel.
        ("กร", "กรุงเทพ กรม", "กรุงเทพ [กร]ม"),
        ("北京市", "北京市 and 北京市政府", "[北京市] and [北京市]政府"),
    ],
)
def test_what_matches_is_marked(q: str, text: str, expected: str) -> None:
    assert mark(q, text) == expected


def test_offsets_count_characters_not_bytes() -> None:
    # Every word after a non-ASCII one would be marked off by its extra bytes if they did.
    assert mark("said", "Ελλάδα Москва Café 北京 said") == "Ελλάδα Москва Café 北京 [said]"
    assert mark("said", "𝐀😀 said") == "𝐀😀 [said]"


def test_only_the_positive_terms_of_the_column() -> None:
    query = parse_query("title:Peskov body:Kremlin Moscow -Putin (tass OR ria)")
    assert marking_of(query, Column.TITLE) == Marking(
        stems=frozenset({"peskov", "moscow", "tass", "ria"}), prefixes=(), phrases=()
    )
    assert marking_of(query, Column.BODY) == Marking(
        stems=frozenset({"kremlin", "moscow", "tass", "ria"}), prefixes=(), phrases=()
    )
    text = "Peskov and Putin in the Kremlin"
    assert mark("title:Peskov body:Kremlin -Putin", text) == "Peskov and Putin in the [Kremlin]"
    assert (
        mark("title:Peskov body:Kremlin", text, Column.TITLE) == "[Peskov] and Putin in the Kremlin"
    )


def test_overlapping_matches_are_one_span() -> None:
    assert mark('minister "prime minister"', "the Prime Minister") == "the [Prime Minister]"
    assert mark("minist* minister", "Ministers") == "[Ministers]"


def test_a_prefix_the_analyzer_splits_is_its_leading_words_and_the_prefix_of_the_last() -> None:
    assert marking_of(parse_query("jean-lu*"), Column.BODY) == Marking(
        stems=frozenset({"jean"}), prefixes=("lu",), phrases=()
    )
    assert (
        mark("jean-lu*", "Jean-Luc Mélenchon, Jean Lucas")
        == "[Jean]-[Luc] Mélenchon, [Jean] [Lucas]"
    )


def test_hostile_text_is_marked_or_left_as_it_is() -> None:
    long_word = "a" * 200  # longer than any word the index holds: never a match
    assert mark("a", f"{long_word} a") == f"{long_word} [a]"
    assert mark(long_word, long_word) == long_word
    # Combining marks split a word as they split it in the index.
    assert mark("y", "x\u0301y") == "x\u0301[y]"
    # A lone surrogate cannot be tokenized: the text comes back unmarked.
    assert mark("x", "a\ud800 x") == "a\ud800 x"
    # Megabytes without spaces: the words inside are still found.
    text = "北" * 1_000_000 + "京"
    assert mark("北京", text).endswith("北[北京]")
    assert mark("x", "") == ""


def _fixture_texts() -> list[tuple[str, str]]:
    texts = []
    for path in sorted(WIRE_FIXTURES.glob("*.txt")):
        [record] = read_text(Path(path).read_bytes())
        article = record.article
        assert article is not None
        texts.append((article.title, "\n\n".join(article.paragraphs)))
    return texts


def fts5_marked(texts: list[tuple[str, str]], expression: str) -> list[tuple[str, str]]:
    """Each (headline, body) with the matches of the FTS5 ``expression`` marked by SQLite's
    FTS5 (Porter stemmer, diacritics removed): a highlighter written by others."""
    connection = sqlite3.connect(":memory:")
    try:
        connection.execute(
            "CREATE VIRTUAL TABLE passage USING fts5(title, body,"
            " tokenize='porter unicode61 remove_diacritics 2')"
        )
        connection.executemany(
            "INSERT INTO passage (rowid, title, body) VALUES (?, ?, ?)",
            [(number, title, body) for number, (title, body) in enumerate(texts)],
        )
        rows = connection.execute(
            "SELECT rowid, highlight(passage, 0, '[', ']'), highlight(passage, 1, '[', ']')"
            " FROM passage WHERE passage MATCH ?",
            (expression,),
        ).fetchall()
    finally:
        connection.close()
    marked = list(texts)
    for number, title, body in rows:
        marked[number] = (title, body)
    return marked


@pytest.mark.parametrize(
    ("q", "expression"),
    [
        ("said", '"said"'),
        ("dlrs", '"dlrs"'),
        ("rose OR fell", '"rose" OR "fell"'),
        ("Monday", '"Monday"'),
        ("trading", '"trading"'),
        ("companies", '"companies"'),
        ("prices", '"prices"'),
        ("minist*", '"minist" *'),
        ("compan*", '"compan" *'),
        ('"said on"', '"said on"'),
        ("title:talks", 'title : "talks"'),
        ("U.S.", '"U.S."'),
        ("year's", '"year"'),  # the possessive is read as the word
    ],
)
def test_the_same_marks_as_sqlite_s_fts5_on_the_wire_fixtures(q: str, expression: str) -> None:
    """Where FTS5's Porter stemmer and the index's English stemmer agree (they part on a few
    words: Porter makes "news" "new"), the marks are FTS5's."""
    query = parse_query(q)
    texts = _fixture_texts()
    by_fts5 = fts5_marked(texts, expression)
    ours = [
        (
            marked(title, marking_of(query, Column.TITLE), start="[", stop="]"),
            marked(body, marking_of(query, Column.BODY), start="[", stop="]"),
        )
        for title, body in texts
    ]
    assert ours == by_fts5
    assert any("[" in title + body for title, body in ours)


# The English stemmer's exceptions and its rewritten endings, and letters the analyzer folds.
STEMMER_EDGES = [
    "dying",
    "lying",
    "tying",
    "vying",
    "hying",
    "skies",
    "skis",
    "sky",
    "news",
    "idly",
    "gently",
    "ugly",
    "early",
    "only",
    "singly",
    "happily",
    "happiness",
    "generously",
    "relational",
    "sensibility",
    "visibility",
    "agreed",
    "agreement",
    "conditional",
    "organizer",
    "realization",
    "activity",
    "apology",
    "reasonably",
    "proceed",
    "exceed",
    "succeed",
    "inning",
    "outing",
    "canning",
    "herring",
    "earring",
    "atlas",
    "cosmos",
    "bias",
    "andes",
    "ponies",
    "caresses",
    "feed",
    "Straße",
    "Ｍacron",
    "ΑΘΗΝΑΣ",
    "İstanbul",
    "ǅemal",
    "ﬁnancial",
    "Zelenskyy",
]


@pytest.mark.parametrize("word", STEMMER_EDGES)
def test_a_word_s_term_starts_with_its_stem_s_start(word: str) -> None:
    # What lets a paragraph without the needle be left untokenized (screen_needles).
    [stem] = analyze(TEXT, word)
    assert screened(word).startswith(stem_start(stem))
    needles = screen_needles(marking_of(parse_query(word), Column.BODY))
    assert needles is not None
    assert needles.search(screened(f"x {word} y"))


def test_marking_only_the_screened_paragraphs_marks_what_marking_all_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts = [body for _, body in _fixture_texts()]
    texts += [
        "x beta\ngamma delta",  # a phrase across two paragraphs
        "x beta\n\n—\ngamma\nnone here\nbeta gamma",  # and across paragraphs without words
        "Le Café\nde Flore\nCAFÉ STRASSE Straße",
        "ΤΗΣ ΑΘΗΝΑΣ\nΑθήνας",
    ]
    words = sorted({word for text in texts for word in text.split()[::7] if word.isalpha()})
    queries = [
        *words[:120],
        '"beta gamma"',
        '"de flore"',
        "cafe strasse",
        "Αθήνας",
        "minist*",
        "compan* said",
        '"said on" OR prices',
    ]
    markings = [marking_of(parse_query(q), Column.BODY) for q in queries]
    screened_marks = [[marked(t, m, start="[", stop="]") for t in texts] for m in markings]
    monkeypatch.setattr(highlight, "screen_needles", lambda marking: None)
    whole_marks = [[marked(t, m, start="[", stop="]") for t in texts] for m in markings]
    assert screened_marks == whole_marks
    assert sum(text.count("[") for marks in whole_marks for text in marks) > 200
