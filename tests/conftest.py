"""Shared fixtures: a store built by the real migrations, the app on it, article files."""

import shutil
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine

from app.database import create_db_engine, migrate
from app.ingest import IngestReport, ingest_paths
from app.main import create_app
from app.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SEED_FILE = SEEDS / "000_34d4e0ff137cf4a9.txt"
SEED_TITLE = "Ukraine, France discussing allied troop deployment to country, Zelenskyy says"
SEED_SLUG = "ukraine-france-discussing-allied-troop-deployment-to-country-zelenskyy-says"


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per run; each test gets a copy of it."""
    path = tmp_path_factory.mktemp("template") / "byline.db"
    migrate(f"sqlite:///{path}")
    return path


@pytest.fixture
def database_url(tmp_path: Path, migrated_template: Path) -> str:
    path = tmp_path / "byline.db"
    shutil.copyfile(migrated_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_db_engine(database_url, writer=True)
    yield engine
    engine.dispose()


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=database_url, seeds_dir=SEEDS, ingest_on_start=False)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture
def ingest(engine: Engine) -> "Ingest":
    return Ingest(engine)


class Ingest:
    """Ingest paths into the test store."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __call__(self, *paths: Path) -> IngestReport:
        return ingest_paths(self.engine, list(paths))


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
