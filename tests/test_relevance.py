"""A relevance test set: generated articles whose right order is known in advance, and the
judged corpus of `bench/relevance_corpus.py` with its 40 queries (`bench/relevance.jsonl`)."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from app.search import relevance_order, render
from app.store.models import Article
from tests.conftest import Ingest, caught_up
from tests.factories import ArticleText
from tests.live import ROOT, live_server

FILLER_WORDS = [
    "council",
    "budget",
    "river",
    "harbour",
    "station",
    "market",
    "school",
    "weather",
    "museum",
    "bridge",
    "hospital",
    "railway",
    "festival",
    "library",
    "airport",
    "stadium",
    "factory",
    "election",
    "court",
    "police",
]


@pytest.fixture
def ids(ingest: Ingest, tmp_path: Path) -> dict[str, int]:
    """Forty filler articles and the targets each test looks for; name -> id."""
    for number in range(40):
        words = [FILLER_WORDS[(number + k) % len(FILLER_WORDS)] for k in range(6)]
        ArticleText(
            title=f"Filler {number}: the {words[0]} and the {words[1]}",
            paragraphs=[f"Residents spoke about the {' and the '.join(words)} on day {number}."],
        ).write(tmp_path, f"filler-{number:02}.txt")
    targets = {
        "name_in_title": ArticleText(
            title="Okonkwo wins the regional vote",
            paragraphs=["The count ended late.", "Turnout was high in the north."],
        ),
        "name_in_body": ArticleText(
            title="Regional vote count ends",
            paragraphs=["The count ended late.", "Observers said Okonkwo was ahead early on."],
        ),
        "phrase": ArticleText(
            title="Transport report",
            paragraphs=["The minister promised a new tidal barrier for the estuary."],
        ),
        "scattered": ArticleText(
            title="Coastal notes",
            paragraphs=[
                "A tidal surge hit the estuary on Monday.",
                "Officials will review every barrier on the coast over the next decade.",
            ],
        ),
        "older": ArticleText(
            title="Glacier retreat measured",
            paragraphs=["Scientists measured the glacier again."],
            copyright="Copyright © 2019, Example Wire. All rights reserved.",
        ),
        "newer": ArticleText(
            title="Glacier retreat measured",
            paragraphs=["Scientists measured the glacier again."],
            copyright="Copyright © 2024, Example Wire. All rights reserved.",
        ),
    }
    for name, article in targets.items():
        article.write(tmp_path, f"{name}.txt")
    report = ingest(tmp_path)
    assert report.ok
    assert not report.duplicates
    with Session(ingest.engine) as session:
        by_path = {Path(row.source_path).stem: row.id for row in session.exec(select(Article))}
    return {name: by_path[name] for name in targets}  # type: ignore[misc]


def ranked_items(client: TestClient, q: str, **params: Any) -> list[dict[str, Any]]:
    response = client.get("/v1/search", params={"q": q, "limit": 100, **params})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def ranked(client: TestClient, q: str, **params: Any) -> list[int]:
    return [item["id"] for item in ranked_items(client, q, **params)]


def test_a_name_in_the_headline_beats_the_same_name_once_in_the_body(
    client: TestClient, ids: dict[str, int]
) -> None:
    assert ranked(client, "Okonkwo")[:2] == [ids["name_in_title"], ids["name_in_body"]]


def test_an_exact_phrase_beats_the_same_words_scattered(
    client: TestClient, ids: dict[str, int]
) -> None:
    assert ranked(client, "tidal barrier estuary")[:2] == [ids["phrase"], ids["scattered"]]
    assert ranked(client, "tidal barrier")[:2] == [ids["phrase"], ids["scattered"]]


def test_exclusions_hold_whatever_the_score(client: TestClient, ids: dict[str, int]) -> None:
    hits = ranked(client, "tidal -minister")
    assert ids["phrase"] not in hits
    assert ids["scattered"] in hits


def test_equal_scores_go_to_the_most_recent(client: TestClient, ids: dict[str, int]) -> None:
    assert ranked(client, "glacier") == [ids["newer"], ids["older"]]


def paged(client: TestClient, q: str, *, limit: int) -> list[int]:
    """The ids of every hit, following ``next`` from the first page of ``limit`` to the last."""
    ids: list[int] = []
    response = client.get("/v1/search", params={"q": q, "limit": limit})
    while True:
        body = response.json()
        ids.extend(item["id"] for item in body["items"])
        if body["next"] is None:
            return ids
        response = client.get(body["next"])


def test_relevance_pages_follow_the_same_order(client: TestClient, ids: dict[str, int]) -> None:
    assert paged(client, "the", limit=7) == ranked(client, "the")


@pytest.fixture
def tied(ingest: Ingest, tmp_path: Path) -> None:
    """60 articles that score exactly alike for `harbour` (same lengths, one mention each), in
    many years and none: only the tie-break (year, then id) orders them."""
    folder = tmp_path / "tied"
    for number in range(60):
        year = None if number % 7 == 0 else 2015 + number % 5
        ArticleText(
            title=f"Report w{number:03}",
            paragraphs=[f"The harbour stayed quiet on day w{number:03} of the season."],
            dateline=None,
            copyright=f"Copyright © {year}, ABC Audio. All rights reserved." if year else None,
        ).write(folder, f"{number:03}.txt")
    ingest(folder)


def reference(engine: Engine, word: str) -> list[int]:
    """The documented order of articles that tie on score: the most recent year first (no year
    last), then the highest id."""
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT id FROM article WHERE lower(body) LIKE :word"
                " ORDER BY coalesce(year, 0) DESC, id DESC"
            ),
            {"word": f"%{word.lower()}%"},
        )
        return [row[0] for row in rows]


@pytest.mark.parametrize("margin", [0, 1, 16])
@pytest.mark.parametrize("limit", [1, 7, 20, 100])
def test_ranking_is_exact_across_ties(
    client: TestClient,
    engine: Engine,
    tied: None,
    monkeypatch: pytest.MonkeyPatch,
    margin: int,
    limit: int,
) -> None:
    # The engine's top-k must give the order of the full ranking, page after page, whether its
    # margin suffices or it fetches more.
    monkeypatch.setattr(relevance_order, "TIE_MARGIN", margin)
    expected = reference(engine, "harbour")
    assert len(expected) == 60
    assert paged(client, "harbour", limit=limit) == expected
    # ... and the hits really do tie: the years and ids are what orders them
    assert len({item["score"] for item in ranked_items(client, "harbour")}) == 1


@pytest.fixture
def near_and_far(ingest: Ingest, tmp_path: Path) -> dict[str, list[int]]:
    """Articles holding `tidal` and `barrier`: ones with each word twice, far apart (the best
    BM25), and longer ones with them once, as a phrase (a lower BM25); kind -> ids."""
    folder = tmp_path / "near-and-far"
    filler = "Crews checked gauges along the shore while the council met to plan the works."
    for number in range(6):
        ArticleText(
            title=f"Coast note {number}",
            paragraphs=[
                f"The tidal flats and tidal pools. {filler} Engineers inspected a barrier and "
                "then a second barrier."
            ],
        ).write(folder, f"far-{number}.txt")
    for number in range(6):
        ArticleText(
            title=f"Estuary works {number}",
            paragraphs=[
                *([filler] * (2 + number // 3)),
                "The tidal barrier closed at noon.",
            ],
        ).write(folder, f"phrase-{number}.txt")
    ingest(folder)
    with Session(ingest.engine) as session:
        rows = session.exec(select(Article)).all()
    return {
        kind: [row.id for row in rows if Path(row.source_path).stem.startswith(kind)]  # type: ignore[misc]
        for kind in ("far", "phrase")
    }


def test_words_together_reorder_the_best_hits_only(
    client: TestClient, near_and_far: dict[str, list[int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    far, phrase = set(near_and_far["far"]), set(near_and_far["phrase"])
    # A window of four: the four best by BM25 (articles with the words far apart) stay first;
    # past them, BM25 alone orders, so the phrases stay behind the other two.
    monkeypatch.setattr(render, "PROXIMITY_WINDOW", 4)
    order = ranked(client, "tidal barrier")
    assert set(order[:6]) == far
    assert set(order[6:]) == phrase
    # Pages cross the window's end without repeating or skipping a hit.
    for limit in (1, 3, 4, 5):
        assert paged(client, "tidal barrier", limit=limit) == order
    # Every hit in the window (responses are kept: another limit asks anew): phrases first.
    monkeypatch.undo()
    assert set(ranked(client, "tidal barrier", limit=50)[:6]) == phrase


def test_an_article_changed_between_pages_lets_no_hit_into_the_window(
    client: TestClient,
    ingest: Ingest,
    near_and_far: dict[str, list[int]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The window: the six articles with the words far apart; the best phrase comes next, and
    # would outscore them all with the second phase.
    monkeypatch.setattr(render, "PROXIMITY_WINDOW", 6)
    order = ranked(client, "tidal barrier")
    assert set(order[:6]) == set(near_and_far["far"])
    first = client.get("/v1/search", params={"q": "tidal barrier", "limit": 2}).json()
    # An article of the window not yet served changes: later pages leave it out, and the
    # phrase below the window must not take its place among the hits already served.
    changed = order[3]
    with Session(ingest.engine) as session:
        article = session.get(Article, changed)
        assert article is not None
        path = Path(article.source_path)
    path.write_text(path.read_text() + "\nThe tide turned by evening.\n")
    assert ingest(path.parent).ok
    caught_up(client.app.state.search_index, ingest.engine)  # type: ignore[attr-defined]
    seen = [item["id"] for item in first["items"]]
    following = first["next"]
    while following is not None:
        body = client.get(following).json()
        seen += [item["id"] for item in body["items"]]
        following = body["next"]
    assert seen == [id for id in order if id != changed]


def bench_module(name: str) -> ModuleType:
    """A script of bench/ (no package), loaded by its path."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", ROOT / "bench" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


