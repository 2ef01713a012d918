"""The day a dateline's date names becomes ``published_at`` of wire copy that has no other date:
the written shapes of several agencies and decades, the year of the date or of the rights
notice, days no calendar has, a source's own date winning, and the timeline counting it."""

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.ingestion.formats.json_exports import read_json
from app.ingestion.formats.markdown import read_markdown
from app.ingestion.formats.readers import read_text
from app.ingestion.outcomes import Outcome
from app.ingestion.wire.dates import dateline_day
from app.ingestion.wire.parse import parse_article
from tests.conftest import Ingest


def day(year: int, month: int, date: int) -> datetime:
    return datetime(year, month, date, tzinfo=UTC)


@pytest.mark.parametrize(
    ("written", "notice_year", "expected"),
    [
        ("Feb 26", 1987, day(1987, 2, 26)),  # Reuters, 1987 (Reuters-21578)
        ("FEb 26", 1987, day(1987, 2, 26)),
        ("MARCH 12", 1987, day(1987, 3, 12)),
        ("Sept. 5, 1998", None, day(1998, 9, 5)),  # UPI, AP: the month abbreviated, a full stop
        ("Sept 5, 1998", None, day(1998, 9, 5)),
        ("Sep 5, 1998", None, day(1998, 9, 5)),
        ("SEPT. 5, 1998", None, day(1998, 9, 5)),
        ("September 5 1998", None, day(1998, 9, 5)),
        ("Jan. 5", 2021, day(2021, 1, 5)),  # Xinhua, Yonhap
        ("Jan 1, 2024", 2025, day(2024, 1, 1)),  # the date's own year before the notice's
        ("March 3", 2024, day(2024, 3, 3)),
        ("3 March", 2024, day(2024, 3, 3)),  # Reuters in Europe, AFP: the day first
        ("5 January 2024", None, day(2024, 1, 5)),
        ("5 Jan, 2024", None, day(2024, 1, 5)),
        ("05 Jan 2024", None, day(2024, 1, 5)),
        ("June 30", 2010, day(2010, 6, 30)),
        ("Jul 4", 1976, day(1976, 7, 4)),
        ("Dec. 31, 1999", 2000, day(1999, 12, 31)),
        ("Feb 29", 2024, day(2024, 2, 29)),  # a leap year's
        ("2024-01-05", None, day(2024, 1, 5)),
        ("Monday, March 3, 2025", None, day(2025, 3, 3)),  # a weekday before a date says nothing
    ],
)
def test_a_written_date_names_its_day_at_midnight_utc(
    written: str, notice_year: int | None, expected: datetime
) -> None:
    assert dateline_day(written, notice_year=notice_year) == (expected, None)


@pytest.mark.parametrize(
    ("written", "notice_year"),
    [
        (None, 2024),
        ("", 2024),
        ("Monday", 2024),  # a weekday alone is no date
        ("Tues.", 2024),
        ("March 3", None),  # no year anywhere: never the current one
        ("3 March", None),
        ("March", 2024),
        ("Smarch 3", 2024),
        ("March 3, 24", 2024),
        ("March 3 2024 2025", None),
    ],
)
def test_what_names_no_day_gives_none_quietly(written: str | None, notice_year: int | None) -> None:
    assert dateline_day(written, notice_year=notice_year) == (None, None)


@pytest.mark.parametrize(
    ("written", "notice_year", "year"),
    [
        ("Feb 30, 2024", None, 2024),
        ("Feb 29", 2023, 2023),  # of the notice's year, which was no leap year
        ("31 April 2024", None, 2024),
        ("March 0", 2024, 2024),
        ("2024-13-01", None, 2024),
    ],
)
def test_a_day_no_calendar_has_is_none_with_a_warning(
    written: str, notice_year: int | None, year: int
) -> None:
    found = dateline_day(written, notice_year=notice_year)
    assert found.moment is None
    assert (
        found.warning == f"dateline date {written!r} is no day of {year}: no published_at from it"
    )


