"""The input format: every rule of the README's spec, the seed's exact fields, and robustness."""

import contextlib
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.ingestion.formats.decoding import decode_text
from app.ingestion.formats.readers import read_text
from app.ingestion.parsed import _WORD, ArticleRejected, ParsedArticle
from app.ingestion.wire.parse import parse_article
from tests.conftest import SEED_FILE, SEED_TITLE


def test_seed_fields() -> None:
    data = SEED_FILE.read_bytes()
    [record] = read_text(data)
    article = record.article
    assert article is not None
    assert article.title == SEED_TITLE
    assert article.dateline == "LONDON"
    assert article.source == "ABC Audio"
    assert article.year == 2025
    assert len(article.paragraphs) == 14
    assert article.paragraphs[0].startswith("Talks are ongoing")
    assert article.lede == article.paragraphs[0]
    assert article.copyright == "Copyright © 2025, ABC Audio. All rights reserved."
    assert article.raw_text == data.decode("utf-8")
    assert article.content_hash == hashlib.sha256(data).hexdigest()
    assert article.word_count == 406
    assert article.warnings == ()


def test_headline_is_first_line_and_each_later_line_a_paragraph() -> None:
    article = parse_article("Headline here\nFirst para.\n\n\nSecond para.\n")
    assert article.title == "Headline here"
    assert article.paragraphs == ["First para.", "Second para."]


def test_leading_blank_lines_are_skipped() -> None:
    assert parse_article("\n\n  \nHeadline\nBody.").title == "Headline"


@pytest.mark.parametrize(
    ("first", "dateline", "rest"),
    [
        ("(LONDON) -- Talks began.", "LONDON", "Talks began."),
        ("(PARIS) — Talks began.", "PARIS", "Talks began."),
        ("(PARIS)—Talks began.", "PARIS", "Talks began."),
        ("(KYIV) – Talks began.", "KYIV", "Talks began."),
        ("(NEW YORK) - Talks began.", "NEW YORK", "Talks began."),
        ("(Washington) -- Talks began.", "WASHINGTON", "Talks began."),
        ("(SÃO PAULO) -- Talks began.", "SÃO PAULO", "Talks began."),
    ],
)
def test_dateline_is_taken_from_the_first_paragraph(first: str, dateline: str, rest: str) -> None:
    article = parse_article(f"Headline\n{first}\nMore.")
    assert article.dateline == dateline
    assert article.paragraphs == [rest, "More."]


@pytest.mark.parametrize(
    "first",
    [
        "Talks began (LONDON) -- later.",  # not at the start
        "(LONDON) Talks began.",  # no dash
        "(LONDON)-Talks began.",  # an unspaced hyphen is a compound, not a dateline
        "(2025) -- Talks began.",  # no place name
    ],
)
def test_no_dateline_without_the_convention(first: str) -> None:
    article = parse_article(f"Headline\n{first}")
    assert article.dateline is None
    assert article.paragraphs == [first]


def test_dateline_only_in_the_first_paragraph() -> None:
    article = parse_article("Headline\nFirst.\n(LONDON) -- Second.")
    assert article.dateline is None
    assert article.paragraphs[1] == "(LONDON) -- Second."


def test_dateline_alone_on_its_line_leaves_no_empty_paragraph() -> None:
    article = parse_article("Headline\n(LONDON) --\nBody text.")
    assert article.dateline == "LONDON"
    assert article.paragraphs == ["Body text."]


@pytest.mark.parametrize(
    ("line", "source", "year"),
    [
        ("Copyright © 2025, ABC Audio. All rights reserved.", "ABC Audio", 2025),
        ("Copyright (c) 2025, ABC Audio. All rights reserved.", "ABC Audio", 2025),
        ("Copyright 2025, ABC Audio. All rights reserved.", "ABC Audio", 2025),
        ("Copyright 2024 Reuters", "Reuters", 2024),
        ("(c) 2024 Reuters", "Reuters", 2024),
        ("© 2023 The Associated Press. All rights reserved.", "The Associated Press", 2023),
        ("COPYRIGHT © 2019 BBC NEWS", "BBC NEWS", 2019),
        ("Copyright © 2010-2024 Example Media Ltd.", "Example Media Ltd", 2024),
        ("© Guardian News & Media 2022", "Guardian News & Media", 2022),
        ("Copyright © 2025-26 ABC News", "ABC News", 2026),
        (
            "Copyright 2023 The Associated Press. All rights reserved. This material may not be "
            "published, broadcast, rewritten or redistributed.",
            "The Associated Press",
            2023,
        ),
        ("© 2024 Example Wire, all rights reserved worldwide.", "Example Wire", 2024),
    ],
)
def test_copyright_line_gives_source_and_year(line: str, source: str, year: int) -> None:
    article = parse_article(f"Headline\nBody.\n{line}")
    assert (article.source, article.year, article.copyright) == (source, year, line)
    assert article.paragraphs == ["Body."]


