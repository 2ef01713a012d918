"""``/v1/timeline``: buckets by day, ISO week, month and year with the gaps filled, shares of the
whole store, several queries side by side, undated articles, filters, CSV and bad input; the
same figures on both stores."""

import csv
import io
import json
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api import examples
from app.api.app import create_app
from app.ingestion.outcomes import IngestReport
from app.ingestion.run import ingest_paths
from app.search.timeline import MAX_BUCKETS, Interval
from app.settings import Settings
from app.store.database import create_db_engine, migrate
from tests.conftest import CaughtUpClient, Ingest, PostgreSQL

# Seven articles: two weeks of January 2024 (the 1st a Monday), none in February, one in March,
# one on the last second of 2023, and two without a date.
ARTICLES = [
    ("Macron visits Berlin", "Reuters", "2024-01-01T10:00:00Z"),
    ("Macron in Paris", "AP", "2024-01-07T23:30:00Z"),  # Sunday: the week of the 1st
    ("Storm hits the coast", "AP", "2024-01-08T00:00:00Z"),  # Monday: the next week
    ("Macron speech on Europe", "Reuters", "2024-03-15T12:00:00+02:00"),
    ("Harbour story of the year", "AP", "2023-12-31T23:59:59Z"),
    ("Harbour news without a date", "AP", None),
    ("Macron note without a date", "Reuters", None),
]


@pytest.fixture
def news(ingest: Ingest, tmp_path: Path) -> None:
    lines = []
    for title, source, date in ARTICLES:
        item: dict[str, Any] = {"title": title, "body": f"{title}, in full.", "source": source}
        if date is not None:
            item["date"] = date
        lines.append(json.dumps(item))
    (tmp_path / "news.jsonl").write_text("\n".join(lines), encoding="utf-8")
    assert ingest(tmp_path).ok


