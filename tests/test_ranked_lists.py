"""Ranked lists of the words in many articles (app/impacts.py): a search answered from a list must
be the search that scores every match, page for page, as the store changes."""

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session

from app import impacts
from app.database import create_db_engine
from app.ingest import ingest_paths
from app.query import AtomKind, ParsedQuery, Term
from app.search import fts
from app.store import ArticleFilters
from tests.factories import ArticleText

pytestmark = pytest.mark.sqlite_only

WORDS = ["harbour", "minister", "storm", "bridge", "council", "market"]
# A list holds the best K articles of a word: small here, so that pages run past it.
K = 4


@pytest.fixture(autouse=True)
def small_lists(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lists for every word in two articles or more, each exact for its best ``K``; matches
    read three at a time, and the candidates cut after each read."""
    monkeypatch.setattr(impacts, "MIN_DOCUMENTS", 2)
    monkeypatch.setattr(impacts, "K", K)
    monkeypatch.setattr(impacts, "_CHUNK", 3)
    monkeypatch.setattr(impacts, "_CANDIDATES", 0)


class Listed:
    """Counts the searches a list answered."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        ranked = impacts.ranked_from_list

        def counting(*args: Any, **kwargs: Any) -> Any:
            answer = ranked(*args, **kwargs)
            self.count += answer is not None
            return answer

        monkeypatch.setattr(fts, "ranked_from_list", counting)


def pages(engine: Engine, word: str, limit: int) -> list[tuple[Any, ...]]:
    """Every page of the one-word search ``word``: (ids, scores, total) of each."""
    query = ParsedQuery(Term(AtomKind.WORD, word))
    answers: list[tuple[Any, ...]] = []
    cursor: str | None = None
    with Session(engine) as session:
        while True:
            page = fts.search_articles(
                session, query=query, filters=ArticleFilters(), limit=limit, cursor=cursor
            )
            answers.append(
                (
                    [hit.article["id"] for hit in page.items],
                    [hit.score for hit in page.items],
                    page.total,
                )
            )
            cursor = page.next_cursor
            if cursor is None:
                return answers


def unlisted(engine: Engine, word: str, limit: int) -> list[tuple[Any, ...]]:
    """The same pages with the lists out of use: every match scored."""
    with engine.begin() as connection:
        covered = connection.exec_driver_sql("SELECT covered FROM term_impact_state").scalar()
        connection.exec_driver_sql("UPDATE term_impact_state SET covered = -1")
    try:
        return pages(engine, word, limit)
    finally:
        with engine.begin() as connection:
            connection.exec_driver_sql("UPDATE term_impact_state SET covered = ?", (covered,))


def article(number: int, words: list[str], title_words: list[str], filler: int) -> ArticleText:
    return ArticleText(
        title=" ".join([f"Report {number}", *title_words]),
        paragraphs=[" ".join([*words, *(["quiet"] * filler)]) + "."],
        copyright="Copyright © 2024, ABC Audio. All rights reserved.",
    )


@pytest.fixture
def fresh_store(migrated_template: Path, tmp_path: Path) -> Iterator[Any]:
    """A function making an empty SQLite store of its own for each example."""
    engines: list[Engine] = []

    def make(name: str) -> Engine:
        path = tmp_path / f"{name}.db"
        shutil.copyfile(migrated_template, path)
        engines.append(create_db_engine(f"sqlite:///{path}", writer=True))
        return engines[-1]

    yield make
    for engine in engines:
        engine.dispose()


ARTICLES = st.lists(
    st.tuples(
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=8),
        st.lists(st.sampled_from(WORDS), max_size=2),
        st.integers(min_value=0, max_value=12),
    ),
    min_size=3,
    max_size=14,
)


