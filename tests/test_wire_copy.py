"""Conventions of real wire copy: datelines, agencies, sign-offs, bylines, layouts, hygiene."""

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.ingestion.discovery import discover_files
from app.ingestion.formats.readers import read_text
from app.ingestion.outcomes import Outcome
from app.ingestion.parsed import ArticleRejected
from app.ingestion.wire.parse import parse_article
from tests.conftest import WIRE_FIXTURES, Ingest, assert_parsed_as

PLACEHOLDERS = Path(__file__).parent / "fixtures" / "placeholders"

EXPECTED: dict[str, dict[str, Any]] = {
    "reuters-wrapped.txt": {
        "title": "OIL PRICES RISE ON SUPPLY FEARS",
        "dateline": "LONDON",
        "source": "Reuters",
        "paragraphs": [
            "Oil prices rose on Monday as traders weighed supply risks in the Middle East "
            "against weak demand in China.",
            "Brent crude futures rose 1.2 percent to $84.10 a barrel.",
            '"The market is nervous," one trader said.',
        ],
    },
    "ap-blank-lines.txt": {
        "dateline": "WASHINGTON",
        "source": "The Associated Press",
        "year": 2023,
        "authors": ("Jane Doe", "John Smith"),
        "paragraphs": [
            "A powerful storm lashed the Gulf Coast on Tuesday, knocking out power to thousands.",
            "Officials urged residents to stay indoors.",
        ],
    },
    "reuters-21578.txt": {
        "dateline": "SALVADOR",
        "dateline_date": "Feb 26",
        "published_at": None,  # a date of no year, with no notice to give one
        "source": "Reuters",
        "copyright": None,
        "paragraph_count": 3,
        "last_paragraph": "Comissaria Smith said total Bahia sales are estimated at 6.13 mln bags "
        "<and> rising.",
    },
    "reuters-date.txt": {
        "dateline": "NEW YORK",
        "dateline_date": "March 3",
        "published_at": datetime(2024, 3, 3, tzinfo=UTC),  # the notice's year
        "source": "Reuters",
        "year": 2024,
        "paragraphs": ["U.S. stocks fell on Tuesday.", "The S&P 500 lost 1.5%."],
    },
    "paris-bullets.txt": {
        "title": "Grève à la SNCF",
        "dateline": "PARIS",
        "source": None,
        "paragraphs": [
            "Les cheminots ont cessé le travail mardi.",
            "- Trains supprimés : 60 %",
            "- Retour prévu : jeudi",
        ],
    },
    "reuters-sign-off-same-line.txt": {
        "dateline": "WELLINGTON",
        "source": "Reuters",
        "paragraphs": [
            "New Zealand's trade deficit narrowed in January to 112 mln dlrs from 240 mln in "
            "December, the statistics department said.",
            "Exports rose to 1.02 billion dlrs from 963 mln, while imports fell to 1.13 billion "
            "from 1.20 billion.",
            "The department said the figures were not seasonally adjusted.",
        ],
    },
    "reuters-lower-sign-off.txt": {
        "dateline": "ZURICH",
        "source": "Reuters",
        "paragraphs": [
            "Gold closed lower at 405.50/406.00 dlrs an ounce.",
            "Dealers said trading was thin ahead of U.S. data.",
        ],
    },
    "ap-more-trailer.txt": {
        "dateline": "WASHINGTON",
        "authors": ("John Doe",),
        "source": "AP",
        "paragraphs": [
            "The Senate on Thursday passed a bill to shore up the farm credit system.",
            "The vote was 75-21.",
            "The House is expected to take up the measure next week.",
        ],
    },
    "afp-end-mark.txt": {
        "dateline": "GENEVA",
        "source": "AFP",
        "paragraphs": [
            "Arms control talks resumed on Monday after a two-week break.",
            "Delegates gave no details of the agenda.",
        ],
    },
    "upi-capitals-one-block.txt": {
        "dateline": "CHICAGO",
        "paragraphs": [
            "SOYBEAN FUTURES CLOSED HIGHER ON THE CHICAGO BOARD OF TRADE TUESDAY, LED BY STRONG "
            "EXPORT DEMAND FROM JAPAN AND TAIWAN, TRADERS SAID.",
            "MAY SOYBEANS ROSE 4-1/2 CENTS TO 5.02 DLRS A BUSHEL, WHILE JULY GAINED 3-3/4 CENTS.",
            "CORN AND WHEAT FUTURES ENDED MIXED IN LIGHT TRADE AS DEALERS AWAITED THE AGRICULTURE "
            "DEPARTMENT'S PLANTING INTENTIONS REPORT, DUE OUT MARCH 31.",
        ],
    },
    "reuters-one-block.txt": {
        "dateline": "TORONTO",
        "source": "Reuters",
        "paragraphs": [
            "Canadian Pacific Ltd said on Thursday it would sell its 52 pct stake in Cominco Ltd "
            "to Teck Corp, Metallgesellschaft AG and Mitsubishi Corp for 475 mln Canadian dlrs.",
            "Canadian Pacific Chairman William Stinson said the sale, expected to close by April "
            "30, would cut the company's debt and let it focus on transport, energy and forest "
            "products.",
            "Cominco, based in Vancouver, British Columbia, is Canada's biggest zinc producer.",
        ],
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_wire_fixture(name: str) -> None:
    [record] = read_text((WIRE_FIXTURES / name).read_bytes())
    assert record.article is not None
    assert_parsed_as(record.article, EXPECTED[name])


@pytest.mark.parametrize(
    ("first", "dateline", "date", "source", "rest"),
    [
        ("(LONDON) -- Text.", "LONDON", None, None, "Text."),
        ("LONDON (Reuters) - Text.", "LONDON", None, "Reuters", "Text."),
        ("WASHINGTON (AP) — Text.", "WASHINGTON", None, "AP", "Text."),
        ("SALVADOR, Feb 26 - Text.", "SALVADOR", "Feb 26", None, "Text."),
        ("NEW YORK, March 3 (Reuters) - Text.", "NEW YORK", "March 3", "Reuters", "Text."),
        ("PARIS — Text.", "PARIS", None, None, "Text."),
        (
            "RIO DE JANEIRO, Sept. 9, 2024 (AFP) -- Text.",
            "RIO DE JANEIRO",
            "Sept. 9, 2024",
            "AFP",
            "Text.",
        ),
        ("(Reuters) - Text.", None, None, "Reuters", "Text."),
        ("(CNN) -- Text.", None, None, "CNN", "Text."),
        ("LONDON, England (CNN) -- Text.", "LONDON, ENGLAND", None, "CNN", "Text."),
        ("WASHINGTON, D.C. (AP) — Text.", "WASHINGTON, D.C.", None, "AP", "Text."),
        ("WASHINGTON/LONDON (Reuters) - Text.", "WASHINGTON/LONDON", None, "Reuters", "Text."),
        ("Paris - Text.", None, None, None, "Paris - Text."),  # not capitals: not a dateline
        ("NATO allies met today.", None, None, None, "NATO allies met today."),
    ],
)
def test_datelines(
    first: str, dateline: str | None, date: str | None, source: str | None, rest: str
) -> None:
    article = parse_article(f"Headline\n{first}")
    assert (article.dateline, article.dateline_date, article.source) == (dateline, date, source)
    assert article.paragraphs == [rest]


def test_a_copyright_line_names_the_source_before_the_dateline_agency() -> None:
    article = parse_article("Headline\nLONDON (Reuters) - Text.\n© 2024 Thomson Reuters")
    assert article.source == "Thomson Reuters"


@pytest.mark.parametrize("closing", ["Reuter", "REUTER", " REUTER\n&#3;"])
def test_a_reuter_sign_off_is_not_a_paragraph(closing: str) -> None:
    article = parse_article(f"Headline\nText.\n{closing}")
    assert article.paragraphs == ["Text."]
    assert article.source == "Reuters"


@pytest.mark.parametrize(
    "closing",
    [
        "reuter",
        "REUTER...",
        "Reuters.",
        "REUTER\r",
        "REUTER\x1a",
        "REUTER\r\x03",
        "REUTER &#3;",
        "(REUTERS)",
        "REUTER\n-30-",
        "REUTER\nMORE",
    ],
)
def test_a_sign_off_in_any_case_with_stray_marks_is_not_a_paragraph(closing: str) -> None:
    article = parse_article(f"Headline\nText.\n{closing}")
    assert article.paragraphs == ["Text."]
    assert article.source == "Reuters"


@pytest.mark.parametrize(
    "last", ["Prices fell. REUTER", "Prices fell. reuter...", "Prices fell.  REUTERS"]
)
def test_a_sign_off_after_the_last_sentence_is_cut_from_it(last: str) -> None:
    article = parse_article(f"Headline\nText.\n{last}")
    assert (article.paragraphs, article.source) == (["Text.", "Prices fell."], "Reuters")


@pytest.mark.parametrize(
    "last", ["Shares of Reuter rose", "The deal was reported by Reuters", "Reuters said it."]
)
def test_a_sentence_naming_the_agency_is_text(last: str) -> None:
    article = parse_article(f"Headline\nText.\n{last}")
    assert article.paragraphs == ["Text.", last]
    assert article.source is None


@pytest.mark.parametrize(
    ("closing", "source"),
    [
        ("(MORE)", None),
        ("MORE", None),
        ("-more-", None),
        ("More...", None),
        ("-30-", None),
        ("- 30 -", None),
        ("###", None),
        ("# # #", None),
        ("ENDS", None),
        ("(END)", None),
        ("-0-", None),
        ("AP-NY-03-12-87 1423EST", "The Associated Press"),
        ("-30-\nAP-WA-11-02-88 0915EST", "The Associated Press"),
        ("UPI 03-12-87 02:23 PES", "UPI"),
    ],
)
def test_end_marks_and_trailers_are_not_paragraphs(closing: str, source: str | None) -> None:
    article = parse_article(f"Headline\nText.\n\n{closing}\n")
    assert (article.paragraphs, article.source) == (["Text."], source)
    assert closing in article.raw_text


def test_a_more_mark_between_takes_ends_a_paragraph() -> None:
    article = parse_article("Headline\nFirst take.\n(MORE)\nSecond take.\n")
    assert article.paragraphs == ["First take.", "Second take."]


@pytest.mark.parametrize("line", ["More.", "End.", "More rain is due.", "The END of an era.", "30"])
def test_words_like_the_marks_are_text(line: str) -> None:
    assert parse_article(f"Headline\nText.\n{line}").paragraphs == ["Text.", line]


def test_every_wire_fixture_is_ingested_and_every_placeholder_refused(
    ingest: Ingest, tmp_path: Path
) -> None:
    report = ingest(WIRE_FIXTURES, PLACEHOLDERS)
    refused = {Path(failure.path).name: failure.reason or "" for failure in report.failures}
    assert report.counts[Outcome.ADDED] == len(list(WIRE_FIXTURES.iterdir()))
    assert sorted(refused) == sorted(path.name for path in PLACEHOLDERS.iterdir())
    assert all(reason.startswith("placeholder, no story:") for reason in refused.values())


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("Story unavailable", "Story unavailable"),
        ("STORY UNAVAILABLE\n", "STORY UNAVAILABLE"),
        ("Headline\nText not available", "Text not available"),
        ("Headline\nThis story is not available.", "This story is not available."),
        ("Headline\nThe full text is no longer available", "The full text is no longer available"),
        ("Headline\nText not available at this time.", "Text not available at this time."),
        ("Headline\n[no text]", "[no text]"),
        ("Headline\n(No story text)", "(No story text)"),
        ("Blank story", "Blank story"),
        ("Headline\nLONDON (Reuters) - Story unavailable\nREUTER", "Story unavailable"),
        ("Headline\nStory unavailable\n\nStory unavailable", "Story unavailable"),
    ],
)
def test_a_placeholder_is_refused_saying_so(text: str, said: str) -> None:
    with pytest.raises(ArticleRejected) as refusal:
        parse_article(text)
    assert str(refusal.value) == f"placeholder, no story: it says only {said!r}"


