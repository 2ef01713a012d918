"""The benchmark corpus generator: deterministic, and every file it writes ingests."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

from app.parser import parse_file_bytes
from tests.live import ROOT


def generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_generate", ROOT / "bench" / "generate.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_generate"] = module
    spec.loader.exec_module(module)
    return module


def test_the_same_seed_writes_the_same_corpus(tmp_path: Path) -> None:
    generate = generator().generate
    generate(tmp_path / "a", count=40, seed=7)
    generate(tmp_path / "b", count=40, seed=7)
    files = sorted(path.relative_to(tmp_path / "a") for path in (tmp_path / "a").rglob("*.txt"))
    assert len(files) == 40
    for name in files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_every_generated_article_parses_with_its_fields(tmp_path: Path) -> None:
    generator().generate(tmp_path, count=60, seed=3)
    for path in tmp_path.rglob("*.txt"):
        article = parse_file_bytes(path.read_bytes())
        assert article.dateline
        assert article.source
        assert article.year is not None
        assert 8 <= len(article.paragraphs) <= 40
        assert 500 <= article.word_count <= 800
