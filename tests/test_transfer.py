"""``byline export`` and ``byline import``: a corpus moves between stores with nothing lost."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, func, select
from sqlmodel import Session
from typer.testing import CliRunner

from app.api.app import create_app
from app.cli.commands import cli
from app.ingestion.run import ingest_paths
from app.settings import Settings
from app.store.database import create_db_engine, migrate
from app.store.models import Article
from tests.conftest import SEEDS, CaughtUpClient, Ingest, PostgreSQL
from tests.factories import ArticleText, generated_article


@pytest.fixture
def other_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    """An empty store on the other backend than the test's own: the export crosses over."""
    if backend == "postgresql":
        url = f"sqlite:///{tmp_path / 'target.db'}"
        migrate(url)
        yield url
        return
    server: PostgreSQL = request.getfixturevalue("postgresql")
    name = f"byline_target_{uuid.uuid4().hex[:12]}"
    yield server.create(name, template=server.template)
    server.drop(name)


def run(url: str, *args: str) -> tuple[int, str, bytes]:
    result = CliRunner(env={"BYLINE_DATABASE_URL": url}).invoke(cli, list(args))
    return result.exit_code, result.stderr, result.stdout_bytes


def articles(url: str) -> int:
    engine = create_db_engine(url)
    try:
        with Session(engine) as session:
            return int(session.execute(select(func.count()).select_from(Article)).scalar_one())
    finally:
        engine.dispose()


@pytest.fixture
def corpus(ingest: Ingest, tmp_path: Path) -> Path:
    """Seeds and generated articles in the store, one of them changed once (a revision)."""
    folder = tmp_path / "corpus"
    for number in range(30):
        generated_article(number).write(folder, f"{number:02}.txt")
    assert ingest(SEEDS, folder).ok
    ArticleText(title="Report number 3, revised").write(folder, "03.txt")
    assert ingest(folder).ok
    return folder


def test_export_then_import_loses_nothing(
    database_url: str, other_url: str, corpus: Path, tmp_path: Path
) -> None:
    code, _, exported = run(database_url, "export")
    assert code == 0
    dump = tmp_path / "corpus.jsonl"
    dump.write_bytes(exported)
    code, message, _ = run(other_url, "import", str(dump))
    assert code == 0, message
    assert "31 article rows, 1 article revision rows" in message
    # Exported again from the other store, every byte is the same: ids, slugs, raw text, times.
    assert run(other_url, "export")[2] == exported
    views = []
    for url in (database_url, other_url):
        settings = Settings(database_url=url, ingest_on_start=False)
        with CaughtUpClient(create_app(settings)) as client:
            slug = client.get("/v1/articles", params={"limit": 1}).json()["items"][0]["slug"]
            views.append(
                (
                    client.get(f"/v1/articles/{slug}").json(),
                    client.get("/v1/articles/4/revisions").json(),
                    client.get("/v1/articles/4/raw").text,
                    client.get("/v1/search", params={"q": "revised"}).json()["total"],
                )
            )
    assert views[0] == views[1]
    assert views[1][3] == 1  # the imported articles are searchable


def test_articles_ingested_after_an_import_get_new_ids(
    engine: Engine, other_url: str, corpus: Path, tmp_path: Path, database_url: str
) -> None:
    dump = tmp_path / "corpus.jsonl"
    dump.write_bytes(run(database_url, "export")[2])
    assert run(other_url, "import", str(dump))[0] == 0
    target = create_db_engine(other_url, writer=True)
    try:
        ArticleText(title="A new story after the move").write(tmp_path / "new", "new.txt")
        report = ingest_paths(target, [tmp_path / "new"])
    finally:
        target.dispose()
    assert report.ok
    assert articles(other_url) == 32


def test_import_into_a_store_with_articles_is_refused(
    database_url: str, corpus: Path, tmp_path: Path
) -> None:
    dump = tmp_path / "corpus.jsonl"
    dump.write_bytes(run(database_url, "export")[2])
    code, message, _ = run(database_url, "import", str(dump))
    assert code == 1
    assert "already holds articles" in message
    assert articles(database_url) == 31


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda lines: [b"not json\n", *lines[1:]], "line 1: not a Byline export"),
        (lambda lines: [*lines[:3], b"{oops\n", *lines[3:]], "line 4: not JSON"),
        (
            lambda lines: [
                *lines[:2],
                lines[1].replace(b'"year":', b'"year":"soon","x":'),
                *lines[2:],
            ],
            "line 3: article.year",
        ),
        (lambda lines: [*lines[:2], lines[1], *lines[2:]], "UNIQUE"),
    ],
)
def test_a_bad_export_imports_nothing_and_names_the_line(
    database_url: str, other_url: str, corpus: Path, tmp_path: Path, damage: object, reason: str
) -> None:
    lines = run(database_url, "export")[2].splitlines(keepends=True)
    dump = tmp_path / "damaged.jsonl"
    dump.write_bytes(b"".join(damage(lines)))  # type: ignore[operator]
    code, message, _ = run(other_url, "import", str(dump))
    assert code == 1
    assert reason.lower() in message.lower()
    assert "nothing was imported" in message
    assert articles(other_url) == 0


def test_labels_cross_over(
    database_url: str, other_url: str, ingest: Ingest, tmp_path: Path
) -> None:
    folder = tmp_path / "wire"
    folder.mkdir()
    wire = Path(__file__).parent / "fixtures" / "wire" / "reuters-refile-update.txt"
    (folder / wire.name).write_bytes(wire.read_bytes())
    assert ingest(folder).ok
    dump = tmp_path / "wire.jsonl"
    dump.write_bytes(run(database_url, "export")[2])
    assert run(other_url, "import", str(dump))[0] == 0
    settings = Settings(database_url=other_url, ingest_on_start=False)
    with TestClient(create_app(settings)) as client:
        [item] = client.get("/v1/articles", params={"label": "update 2"}).json()["items"]
        assert client.get(item["url"]).json()["labels"] == ["refile", "update 2"]