@pytest.mark.parametrize(
    "text",
    [
        "Fed raises rates",  # a headline alone is a brief
        "Accord signed\nThe text of the accord was not immediately available.",
        "Tickets unavailable\nTickets for the final sold out in an hour.",
        "Story unavailable\nThe story behind the headline, in full.",
        "Headline\nNo text messages were sent, police said.",
    ],
)
def test_a_brief_that_mentions_availability_is_kept(text: str) -> None:
    assert parse_article(text).title


def test_only_the_closing_lines_count() -> None:
    article = parse_article("Headline\nREUTER\nCopyright 2024 Reuters is cited.\nMore text.")
    assert article.copyright is None
    assert len(article.paragraphs) == 3


@pytest.mark.parametrize(
    ("line", "authors"),
    [
        ("By Jane Doe", ("Jane Doe",)),
        ("BY JANE DOE", ("Jane Doe",)),
        ("By Jane Doe and John Smith", ("Jane Doe", "John Smith")),
        ("By Jane Doe, John Smith & Ann Lee", ("Jane Doe", "John Smith", "Ann Lee")),
        ("By Tuesday, officials had left.", ()),
        ("by the river bank", ()),
    ],
)
def test_bylines(line: str, authors: tuple[str, ...]) -> None:
    article = parse_article(f"Headline\n{line}\nBody.")
    assert article.authors == authors
    assert (line in article.paragraphs) == (not authors)


