"""The image as a user meets it: built, run, probed over HTTP, restarted on its volume, removed.

Needs a container engine: ``$CONTAINER_ENGINE`` (``.ci/run`` sets it up), else a working
``docker``; without one these tests skip and say so. Select them with ``-m container``.
"""

import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import httpx2
import pytest

from tests.factories import ArticleText
from tests.index_checks import wait_for
from tests.live import ROOT, free_port

pytestmark = pytest.mark.container

READY_TIMEOUT_S = 150.0  # the image's start on a loaded 2-core machine
FOLLOW_TIMEOUT_S = 10.0  # a replica's index behind a committed ingestion, on a loaded machine

# Every image, layer, container and named volume this run makes carries this label, so that it
# removes exactly what it made (never another run's, nor the base image) and checks it did.
RUN_LABEL = f"byline.test-run={uuid.uuid4().hex[:12]}"
RUN_FILTER = ("--filter", f"label={RUN_LABEL}")


def container_engine() -> str | None:
    """The engine to use, or None when this machine has none that works."""
    engine = os.environ.get("CONTAINER_ENGINE")
    if engine:
        return engine
    if shutil.which("docker"):
        probe = subprocess.run(["docker", "info"], capture_output=True, timeout=20, check=False)
        if probe.returncode == 0:
            return "docker"
    return None


ENGINE = container_engine()
if ENGINE is None:
    pytest.skip(
        "no container engine: set CONTAINER_ENGINE (on this project's CI machine: "
        'eval "$(../shared/tools/container-env)") or run a Docker engine',
        allow_module_level=True,
    )