def timeline(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/timeline", params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/json"
    body: dict[str, Any] = response.json()
    return body


def figures(series: dict[str, Any]) -> list[tuple[str, int, int]]:
    """``(start, count, articles)`` of each bucket."""
    return [(b["start"], b["count"], b["articles"]) for b in series["buckets"]]


def test_months_with_the_gap_filled_and_shares_of_the_store(
    client: TestClient, news: None, backend: str
) -> None:
    body = timeline(client, q="Macron", interval="month")
    assert body["interval"] == "month"
    [series] = body["series"]
    assert series["q"] == "Macron"
    assert series["total"] == 4
    assert series["undated"] == 1
    assert series["buckets"] == [
        {"start": "2024-01-01", "end": "2024-02-01", "count": 2, "articles": 3, "share": 2 / 3},
        {"start": "2024-02-01", "end": "2024-03-01", "count": 0, "articles": 0, "share": 0.0},
        {"start": "2024-03-01", "end": "2024-04-01", "count": 1, "articles": 1, "share": 1.0},
    ]


def test_weeks_start_on_monday(client: TestClient, news: None, backend: str) -> None:
    [series] = timeline(client, q="Macron OR Storm OR Harbour", interval="week")["series"]
    buckets = series["buckets"]
    # 2023-12-31 is a Sunday: its week began on Christmas Day.
    assert buckets[0] == {
        "start": "2023-12-25",
        "end": "2024-01-01",
        "count": 1,
        "articles": 1,
        "share": 1.0,
    }
    assert figures(series)[1:3] == [("2024-01-01", 2, 2), ("2024-01-08", 1, 1)]
    # Then empty weeks to the one of Friday 15 March (10:00 UTC).
    assert buckets[-1]["start"] == "2024-03-11"
    assert len(buckets) == 12
    assert sum(bucket["count"] for bucket in buckets) == 5
    assert (series["total"], series["undated"]) == (7, 2)


def test_days_and_years(client: TestClient, news: None, backend: str) -> None:
    [days] = timeline(client, q="Macron", interval="day")["series"]
    assert days["buckets"][0]["start"] == "2024-01-01"
    assert days["buckets"][-1] == {
        "start": "2024-03-15",
        "end": "2024-03-16",
        "count": 1,
        "articles": 1,
        "share": 1.0,
    }
    assert len(days["buckets"]) == 75  # 1 January to 15 March 2024, a leap year
    [years] = timeline(client, q="Macron", interval="year")["series"]
    assert figures(years) == [("2024-01-01", 3, 4)]
    assert years["buckets"][0]["end"] == "2025-01-01"


def test_without_q_every_article_the_filters_keep(
    client: TestClient, news: None, backend: str
) -> None:
    [series] = timeline(client)["series"]  # by month, the default
    assert series["q"] is None
    assert (series["total"], series["undated"]) == (7, 2)
    assert figures(series) == [
        ("2023-12-01", 1, 1),
        ("2024-01-01", 3, 3),
        ("2024-02-01", 0, 0),
        ("2024-03-01", 1, 1),
    ]
    [ap] = timeline(client, source="ap")["series"]
    assert (ap["total"], ap["undated"]) == (4, 1)
    assert figures(ap) == [("2023-12-01", 1, 1), ("2024-01-01", 2, 3)]


def test_several_queries_share_the_buckets(client: TestClient, news: None, backend: str) -> None:
    body = timeline(client, q=["Storm", "Macron", "nothingatall"], interval="month")
    storm, macron, nothing = body["series"]
    assert [s["q"] for s in body["series"]] == ["Storm", "Macron", "nothingatall"]
    assert figures(storm) == [("2024-01-01", 1, 3), ("2024-02-01", 0, 0), ("2024-03-01", 0, 1)]
    assert figures(macron) == [("2024-01-01", 2, 3), ("2024-02-01", 0, 0), ("2024-03-01", 1, 1)]
    assert figures(nothing) == [("2024-01-01", 0, 3), ("2024-02-01", 0, 0), ("2024-03-01", 0, 1)]
    assert (nothing["total"], nothing["undated"]) == (0, 0)


def test_filters_and_date_bounds(client: TestClient, news: None, backend: str) -> None:
    [series] = timeline(
        client,
        q="Macron",
        interval="week",
        published_after="2024-01-05",
        published_before="2024-02-01",
    )["series"]
    # From the week of the 5th to that of the 31st, whatever holds articles.
    assert figures(series) == [
        ("2024-01-01", 1, 2),
        ("2024-01-08", 0, 1),
        ("2024-01-15", 0, 0),
        ("2024-01-22", 0, 0),
        ("2024-01-29", 0, 0),
    ]
    assert (series["total"], series["undated"]) == (1, 0)  # a date filter leaves undated out
    [reuters] = timeline(client, q="Macron", source="Reuters", interval="year")["series"]
    assert (reuters["total"], reuters["undated"]) == (3, 1)
    assert [b["count"] for b in reuters["buckets"]] == [2]
    [titles] = timeline(client, q="europe", search_in="title", interval="year")["series"]
    assert titles["total"] == 1
    [nowhere] = timeline(client, q="europe", search_in="title", year=2023)["series"]
    assert (nowhere["total"], nowhere["buckets"]) == (0, [])


def test_a_series_counts_what_the_search_finds(
    client: TestClient, news: None, backend: str
) -> None:
    for q in ("Macron", "harbour OR storm", "Macro*", '"in full"'):
        found = client.get("/v1/search", params={"q": q, "source": "AP"}).json()["total"]
        [series] = timeline(client, q=q, source="AP")["series"]
        assert series["total"] == found, q


def test_csv_by_accept_and_by_suffix(client: TestClient, news: None, backend: str) -> None:
    params = {"q": ["Macron", "Storm"], "interval": "month"}
    asked = client.get("/v1/timeline", params=params, headers={"accept": "text/csv"})
    assert asked.status_code == 200, asked.text
    assert asked.headers["content-type"] == "text/csv; charset=utf-8"
    assert "Accept" in asked.headers["vary"].split(", ")
    assert asked.headers["content-location"].startswith("http://testserver/v1/timeline.csv?q=")
    suffixed = client.get("/v1/timeline.csv", params=params)
    assert suffixed.text == asked.text
    assert suffixed.headers["etag"] == asked.headers["etag"]
    as_json = client.get("/v1/timeline", params=params)
    assert as_json.headers["etag"] != asked.headers["etag"]
    rows = list(csv.reader(io.StringIO(asked.text)))
    assert rows == [
        ["q", "start", "end", "count", "articles", "share"],
        ["Macron", "2024-01-01", "2024-02-01", "2", "3", repr(2 / 3)],
        ["Macron", "2024-02-01", "2024-03-01", "0", "0", "0.0"],
        ["Macron", "2024-03-01", "2024-04-01", "1", "1", "1.0"],
        ["Macron", "", "", "1", "2", "0.5"],
        ["Storm", "2024-01-01", "2024-02-01", "1", "3", repr(1 / 3)],
        ["Storm", "2024-02-01", "2024-03-01", "0", "0", "0.0"],
        ["Storm", "2024-03-01", "2024-04-01", "0", "1", "0.0"],
        ["Storm", "", "", "0", "2", "0.0"],
    ]
    assert asked.text.endswith("\r\n")
    # JSON when it is preferred, or tied.
    for accept in ("application/json", "text/csv;q=0.5, application/json", "*/*"):
        response = client.get("/v1/timeline", params=params, headers={"accept": accept})
        assert response.headers["content-type"] == "application/json", accept


def test_a_query_written_with_commas_and_quotes_is_one_csv_field(
    client: TestClient, news: None, backend: str
) -> None:
    response = client.get("/v1/timeline.csv", params={"q": '"Macron in", Paris'})
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[1][0] == '"Macron in", Paris'
    assert rows[1][3] == "1"


def test_answers_follow_the_store(
    client: TestClient, news: None, ingest: Ingest, tmp_path: Path, backend: str
) -> None:
    first = client.get("/v1/timeline", params={"q": "Storm"})
    tag = first.headers["etag"]
    again = client.get("/v1/timeline", params={"q": "Storm"}, headers={"if-none-match": tag})
    assert again.status_code == 304
    more = tmp_path / "more"
    more.mkdir()
    item = {"title": "Storm again", "body": "Storm again, in full.", "date": "2024-01-09"}
    (more / "more.jsonl").write_text(json.dumps(item), encoding="utf-8")
    assert ingest(more).ok
    [series] = timeline(client, q="Storm")["series"]
    assert figures(series) == [("2024-01-01", 2, 4)]


@pytest.mark.parametrize(
    ("params", "status", "detail"),
    [
        ({"interval": "hour"}, 422, "Input should be 'day', 'week', 'month' or 'year'"),
        ({"q": ["Macron"] * 11}, 422, "List should have at most 10 items"),
        ({"q": " "}, 400, "The query `q` is blank"),
        ({"q": "Macron", "search_in": "headline"}, 400, "Unknown field 'headline'"),
        ({"published_after": "1900", "interval": "day"}, 400, f"more than {MAX_BUCKETS}"),
        ({"published_after": "yesterday"}, 422, "ISO 8601"),
        ({"q": "x" * 501}, 422, "at most 500 characters"),
    ],
)
def test_bad_input_is_a_problem_saying_what_is_wrong(
    client: TestClient, news: None, backend: str, params: dict[str, Any], status: int, detail: str
) -> None:
    for path in ("/v1/timeline", "/v1/timeline.csv"):
        response = client.get(path, params=params)
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        assert detail in response.json()["detail"]


def test_an_empty_store_has_no_buckets(client: TestClient, backend: str) -> None:
    [series] = timeline(client, q="Macron")["series"]
    assert series == {"q": "Macron", "total": 0, "undated": 0, "buckets": []}
    [bounded] = timeline(client, published_after="2024-01", published_before="2024-03")["series"]
    assert [b["start"] for b in bounded["buckets"]] == ["2024-01-01", "2024-02-01"]


def test_bucket_keys_are_those_of_the_engine() -> None:
    """Each interval's key of a moment is the start of the bucket the histogram puts it in."""
    for interval in Interval:
        for moment in (
            datetime(1, 1, 1, tzinfo=UTC),
            datetime(1969, 12, 31, 23, 59, tzinfo=UTC),
            datetime(1970, 1, 5, tzinfo=UTC),
            datetime(2024, 2, 29, 12, tzinfo=UTC),
            datetime(9999, 12, 31, 23, 59, tzinfo=UTC),
        ):
            start = interval.start(interval.key(moment))
            assert start <= moment.date(), (interval, moment)
            end = interval.end(interval.key(moment))
            assert end is None or moment.date() < end, (interval, moment)
            if interval is Interval.WEEK:
                assert start.isoweekday() == 1


def test_the_documented_csv_is_the_seeds(
    client: TestClient, seeded: IngestReport, backend: str
) -> None:
    response = client.get("/v1/timeline.csv", params={"q": "Macron", "interval": "year"})
    assert response.text == examples.TIMELINE_CSV
    document = client.get("/openapi.json").json()
    content = document["paths"]["/v1/timeline"]["get"]["responses"]["200"]["content"]
    assert content["text/csv"]["example"] == examples.TIMELINE_CSV
    assert "/v1/timeline.csv" not in document["paths"]  # documented with the JSON


# Times at the edges of buckets in zones east and west of UTC, before 1970, on a leap day and
# in the last year there is, by source; some articles without one.
EDGES = [
    "0001-01-01T00:00:00Z",
    "1969-12-31T23:59:59.999999Z",
    "1970-01-01T00:00:00Z",
    "1970-01-04T23:59:59Z",  # a Sunday
    "1970-01-05T00:00:00Z",  # a Monday
    "2024-02-29T23:30:00-01:00",  # 1 March in UTC
    "2024-03-01T00:30:00+05:30",  # 29 February in UTC
    "2024-12-31T23:59:59.999999Z",
    "2025-01-01T00:00:00+14:00",  # 2024 in UTC
    "9999-12-31T23:59:59Z",
]


def edge_corpus(folder: Path) -> Path:
    rng = random.Random(25)
    words = ["harbour", "minister", "storm", "budget", "election", "Macron"]
    lines = []
    for number in range(400):
        zone = rng.choice(["Z", "+09:00", "-05:00"])
        day = f"20{rng.randint(10, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        when = rng.choice(EDGES) if number < 60 else f"{day}T{rng.randint(0, 23):02d}:00:00{zone}"
        title = " ".join(rng.sample(words, 3)) + f" {number}"
        item: dict[str, Any] = {
            "title": title,
            "body": f"{title} and more.",
            "source": rng.choice(["AP", "Reuters", "AFP"]),
        }
        if number % 9:
            item["date"] = when
        lines.append(json.dumps(item))
    (folder / "edges.jsonl").write_text("\n".join(lines), encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def stores(
    tmp_path_factory: pytest.TempPathFactory, postgresql: PostgreSQL
) -> Iterator[dict[str, TestClient]]:
    """The same dated corpus in a SQLite store and a PostgreSQL one, a client on each."""
    folder = edge_corpus(tmp_path_factory.mktemp("timeline"))
    name = f"byline_timeline_{uuid.uuid4().hex[:12]}"
    urls = {
        "sqlite": f"sqlite:///{folder / 'byline.db'}",
        "postgresql": postgresql.create(name, template=postgresql.template),
    }
    clients: dict[str, TestClient] = {}
    for backend, url in urls.items():
        migrate(url)
        engine = create_db_engine(url, writer=True)
        try:
            assert ingest_paths(engine, [folder / "edges.jsonl"]).ok
        finally:
            engine.dispose()
        settings = Settings(
            database_url=url, index_path=tmp_path_factory.mktemp("index"), ingest_on_start=False
        )
        clients[backend] = CaughtUpClient(create_app(settings)).__enter__()
    yield clients
    for client in clients.values():
        client.__exit__(None, None, None)
    postgresql.drop(name)


@pytest.mark.parametrize("interval", ["day", "week", "month", "year"])
def test_identical_on_both_stores(stores: dict[str, TestClient], interval: str) -> None:
    asked: list[dict[str, Any]] = [
        {"q": ["harbour", "Macron minister", "storm OR budget"], "interval": interval},
        {"interval": interval, "source": "AP"},
        {"interval": interval, "published_after": "2024-02", "published_before": "2025-01"},
    ]
    if interval != "year":  # the edges span ten thousand years: too many days, weeks, months
        asked = asked[2:]
        too_long = stores["sqlite"].get("/v1/timeline", params={"interval": interval})
        assert too_long.status_code == 400
    for params in asked:
        answers = [client.get("/v1/timeline", params=params) for client in stores.values()]
        assert answers[0].status_code == 200, answers[0].text
        assert answers[0].json() == answers[1].json(), params
        csvs = [client.get("/v1/timeline.csv", params=params).text for client in stores.values()]
        assert csvs[0] == csvs[1]
        for series in answers[0].json()["series"]:
            assert sum(b["count"] for b in series["buckets"]) + series["undated"] == series["total"]
            assert all(b["count"] <= b["articles"] for b in series["buckets"])


def test_edges_fall_in_their_buckets(stores: dict[str, TestClient]) -> None:
    client = stores["postgresql"]
    params = {"q": "harbour OR minister OR storm", "interval": "year"}
    [series] = client.get("/v1/timeline", params=params).json()["series"]
    assert series["buckets"][0]["start"] == "0001-01-01"
    assert series["buckets"][-1] == {
        **series["buckets"][-1],
        "start": "9999-01-01",
        "end": None,
    }
    params = {"interval": "day", "published_after": "2024-02-29", "published_before": "2024-03-02"}
    [days] = client.get("/v1/timeline", params=params).json()["series"]
    assert [b["start"] for b in days["buckets"]] == ["2024-02-29", "2024-03-01"]
    counted = client.get("/v1/articles", params={**params, "limit": 100}).json()["total"]
    assert sum(b["count"] for b in days["buckets"]) == counted
