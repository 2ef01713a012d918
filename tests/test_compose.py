"""``compose.yaml``: the API image on PostgreSQL, migrations first, replicas behind a balancer.

No compose engine or PostgreSQL image can be had on the project's machine, so this checks the
file's wiring; ``tests/test_container.py`` runs the image itself against PostgreSQL the way the
file does (a one-off migration, replicas, a one-off ingestion).
"""

from typing import Any

import yaml
from sqlalchemy.engine import make_url

from app.settings import Settings
from tests.live import ROOT


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return loaded


def test_postgresql_keeps_its_data_on_a_named_volume_and_reports_health() -> None:
    spec = compose()
    db = spec["services"]["db"]
    assert db["image"].startswith("postgres:")
    assert "pgdata:/var/lib/postgresql/data" in db["volumes"]
    assert "pgdata" in spec["volumes"]
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])


def test_migrations_run_once_before_the_api() -> None:
    services = compose()["services"]
    assert services["migrate"]["command"] == ["migrate"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"] == {"db": {"condition": "service_healthy"}}
    for name in ("api", "ingest"):
        condition = services[name]["depends_on"]["migrate"]["condition"]
        assert condition == "service_completed_successfully"


def test_the_api_runs_as_replicas_on_the_shared_store() -> None:
    services = compose()["services"]
    api = services["api"]
    assert api["command"] == ["serve"]
    assert api["deploy"]["replicas"] >= 2
    # Each replica's search index on a volume of its own: anonymous, so never shared.
    assert api["volumes"] == ["/data"]
    assert "BYLINE_INDEX_PATH=/data/byline.index" in (ROOT / "Dockerfile").read_text()
    assert services["lb"]["depends_on"] == ["api"]
    balancer = compose()["configs"]["nginx"]["content"]
    assert "resolver 127.0.0.11 valid=10s;" in balancer  # replicas added later get requests
    assert "set $$api http://api:8000;" in balancer
    for name in ("migrate", "api", "ingest"):
        environment = services[name]["environment"]
        url = make_url(
            environment["BYLINE_DATABASE_URL"].replace("${POSTGRES_PASSWORD:-byline}", "x")
        )
        assert (url.drivername, url.host, url.database) == ("postgresql+psycopg", "db", "byline")
        assert environment["BYLINE_INGEST_ON_START"] == "false"
        known = {f"BYLINE_{name.upper()}" for name in Settings.model_fields}
        assert set(environment) <= known, set(environment) - known


def test_the_one_off_ingestion_reads_a_mounted_folder() -> None:
    ingest = compose()["services"]["ingest"]
    assert ingest["command"] == ["ingest", "/articles"]
    assert ingest["volumes"] == ["${ARTICLES:-./seeds}:/articles:ro"]
    assert ingest["profiles"] == ["tools"]


def test_the_replicas_connections_fit_in_the_server() -> None:
    services = compose()["services"]
    environment = services["api"]["environment"]
    per_pool = int(environment["BYLINE_POOL_SIZE"]) + int(environment["BYLINE_MAX_OVERFLOW"])
    pools = services["api"]["deploy"]["replicas"] * int(environment["BYLINE_WORKERS"]) * 2
    limit = int(services["db"]["command"][-1].removeprefix("max_connections="))
    assert pools * per_pool + 10 <= limit  # and room for a migration, an ingestion, psql


def test_the_replicas_share_their_rate_counts_in_redis() -> None:
    services = compose()["services"]
    assert services["redis"]["image"].startswith("redis:")
    assert services["api"]["depends_on"]["redis"] == {"condition": "service_healthy"}
    storage = services["api"]["environment"]["BYLINE_RATE_LIMIT_STORAGE"]
    assert storage == "redis://redis:6379/0"
    Settings(rate_limit_storage=storage)  # a store the setting takes
