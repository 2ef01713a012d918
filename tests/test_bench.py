"""The benchmark's scripts: the corpus generator is deterministic and every file it writes
ingests; the engine's ceiling counts what the query matches; the page's benchmark times the
search page beside the JSON search."""

import importlib.util
import json
import re
import shutil
import sqlite3
import sys
from pathlib import Path
from types import ModuleType

import pytest
from sqlmodel import Session

from app.ingestion.formats.readers import read_text
from app.ingestion.run import ingest_paths
from app.store.api_keys import KeyScope, create_api_key
from app.store.database import create_db_engine
from tests.live import ROOT


def bench_module(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[f"bench_{name}"] = module
    spec.loader.exec_module(module)
    return module


def generator() -> ModuleType:
    return bench_module("generate")


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
        [record] = read_text(path.read_bytes())
        article = record.article
        assert article is not None
        assert article.dateline
        assert article.source
        assert article.year is not None
        assert 8 <= len(article.paragraphs) <= 40
        assert 500 <= article.word_count <= 800


def generated_store(tmp_path: Path, migrated_template: Path) -> Path:
    """A SQLite store holding 30 generated articles."""
    generator().generate(tmp_path / "corpus", count=30, seed=5)
    store = tmp_path / "store.db"
    shutil.copyfile(migrated_template, store)
    engine = create_db_engine(f"sqlite:///{store}", writer=True)
    ingest_paths(engine, [tmp_path / "corpus"])
    engine.dispose()
    return store


def test_the_engine_ceiling_builds_the_index_and_counts_the_articles_with_both_words(
    tmp_path: Path, migrated_template: Path
) -> None:
    spec = importlib.util.spec_from_file_location("bench_engine", ROOT / "bench" / "engine.py")
    assert spec is not None
    assert spec.loader is not None
    engine_bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(engine_bench)
    store = generated_store(tmp_path, migrated_template)
    index, built = engine_bench.build(store, tmp_path / "index")
    assert built.documents == 30
    assert built.megabytes > 0
    with sqlite3.connect(store) as connection:
        texts = connection.execute("SELECT title || ' ' || body FROM article").fetchall()
    both = sum({"the", "said"} <= set(re.findall(r"\w+", text.lower())) for (text,) in texts)
    [timed] = engine_bench.timed(index, ["the said"], runs=5)
    assert timed.count == both > 0
    assert 0 <= timed.p50_ms <= timed.p99_ms


def test_two_runs_are_compared_row_by_row() -> None:
    compared = bench_module("compare").compared
    before = (
        "| ingestion | seconds | peak RSS MB |\n|---|---|---|\n| byline ingest | 100.0 | 200 |\n\n"
        "| work | server | req/s | p50 ms | p99 ms |\n|---|---|---|---|---|\n"
        "| article by id | Byline | 1,000 | 1.00 | 4.00 |\n"
        "| first page | Byline | 500 (2 errors) | 2.00 | 8.00 |\n"
    )
    after = before.replace("100.0", "110.0").replace("1,000", "1,500").replace("8.00", "4.00")
    lines = compared(before, after)
    assert "| byline ingest | 100.0 | 110.0 | 1.10 | 200 | 200 |" in lines
    assert "| article by id | Byline | 1,000 | 1,500 | 1.50 | 4.00 | 4.00 | 1.00 |" in lines
    assert (
        "| first page | Byline | 500 (2 errors) | 500 (2 errors) | 1.00 | 8.00 | 4.00 | 0.50 |"
        in lines
    )


def test_the_page_bench_times_each_query_as_json_with_facets_and_as_the_page(
    tmp_path: Path, migrated_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.syspath_prepend(str(ROOT / "bench"))  # its `from run import ...`
    page = bench_module("page")
    generator().generate(tmp_path / "texts", count=30, seed=5)
    page.write_dated(tmp_path / "texts", tmp_path / "dated", seed=5)
    [written] = (tmp_path / "dated").glob("*.jsonl")
    records = [json.loads(line) for line in written.read_text().splitlines()]
    assert len(records) == 30
    assert all(
        record["published_at"] and record["authors"] and record["tags"] for record in records
    )
    store, index = tmp_path / "store.db", tmp_path / "index"
    shutil.copyfile(migrated_template, store)
    page.built_store(tmp_path / "dated", store, index)
    queries = {"common word": {"q": "the"}, "with a filter": {"q": "the", "source": "Reuters"}}
    found = page.measure(page.store_settings(store, index), queries, rounds=3)
    assert set(found) == {(name, kind) for name in queries for kind in page.KINDS}
    assert found[("common word", page.JSON)].total == 30
    assert 0 < found[("with a filter", page.JSON)].total < 30
    for timings in found.values():
        assert len(timings.wall) == len(timings.cpu) == 3
        assert min(timings.wall) > 0
        assert timings.body_bytes > 0
    lines = page.table(found, queries)
    assert [line.split(" | ")[1] for line in lines[2:4]] == [
        "30",
        str(found[("with a filter", page.JSON)].total),
    ]
    assert lines[-1].startswith("Issue #25's bar")
    by_step = page.steps(page.store_settings(store, index), queries, rounds=2)
    assert set(by_step["common word"]) == {*page.STEPS, "rest"}
    assert min(by_step["common word"]["search"]) > 0
    assert min(by_step["common word"]["facets (their own thread)"]) > 0
    assert min(by_step["common word"]["template"]) > 0


def test_the_serving_instructions_loads_are_answered_through_the_server_protocol(
    tmp_path: Path, migrated_template: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The process callgrind runs, without callgrind (minutes long under it): each setting's
    # loads go through the server's protocol, and each answer is a 200.
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    measured = bench_module("serving_instructions")
    store = generated_store(tmp_path, migrated_template)
    engine = create_db_engine(f"sqlite:///{store}", writer=True)
    with Session(engine) as session:
        key, _ = create_api_key(session, name="bench", scope=KeyScope.READ, rate_per_minute=None)
        session.commit()
    engine.dispose()
    variants = measured.variants()
    plan = {
        "database": str(store),
        "key": key,
        "requests": 3,
        "paths": {"article": ["/v1/articles/1", "/v1/articles/2"], "page": ["/v1/articles"]},
        "variants": {name: variants[name] for name in ("all off", "all on")},
    }
    measured.measure(plan)


def test_the_serving_instructions_table_shows_each_features_share() -> None:
    table = bench_module("serving_instructions").table
    counts = {
        ("all off", "kept article"): 100_000.0,
        ("all off", "kept first page of 20"): 120_000.0,
        ("all on", "kept article"): 150_000.0,
        ("all on", "kept first page of 20"): 150_000.0,
        ("all on but metrics", "kept article"): 140_000.0,
        ("all on but metrics", "kept first page of 20"): 145_000.0,
    }
    lines = table(counts)
    assert "| all on | 150,000 (+50% of all off) | 150,000 (+25% of all off) |" in lines
    shares = "140,000 (its share +10,000) | 145,000 (its share +5,000)"
    assert f"| all on but metrics | {shares} |" in lines
