"""Conventions of real wire copy: datelines, agencies, sign-offs, bylines, layouts, hygiene."""

import string
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from app.ingest import Outcome, discover_files
from app.parser import (
    ArticleRejected,
    _headline_labels,
    _is_agency,
    parse_article,
    parse_file_bytes,
)
from tests.conftest import Ingest

FIXTURES = Path(__file__).parent / "fixtures" / "wire"

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
        "source": "Reuters",
        "copyright": None,
        "paragraph_count": 3,
        "last_paragraph": "Comissaria Smith said total Bahia sales are estimated at 6.13 mln bags "
        "<and> rising.",
    },
    "reuters-date.txt": {
        "dateline": "NEW YORK",
        "dateline_date": "March 3",
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
    "reuters-mixed-case-place.txt": {
        "title": "CANADIAN DOLLAR FIRMER IN QUIET TRADE",
        "dateline": "TORONTO",
        "dateline_date": "March 19",
        "source": "Reuters",
        "paragraphs": [
            "The Canadian dollar closed higher against its U.S. counterpart in quiet trading, "
            "dealers said.",
            "It ended at 1.3210 U.S. dlrs, up from 1.3245 on Wednesday.",
        ],
    },
    "reuters-capital-month.txt": {
        "dateline": "NEW YORK",
        "dateline_date": "MARCH 12",
        "paragraph_count": 2,
    },
    "reuters-odd-case-month.txt": {
        "dateline": "SALVADOR",
        "dateline_date": "FEb 26",
        "paragraphs": ["Talks on coffee export quotas will resume next month, a delegate said."],
    },
    "reuters-glued-dash.txt": {
        "dateline": "CHICAGO",
        "dateline_date": "March 2",
        "paragraphs": [
            "The Agriculture Department issued grain certificates worth 120 mln dlrs, "
            "a spokesman said."
        ],
    },
    "ap-state-abbreviation.txt": {
        "dateline": "ALEXANDRIA, VA.",
        "dateline_date": "Feb 26",
        "paragraph_count": 2,
    },
    "reuters-two-places.txt": {
        "dateline": "WEST PALM BEACH, FLA./WASHINGTON",
        "source": "Reuters",
        "last_paragraph": "A department spokesman declined to comment.",
    },
    "reuters-empty-date.txt": {
        "dateline": "LONDON",
        "dateline_date": None,
        "source": "Reuters",
        "paragraph_count": 2,
    },
    "upi-place-and-hyphen.txt": {
        "title": "Senate passes farm bill",
        "dateline": "WASHINGTON",
        "paragraphs": [
            "Lawmakers passed a farm bill on Tuesday after weeks of debate.",
            "The bill now goes to the House.",
        ],
    },
    "reuters-brief-wrapped-headline.txt": {
        "title": "U.S. HOUSING STARTS FELL 2.3 PCT IN FEBRUARY, COMMERCE DEPARTMENT SAID",
        "dateline": "WASHINGTON",
        "dateline_date": "March 17",
        "paragraph_count": 1,
    },
    "reuters-brief-dividend.txt": {
        "title": "ACME CORP <ACME> SETS QUARTERLY DIVIDEND",
        "dateline": "NEW YORK",
        "paragraphs": ["Qtly div 10 cts vs 10 cts prior", "Pay April 15", "Record March 31"],
    },
    "reuters-brief-false-dateline.txt": {
        "title": "JAPAN CRUDE IMPORTS FALL IN MARCH, APRIL - MITI",
        "dateline": "TOKYO",
        "dateline_date": "April 7",
        "paragraph_count": 1,
    },
    "ap-wrapped-headline.txt": {
        "title": "Coast Guard Rescues Six Off Cape Cod",
        "dateline": "BOSTON",
        "source": "AP",
        "paragraph_count": 2,
    },
    "reuters-corrected.txt": {
        "title": "ACME CORP <ACME> YEAR NET",
        "labels": ("corrected",),
        "dateline": "NEW YORK",
        "paragraph_count": 4,
    },
    "reuters-refile-update.txt": {
        "title": "Oil rises on supply fears in the Gulf",
        "labels": ("refile", "update 2"),
        "authors": ("Jane Doe",),
        "dateline": "LONDON",
        "dateline_date": "March 3",
    },
    "reuters-table-title.txt": {
        "title": "TOKYO RUBBER (YEN PER KILO) - APRIL 07",
        "labels": (),
        "dateline": "TOKYO",
        "dateline_date": "April 7",
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_wire_fixture(name: str) -> None:
    article = parse_file_bytes((FIXTURES / name).read_bytes())
    for field, expected in EXPECTED[name].items():
        if field == "paragraph_count":
            assert len(article.paragraphs) == expected
        elif field == "last_paragraph":
            assert article.paragraphs[-1] == expected
        else:
            assert getattr(article, field) == expected, field


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
    ("first", "dateline", "date", "source"),
    [
        ("Toronto, March 19 - Oil rose.", "TORONTO", "March 19", None),
        ("São Paulo, 3 March - Oil rose.", "SÃO PAULO", "3 March", None),
        ("NEW YORK, MARCH 12 - Oil rose.", "NEW YORK", "MARCH 12", None),
        ("SALVADOR, FEb 26 - Oil rose.", "SALVADOR", "FEb 26", None),
        ("CHICAGO, March 2- Oil rose.", "CHICAGO", "March 2", None),
        ("CHICAGO, Sept. 2, 1987 -- Oil rose.", "CHICAGO", "Sept. 2, 1987", None),
        ("ALEXANDRIA, Va., Feb 26 - Oil rose.", "ALEXANDRIA, VA.", "Feb 26", None),
        ("ALEXANDRIA, Va. (AP) _ Oil rose.", "ALEXANDRIA, VA.", None, "AP"),
        ("Alexandria, Va., Feb 26 - Oil rose.", "ALEXANDRIA, VA.", "Feb 26", None),
        ("ALEXANDRIA, Va. - Oil rose.", "ALEXANDRIA, VA.", None, None),
        ("ST. LOUIS, Mo., FEB. 26 - Oil rose.", "ST. LOUIS, MO.", "FEB. 26", None),
        (
            "WEST PALM BEACH, Fla./WASHINGTON (Reuters) - Oil rose.",
            "WEST PALM BEACH, FLA./WASHINGTON",
            None,
            "Reuters",
        ),
        ("LONDON, (Reuters) - Oil rose.", "LONDON", None, "Reuters"),
        ("LONDON, March 3 (Reuters/AP) - Oil rose.", "LONDON", "March 3", "Reuters/AP"),
        ("MOSCOW (Itar-Tass) - Oil rose.", "MOSCOW", None, "Itar-Tass"),
        ("WASHINGTON - Oil rose.", "WASHINGTON", None, None),
        ("NEW YORK - Oil rose.", "NEW YORK", None, None),
        ('WASHINGTON - "Oil rose."', "WASHINGTON", None, None),
    ],
)
def test_datelines_of_older_and_odder_copy(
    first: str, dateline: str, date: str | None, source: str | None
) -> None:
    article = parse_article(f"Headline\n{first}")
    assert (article.dateline, article.dateline_date, article.source) == (dateline, date, source)
    assert article.paragraphs == ['"Oil rose."' if '"' in first else "Oil rose."]


@pytest.mark.parametrize(
    "first",
    [
        "NATO - the alliance said.",
        "UN - A report said.",
        "US RETAIL SALES - Sales rose.",
        "OIL PRICES - Oil rose on Monday.",
        "On Tuesday, March 3 - the day of the vote - Oil rose.",
        "MARCH - Sales rose.",
        "TOKYO RUBBER (YEN PER KILO) - APRIL 07",
        "LONDON COCOA OPEN POSITION (REVISED) - APRIL 7",
        "ACME CORP (NOTE) - Sales rose.",
        "Paris - Oil rose.",
    ],
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


@pytest.mark.parametrize(
    "title",
    [
        "TOKYO RUBBER (YEN PER KILO) - APRIL 07",
        "LONDON COCOA OPEN POSITION (REVISED) - APRIL 7",
        "LONDON GOLD, APRIL 7 - 340.50 DLRS",
        "WASHINGTON - Lawmakers pass farm bill",
    ],
)
def test_table_titles_and_slugged_headlines_are_headlines(title: str) -> None:
    assert parse_article(f"{title}\nBody.").title == title


@pytest.mark.parametrize(
    "first",
    [
        "LONDON (Reuters) - Oil rose on Monday.",
        "Toronto, March 19 - The dollar rose.",
        "LONDON, (Reuters) - Oil rose.",
        "(LONDON) --",
    ],
)
def test_a_first_line_that_is_the_story_is_no_headline(first: str) -> None:
    with pytest.raises(ArticleRejected, match="opens with a dateline"):
        parse_article(f"{first}\nMore.")


_CAPITALISED_WORD = st.text(alphabet=string.ascii_uppercase, min_size=2, max_size=9)
_PARENTHESISED = st.lists(
    st.text(alphabet=string.ascii_letters + string.digits + ".,%/-'", min_size=1, max_size=10),
    min_size=1,
    max_size=4,
).map(" ".join)


@given(
    prefix=st.lists(_CAPITALISED_WORD, min_size=1, max_size=4).map(" ".join),
    date=st.sampled_from(["", ", March 3", ", MARCH 3", ", 3 March"]),
    words=_PARENTHESISED.filter(
        lambda words: not _is_agency(words) and not _headline_labels(f"A ({words})")[1]
    ),
    dash=st.sampled_from([" - ", " -- ", " — ", "- ", " _ ", " -"]),
    rest=st.sampled_from(["APRIL 07", "Sales rose.", "the alliance said.", "", "PARIS - Text."]),
)
def test_words_in_parentheses_other_than_an_agency_make_no_dateline(
    prefix: str, date: str, words: str, dash: str, rest: str
) -> None:
    line = f"{prefix}{date} ({words}){dash}{rest}"
    assert parse_article(f"{line}\nBody.").title == " ".join(line.split())
    lede = parse_article(f"Headline\n{line}")
    assert (lede.dateline, lede.dateline_date, lede.source) == (None, None, None)


@pytest.mark.parametrize(
    ("text", "title"),
    [
        (
            "OIL PRICES RISE ON\nSUPPLY FEARS\nLONDON (Reuters) - Oil rose.",
            "OIL PRICES RISE ON SUPPLY FEARS",
        ),
        (
            "Storm forces closure of\nCoastal Highway\nMIAMI (AP) _ A storm hit.",
            "Storm forces closure of Coastal Highway",
        ),
        (
            "Storm forces closure\nof the coastal highway\nMIAMI (AP) _ A storm hit.",
            "Storm forces closure of the coastal highway",
        ),
        ("Rates rise again,\nBanks Say\n\nText.", "Rates rise again, Banks Say"),
    ],
)
def test_a_headline_wrapped_over_lines_is_one_headline(text: str, title: str) -> None:
    article = parse_article(text)
    assert article.title == title
    assert article.paragraphs[-1] in ("Oil rose.", "A storm hit.", "Text.")
    assert len(article.paragraphs) == 1


@pytest.mark.parametrize(
    "text",
    [
        "OIL PRICES RISE ON\nLONDON (Reuters) - Oil rose.",
        "Storm hits the\nBy Jane Doe\nText.",
        "SENATE VOTES FARM BILL\nTHE SENATE VOTED TODAY TO PASS\nA FARM BILL AFTER A DEBATE.",
        "Council approves new budget\nThe city council voted on Tuesday.",
        "Coast Guard Rescues Six\nOfficials Said It Was Cold.",
        "Headline\nBody",
        "Rates rise on\n    Banks raised rates on Monday.",
        "Rates rise on\n- Banks raised rates.",
    ],
)
def test_a_line_under_a_headline_that_is_no_part_of_it_stays_in_the_body(text: str) -> None:
    assert parse_article(text).title == text.split("\n", maxsplit=1)[0]


@pytest.mark.parametrize(
    ("first", "title", "labels"),
    [
        ("(CORRECTED) - ACME CORP <ACME> YEAR NET", "ACME CORP <ACME> YEAR NET", ("corrected",)),
        ("(CORRECTION) - ACME CORP YEAR NET", "ACME CORP YEAR NET", ("corrected",)),
        ("(REPEAT) ACME CORP SETS DIVIDEND", "ACME CORP SETS DIVIDEND", ("repeat",)),
        ("(UPDATE 2) - Oil rises", "Oil rises", ("update 2",)),
        ("(REFILE) Oil rises", "Oil rises", ("refile",)),
        ("ACME CORP (CORRECTED) - YEAR NET", "ACME CORP - YEAR NET", ("corrected",)),
        ("Oil rises (corrected)", "Oil rises", ("corrected",)),
        ("REFILE-Oil rises", "Oil rises", ("refile",)),
        ("CORRECTED-Acme profit rises", "Acme profit rises", ("corrected",)),
        ("UPDATE 1-Oil rises", "Oil rises", ("update 1",)),
        ("REFILE-UPDATE 2-Oil rises", "Oil rises", ("refile", "update 2")),
        ("RPT-Oil rises", "Oil rises", ("repeat",)),
        ("Update-minded voters", "Update-minded voters", ()),
        ("Refile the form, says taxman", "Refile the form, says taxman", ()),
        ("(REFILE)", "(REFILE)", ()),
        ("SOCCER - Liverpool beat Chelsea", "SOCCER - Liverpool beat Chelsea", ()),
    ],
)
def test_correction_and_refile_markers_are_labels_not_headline(
    first: str, title: str, labels: tuple[str, ...]
) -> None:
    article = parse_article(f"{first}\nBody.")
    assert (article.title, article.labels) == (title, labels)


def test_labels_are_shown_filtered_and_kept(
    client: TestClient, ingest: Ingest, tmp_path: Path
) -> None:
    for name in ("reuters-corrected.txt", "reuters-refile-update.txt", "reuters-date.txt"):
        (tmp_path / name).write_bytes((FIXTURES / name).read_bytes())
    assert ingest(tmp_path).ok
    listed = client.get("/v1/articles", params={"label": "Corrected"}).json()
    assert [item["title"] for item in listed["items"]] == ["ACME CORP <ACME> YEAR NET"]
    detail = client.get(listed["items"][0]["url"]).json()
    assert detail["labels"] == ["corrected"]
    both = client.get("/v1/articles", params=[("label", "corrected"), ("label", "update 2")])
    assert both.json()["total"] == 2
    assert client.get("/v1/articles", params={"label": "repeat"}).json()["total"] == 0
    found = client.get("/v1/search", params={"q": "oil", "label": "refile"}).json()
    assert [hit["title"] for hit in found["items"]] == ["Oil rises on supply fears in the Gulf"]
    assert client.get("/v1/search", params={"q": "stocks", "label": "refile"}).json()["total"] == 0
    plain = client.get("/v1/search", params={"q": "stocks"}).json()["items"][0]
    assert client.get(plain["url"]).json()["labels"] == []
