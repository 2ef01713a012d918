"""A store ingested by an older parser converges on what this one reads: the next ingestion reads
its files again (``source_file.parser``), and an article whose text is the same takes the new
fields without a revision; the index follows, and the run after that skips the files again."""

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.ingestion.outcomes import Outcome
from tests.conftest import Ingest

WIRE = """Allies meet on air defence
PARIS, Jan 5, 2024 (Reuters) - Ministers met in Paris on Friday to discuss air defence.
The talks will continue in March.
(c) Copyright Thomson Reuters 2024.
"""


def test_files_read_by_an_older_parser_are_read_again(
    client: TestClient, ingest: Ingest, engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "wire.txt").write_text(WIRE, encoding="utf-8")
    assert ingest(tmp_path).ok
    dated = client.get("/v1/articles/1").json()
    assert dated["published_at"] == "2024-01-05T00:00:00Z"
    # As an older parser left it: no date read from the dateline, and no version recorded.
    with engine.begin() as connection:
        connection.execute(text("UPDATE article SET published_at = NULL"))
        connection.execute(text("UPDATE source_file SET parser = 0"))
    assert client.get("/v1/articles/1").json()["published_at"] is None

    report = ingest(tmp_path)
    assert report.counts[Outcome.UPDATED] == 1
    [warned] = report.warnings
    assert any("read anew by a newer parser: published_at" in w for w in warned.warnings)
    assert client.get("/v1/articles/1").json()["published_at"] == "2024-01-05T00:00:00Z"
    # The text is the same: no revision.
    assert len(client.get("/v1/articles/1/revisions").json()["revisions"]) == 1
    # The index follows the change: the timeline counts it in its month.
    timeline = client.get("/v1/timeline", params={"interval": "month"}).json()
    [series] = timeline["series"]
    assert series["undated"] == 0
    assert [b["count"] for b in series["buckets"]] == [1]
    # Read by this parser now: the next run skips it unread.
    again = ingest(tmp_path)
    assert again.counts[Outcome.UNCHANGED] == 1
    assert again.counts[Outcome.UPDATED] == 0