@pytest.mark.parametrize(
    ("text", "dateline", "written", "published_at", "year"),
    [
        (
            "PARIS, Jan 1, 2024 (Reuters) - Markets were shut.",
            "PARIS",
            "Jan 1, 2024",
            day(2024, 1, 1),
            2024,
        ),
        (
            "WASHINGTON, March 3 (AP) — Lawmakers met.\n\n"
            "Copyright 2025 The Associated Press. All rights reserved.",
            "WASHINGTON",
            "March 3",
            day(2025, 3, 3),
            2025,
        ),
        (
            "LONDON, 5 January 2024 (AFP) - Strikes went on.",
            "LONDON",
            "5 January 2024",
            day(2024, 1, 5),
            2024,
        ),
        (
            "WASHINGTON, Sept. 5, 1998 (UPI) -- The Senate voted.",
            "WASHINGTON",
            "Sept. 5, 1998",
            day(1998, 9, 5),
            1998,
        ),
        (
            "New Delhi, Jan 5 (IANS) The monsoon came early.\n\n(c) 2024 IANS",
            None,
            None,
            None,
            2024,
        ),
        (
            "New Delhi, Jan 5 (IANS) - The monsoon came early.\n\n(c) 2024 IANS",
            "NEW DELHI",
            "Jan 5",
            day(2024, 1, 5),
            2024,
        ),
        (
            "BEIJING, Jan. 5 (Xinhua) -- Exports rose.\n\n© 2021 Xinhua",
            "BEIJING",
            "Jan. 5",
            day(2021, 1, 5),
            2021,
        ),
        (
            "SEOUL, March 3 2024 (Yonhap) -- Shares fell.",
            "SEOUL",
            "March 3 2024",
            day(2024, 3, 3),
            2024,
        ),
        (
            "LONDON, 2024-03-05 (Reuters) - Gilts rallied.",
            "LONDON",
            "2024-03-05",
            day(2024, 3, 5),
            2024,
        ),
        (
            "TORONTO, March 19 2024 - Stocks rose.",
            "TORONTO",
            "March 19 2024",
            day(2024, 3, 19),
            2024,
        ),
        (
            "WASHINGTON, Monday, March 3, 2025 (AP) — Lawmakers met.",
            "WASHINGTON",
            "Monday, March 3, 2025",
            day(2025, 3, 3),
            2025,
        ),
        # A weekday alone is the dateline's date, not its place, and names no day.
        (
            "WASHINGTON, Monday (AP) — Lawmakers met.\n\n"
            "Copyright 2025 The Associated Press. All rights reserved.",
            "WASHINGTON",
            "Monday",
            None,
            2025,
        ),
        (
            "Monday, March 3 (Reuters) - Oil rose.\n\n© 2025 Thomson Reuters",
            None,
            "Monday, March 3",
            day(2025, 3, 3),
            2025,
        ),
        (
            "LONDON, Jan 5 (Reuters) - Gilts rallied.\n\n(c) Copyright Thomson Reuters 2014. "
            "Click For Restrictions - http://about.reuters.com/fulllegal.asp",
            "LONDON",
            "Jan 5",
            day(2014, 1, 5),
            2014,
        ),
        # Reuters, 1987: a date and a sign-off, no year anywhere: undated.
        ("SALVADOR, Feb 26 - Cocoa rains went on.\n\nREUTER", "SALVADOR", "Feb 26", None, None),
        ("LONDON (Reuters) - Oil rose.\n\n© 2024 Thomson Reuters", "LONDON", None, None, 2024),
    ],
)
def test_plain_text_is_published_on_its_datelines_day(
    text: str,
    dateline: str | None,
    written: str | None,
    published_at: datetime | None,
    year: int | None,
) -> None:
    article = parse_article(f"Headline\n\n{text}")
    assert (article.dateline, article.dateline_date) == (dateline, written)
    assert (article.published_at, article.year) == (published_at, year)
    assert article.warnings == ()


def test_a_day_no_calendar_has_is_a_warning_not_a_refusal() -> None:
    [record] = read_text(b"Headline\n\nLONDON, Feb 30, 2024 (Reuters) - Oil rose.\n")
    article = record.article
    assert article is not None
    assert (article.dateline, article.dateline_date) == ("LONDON", "Feb 30, 2024")
    assert (article.published_at, article.year) == (None, None)
    assert article.warnings == (
        "dateline date 'Feb 30, 2024' is no day of 2024: no published_at from it",
    )


