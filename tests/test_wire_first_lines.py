"""The first lines of wire copy from other desks and decades: headlines wrapped over lines,
correction and refile markers (``labels``), and datelines in older and odder forms."""

import string
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from app.ingestion.formats.readers import read_text
from app.ingestion.parsed import ArticleRejected
from app.ingestion.wire.dateline import _is_agency
from app.ingestion.wire.headline import _headline_labels
from app.ingestion.wire.parse import parse_article
from tests.conftest import WIRE_FIXTURES, Ingest, assert_parsed_as

EXPECTED: dict[str, dict[str, Any]] = {
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
    "reuters-slug-lede.txt": {
        "title": "Wall Street ends lower as rate worries return",
        "dateline": None,
        "paragraph_count": 2,
    },
    "reuters-cyrillic-place.txt": {
        "title": "Нефть дорожает на опасениях перебоев поставок",
        "dateline": "МОСКВА",
        "source": "Reuters",
        "paragraph_count": 2,
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
    [record] = read_text((WIRE_FIXTURES / name).read_bytes())
    assert record.article is not None
    assert_parsed_as(record.article, EXPECTED[name])


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
        ("KIEV - Oil rose.", "KIEV", None, None),
        ("BOMBAY - Oil rose.", "BOMBAY", None, None),
        ("ZÜRICH - Oil rose.", "ZÜRICH", None, None),
        ("WASHINGTON/LONDON - Oil rose.", "WASHINGTON/LONDON", None, None),
        ("МОСКВА (Reuters) - Oil rose.", "МОСКВА", None, "Reuters"),
        ("ΑΘΗΝΑ (AFP) - Oil rose.", "ΑΘΗΝΑ", None, "AFP"),
        ("ŁÓDŹ, March 3 (PAP) - Oil rose.", "ŁÓDŹ", "March 3", "PAP"),
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
        "STOCKS - Wall Street fell on Monday.",
        "EXCLUSIVE - Oil rose.",
        "ANALYSIS - Oil rose.",
        "FACTBOX - Oil rose.",
        "MARKETS - Oil rose.",
        "WRAPUP 2 - Oil rose.",
        "WASHINGTON/STOCKS - Oil rose.",
    ],
)
def test_capitals_a_hyphen_and_words_in_parentheses_are_not_a_dateline(first: str) -> None:
    article = parse_article(f"Headline\n{first}")
    assert article.dateline is None
    assert article.paragraphs == [first]


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
        (tmp_path / name).write_bytes((WIRE_FIXTURES / name).read_bytes())
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