def test_short_lines_that_end_sentences_stay_paragraphs() -> None:
    article = parse_article("Headline\nFirst short paragraph.\nSecond short paragraph.\nThird.")
    assert article.paragraphs == ["First short paragraph.", "Second short paragraph.", "Third."]


@pytest.mark.parametrize(
    "body",
    [
        # A market table: columns, figures at the ends of lines.
        "RSS NO. 1   APRIL    145.50   146.00\nRSS NO. 1   MAY      146.20   146.80\n"
        "RSS NO. 3   APRIL    141.00   141.50\nRSS NO. 3   MAY      141.90   142.40",
        # Results, a line each, narrower than wrapped copy.
        "Liverpool 2 Chelsea 1\nArsenal 0 Tottenham Hotspur 0\nEverton 3 Leeds 2\n"
        "Fulham 1 Wolves 1",
        # Paragraphs that end without a full stop, each shorter than the next word needs.
        "Results of the vote in the House of Commons on Tuesday evening\nAyes 310\n"
        "Noes 290, with the Speaker and his deputies not voting\nAbstentions 12",
    ],
)
def test_lines_that_are_not_cut_at_a_width_are_not_joined(body: str) -> None:
    article = parse_article(f"Headline\n{body}\n")
    assert article.paragraphs == [" ".join(line.split()) for line in body.split("\n")]


