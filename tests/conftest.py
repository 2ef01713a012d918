"""Shared fixtures: a store built by the real migrations, the app on it, article files.

Every test that uses the store runs twice: on SQLite, and on PostgreSQL in a database of its own
(copied from a template migrated once per run, dropped afterwards). Where no PostgreSQL answers
at ``BYLINE_TEST_POSTGRESQL_URL`` (default: the local server's database ``test``), the
PostgreSQL runs skip and say why. Tests marked ``sqlite_only`` check what only SQLite has.

The test client brings the search index up to date with the store before each request, as
the index's follower would within a second.
"""

import os
import shutil
import time
import uuid
from collections.abc import Generator, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from app.alerts.matching import ArrivalMatching
from app.api.app import create_app
from app.api.webhook_payloads import delivery_body
from app.ingestion.outcomes import IngestReport
from app.ingestion.parsed import ParsedArticle
from app.ingestion.run import ingest_paths
from app.search.index import SearchIndex
from app.search.upkeep_reports import IndexBusy
from app.settings import Settings
from app.store.database import create_db_engine, migrate
from app.store.readers import open_reader

# The test client names the host `testserver`; apps the tests make answer for it, for the
# loopback names a live server is reached by, and for the other host that caches by base URL
# are tried with.
os.environ.setdefault("BYLINE_ALLOWED_HOSTS", "testserver,news.example,localhost,127.0.0.1,::1")

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_FILE = SEEDS / "000_34d4e0ff137cf4a9.txt"
SEED_TITLE = "Ukraine, France discussing allied troop deployment to country, Zelenskyy says"
SEED_SLUG = "ukraine-france-discussing-allied-troop-deployment-to-country-zelenskyy-says"
WIRE_FIXTURES = ROOT / "tests" / "fixtures" / "wire"


def assert_parsed_as(article: ParsedArticle, expected: dict[str, Any]) -> None:
    """Check a parsed article's fields; ``paragraph_count`` and ``last_paragraph`` stand for
    the number and the last of its paragraphs."""
    for name, value in expected.items():
        if name == "paragraph_count":
            assert len(article.paragraphs) == value
        elif name == "last_paragraph":
            assert article.paragraphs[-1] == value
        else:
            assert getattr(article, name) == value, name