def engine(*arguments: str, check: bool = True, timeout: float = 120) -> str:
    assert ENGINE is not None
    result = subprocess.run(
        [ENGINE, *arguments], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{ENGINE} {' '.join(arguments)} failed:\n{result.stderr}")
    return result.stdout.strip()


@dataclass
class Deployment:
    image: str
    volume: str
    name: str
    base: str = ""


@pytest.fixture(scope="module")
def image() -> Iterator[str]:
    """The image, built for this module; afterwards nothing the run made may be left behind."""
    tag = f"byline-test:{uuid.uuid4().hex[:12]}"
    podman_format = ["--format", "docker"] if ENGINE and "podman" in ENGINE else []
    try:
        engine(
            "build", *podman_format, "--force-rm", "--label", RUN_LABEL, "-t", tag, str(ROOT),
            timeout=900,
        )  # fmt: skip
        yield tag
    finally:
        kept = remove_images_built_by_this_run(tag)
    assert leftovers() == [], "the container tests left these behind"
    assert kept == [], "these images the run built could not be removed"


def remove_images_built_by_this_run(tag: str) -> list[str]:
    """Remove the image, its build stage and every layer this run built (not the layers it found
    in the build cache: those are not ours); return those that could not be removed, and why."""
    # --no-prune: removing an image must not take the untagged parents it was built on.
    engine("rmi", "--no-prune", tag, check=False)
    refusals: dict[str, str] = {}
    removed_one = True
    while removed_one:  # a layer goes once the layers built on it are gone
        removed_one = False
        refusals = {}
        for image_id in engine("images", "-a", "-q", "--no-trunc", *RUN_FILTER).split():
            refusal = engine_error("rmi", "--no-prune", image_id)
            if refusal is None:
                removed_one = True
            else:
                refusals[image_id] = refusal
    # A layer still refused for its children is needed by another build, which took it from the
    # cache while this run was building: it stays for that build.
    return [f"{image_id}: {why}" for image_id, why in refusals.items() if "child" not in why]


def engine_error(*arguments: str) -> str | None:
    """Run the engine; None when it succeeds, else what it said on standard error."""
    assert ENGINE is not None
    result = subprocess.run(
        [ENGINE, *arguments], capture_output=True, text=True, timeout=120, check=False
    )
    return None if result.returncode == 0 else result.stderr.strip()


MOUNTED_VOLUMES: set[str] = set()


def remove_container(name: str) -> None:
    """Remove a container with its anonymous volumes: the image declares ``VOLUME /data``, so
    a container given no volume there gets one of its own, which ``rm`` alone leaves behind."""
    mounts = engine("inspect", "--format", "{{range .Mounts}}{{.Name}} {{end}}", name, check=False)
    MOUNTED_VOLUMES.update(mounts.split())
    engine("rm", "--force", "--volumes", name, check=False)


def leftovers() -> list[str]:
    """The containers and volumes this run made that still exist."""
    volumes = set(engine("volume", "ls", "-q").split())
    labelled = set(engine("volume", "ls", "-q", *RUN_FILTER).split())
    return [
        *(f"container {container}" for container in engine("ps", "-a", "-q", *RUN_FILTER).split()),
        *(f"volume {volume}" for volume in sorted(labelled | (MOUNTED_VOLUMES & volumes))),
    ]


@pytest.fixture(scope="module")
def deployment(image: str) -> Iterator[Deployment]:
    suffix = uuid.uuid4().hex[:12]
    deployed = Deployment(image=image, volume=f"byline-test-data-{suffix}", name=f"byline-{suffix}")
    engine("volume", "create", "--label", RUN_LABEL, deployed.volume)
    try:
        yield deployed
    finally:
        remove_container(deployed.name)
        engine("volume", "rm", "-f", deployed.volume, check=False)


def start(deployed: Deployment) -> None:
    """Run the image's default command on the volume and wait until it is healthy and ready."""
    port = free_port()
    engine(
        "run", "-d", "--name", deployed.name, "--label", RUN_LABEL, "--network", "bridge",
        "-v", f"{deployed.volume}:/data", "-p", f"127.0.0.1:{port}:8000",
        deployed.image,
    )  # fmt: skip
    deployed.base = f"http://127.0.0.1:{port}"
    wait_healthy(deployed)


def wait_healthy(deployed: Deployment) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while True:
        health = healthcheck_failure(deployed)
        readiness = None if health else readiness_failure(deployed)
        if health is None and readiness is None:
            return
        if time.monotonic() > deadline:
            logs = container_logs(deployed)
            raise AssertionError(
                "the container did not become healthy and ready "
                f"(last health check: {health or 'passed'}; last /readyz: {readiness}):\n{logs}"
            )
        time.sleep(0.5)


def finds(deployed: Deployment, query: str, count: int) -> bool:
    """Whether a search for ``query`` on ``deployed`` finds ``count`` articles."""
    found = httpx2.get(f"{deployed.base}/v1/search", params={"q": query}).json()["total"]
    return bool(found == count)


def container_logs(deployed: Deployment) -> str:
    """What the container printed, standard output and error together."""
    assert ENGINE is not None
    return subprocess.run(
        [ENGINE, "logs", deployed.name],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    ).stdout


def healthcheck_failure(deployed: Deployment) -> str | None:
    """Why the image's own HEALTHCHECK does not pass yet, or None when it passes."""
    assert ENGINE is not None
    if "podman" in ENGINE:
        # Podman schedules health checks with systemd timers, absent here: run it on demand.
        probe = [ENGINE, "healthcheck", "run", deployed.name]
        try:
            result = subprocess.run(probe, capture_output=True, text=True, timeout=30, check=False)
        except subprocess.TimeoutExpired:
            return "podman healthcheck run took more than 30 s"
        return None if result.returncode == 0 else (result.stdout + result.stderr).strip()
    status = engine("inspect", "--format", "{{.State.Health.Status}}", deployed.name, check=False)
    return None if status == "healthy" else status


def readiness_failure(deployed: Deployment) -> str | None:
    """Why ``/readyz`` does not answer 200 from the host yet, or None when it does."""
    try:
        status = httpx2.get(f"{deployed.base}/readyz", timeout=5).status_code
    except httpx2.TransportError as error:
        return f"{type(error).__name__}: {error}"
    return None if status == 200 else f"status {status}"


def test_the_image_serves_the_seed_as_non_root_and_restarts_without_duplicates(
    deployment: Deployment, tmp_path: Path
) -> None:
    start(deployment)
    base = deployment.base
    ready_body = httpx2.get(f"{base}/readyz").json()
    assert ready_body["status"] == "ready"

    listing = httpx2.get(f"{base}/v1/articles").json()
    assert listing["total"] == 1
    [summary] = listing["items"]
    detail = httpx2.get(summary["url"].replace("http://127.0.0.1:8000", base)).json()
    assert detail["dateline"] == "LONDON"
    assert len(detail["paragraphs"]) == 14
    hits = httpx2.get(f"{base}/v1/search", params={"q": "Macron"}).json()
    assert hits["total"] == 1
    assert httpx2.get(f"{base}/docs").status_code == 200

    uid = engine("exec", deployment.name, "id", "-u")
    assert uid.isdigit()
    assert int(uid) != 0
    configured_user = engine("inspect", "--format", "{{.Config.User}}", deployment.image)
    assert configured_user.isdigit()
    assert int(configured_user) != 0

    # A user's own folder, ingested by a one-off container on the same volume.
    articles = tmp_path / "articles"
    ArticleText(title="Harbour reopens after storm").write(articles, "harbour.txt")
    articles.chmod(0o755)
    (articles / "harbour.txt").chmod(0o644)
    report = engine(
        "run", "--rm", "--label", RUN_LABEL, "--network", "bridge",
        "-v", f"{deployment.volume}:/data", "-v", f"{articles}:/articles:ro",
        deployment.image, "ingest", "--json", "/articles",
    )  # fmt: skip
    assert '"added": 1' in report

    # Restarts re-run migrations and seed ingestion: nothing may be duplicated.
    engine("restart", deployment.name)
    wait_healthy(deployment)
    after = httpx2.get(f"{deployment.base}/v1/articles").json()
    assert after["total"] == 2
    ids = {item["slug"]: item["id"] for item in after["items"]}
    assert ids[summary["slug"]] == summary["id"]
    assert "1 unchanged" in container_logs(deployment)


@pytest.fixture
def postgresql_store(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, empty PostgreSQL database, named by a URL a container on the host's network can
    use (with the user name spelled out: the image's user has none)."""
    from tests.conftest import PostgreSQL  # noqa: PLC0415

    server: PostgreSQL = request.getfixturevalue("postgresql")
    name = f"byline_container_{uuid.uuid4().hex[:12]}"
    server.create(name)
    row = server.admin.execute("SELECT current_user").fetchone()
    assert row is not None
    url = server.url.set(database=name, username=server.url.username or row[0])
    yield url.render_as_string(hide_password=False)
    server.drop(name)


def test_the_image_runs_as_compose_runs_it_on_postgresql(
    image: str, postgresql_store: str, tmp_path: Path
) -> None:
    """compose.yaml's topology with the real image: a one-off migration, two API replicas, a
    one-off ingestion while they serve; both replicas answer alike."""
    network = ["--network", "host", "-e", f"BYLINE_DATABASE_URL={postgresql_store}"]
    engine("run", "--rm", "--label", RUN_LABEL, *network, image, "migrate")
    replicas = []
    try:
        for _ in range(2):
            port = free_port()
            name = f"byline-replica-{uuid.uuid4().hex[:12]}"
            engine(
                "run", "-d", "--name", name, "--label", RUN_LABEL, *network,
                "-e", f"BYLINE_PORT={port}", "-e", "BYLINE_INGEST_ON_START=false", image,
            )  # fmt: skip
            replicas.append(
                Deployment(image=image, volume="", name=name, base=f"http://127.0.0.1:{port}")
            )
        for replica in replicas:
            wait_healthy(replica)
            assert httpx2.get(f"{replica.base}/v1/articles").json()["total"] == 0
        articles = tmp_path / "articles"
        for number in range(3):
            ArticleText(title=f"Harbour reopens, day {number}").write(articles, f"{number}.txt")
        articles.chmod(0o755)
        for path in articles.iterdir():
            path.chmod(0o644)
        report = engine(
            "run", "--rm", "--label", RUN_LABEL, *network, "-v", f"{articles}:/articles:ro",
            image, "ingest", "--json", "/articles",
        )  # fmt: skip
        assert '"added": 3' in report
        for replica in replicas:
            listing = httpx2.get(f"{replica.base}/v1/articles").json()
            assert listing["total"] == 3
            # Each replica's index follows the store a moment after the commit (at most about
            # a second; a loaded machine gets a few more).
            wait_for(partial(finds, replica, "harbour", 3), timeout=FOLLOW_TIMEOUT_S)
    finally:
        for replica in replicas:
            remove_container(replica.name)
