"""Every connection the API reads through refuses to write, on both stores: the engine of
search, related, revisions and stats, and the plain read path of lists and articles."""

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from app.ingestion.outcomes import IngestReport
from app.store.readers.base import Reader
from tests.conftest import SEED_SLUG

# SQLite: "attempt to write a readonly database"; PostgreSQL: "... in a read-only transaction".
REFUSED = r"read-only|readonly"
WRITES = [
    "DELETE FROM article",
    "UPDATE article SET title = 'forged'",
    "INSERT INTO ingest_run (started_at, paths) VALUES ('2024-01-01', '[]')",
    "CREATE TABLE forged (id INTEGER)",
]


def still_whole(client: TestClient) -> None:
    article = client.get(f"/v1/articles/{SEED_SLUG}").json()
    assert article["title"].startswith("Ukraine, France")
    assert client.get("/v1/stats").json()["articles"] == 1


@pytest.mark.parametrize("statement", WRITES)
def test_the_api_engine_refuses_writes(
    client: TestClient, seeded: IngestReport, statement: str
) -> None:
    engine = client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        with pytest.raises(DBAPIError, match=REFUSED):
            session.execute(text(statement))
        session.rollback()
    still_whole(client)


@pytest.mark.parametrize("statement", WRITES)
def test_the_plain_read_path_refuses_writes(
    client: TestClient, seeded: IngestReport, statement: str
) -> None:
    reader: Reader = client.app.state.reader  # type: ignore[attr-defined]
    with pytest.raises(Exception, match=REFUSED):
        reader.rows(statement)
    with reader.snapshot(), pytest.raises(Exception, match=REFUSED):
        reader.rows(statement)
    still_whole(client)


def test_every_route_answers_on_read_only_connections(
    client: TestClient, seeded: IngestReport
) -> None:
    for url in (
        "/v1/articles?facets=source",
        f"/v1/articles/{SEED_SLUG}",
        f"/v1/articles/{SEED_SLUG}/raw",
        f"/v1/articles/{SEED_SLUG}/related",
        f"/v1/articles/{SEED_SLUG}/revisions",
        "/v1/search?q=Zelensky&facets=year",
        "/v1/search?q=zzzzqq",  # a suggestion is looked for
        "/v1/stats",
        "/readyz",
    ):
        assert client.get(url).status_code == 200, url