def test_a_wrapped_block_breaks_where_a_sentence_ends_short_of_the_width() -> None:
    article = parse_article(
        "Headline\nOFFICIALS SAID THE BRIDGE WOULD REOPEN ON MONDAY AFTER\n"
        "REPAIRS TO ITS NORTHERN SPAN.\nTRAFFIC WAS DIVERTED THROUGH THE CITY CENTRE, POLICE\n"
        'SAID. "IT WILL BE SLOW," ONE OFFICER SAID, "BUT SAFE."\n'
    )
    assert article.paragraphs == [
        "OFFICIALS SAID THE BRIDGE WOULD REOPEN ON MONDAY AFTER REPAIRS TO ITS NORTHERN SPAN.",
        'TRAFFIC WAS DIVERTED THROUGH THE CITY CENTRE, POLICE SAID. "IT WILL BE SLOW," ONE '
        'OFFICER SAID, "BUT SAFE."',
    ]


def test_very_long_lines_are_kept_whole() -> None:
    long = "word " * 5000
    article = parse_article(f"Headline\n{long}\nEnd.")
    assert article.paragraphs == [long.strip(), "End."]


def test_entities_are_decoded_and_markup_is_text(
    client: TestClient, ingest: Ingest, tmp_path: Path
) -> None:
    (tmp_path / "a.txt").write_text(
        "Profits &amp; losses at <Acme> &lt;b&gt;\nBody &quot;quoted&quot;."
    )
    ingest(tmp_path)
    detail = client.get("/v1/articles/1").json()
    assert detail["title"] == "Profits & losses at <Acme> <b>"
    assert detail["paragraphs"] == ['Body "quoted".']
    hit = client.get("/v1/search", params={"q": "Acme"}).json()["items"][0]
    assert (
        hit["highlight"]["title"] == "Profits &amp; losses at &lt;<mark>Acme</mark>&gt; &lt;b&gt;"
    )