relevance = bench_module("relevance")
relevance_corpus = bench_module("relevance_corpus")
JUDGMENTS = ROOT / "bench" / "relevance.jsonl"


@pytest.fixture
def judged_corpus(ingest: Ingest, tmp_path: Path) -> set[str]:
    """The judged corpus in the store; the slugs it was given."""
    written = relevance_corpus.write_corpus(tmp_path / "corpus")
    report = ingest(tmp_path / "corpus")
    assert report.ok
    with Session(ingest.engine) as session:
        slugs = set(session.exec(select(Article.slug)))
    assert len(slugs) == written
    return slugs


def test_the_judged_queries_find_what_a_reader_wants_first(
    client: TestClient, judged_corpus: set[str]
) -> None:
    judgments = relevance.read_judgments(JUDGMENTS)
    assert len(judgments) == 40
    named = {slug for j in judgments for slug in (*j.first, *j.top5, *j.not_top)}
    assert named <= judged_corpus, f"judged articles not in the corpus: {named - judged_corpus}"

    def search(params: dict[str, Any]) -> dict[str, Any]:
        response = client.get("/v1/search", params=params)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    outcomes = relevance.evaluate(judgments, search)
    assert not [outcome for outcome in outcomes if outcome.misses], relevance.report(outcomes)


