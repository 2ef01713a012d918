"""``./run``: each command installs the pins it needs and no more, once, and a later command that
needs more adds it to ``.venv`` in place.

The script runs for real, on a copy of the repository's pins, with a stand-in Python that records
what it is asked to do instead of installing anything: a few milliseconds a test.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.live import ROOT

PIP = "python -m pip install --quiet --disable-pip-version-check"
RUNTIME_PINS = f"{PIP} --require-hashes -r requirements/main.txt -r requirements/build.txt"
DEV_PINS = f"{PIP} --require-hashes -r requirements/dev.txt"
BENCH_PINS = f"{PIP} --require-hashes -r requirements/bench.txt"
NEW_VENV = "python -m venv .venv"
PROJECT = f"{PIP} --no-deps --no-build-isolation -e ."

# Stands in for python3 and for the .venv's python and tools: it records each call in $RUN_LOG,
# makes a .venv of stand-ins for `-m venv`, and leaves the digest `./run` computes with `-c` to
# the real interpreter.
STAND_IN = """#!/bin/sh
if [ "$1" = -c ]; then exec "$REAL_PYTHON" "$@"; fi
tool=$(basename "$0")
if [ "$tool" = python3 ]; then tool=python; fi
echo "$tool $*" >> "$RUN_LOG"
if [ "$1 $2" = "-m venv" ]; then
  mkdir -p "$3/bin"
  for name in python byline ruff mypy hadolint pytest; do cp "$0" "$3/bin/$name"; done
fi
"""


class Checkout:
    """A copy of the repository's ``run`` script and pins, run with the stand-in Python."""

    def __init__(self, root: Path) -> None:
        self.root = root
        shutil.copy2(ROOT / "run", root / "run")
        shutil.copy2(ROOT / "pyproject.toml", root / "pyproject.toml")
        shutil.copytree(ROOT / "requirements", root / "requirements")
        tools = root / "tools"
        tools.mkdir()
        for name in ("python3", "wrk"):  # wrk: so that `./run bench` has no reason to apt-get it
            (tools / name).write_text(STAND_IN, encoding="utf-8")
            (tools / name).chmod(0o755)
        self.log = root / "calls.log"
        self.environment = {
            **os.environ,
            "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}",
            "PYTHON": str(tools / "python3"),
            "REAL_PYTHON": sys.executable,
            "RUN_LOG": str(self.log),
        }

    def run(self, *arguments: str) -> list[str]:
        """Run ``./run`` with these arguments; return the calls it made, one line each."""
        self.log.write_text("", encoding="utf-8")
        subprocess.run(
            ["./run", *arguments],
            cwd=self.root,
            env=self.environment,
            check=True,
            capture_output=True,
            timeout=30,
        )
        return self.log.read_text(encoding="utf-8").splitlines()

    def change(self, name: str) -> None:
        """Change a file the pins come from, as a regenerated pin file or a new dependency does."""
        path = self.root / name
        path.write_text(path.read_text(encoding="utf-8") + "# changed\n", encoding="utf-8")


@pytest.fixture
def checkout(tmp_path: Path) -> Checkout:
    return Checkout(tmp_path)


def test_serving_a_fresh_checkout_installs_the_runtime_pins_only(checkout: Checkout) -> None:
    assert checkout.run("serve", "--port", "8113") == [
        NEW_VENV,
        RUNTIME_PINS,
        PROJECT,
        "byline serve --port 8113",
    ]
    assert checkout.run("serve") == ["byline serve"]
    assert checkout.run("byline", "migrate") == ["byline migrate"]


def test_the_tests_add_their_tools_to_a_served_venv_in_place(checkout: Checkout) -> None:
    checkout.run("serve")
    assert checkout.run("test", "-q") == [
        NEW_VENV,  # on an existing .venv: keeps what it holds
        DEV_PINS,
        PROJECT,
        "ruff check .",
        "ruff format --check .",
        "mypy --strict app tests migrations bench",
        "hadolint --failure-threshold warning Dockerfile",
        "pytest -q",
    ]
    assert checkout.run("serve") == ["byline serve"]
    assert checkout.run("test")[0] == "ruff check ."


def test_the_benchmark_adds_its_peers_and_a_lower_level_keeps_them(checkout: Checkout) -> None:
    assert checkout.run("bench", "--count", "10") == [
        NEW_VENV,
        BENCH_PINS,
        PROJECT,
        "python bench/run.py --count 10",
    ]
    assert checkout.run("test")[0] == "ruff check ."
    assert checkout.run("serve") == ["byline serve"]


@pytest.mark.parametrize(
    ("first", "changed", "then", "installs"),
    [
        pytest.param(first, changed, then, installs, id=f"{first}-{Path(changed).name}-{then}")
        for first, changed, then, installs in [
            ("serve", "requirements/main.txt", "serve", RUNTIME_PINS),
            ("serve", "requirements/build.txt", "serve", RUNTIME_PINS),
            ("serve", "pyproject.toml", "serve", RUNTIME_PINS),
            ("test", "requirements/dev.txt", "test", DEV_PINS),
            # Serving brings a stale .venv up to date whole: the tests' tools stay, current.
            ("test", "requirements/dev.txt", "serve", DEV_PINS),
            ("bench", "requirements/bench.txt", "serve", BENCH_PINS),
        ]
    ],
)
def test_changed_pins_reinstall_the_level_the_venv_holds(
    checkout: Checkout, first: str, changed: str, then: str, installs: str
) -> None:
    checkout.run(first)
    checkout.change(changed)
    calls = checkout.run(then)
    assert calls[:3] == [NEW_VENV, installs, PROJECT]
    assert len(calls) > 3
    assert checkout.run(then) == calls[3:]


def test_a_failed_install_is_tried_again(checkout: Checkout) -> None:
    checkout.run("serve")
    (checkout.root / ".venv" / ".requirements").unlink()  # what a failed install leaves
    assert checkout.run("serve")[:3] == [NEW_VENV, RUNTIME_PINS, PROJECT]


@pytest.mark.parametrize(
    ("first", "changed"),
    [
        ("serve", "requirements/dev.txt"),
        ("serve", "requirements/bench.txt"),
        ("test", "requirements/main.txt"),
    ],
)
def test_pins_the_venv_was_not_installed_from_change_nothing(
    checkout: Checkout, first: str, changed: str
) -> None:
    checkout.run(first)
    checkout.change(changed)
    assert checkout.run("serve") == ["byline serve"]
