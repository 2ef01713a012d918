"""The allocator's arenas are bounded for the process and those it starts, unless the
environment already says how many."""

import os
import subprocess
import sys

import pytest

from app.cli import allocator
from tests.live import ROOT


def test_a_started_process_inherits_the_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    # An environment of the test's own, so that the bound set stays in it.
    monkeypatch.setattr(
        os, "environ", {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    )
    allocator.bound_arenas()
    assert os.environ["MALLOC_ARENA_MAX"] == str(allocator.ARENAS)


def test_the_environment_s_own_bound_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")
    allocator.bound_arenas()
    assert os.environ["MALLOC_ARENA_MAX"] == "8"


def test_the_command_bounds_its_arenas() -> None:
    environment = {key: value for key, value in os.environ.items() if key != "MALLOC_ARENA_MAX"}
    shown = subprocess.run(
        [
            sys.executable,
            "-c",
            "import os, sys; from app.cli.commands import main; sys.argv = ['byline', '--help'];\n"
            "try: main()\nexcept SystemExit: print(os.environ['MALLOC_ARENA_MAX'])",
        ],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.strip().endswith(str(allocator.ARENAS))
