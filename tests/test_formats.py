"""Markdown with front matter, and JSON / JSON Lines exports with common news field names."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from app.ingestion.formats.fields import parse_date
from app.ingestion.formats.json_exports import read_json, read_json_lines
from app.ingestion.formats.markdown import read_markdown
from app.ingestion.outcomes import Outcome
from tests.conftest import Ingest

MARKDOWN = """---
title: "Harbour reopens after storm"
date: 2024-03-05T08:30:00+01:00
source: Harbour Times
authors: [Ann Lee, Bo Chan]
tags: [weather, transport]
---
(DOVER) -- The **harbour** reopened on Tuesday, [officials said](https://example.org).

## What happens next

![A ferry](ferry.jpg) Ferries resumed at noon.
"""


def test_markdown_front_matter_overrides_the_text() -> None:
    [record] = read_markdown(MARKDOWN.encode())
    article = record.article
    assert article is not None
    assert article.title == "Harbour reopens after storm"
    assert article.published_at == datetime(2024, 3, 5, 7, 30, tzinfo=UTC)
    assert article.source == "Harbour Times"
    assert article.authors == ("Ann Lee", "Bo Chan")
    assert article.tags == ("weather", "transport")
    assert article.dateline == "DOVER"
    assert article.year == 2024
    assert article.paragraphs == [
        "The harbour reopened on Tuesday, officials said.",
        "What happens next",
        "A ferry Ferries resumed at noon.",
    ]
    assert article.raw_text == MARKDOWN


def test_markdown_without_front_matter_takes_its_heading() -> None:
    [record] = read_markdown(b"# Title here\n\nFirst paragraph.\n")
    assert record.article is not None
    assert (record.article.title, record.article.paragraphs) == ("Title here", ["First paragraph."])


@pytest.mark.parametrize(
    "heading",
    [
        "# Harbour reopens after storm",
        "# Harbour Reopens After Storm",
        "## *Harbour* reopens after storm #",
        "Harbour Reopens After Storm\n===========================",
        "HARBOUR REOPENS AFTER STORM.",
    ],
)
def test_a_heading_that_repeats_the_front_matter_title_is_skipped(heading: str) -> None:
    text = (
        "---\ntitle: Harbour reopens after storm\n---\n\n"
        f"{heading}\n\n(DOVER) -- The harbour reopened on Tuesday.\n\nFerries resumed at noon.\n"
    )
    [record] = read_markdown(text.encode())
    article = record.article
    assert article is not None
    assert article.title == "Harbour reopens after storm"
    assert article.dateline == "DOVER"
    assert article.paragraphs == ["The harbour reopened on Tuesday.", "Ferries resumed at noon."]


def test_a_heading_that_says_something_else_is_kept() -> None:
    text = "---\ntitle: Harbour reopens\n---\n# Ferries resume at noon\n\nThe harbour is open.\n"
    [record] = read_markdown(text.encode())
    assert record.article is not None
    assert record.article.paragraphs == ["Ferries resume at noon", "The harbour is open."]


def test_bad_front_matter_is_refused() -> None:
    with pytest.raises(ValueError, match="front matter"):
        read_markdown(b"---\ntitle: [unclosed\n---\nBody\n")


NEWSAPI = {
    "status": "ok",
    "articles": [
        {
            "source": {"id": None, "name": "Example Wire"},
            "author": "Jane Doe, John Smith",
            "title": "Markets rally",
            "description": "Short.",
            "url": "https://example.org/markets",
            "publishedAt": "2024-06-01T12:00:00Z",
            "content": "LONDON (Reuters) - Markets rallied.\nTraders cheered.",
        },
        {
            "headline": "Second story",
            "text": "Body two.",
            "date": "Sat, 01 Jun 2024 10:00:00 +0200",
        },
        {"body": "No title at all."},
        "not an object",
    ],
}


def test_a_newsapi_answer_is_a_list_of_articles() -> None:
    records = read_json(json.dumps(NEWSAPI).encode())
    assert [record.part for record in records] == ["1", "2", "3", "4"]
    first, second, third, fourth = records
    assert first.article is not None
    assert first.article.title == "Markets rally"
    assert first.article.source == "Example Wire"
    assert first.article.authors == ("Jane Doe", "John Smith")
    assert first.article.web_url == "https://example.org/markets"
    assert first.article.published_at == datetime(2024, 6, 1, 12, tzinfo=UTC)
    assert first.article.dateline == "LONDON"
    assert first.article.paragraphs == ["Markets rallied.", "Traders cheered."]
    assert second.article is not None
    assert second.article.published_at == datetime(2024, 6, 1, 8, tzinfo=UTC)
    assert second.article.paragraphs == ["Body two."]
    assert third.rejection == "no headline: no `title` or `headline` field"
    assert fourth.rejection == "not a JSON object"


def test_json_lines_fail_line_by_line() -> None:
    lines = [
        json.dumps({"title": "One", "body": "Text one."}),
        "{broken",
        "",
        json.dumps({"title": "Three", "body": "Text three.", "published": "yesterday"}),
    ]
    records = read_json_lines("\n".join(lines).encode())
    assert [record.part for record in records] == ["1", "2", "4"]
    assert records[0].article is not None
    assert records[0].article.raw_text == lines[0]
    assert records[1].rejection is not None
    assert records[1].rejection.startswith("not valid JSON")
    assert records[2].article is not None
    assert records[2].article.published_at is None
    assert "unreadable date" in records[2].article.warnings[0]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-05", datetime(2024, 3, 5, tzinfo=UTC)),
        ("2024-03-05T10:00:00Z", datetime(2024, 3, 5, 10, tzinfo=UTC)),
        ("2024-03-05T10:00:00-05:00", datetime(2024, 3, 5, 15, tzinfo=UTC)),
        ("Tue, 05 Mar 2024 10:00:00 GMT", datetime(2024, 3, 5, 10, tzinfo=UTC)),
        ("next week", None),
        (20240305, None),
        (1709632800, datetime(2024, 3, 5, 10, tzinfo=UTC)),
        (1709632800000, datetime(2024, 3, 5, 10, tzinfo=UTC)),
        ("March 5, 2024", datetime(2024, 3, 5, tzinfo=UTC)),
        ("20240305T100000Z", datetime(2024, 3, 5, 10, tzinfo=UTC)),
    ],
)
def test_dates(value: Any, expected: datetime | None) -> None:
    assert parse_date(value) == expected


@pytest.fixture
def exported(ingest: Ingest, tmp_path: Path) -> None:
    (tmp_path / "story.md").write_text(MARKDOWN, encoding="utf-8")
    (tmp_path / "export.json").write_text(json.dumps(NEWSAPI), encoding="utf-8")
    lines = [
        json.dumps({"title": f"Line story {n}", "body": f"Body {n}.", "date": f"202{n}-01-15"})
        for n in range(3)
    ]
    (tmp_path / "feed.JSONL").write_text("\n".join(lines), encoding="utf-8")
    report = ingest(tmp_path)
    assert report.counts[Outcome.ADDED] == 1 + 2 + 3
    assert {Path(r.path).name for r in report.failures} == {"export.json#3", "export.json#4"}
    again = ingest(tmp_path)
    assert again.counts[Outcome.UNCHANGED] == 6


def test_exports_through_the_api(client: TestClient, exported: None) -> None:
    items = client.get("/v1/articles", params={"limit": 100}).json()["items"]
    by_title = {item["title"]: item for item in items}
    markets = client.get(by_title["Markets rally"]["url"]).json()
    assert markets["web_url"] == "https://example.org/markets"
    assert markets["published_at"] == "2024-06-01T12:00:00Z"
    assert markets["authors"] == ["Jane Doe", "John Smith"]
    harbour = client.get(by_title["Harbour reopens after storm"]["url"]).json()
    assert harbour["tags"] == ["weather", "transport"]
    raw = client.get(harbour["raw_url"]).text
    assert raw == MARKDOWN


@pytest.mark.parametrize(
    ("params", "titles"),
    [
        (
            {"published_after": "2022-01-01"},
            {"Line story 2", "Markets rally", "Second story", "Harbour reopens after storm"},
        ),
        ({"published_before": "2021-01-01"}, {"Line story 0"}),
        (
            {
                "published_after": "2024-06-01T09:00:00+02:00",
                "published_before": "2024-06-01T12:00:00Z",
            },
            {"Second story"},
        ),
    ],
)
def test_published_filters(
    client: TestClient, exported: None, params: dict[str, str], titles: set[str]
) -> None:
    body = client.get("/v1/articles", params={"limit": 100, **params}).json()
    assert {item["title"] for item in body["items"]} == titles
    found = client.get("/v1/search", params={"q": "story OR rally OR harbour", **params}).json()
    assert {item["title"] for item in found["items"]} == titles


def test_a_bad_published_filter_is_422(client: TestClient) -> None:
    response = client.get("/v1/articles", params={"published_after": "soon"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["name"] == "published_after"


def test_other_export_shapes() -> None:
    records = read_json(
        json.dumps(
            [
                {
                    "headline": {"main": "NYT style"},
                    "pub_date": "2024-03-05T10:00:00+0000",
                    "byline": {"original": "By Jane Doe and John Smith"},
                    "body": ["Para one.", "Para two."],
                },
                {"webTitle": "Guardian style", "fields": {"bodyText": "Body &amp; more."}},
                {
                    "title": "AT&amp;T &lt;b&gt;cuts",
                    "content": "Text of the story… [+2345 chars]",
                    "author": "https://www.facebook.com/bbcnews",
                    "authors": [{"name": "Ann Lee"}],
                },
            ]
        ).encode()
    )
    nyt, guardian, newsapi = (record.article for record in records)
    assert nyt is not None
    assert nyt.title == "NYT style"
    assert nyt.authors == ("Jane Doe", "John Smith")
    assert nyt.paragraphs == ["Para one.", "Para two."]
    assert nyt.published_at == datetime(2024, 3, 5, 10, tzinfo=UTC)
    assert guardian is not None
    assert guardian.paragraphs == ["Body & more."]
    assert newsapi is not None
    assert newsapi.title == "AT&T <b>cuts"
    assert newsapi.paragraphs == ["Text of the story"]
    assert newsapi.authors == ("Ann Lee",)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("bad-date.md", b"---\ntitle: Odd\ndate: 2024-02-30\n---\nBody.\n"),
        ("deep.json", b"[" * 100_000 + b"]" * 100_000),
        ("deep.jsonl", b"[" * 100_000 + b"]" * 100_000 + b"\n"),
    ],
)
def test_hostile_exports_fail_alone(ingest: Ingest, tmp_path: Path, name: str, data: bytes) -> None:
    (tmp_path / name).write_bytes(data)
    (tmp_path / "good.txt").write_text("Good story\nBody.")
    report = ingest(tmp_path)
    assert report.counts[Outcome.ADDED] == 1
    assert report.counts[Outcome.FAILED] == 1


def test_times_are_in_utc_whatever_the_store_s_time_zone(
    client: TestClient, engine: Engine, ingest: Ingest, tmp_path: Path
) -> None:
    if engine.dialect.name == "postgresql":  # SQLite has no time zone of its own
        with engine.begin() as connection:
            name = connection.exec_driver_sql("SELECT current_database()").scalar_one()
            connection.exec_driver_sql(f"ALTER DATABASE {name} SET timezone = 'Asia/Kolkata'")
    (tmp_path / "a.md").write_text(
        "---\ntitle: Dated story\ndate: 2025-03-01T10:00:00+01:00\n---\nBody.\n"
    )
    assert ingest(tmp_path / "a.md").ok
    engine.dispose()  # new connections take the database's time zone
    listed = client.get("/v1/articles").json()["items"][0]
    detail = client.get("/v1/articles/1").json()
    assert listed["published_at"] == detail["published_at"] == "2025-03-01T09:00:00Z"
    assert detail["ingested_at"].endswith("Z")
    revisions = client.get("/v1/stats").json()["last_run"]
    assert revisions["started_at"].endswith("Z")


def test_a_link_whose_target_holds_parentheses_becomes_its_words() -> None:
    text = (
        "# Probes\n\n"
        "See [Mercury](https://example.org/wiki/Mercury_(planet)) and ![a map](map_(1).png).\n"
    )
    (record,) = read_markdown(text.encode())
    assert record.article is not None
    assert list(record.article.paragraphs) == ["See Mercury and a map."]
