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


def test_the_benchmark_runs_the_versions_the_tests_ran() -> None:
    bench, tests = pins("bench.txt"), pins("dev.txt")
    assert set(tests) <= set(bench)
    assert {name: (tests[name], bench[name]) for name in tests if bench[name] != tests[name]} == {}


def test_every_pin_is_hashed_and_names_no_registry() -> None:
    for name in ("main.txt", "dev.txt", "build.txt", "bench.txt"):
        text = (ROOT / "requirements" / name).read_text(encoding="utf-8")
        assert text.count("==") <= text.count("--hash=sha256:")
        assert "://" not in text  # no index or download address
