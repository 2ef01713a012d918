"""``published_after`` and ``published_before``: ISO 8601 only, a bare year or month its first
instant, never a Unix time; a time out of range once moved to UTC is a 422 naming it."""

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.store.filters import ArticleFilters
from tests.conftest import Ingest

DATES = {
    "Harbour story": "2023-12-31T23:59:59Z",
    "Budget story": "2024-01-01T00:00:00Z",
    "Election story": "2024-05-20T08:00:00Z",
    "Storm story": "2024-12-31T23:59:59Z",
    "Market story": "2025-01-01T00:00:00Z",
}
HARBOUR, MARKET = "Harbour story", "Market story"
QUERY = " OR ".join(title.split()[0] for title in DATES)
ENDPOINTS = [("/v1/articles", {}), ("/v1/search", {"q": QUERY})]


@pytest.fixture
def dated(ingest: Ingest, tmp_path: Path) -> None:
    lines = [
        json.dumps({"title": title, "body": f"{title} in full.", "date": date})
        for title, date in DATES.items()
    ]
    (tmp_path / "dated.jsonl").write_text("\n".join(lines), encoding="utf-8")
    assert ingest(tmp_path).ok


def titles(client: TestClient, url: str, params: dict[str, str]) -> set[str]:
    response = client.get(url, params={"limit": "100", **params})
    assert response.status_code == 200, response.text
    return {item["title"] for item in response.json()["items"]}


@pytest.mark.parametrize(("url", "base"), ENDPOINTS)
@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # A bare year or month is its first instant, as a date is its midnight.
        ({"published_after": "2024"}, {"Budget story", "Election story", "Storm story", MARKET}),
        ({"published_before": "2025"}, {HARBOUR, "Budget story", "Election story", "Storm story"}),
        ({"published_after": "2024", "published_before": "2025"}, set(DATES) - {HARBOUR, MARKET}),
        ({"published_after": "2024-05", "published_before": "2024-06"}, {"Election story"}),
        ({"published_after": "2024-12-31T23:59:59+00:01"}, {"Storm story", "Market story"}),
        # Years before 1000 compare as times, not as shorter text.
        ({"published_after": "0999-01-01"}, set(DATES)),
        ({"published_before": "0999"}, set()),
    ],
)
def test_years_months_and_times(
    client: TestClient,
    dated: None,
    url: str,
    base: dict[str, str],
    params: dict[str, str],
    expected: set[str],
) -> None:
    assert titles(client, url, {**base, **params}) == expected


@pytest.mark.parametrize(("url", "base"), ENDPOINTS)
@pytest.mark.parametrize("name", ["published_after", "published_before"])
@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("9999-12-31T23:59:59-00:01", "out of range once moved to UTC"),
        ("0001-01-01T00:00:00+00:01", "out of range once moved to UTC"),
        ("1700000000", "not read as a Unix time"),
        ("1700000000.5", "not read as a Unix time"),
        ("20240101", "not read as a Unix time"),
        ("now", "ISO 8601"),
        ("2024-13", "not a real year or month"),
        ("0000", "not a real year or month"),
        ("2024-02-30", "datetime"),
    ],
)
def test_a_time_that_cannot_be_read_is_a_422_naming_it(
    client: TestClient, url: str, base: dict[str, str], name: str, value: str, reason: str
) -> None:
    response = client.get(url, params={**base, name: value})
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert (error["location"], error["name"]) == ("query", name)
    assert reason in error["detail"]


def test_python_callers_give_datetimes_which_are_kept_in_utc() -> None:
    naive = ArticleFilters(published_after=datetime(2024, 1, 1))
    assert naive.published_after == datetime(2024, 1, 1, tzinfo=UTC)
    west = timezone(-timedelta(minutes=1))
    with pytest.raises(ValidationError, match="out of range once moved to UTC"):
        ArticleFilters(published_before=datetime(9999, 12, 31, 23, 59, 59, tzinfo=west))
