"""The README's console examples, run word for word against a live ``byline serve``."""

import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.live import ROOT, live_server

README_BASE = "http://127.0.0.1:8000"
VOLATILE = {"ingested_at", "updated_at", "date_modified"}


def console_examples() -> list[tuple[str, str]]:
    """``(command, expected output)`` for every ``$`` line of the README's console blocks."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    examples: list[tuple[str, str]] = []
    for block in re.findall(r"```console\n(.*?)```", text, flags=re.DOTALL):
        for chunk in re.split(r"^\$ ", block, flags=re.MULTILINE)[1:]:
            command, _, output = chunk.partition("\n")
            examples.append((command, output))
    return examples


EXAMPLES = console_examples()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = tmp_path_factory.mktemp("readme") / "byline.db"
    with live_server(f"sqlite:///{database}") as base:
        yield base


def masked(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: "…" if k in VOLATILE else masked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(item) for item in value]
    return value


def test_the_readme_has_examples() -> None:
    assert len(EXAMPLES) >= 6
    assert all(command.startswith("curl ") for command, _ in EXAMPLES)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
@pytest.mark.parametrize(("command", "expected"), EXAMPLES, ids=[c[:70] for c, _ in EXAMPLES])
def test_readme_example(server: str, command: str, expected: str) -> None:
    result = subprocess.run(
        ["bash", "-o", "pipefail", "-c", command.replace(README_BASE, server)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
        cwd=Path(ROOT),
    )
    expected = expected.replace(README_BASE, server)
    try:
        shown = json.loads(expected)
    except json.JSONDecodeError:
        assert result.stdout.rstrip("\n") == expected.rstrip("\n")
    else:
        assert masked(json.loads(result.stdout)) == masked(shown)