@pytest.mark.parametrize(
    ("title", "body", "query"),
    [
        ("زلزال يضرب المغرب", "قال مسؤولون إن الزلزال كان قويا.", "الزلزال"),
        ("Землетрясение в Марокко", "Чиновники сообщили о землетрясении.", "Чиновники"),
        ("摩洛哥发生地震", "官员说 地震 很强烈。", "地震"),
        ("แผ่นดินไหวที่โมร็อกโก", "เจ้าหน้าที่ กล่าว ว่า", "กล่าว"),
    ],
)
def test_non_english_text_is_kept_and_searchable_by_whole_tokens(
    client: TestClient, ingest: Ingest, tmp_path: Path, title: str, body: str, query: str
) -> None:
    (tmp_path / "a.txt").write_text(f"{title}\n{body}\n", encoding="utf-8")
    assert ingest(tmp_path).ok
    detail = client.get("/v1/articles/1").json()
    assert (detail["title"], detail["paragraphs"]) == (title, [body])
    assert client.get("/v1/articles/1/raw").text == f"{title}\n{body}\n"
    assert client.get("/v1/search", params={"q": query}).json()["total"] == 1


def test_folder_hygiene(ingest: Ingest, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    outside = tmp_path / "outside"
    for folder in (corpus / "a", corpus / ".git", outside):
        folder.mkdir(parents=True)
    (corpus / "a" / "UPPER.TXT").write_text("Upper case suffix\nBody.")
    (corpus / "a" / "image.jpg").write_bytes(b"\xff\xd8")
    (corpus / ".hidden.txt").write_text("Hidden\nBody.")
    (corpus / ".git" / "x.txt").write_text("In git\nBody.")
    (corpus / "README.txt").write_text("About this corpus\nBody.")
    (corpus / "readme.md.txt").write_text("About\nBody.")
    (outside / "secret.txt").write_text("Outside\nBody.")
    (corpus / "link.txt").symlink_to(outside / "secret.txt")
    (corpus / "inside.txt").symlink_to(corpus / "a" / "UPPER.TXT")
    (corpus / "folder-link").symlink_to(outside)
    report = ingest(corpus)
    skipped = {Path(r.path).name: r.reason for r in report.skipped}
    assert skipped == {
        ".git": "hidden folder",
        ".hidden.txt": "hidden file",
        "README.txt": "README file",
        "readme.md.txt": "README file",
        "image.jpg": "unsupported suffix .jpg",
        "link.txt": "symbolic link leading outside the folder",
        "folder-link": "symbolic link to a folder (not followed)",
    }
    # inside.txt leads to a/UPPER.TXT: one file, one article, met twice.
    assert report.counts[Outcome.ADDED] == 1
    assert report.counts[Outcome.UNCHANGED] == 1
    assert report.counts[Outcome.SKIPPED] == 7
    found = [item for item in discover_files([corpus]) if isinstance(item, Path)]
    assert "image.jpg" not in {path.name for path in found}


@pytest.mark.parametrize(
    ("first", "dateline", "date", "source"),
    [
        ("Feb 26 (Reuters) - Oil rose.", None, "Feb 26", "Reuters"),
        ("Paris (AFP) - Oil rose.", "PARIS", None, "AFP"),
        ("McALLEN, Texas (AP) — Oil rose.", "MCALLEN, TEXAS", None, "AP"),
        ("MIAMI (AP) _ Oil rose.", "MIAMI", None, "AP"),
        ("LONDON (Reuters)- Oil rose.", "LONDON", None, "Reuters"),
        ("LONDON, 3 March (Reuters) - Oil rose.", "LONDON", "3 March", "Reuters"),
        ("(CNN)Oil rose.", None, None, "CNN"),
    ],
)
def test_more_datelines(first: str, dateline: str | None, date: str | None, source: str) -> None:
    article = parse_article(f"Headline\n{first}")
    assert (article.dateline, article.dateline_date, article.source) == (dateline, date, source)
    assert article.paragraphs == ["Oil rose."]


@pytest.mark.parametrize(
    "first", ["NATO - the alliance said.", "UN - A report said.", "US RETAIL SALES - Sales rose."]
)
def test_capitals_and_a_hyphen_are_not_a_dateline(first: str) -> None:
    article = parse_article(f"Headline\n{first}")
    assert article.dateline is None
    assert article.paragraphs == [first]


@pytest.mark.parametrize(
    "title",
    ["SOCCER - Liverpool beat Chelsea 2-1", "EXCLUSIVE - Apple plans a phone", "PARIS — Strike"],
)
def test_wire_headlines_with_a_slug_are_headlines(title: str) -> None:
    assert parse_article(f"{title}\nBody.").title == title


def test_an_editors_note_comes_before_the_dateline() -> None:
    article = parse_article("Headline\nEDITOR'S NOTE — Graphic details.\nMIAMI (AP) — A storm hit.")
    assert article.dateline == "MIAMI"
    assert article.paragraphs == ["EDITOR'S NOTE — Graphic details.", "A storm hit."]


@pytest.mark.parametrize(
    ("line", "authors", "source"),
    [
        ("By JANE DOE, The Associated Press", ("Jane Doe",), "The Associated Press"),
        (
            "By JANE DOE and JOHN SMITH Associated Press",
            ("Jane Doe", "John Smith"),
            "The Associated Press",
        ),
        ("By Jane Doe, AP Science Writer", ("Jane Doe",), None),
        ("By The Associated Press", (), "The Associated Press"),
        ("By Reuters Staff", (), "Reuters"),
        ("By Ludwig van Beethoven", ("Ludwig van Beethoven",), None),
        ("By Mohammed al-Sudani", ("Mohammed al-Sudani",), None),
    ],
)
def test_bylines_name_people_and_agencies(
    line: str, authors: tuple[str, ...], source: str | None
) -> None:
    article = parse_article(f"Headline\n{line}\nBody.")
    assert (article.authors, article.source) == (authors, source)
    assert article.paragraphs == ["Body."]


def test_credits_separators_and_highlights_are_not_paragraphs() -> None:
    text = (
        "Headline\u200b\nLONDON (Reuters) - Story.\n___\nMore.\n"
        "(Reporting by Jane Doe; Editing by John Smith)\n"
        "Our Standards: The Thomson Reuters Trust Principles.\n"
        "@highlight\nA summary line\n"
    )
    article = parse_article(text)
    assert article.title == "Headline"
    assert article.paragraphs == ["Story.", "More."]


@pytest.mark.parametrize(
    ("line", "source"),
    [
        ("Copyright 2024 NPR. To see more, visit https://www.npr.org.", "NPR"),
        (
            "© 1998-2024 Cable News Network. A Warner Bros. Discovery Company. "
            "All Rights Reserved.",
            "Cable News Network",
        ),
        (
            "© 2024 Guardian News & Media Limited or its affiliated companies. "
            "All rights reserved.",
            "Guardian News & Media Limited",
        ),
        ("© 2024 U.S. News & World Report", "U.S. News & World Report"),
        # Reuters' notice of the 2010s: the sign before the word, the year after the holder.
        (
            "(c) Copyright Thomson Reuters 2014. Click For Restrictions - "
            "http://about.reuters.com/fulllegal.asp",
            "Thomson Reuters",
        ),
        ("© Copyright AFP 2024", "AFP"),
    ],
)
def test_the_holder_is_the_notices_first_sentence(line: str, source: str) -> None:
    assert parse_article(f"Headline\nBody.\n{line}").source == source


def test_a_wrapped_text_is_joined_in_every_block() -> None:
    article = parse_article(
        "Quake\nTOKYO (Reuters) - A strong quake struck off the coast of\n"
        "Miyagi prefecture on Monday, public broadcaster\nNHK said. There was no tsunami and\n"
        "officials said damage was light.\n\nTrains were halted in\nSendai.\n"
    )
    assert article.paragraphs == [
        "A strong quake struck off the coast of Miyagi prefecture on Monday, public broadcaster "
        "NHK said. There was no tsunami and officials said damage was light.",
        "Trains were halted in Sendai.",
    ]


def test_a_bylines_second_line_is_not_the_lede() -> None:
    article = parse_article(
        "Storm\nBy JOHN DOE\nAssociated Press Writer\nMIAMI (AP) — A storm hit."
    )
    assert (article.authors, article.dateline, article.paragraphs) == (
        ("John Doe",),
        "MIAMI",
        ["A storm hit."],
    )
