"""The pins: hashed, and the image's set a subset of what the tests run on."""

import re

from tests.live import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;\\]+)", re.MULTILINE)


def pins(name: str) -> dict[str, str]:
    return dict(PIN.findall((ROOT / "requirements" / name).read_text(encoding="utf-8")))


def test_the_image_runs_the_versions_the_tests_ran() -> None:
    image, tests = pins("main.txt") | pins("build.txt"), pins("dev.txt")
    assert image
    assert {
        name: (version, tests.get(name))
        for name, version in image.items()
        if tests.get(name) != version
    } == {}


def test_every_pin_is_hashed_and_names_no_registry() -> None:
    for name in ("main.txt", "dev.txt", "build.txt"):
        text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
        assert text.count("==") <= text.count("--hash=sha256:")
        assert "://" not in text  # no index or download address
