"""Text without spaces: a word inside a run of Chinese, Japanese or Thai is found through the
grams fields, and text in other scripts is analysed as before."""

from pathlib import Path
from typing import Any

import pytest
import tantivy

from app.search import grams, schema, words

# Real sentences, as agencies write them: no space between words.
CHINESE = "中国国家统计局周一公布，第三季度国内生产总值同比增长百分之四点九。"
JAPANESE = "日本銀行は火曜日、マイナス金利政策の解除を決定した。"
THAI = "กรมอุตุนิยมวิทยาเตือนว่าจะมีฝนตกหนักในกรุงเทพมหานครสัปดาห์นี้"
LATIN = "The Prime Minister's e-mail to Zürich ministers"


def article(number: int, title: str, body: str) -> dict[str, Any]:
    return {
        "id": number,
        "title": title,
        "body": body,
        "source": None,
        "dateline": None,
        "labels": (),
        "year": None,
        "published_at": None,
    }


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> tantivy.Searcher:
    index = schema.open_index(Path(tmp_path_factory.mktemp("grams")))
    writer = index.writer(15_000_000, 1)
    for number, (title, body) in enumerate(
        [("统计局公布数据", CHINESE), ("日銀", JAPANESE), ("ฝนตก", THAI), ("Zurich", LATIN)], 1
    ):
        writer.add_document(schema.article_document(article(number, title, body), change=number))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return index.searcher()


def found(searcher: tantivy.Searcher, field: str, word: str) -> list[int]:
    query = grams.grams_query(schema.SCHEMA, field, word)
    assert query is not None
    hits = searcher.search(query, 10).hits
    return sorted(searcher.doc(address)["id"][0] for _, address in hits)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("统计局", [1]),  # the bureau of statistics, inside a run of 11 characters
        ("增长", [1]),  # growth
        ("国内生产总值", [1]),  # gross domestic product, six characters in sequence
        ("季", [1]),  # a single character is found where it stands in a run
        ("金利", [2]),  # interest rate, kanji inside a run of kanji and kana
        ("マイナス", [2]),  # katakana
        ("解除を決定", [2]),  # kanji, hiragana, kanji
        ("ﾏｲﾅｽ", [2]),  # half-width katakana meets the full-width text
        ("ฝนตกหนัก", [3]),  # heavy rain: Thai letters with their vowels and tones
        ("กรุงเทพ", [3]),  # Bangkok, inside the longer name
    ],
)
def test_a_word_inside_a_run_is_found(
    searcher: tantivy.Searcher, word: str, expected: list[int]
) -> None:
    assert found(searcher, "body_grams", word) == expected


def test_a_word_is_found_only_where_its_characters_stand_in_sequence(
    searcher: tantivy.Searcher,
) -> None:
    assert found(searcher, "body_grams", "北京") == []  # not in any article
    assert found(searcher, "body_grams", "增长统计") == []  # both pairs exist, not in sequence
    # Punctuation ends a run: the words either side of the full-width comma are no phrase.
    assert found(searcher, "body_grams", "公布第三") == []
    assert found(searcher, "body_grams", "公布") == [1]


def test_the_headline_has_grams_of_its_own(searcher: tantivy.Searcher) -> None:
    assert found(searcher, "title_grams", "公布") == [1]
    assert found(searcher, "title_grams", "金利") == []


def test_every_run_of_a_word_must_match(searcher: tantivy.Searcher) -> None:
    assert found(searcher, "body_grams", "统计局-增长") == [1]
    assert found(searcher, "body_grams", "统计局-金利") == []


def test_a_word_without_such_text_has_no_grams_query() -> None:
    assert grams.grams_query(schema.SCHEMA, "body_grams", "Zürich") is None
    assert grams.grams_query(schema.SCHEMA, "body_grams", "٣٤") is None


def test_latin_script_puts_nothing_in_the_grams_fields() -> None:
    for text in (
        LATIN,
        "Ελλάδα Москва Café 2024",
        "한국은행 기준금리",  # Korean is written with spaces
        "Thủ tướng Việt Nam “phát biểu” 😀 ½",  # blocks that share a first byte with the runs'
        "नई दिल्ली",
    ):
        assert grams.grams_text(text) == ""
    assert grams.grams_text("Zürich “北京”") == "北京 京"


def test_the_word_analyzers_are_unchanged() -> None:
    assert words.analyze(words.TEXT, LATIN) == [
        "the", "prime", "minist", "s", "e", "mail", "to", "zurich", "minist",
    ]  # fmt: skip
    assert words.analyze(words.WORDS, LATIN) == [
        "the", "prime", "minister", "s", "e", "mail", "to", "zurich", "ministers",
    ]  # fmt: skip
    # A run of text without spaces is still one word to them: the grams find words inside it.
    assert words.analyze(words.TEXT, "北京市政府") == ["北京市政府"]


def test_grams_hold_each_character_with_the_next_and_the_last_alone() -> None:
    assert grams.grams_text("在北京市。东京") == "在北 北京 京市 市 东京 京"
    # The index cuts them at the spaces, one position a gram, so the pairs make phrases.
    analyzer = words.ANALYZERS[words.GRAMS]
    tokens = analyzer.pre_tokenize(grams.grams_text("在北京市")).tokens
    assert [(token.text, token.position) for token in tokens] == [
        ("在北", 0), ("北京", 1), ("京市", 2), ("市", 3),
    ]  # fmt: skip


def test_a_character_is_a_letter_with_its_marks_however_normalised() -> None:
    # SARA AM is one code point in the text and two once the query is normalised (NFKC).
    stored = "น้ำท่วม"
    typed = "น้ําท่วม"
    assert grams.query_units(stored) == grams.query_units(typed)
    (run,) = grams.runs("x น้ำ")
    assert run.units[0] == "น้ํ"  # the consonant with its tone and the first half of SARA AM
    assert (run.starts[0], run.ends[0]) == (2, 5)
    # A variation selector after an ideograph (a name's glyph) is not part of the word.
    assert grams.query_units("葛\U000e0100城") == [("葛", "城")]


def test_a_hostile_run_is_indexed_up_to_the_limit() -> None:
    held = grams.grams_text("北" * (grams.GRAMS_LIMIT * 4)).split(" ")
    assert len(held) == grams.GRAMS_LIMIT
    assert grams.grams_text("\u0e48" * 1000) == ""  # marks with no letter
    # A letter with a hundred thousand marks is one character, too long for a term.
    piled = grams.grams_text("\u0e01" + "\u0e48" * 100_000)
    assert words.analyze(words.GRAMS, piled) == []