@pytest.mark.parametrize(
    "line",
    [
        "Copyright law was changed in 2019 by the parliament to protect musicians and artists.",
        "Copyright law changed in 2019.",
        "(c) the minister shall decide",
        "He said the copyright © notice was wrong.",
    ],
)
def test_a_sentence_about_copyright_stays_a_paragraph(line: str) -> None:
    article = parse_article(f"Headline\nBody.\n{line}")
    assert article.copyright is None
    assert article.source is None
    assert article.paragraphs == ["Body.", line]


def test_only_the_last_line_can_be_the_copyright_line() -> None:
    line = "Copyright © 2025, ABC Audio. All rights reserved."
    article = parse_article(f"Headline\n{line}\nBody after it.")
    assert article.copyright is None
    assert article.paragraphs == [line, "Body after it."]


def test_headline_only_article_has_no_paragraphs() -> None:
    article = parse_article("Just a headline\n")
    assert article.paragraphs == []
    assert article.lede is None
    assert article.word_count == 0


def test_word_count_counts_body_words() -> None:
    article = parse_article("Head line\nOne two three.\nIt's well-known: 4.5 percent.")
    assert article.word_count == 3 + 4


@given(
    st.lists(
        st.text(
            alphabet=st.sampled_from("ab9_é\u0301٣½- .'’,\u00a0\u2028\t") | st.characters(),
            max_size=40,
        ),
        max_size=4,
    )
)
def test_word_count_is_the_words_the_pattern_finds(paragraphs: list[str]) -> None:
    article = ParsedArticle(
        title="Head",
        paragraphs=paragraphs,
        dateline=None,
        source=None,
        year=None,
        copyright=None,
        raw_text="",
    )
    assert article.word_count == sum(len(_WORD.findall(paragraph)) for paragraph in paragraphs)


def test_whitespace_and_control_characters_are_tidied_in_fields_not_in_raw_text() -> None:
    text = "Head\x07line  here\nBody\twith   gaps.\x0b\n"
    article = parse_article(text)
    assert article.title == "Headline here"
    assert article.paragraphs == ["Body with gaps."]
    assert article.raw_text == text


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"\xef\xbb\xbfHeadline\nBody", "Headline\nBody"),
        (b"Headline\r\nBody\r\n", "Headline\nBody\n"),
        (b"Headline\rBody\r", "Headline\nBody\n"),
        ("Me\u0301lenchon".encode(), "Mélenchon"),
    ],
)
def test_decoding_drops_bom_normalises_newlines_and_composes(data: bytes, text: str) -> None:
    decoded = decode_text(data)
    assert decoded.text == text
    assert decoded.warnings == ()


def test_invalid_utf8_is_read_as_windows_1252_with_a_warning() -> None:
    decoded = decode_text(b"Caf\xe9 opens\n\x93Quoted\x94 text \x80 and \x81.")
    assert decoded.text == "Café opens\n“Quoted” text € and \x81."
    assert len(decoded.warnings) == 1
    assert "Windows-1252" in decoded.warnings[0]
    assert "0xe9" in decoded.warnings[0]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"  \n\n\t\r\n", "empty file"),
        (b"Headline\x00\x01binary", "binary file"),
        (b"----\nBody text.", "no headline"),
        (b"Copyright \xc2\xa9 2025, ABC Audio. All rights reserved.\n", "copyright notice"),
        (b"(c) 2024 Reuters", "copyright notice"),
        (b"(LONDON) -- Talks are ongoing.\nMore.", "opens with a dateline"),
    ],
)
def test_rejections_say_why(data: bytes, reason: str) -> None:
    with pytest.raises(ArticleRejected, match=reason):
        read_text(data)


@given(st.text())
def test_any_text_parses_or_is_rejected(text: str) -> None:
    try:
        article = parse_article(text)
    except ArticleRejected:
        return
    assert article.title
    assert all(paragraph and "\n" not in paragraph for paragraph in article.paragraphs)


@given(st.binary())
def test_any_bytes_decode_and_parse_or_are_rejected(data: bytes) -> None:
    with contextlib.suppress(ArticleRejected):
        read_text(data)