def test_a_front_matter_date_wins_over_the_dateline() -> None:
    text = (
        "---\ndate: 2024-06-01T08:00:00Z\n---\n# Harbour reopens\n\n"
        "DOVER, Jan 1, 2020 (Reuters) - The harbour reopened.\n"
    )
    [record] = read_markdown(text.encode())
    article = record.article
    assert article is not None
    assert article.dateline_date == "Jan 1, 2020"
    assert (article.published_at, article.year) == (datetime(2024, 6, 1, 8, tzinfo=UTC), 2024)


def test_a_front_matter_date_stands_beside_a_dateline_day_no_calendar_has() -> None:
    text = "---\ndate: 2024-03-01\n---\n# Oil rises\n\nLONDON, Feb 30, 2024 (Reuters) - Oil rose.\n"
    [record] = read_markdown(text.encode())
    article = record.article
    assert article is not None
    assert (article.published_at, article.year) == (day(2024, 3, 1), 2024)
    assert article.warnings == (
        "dateline date 'Feb 30, 2024' is no day of 2024: no published_at from it",
    )


def test_markdown_without_a_date_takes_the_datelines() -> None:
    text = "# Harbour reopens\n\nDOVER, 3 March (PA) - The harbour reopened.\n\n© 2023 PA Media\n"
    [record] = read_markdown(text.encode())
    assert record.article is not None
    assert (record.article.published_at, record.article.year) == (day(2023, 3, 3), 2023)


def test_a_json_date_wins_and_the_notice_keeps_its_year() -> None:
    items = [
        {
            "title": "Dated by its source",
            "body": "LONDON, Jan 1, 2020 (Reuters) - Oil rose.\n\n© 2021 Thomson Reuters",
            "publishedAt": "2024-06-01T12:00:00Z",
        },
        {
            "title": "An unreadable date",
            "body": "LONDON, Jan 1, 2020 (Reuters) - Oil rose.",
            "publishedAt": "yesterday",
        },
    ]
    first, second = (record.article for record in read_json(json.dumps(items).encode()))
    assert first is not None
    assert second is not None
    assert (first.published_at, first.year) == (datetime(2024, 6, 1, 12, tzinfo=UTC), 2021)
    assert (second.published_at, second.year) == (day(2020, 1, 1), 2020)
    assert second.warnings == ("unreadable date 'yesterday': published_at from the dateline",)


def test_the_timeline_counts_wire_copy_in_its_datelines_month(
    client: TestClient, ingest: Ingest, tmp_path: Path, backend: str
) -> None:
    (tmp_path / "afp.txt").write_text(
        "Strikes shut the Louvre\n\nPARIS, 5 January 2024 (AFP) - The museum stayed shut.\n",
        encoding="utf-8",
    )
    (tmp_path / "ap.txt").write_text(
        "Senate votes on budget\n\nWASHINGTON, March 3 (AP) — The museum vote passed.\n\n"
        "Copyright 2024 The Associated Press. All rights reserved.\n",
        encoding="utf-8",
    )
    (tmp_path / "reuters.txt").write_text(
        "Cocoa rains go on\n\nSALVADOR, Feb 26 - The museum of cocoa opened.\n\nREUTER\n",
        encoding="utf-8",
    )
    (tmp_path / "bad.txt").write_text(
        "Oil rises\n\nLONDON, Feb 30, 2024 (Reuters) - The museum of oil opened.\n",
        encoding="utf-8",
    )
    report = ingest(tmp_path)
    assert report.counts[Outcome.ADDED] == 4
    [warned] = report.warnings
    assert warned.warnings == (
        "dateline date 'Feb 30, 2024' is no day of 2024: no published_at from it",
    )
    response = client.get("/v1/timeline", params={"q": "museum", "interval": "month"})
    assert response.status_code == 200, response.text
    [series] = response.json()["series"]
    assert (series["total"], series["undated"]) == (4, 2)
    counts = [(bucket["start"], bucket["count"]) for bucket in series["buckets"]]
    assert counts == [("2024-01-01", 1), ("2024-02-01", 0), ("2024-03-01", 1)]
    # The list's year, which sorts it, follows the date.
    articles = client.get("/v1/articles", params={"sort": "newest"}).json()["items"]
    assert [(item["title"], item["year"]) for item in articles] == [
        ("Senate votes on budget", 2024),
        ("Strikes shut the Louvre", 2024),
        ("Cocoa rains go on", None),
        ("Oil rises", None),
    ]
