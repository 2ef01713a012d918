"""Earlier versions of an article are kept when its file changes, and listed with what changed."""

from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine, text

from app.ingestion.run import ingest_paths
from tests.conftest import Ingest
from tests.factories import ArticleText


def test_each_change_of_the_file_is_a_revision(
    client: TestClient, ingest: Ingest, engine: Engine, tmp_path: Path
) -> None:
    first = ArticleText(title="Storm warning", paragraphs=["Winds rise.", "Ferries stop."])
    path = first.write(tmp_path, "storm.txt")
    ingest(path)
    ArticleText(
        title="Storm warning", paragraphs=["Winds rise.", "Ferries stop.", "Schools close."]
    ).write(tmp_path, "storm.txt")
    ingest(path)
    ArticleText(title="Storm hits the coast", paragraphs=["Winds rose.", "Schools close."]).write(
        tmp_path, "storm.txt"
    )
    ingest(path)
    body = client.get("/v1/articles/1/revisions").json()
    assert body["article"]["title"] == "Storm hits the coast"
    versions = body["revisions"]
    assert [v["revision"] for v in versions] == [1, 2, 3]
    assert [v["current"] for v in versions] == [False, False, True]
    assert versions[0]["changed"] == []
    assert (versions[0]["paragraphs_added"], versions[0]["paragraphs_removed"]) == (2, 0)
    assert versions[1]["changed"] == ["paragraphs"]
    assert (versions[1]["paragraphs_added"], versions[1]["paragraphs_removed"]) == (1, 0)
    assert versions[2]["changed"] == ["title", "paragraphs"]
    assert (versions[2]["paragraphs_added"], versions[2]["paragraphs_removed"]) == (1, 2)
    assert versions[0]["valid_until"] is not None
    assert versions[0]["valid_until"] <= versions[1]["valid_until"] <= versions[2]["valid_from"]
    assert versions[2]["valid_until"] is None
    assert len({v["content_hash"] for v in versions}) == 3
    # The id and slug never change.
    assert client.get("/v1/articles/storm-warning").json()["title"] == "Storm hits the coast"


def test_an_article_never_changed_has_one_revision(client: TestClient, seeded: object) -> None:
    [version] = client.get("/v1/articles/1/revisions").json()["revisions"]
    assert version["current"] is True
    assert version["paragraphs_added"] == 14


def test_revisions_go_with_a_pruned_article(engine: Engine, tmp_path: Path) -> None:
    path = ArticleText(title="Short lived").write(tmp_path, "a.txt")
    ingest_paths(engine, [tmp_path])
    ArticleText(title="Short lived, changed").write(tmp_path, "a.txt")
    ingest_paths(engine, [tmp_path])
    path.unlink()
    ingest_paths(engine, [tmp_path], prune=True)
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM article_revision")).scalar_one() == 0


def test_revisions_of_an_unknown_article_are_404(client: TestClient) -> None:
    assert client.get("/v1/articles/42/revisions").status_code == 404