@pytest.fixture(autouse=True)
def index_folder(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's own search index folder, for the apps it makes and the commands and
    servers it runs (which would otherwise share a PostgreSQL store's default folder); outside
    ``tmp_path``, which tests ingest."""
    folder = tmp_path_factory.mktemp("index") / "index"
    monkeypatch.setenv("BYLINE_INDEX_PATH", str(folder))
    return folder


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per run; each test gets a copy of it."""
    path = tmp_path_factory.mktemp("template") / "byline.db"
    migrate(f"sqlite:///{path}")
    return path


POSTGRESQL_URL = os.environ.get(
    "BYLINE_TEST_POSTGRESQL_URL", "postgresql+psycopg://127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sqlite_only: checks what only the SQLite store has (runs on it alone)"
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Each test on the store runs once per backend."""
    if "backend" in metafunc.fixturenames:
        only_sqlite = metafunc.definition.get_closest_marker("sqlite_only") is not None
        metafunc.parametrize("backend", BACKENDS[:1] if only_sqlite else BACKENDS)


class PostgreSQL:
    """The test server: databases made from a migrated template, and dropped."""

    def __init__(self, url: str) -> None:
        self.url = make_url(url)
        self.admin = self._connect()
        self.template = f"byline_template_{uuid.uuid4().hex[:12]}"

    def _connect(self) -> psycopg.Connection[Any]:
        return psycopg.connect(
            self.url.set(drivername="postgresql").render_as_string(hide_password=False),
            autocommit=True,
            connect_timeout=3,
        )

    def _execute(self, statement: str) -> None:
        """Run ``statement`` on the admin connection, connecting again first when the server
        dropped it (a test restarts the server)."""
        try:
            self.admin.execute(statement)
        except psycopg.OperationalError:
            if not (self.admin.closed or self.admin.broken):
                raise
            self.admin = self._connect()
            self.admin.execute(statement)

    def url_of(self, database: str) -> str:
        return self.url.set(database=database).render_as_string(hide_password=False)

    def create(self, name: str, *, template: str | None = None) -> str:
        copy = f" TEMPLATE {template} STRATEGY FILE_COPY" if template else ""
        self._execute(f"CREATE DATABASE {name}{copy}")
        return self.url_of(name)

    def drop(self, name: str) -> None:
        self._execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture(scope="session")
def postgresql() -> Iterator[PostgreSQL]:
    """The PostgreSQL server, with a template database migrated to head."""
    try:
        server = PostgreSQL(POSTGRESQL_URL)
    except psycopg.OperationalError as error:
        reason = str(error).strip().splitlines()[0]
        pytest.skip(f"no PostgreSQL at {POSTGRESQL_URL} ({reason}); set BYLINE_TEST_POSTGRESQL_URL")
    migrate(server.create(server.template))
    yield server
    server.drop(server.template)
    server.admin.close()


@pytest.fixture
def database_url(
    request: pytest.FixtureRequest,
    backend: str,
    tmp_path_factory: pytest.TempPathFactory,
    migrated_template: Path,
) -> Iterator[str]:
    """A migrated, empty store of its own for the test, on ``backend`` (a SQLite store's files
    lie outside ``tmp_path``, which tests ingest: they are no article files)."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("store") / "byline.db"
        shutil.copyfile(migrated_template, path)
        yield f"sqlite:///{path}"
        return
    server: PostgreSQL = request.getfixturevalue("postgresql")
    name = f"byline_test_{uuid.uuid4().hex[:12]}"
    yield server.create(name, template=server.template)
    server.drop(name)


@pytest.fixture
def empty_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[str]:
    """A store with nothing in it, not even the schema."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'm.db'}"
        return
    server: PostgreSQL = request.getfixturevalue("postgresql")
    name = f"byline_empty_{uuid.uuid4().hex[:12]}"
    yield server.create(name)
    server.drop(name)


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url, writer=True)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(database_url: str, index_folder: Path) -> Settings:
    return Settings(
        database_url=database_url,
        index_path=index_folder,
        seeds_dir=SEEDS,
        ingest_on_start=False,
    )


def caught_up(index: SearchIndex, engine: Engine) -> None:
    """Bring ``index`` up to date with the store, waiting a little for another writer."""
    for _ in range(50):
        try:
            index.catch_up(engine)
            return
        except IndexBusy:
            time.sleep(0.05)
    index.catch_up(engine)


class CaughtUpClient(TestClient):
    """A test client that brings the app's search index up to date with the store before each
    request; a store that cannot be read (one a test took apart) is left to the request, and an
    index folder that a test deleted to the server's follower, which makes it anew (the engine
    raises ValueError when it finds the folder without its commit, as while it is made)."""

    def request(self, *args: Any, **kwargs: Any) -> Any:
        state = self.app.state  # type: ignore[attr-defined]
        if hasattr(state, "search_index"):
            with suppress(SQLAlchemyError, ValueError):
                caught_up(state.search_index, state.engine)
        return super().request(*args, **kwargs)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with CaughtUpClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def ingest(engine: Engine) -> "Ingest":
    return Ingest(engine)


class Ingest:
    """Ingest paths into the test store."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, *paths: Path) -> IngestReport:
        # As `byline ingest` does: the saved searches matched after each committed batch.
        reader = open_reader(self.engine.url.render_as_string(hide_password=False))
        try:
            matching = ArrivalMatching(self.engine, self.engine, reader.rows, delivery_body)
            return ingest_paths(self.engine, list(paths), after_commit=matching)
        finally:
            reader.close()


@pytest.fixture
def seeded(ingest: Ingest) -> IngestReport:
    """The store with the seed article in it."""
    return ingest(SEEDS)


# Property tests run the same examples on every run, so CI cannot fail by luck of the draw;
# `pytest --hypothesis-profile=explore` searches further and at random.
hypothesis_settings.register_profile("default", derandomize=True, deadline=None)
hypothesis_settings.register_profile("explore", max_examples=5_000, deadline=None)
hypothesis_settings.load_profile("default")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item,
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Keep each phase's report on the test item, for fixtures that act on failure."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