# The fixtures are the same for every example: the lists' sizes, and a maker of new stores.
@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corpus=ARTICLES, word=st.sampled_from(WORDS), limit=st.integers(1, K - 1))
def test_a_list_answers_as_scoring_every_match(
    corpus: list[tuple[list[str], list[str], int]],
    word: str,
    limit: int,
    fresh_store: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    folder = tmp_path_factory.mktemp("corpus")
    for number, (words, title_words, filler) in enumerate(corpus):
        article(number, words, title_words, filler).write(folder, f"{number:02}.txt")
    engine = fresh_store(folder.name)
    ingest_paths(engine, [folder])
    with pytest.MonkeyPatch.context() as patch:
        listed = Listed(patch)
        assert pages(engine, word, limit) == unlisted(engine, word, limit)
    holders = sum(word in words or word in title_words for words, title_words, _ in corpus)
    if holders >= impacts.MIN_DOCUMENTS:
        assert listed.count > 0  # the first page at least came from the list


def test_lists_follow_the_store(
    fresh_store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Added articles are merged into the lists; a changed one is merged again, and the lists a
    changed or deleted one was in are built again; between a change and the next refresh,
    searches score every match."""
    folder = tmp_path / "corpus"
    for number in range(6):
        words = ["harbour"] * (number % 3 + 1) + ["storm"] * (number % 2)
        article(number, words, ["harbour"] if number == 4 else [], number).write(
            folder, f"{number:02}.txt"
        )
    engine = fresh_store("follow")
    ingest_paths(engine, [folder])
    listed = Listed(monkeypatch)

    def same() -> None:
        for limit in (1, 2, 3):
            for word in ("harbour", "storm"):
                assert pages(engine, word, limit) == unlisted(engine, word, limit)

    same()
    assert listed.count > 0

    for number in range(6, 10):  # merged into the lists
        article(number, ["harbour"] * 4, [], number).write(folder, f"{number:02}.txt")
    ingest_paths(engine, [folder])
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT covered FROM term_impact_state").scalar() == 10
    same()

    article(0, ["storm"], ["storm"], 0).write(folder, "00.txt")  # changed
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE article SET body = body || ' harbour' WHERE id = 2")
        waiting = connection.exec_driver_sql("SELECT id FROM term_impact_changed").scalars()
        assert sorted(waiting) == [2]
    before = listed.count
    pages(engine, "harbour", 2)
    assert listed.count == before  # while an article waits, no list is read

    (folder / "03.txt").unlink()
    ingest_paths(engine, [folder], prune=True)
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT covered FROM term_impact_state").scalar() == 10
    same()
    assert listed.count > before


def test_lists_built_with_other_constants_are_built_again(
    fresh_store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Lists recorded as built with other weights or depth are not read; the next ingestion,
    even one that changes nothing, builds them again."""
    folder = tmp_path / "corpus"
    for number in range(5):
        article(number, ["harbour"] * (number + 1), [], number).write(folder, f"{number:02}.txt")
    engine = fresh_store("constants")
    ingest_paths(engine, [folder])
    listed = Listed(monkeypatch)
    pages(engine, "harbour", 2)
    read = listed.count
    assert read > 0
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE term_impact_state SET built_with = '{\"k\": 7}'")
    assert impacts.impacts_behind(engine)
    pages(engine, "harbour", 2)
    assert listed.count == read  # not read

    ingest_paths(engine, [folder])  # every file unchanged
    assert not impacts.impacts_behind(engine)
    assert pages(engine, "harbour", 2) == unlisted(engine, "harbour", 2)
    assert listed.count > read


def test_a_list_no_new_article_holds_is_left_as_it_is(
    fresh_store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Merging articles that do not hold a word neither reads nor rewrites its list; its number
    of articles stays right."""
    folder = tmp_path / "corpus"
    for number in range(4):
        article(number, ["harbour", "storm"], [], number).write(folder, f"{number:02}.txt")
    engine = fresh_store("untouched")
    ingest_paths(engine, [folder])
    merged: list[int] = []
    band = impacts.skyband

    def counted(found: list[impacts.Impact]) -> list[impacts.Impact]:
        merged.append(len(found))
        return band(found)

    monkeypatch.setattr(impacts, "skyband", counted)
    article(4, ["storm"], [], 0).write(folder, "04.txt")
    ingest_paths(engine, [folder])
    # Of the four lists (harbour, storm, and quiet and report from the filler and titles), the
    # new article holds storm and report.
    assert len(merged) == 2
    with engine.connect() as connection:
        documents = dict(
            connection.exec_driver_sql("SELECT term, documents FROM term_impact_term").all()
        )
    assert documents["harbour"] == 4
    assert documents["storm"] == 5
    for word in ("harbour", "storm"):
        assert pages(engine, word, 2) == unlisted(engine, word, 2)


EDITS = st.lists(
    st.tuples(
        st.sampled_from(["change", "delete", "add"]),
        st.integers(min_value=0, max_value=13),
        st.lists(st.sampled_from(WORDS), min_size=1, max_size=8),
        st.integers(min_value=0, max_value=12),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(corpus=ARTICLES, edits=EDITS, limit=st.integers(1, K - 1))
def test_lists_follow_changes_and_deletions(
    corpus: list[tuple[list[str], list[str], int]],
    edits: list[tuple[str, int, list[str], int]],
    limit: int,
    fresh_store: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Files changed, deleted and added between two ingestions: the lists a changed or deleted
    article was in are built again, the others merge what changed; every word's pages are those
    of scoring every match."""
    folder = tmp_path_factory.mktemp("corpus")
    for number, (words, title_words, filler) in enumerate(corpus):
        article(number, words, title_words, filler).write(folder, f"{number:02}.txt")
    engine = fresh_store(folder.name)
    ingest_paths(engine, [folder])
    for action, number, words, filler in edits:
        file = folder / f"{number:02}.txt"
        if action == "delete":
            file.unlink(missing_ok=True)
        elif action == "change" or not file.exists():
            article(number, words, words[:1], filler).write(folder, file.name)
    ingest_paths(engine, [folder], prune=True)
    assert not impacts.impacts_behind(engine)
    with pytest.MonkeyPatch.context() as patch:
        listed = Listed(patch)
        for word in WORDS:
            assert pages(engine, word, limit) == unlisted(engine, word, limit)
    with engine.connect() as connection:
        holders = dict(
            connection.exec_driver_sql(
                "SELECT term, count(DISTINCT doc) FROM article_fts_instances GROUP BY term"
            ).all()
        )
    if any(holders.get(impacts.index_term(word), 0) >= impacts.MIN_DOCUMENTS for word in WORDS):
        assert listed.count > 0


def test_a_changed_article_joins_the_lists_of_the_terms_fts5_gives_it(
    fresh_store: Any, tmp_path: Path
) -> None:
    """The words of a changed article are those FTS5 makes of it: Yoruba's combining marks stay
    inside a word (``Ọ̀yọ́`` is indexed as ``oyo``), where Python's idea of a word would cut."""
    folder = tmp_path / "corpus"
    article(0, ["storm"], [], 3).write(folder, "00.txt")
    for number in range(1, 6):
        article(number, ["oyo"], [], number).write(folder, f"{number:02}.txt")
    engine = fresh_store("marks")
    ingest_paths(engine, [folder])
    article(0, ["\u1ecc\u0300y\u1ecd\u0301"] * 8, [], 0).write(folder, "00.txt")
    ingest_paths(engine, [folder])
    assert not impacts.impacts_behind(engine)
    assert pages(engine, "oyo", 1) == unlisted(engine, "oyo", 1)
    assert pages(engine, "oyo", 1)[0][0] == [1]  # the changed article, first


def test_a_list_that_failed_its_check_takes_no_changed_article(
    fresh_store: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When a score fails the check the term has no list, and the changed articles merged after
    do not start a partial one."""
    folder = tmp_path / "corpus"
    for number in range(8):
        words = ["harbour"] * 3 if number < 5 else ["storm"]
        article(number, words, [], number).write(folder, f"{number:02}.txt")
    engine = fresh_store("check")
    ingest_paths(engine, [folder])
    for number in (5, 6, 7):  # changed: they hold harbour now
        article(number, ["harbour"], [], 20).write(folder, f"{number:02}.txt")
    article(8, ["harbour"], ["harbour"], 0).write(folder, "08.txt")  # new, weighted count 6
    real = impacts.bm25

    def wrong_for_headlines(weighted: float, length: int, **kwargs: float) -> float:
        return real(weighted, length, **kwargs) + (1.0 if weighted >= 5 else 0.0)

    with monkeypatch.context() as patch:  # the new article's score fails the check
        patch.setattr(impacts, "bm25", wrong_for_headlines)
        ingest_paths(engine, [folder])
    with engine.connect() as connection:
        assert not connection.exec_driver_sql(
            "SELECT count(*) FROM term_impact WHERE term = 'harbour'"
        ).scalar()
    assert pages(engine, "harbour", 2) == unlisted(engine, "harbour", 2)