def test_the_corpus_is_the_same_on_every_run(tmp_path: Path) -> None:
    relevance_corpus.write_corpus(tmp_path / "a")
    relevance_corpus.write_corpus(tmp_path / "b")
    first = {path.name: path.read_bytes() for path in (tmp_path / "a").iterdir()}
    assert first == {path.name: path.read_bytes() for path in (tmp_path / "b").iterdir()}
    assert len(first) >= 300


def body_of(*slugs: str, did_you_mean: str | None = None) -> dict[str, Any]:
    return {"items": [{"slug": slug} for slug in slugs], "did_you_mean": did_you_mean}


def test_precision_counts_the_first_hit_and_the_relevant_share_of_five() -> None:
    judgment = relevance.Judgment(query="q", first=("a",), top5=("a", "b"), not_top=("x",), k=2)
    right = relevance.judge(judgment, body_of("a", "c", "b", "x"))
    assert (right.at_1, right.at_5, right.misses) == (1.0, 1.0, [])
    wrong = relevance.judge(judgment, body_of("x", "a", "c", "d", "e", "b"))
    assert (wrong.at_1, wrong.at_5) == (0.0, 0.5)
    assert wrong.misses == [
        "#1 is x",
        "b not in the top 5",
        "x at #1, not wanted in the top 2",
    ]
    empty = relevance.judge(judgment, body_of())
    assert (empty.at_1, empty.at_5) == (0.0, 0.0)
    outcomes = [right, wrong, empty]
    assert relevance.report(outcomes).splitlines()[:3] == [
        "queries: 3, passing: 1",
        "P@1: 0.333",
        "P@5: 0.500",
    ]


def test_a_suggestion_is_judged_when_one_is_expected() -> None:
    judgment = relevance.Judgment(query="goverment", did_you_mean="government")
    assert relevance.judge(judgment, body_of(did_you_mean="government")).misses == []
    missed = relevance.judge(judgment, body_of("governess"))
    assert missed.misses == ["did_you_mean is None, not 'government'"]
    assert (missed.at_1, missed.at_5) == (None, None)


@pytest.mark.parametrize(
    "line",
    [
        "not json",
        '{"first": ["a"]}',
        '{"query": "q", "first": "a", "rank": 1}',
        '{"query": "q", "k": 0}',
        "[1, 2]",
    ],
)
def test_a_line_that_is_no_judgment_is_named(tmp_path: Path, line: str) -> None:
    path = tmp_path / "judgments.jsonl"
    path.write_text(f"# a comment\n\n{json.dumps({'query': 'fine'})}\n{line}\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"judgments\.jsonl:4: "):
        relevance.read_judgments(path)


@pytest.mark.sqlite_only  # the script speaks HTTP: the store behind the server is not its concern
def test_the_script_prints_precision_and_misses_of_a_live_server(
    database_url: str, seeded: object, tmp_path: Path
) -> None:
    seed = "ukraine-france-discussing-allied-troop-deployment-to-country-zelenskyy-says"
    judgments = tmp_path / "judgments.jsonl"
    judgments.write_text(
        f'{{"query": "Macron", "first": ["{seed}"]}}\n'
        f'{{"query": "troops", "params": {{"source": "ABC Audio"}}, "not_top": ["{seed}"]}}\n',
        encoding="utf-8",
    )
    with live_server(database_url, BYLINE_INGEST_ON_START="false") as base:
        run = subprocess.run(
            [sys.executable, "bench/relevance.py", "--url", base, "--judgments", str(judgments)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert run.returncode == 1, run.stderr
    assert run.stdout.splitlines() == [
        "queries: 2, passing: 1",
        "P@1: 1.000",
        "P@5: 1.000",
        f"MISS troops source=ABC Audio: {seed} at #1, not wanted in the top 5",
    ]
