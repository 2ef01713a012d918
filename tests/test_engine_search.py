"""The search index answering searches: the query language rendered as engine queries, filters,
exact facets over several segments, cursors that hold while articles are added, and no query
that makes the engine fail."""

import threading
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import tantivy
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, text

from app.api.app import create_app
from app.ingestion.run import ingest_paths
from app.search import page_cursor, relevance_order, render
from app.search.facets import FacetCounting
from app.search.language import parse_query
from app.search.query_tree import Column
from app.search.schema import article_document, facet_field, open_index
from app.settings import Settings
from app.store.cursors import Cursor
from app.store.database import create_db_engine, migrate
from app.store.filters import ArticleFilters, Facet
from tests.conftest import SEEDS, CaughtUpClient, Ingest, caught_up
from tests.factories import ArticleText, generated_article

ARTICLES: dict[int, dict[str, Any]] = {
    1: {"title": "Macron visits Berlin", "body": "The president met the chancellor on trade."},
    2: {"title": "Leaders meet", "body": "Leaders gathered.\nMacron spoke briefly at the end."},
    3: {"title": "E-mail outage", "body": "An e-mail server failed; mail was late."},
    4: {
        "title": "Deployment of troops",
        "body": "The deployment was announced by Zelenskyy's office.",
    },
    5: {"title": "Harbour works", "body": "Dredging of the harbour began near Jean-Luc's boat."},
}
PLACES = {1: ("Reuters", "BERLIN", ["corrected"], 2024), 2: ("ABC Audio", None, [], None)}


@pytest.fixture(scope="module")
def searcher(tmp_path_factory: pytest.TempPathFactory) -> tantivy.Searcher:
    """An index of ``ARTICLES`` made straight from their documents."""
    index = open_index(tmp_path_factory.mktemp("render"))
    writer = index.writer(15_000_000, 1)
    for number, article in ARTICLES.items():
        source, dateline, labels, year = PLACES.get(number, ("AP", "LONDON", [], 2020 + number))
        writer.add_document(
            article_document(
                {
                    "id": number,
                    **article,
                    "source": source,
                    "dateline": dateline,
                    "labels": labels,
                    "year": year,
                    "published_at": datetime(2020 + number, 6, 1, tzinfo=UTC),
                },
                change=number,
            )
        )
    writer.commit()
    index.reload()
    return index.searcher()


def found(searcher: tantivy.Searcher, q: str, *columns: Column) -> set[int]:
    query = render.ranked(parse_query(q), columns=columns)
    if query is None:
        return set()
    hits = searcher.search(query, 100).hits
    return {int(id or 0) for id in searcher.fast_field_values("id", [a for _, a in hits])}


@pytest.mark.parametrize(
    ("q", "ids"),
    [
        ("macron", {1, 2}),  # a word, in either column
        ("Macron Berlin", {1}),  # every word
        ("Berlin OR gathered", {1, 2}),  # either word
        ("macron -berlin", {2}),  # a word left out
        ("macron -(berlin OR trade)", {2}),  # a group left out
        ('macron -"met the chancellor"', {2}),  # a phrase left out
        ('"met the chancellor"', {1}),  # a phrase
        ('"chancellor met"', set()),  # in its order
        ("e-mail", {3}),  # a word cut in two terms is their phrase
        ("mail", {3}),
        ("Zelenskyy's", {4}),
        ("Jean-Luc", {5}),
        ("deploying", {4}),  # stemmed
        ("deploy*", {4}),  # a prefix on the words as written
        ("deployme*", {4}),  # a prefix stemming would hide
        ("jean-lu*", {5}),  # a prefix of several terms
        ("title:macron", {1}),
        ("body:macron", {2}),
        ("title:(macron OR harbour)", {1, 5}),
        ('body:"spoke briefly"', {2}),
        ("macron (berlin OR nowhere)", {1}),
        ("x" * 120, set()),  # a word longer than any indexed: nothing
        ("macron OR " + "x" * 120, {1, 2}),  # an option that is nowhere is dropped
        ("macron -" + "x" * 120, {1, 2}),  # as is an exclusion
    ],
)
def test_every_shape_of_the_query_language(
    searcher: tantivy.Searcher, q: str, ids: set[int]
) -> None:
    assert found(searcher, q) == ids


def test_search_in_limits_the_terms_without_a_column(searcher: tantivy.Searcher) -> None:
    assert found(searcher, "macron", Column.TITLE) == {1}
    assert found(searcher, "macron", Column.BODY) == {2}
    assert found(searcher, "body:macron", Column.TITLE) == {2}
    assert found(searcher, "macron", Column.TITLE, Column.BODY) == {1, 2}


def test_the_headline_weighs_more_and_words_together_score_more(
    searcher: tantivy.Searcher,
) -> None:
    query = render.ranked(parse_query("macron"))
    assert query is not None
    hits = searcher.search(query, 10).hits
    assert [int(i or 0) for i in searcher.fast_field_values("id", [a for _, a in hits])] == [1, 2]
    plain = render.matching(parse_query("spoke briefly"))
    assert plain is not None
    near = render.proximity(parse_query("spoke briefly"))
    together = tantivy.Query.boolean_query(
        [(render.Must, plain), *((render.Should, clause) for clause in near)]
    )
    assert searcher.search(together, 1).hits[0][0] > searcher.search(plain, 1).hits[0][0]


@pytest.mark.parametrize(
    ("filters", "ids"),
    [
        ({"source": ["reuters"]}, {1}),
        ({"source": ["ABC AUDIO", "Reuters"]}, {1, 2}),
        ({"source": ["Reut"]}, set()),  # whole values only
        ({"dateline": ["berlin"]}, {1}),
        ({"label": ["CORRECTED"]}, {1}),
        ({"year": [2024, 2023]}, {1, 3, 4}),
        ({"published_after": "2023-06-01"}, {3, 4, 5}),
        ({"published_before": "2023-06-01"}, {1, 2}),
        ({"published_after": "2022", "published_before": "2024-06-02"}, {2, 3, 4}),
    ],
)
def test_filters(searcher: tantivy.Searcher, filters: dict[str, Any], ids: set[int]) -> None:
    everything = render.matching(parse_query("the OR harbour OR leaders OR e-mail"))
    assert everything is not None
    query = render.filtered(everything, render.filter_conditions(ArticleFilters(**filters)))
    hits = searcher.search(query, 100).hits
    assert {int(i or 0) for i in searcher.fast_field_values("id", [a for _, a in hits])} == ids


def search(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@pytest.fixture
def index_client(settings: Settings) -> Iterator[TestClient]:
    """The app with the index answering searches; the tests catch it up themselves (its
    follower is stopped, so that each catch-up is the test's, in the batches it says)."""
    with TestClient(create_app(settings)) as client:
        client.app.state.index_follower.stop()  # type: ignore[attr-defined]
        yield client


@pytest.mark.sqlite_only
def test_a_word_inside_text_without_spaces_is_found_and_marked(
    index_client: TestClient, engine: Engine, ingest: Ingest, tmp_path: Path
) -> None:
    stories = {
        "china.txt": (
            "统计局公布数据",
            "中国国家统计局周一公布，第三季度国内生产总值同比增长百分之四点九。",
        ),
        "japan.txt": ("日銀が政策変更", "日本銀行は火曜日、マイナス金利政策の解除を決定した。"),
        "thai.txt": ("ฝนตกหนัก", "กรมอุตุนิยมวิทยาเตือนว่าจะมีฝนตกหนักในกรุงเทพมหานครสัปดาห์นี้"),
        "greece.txt": ("ΣΕΙΣΜΟΣ ΣΤΗΝ ΑΘΗΝΑ", "Ισχυρός σεισμός ταρακούνησε την Αθήνα το πρωί."),
    }
    for name, (title, story) in stories.items():
        (tmp_path / name).write_text(f"{title}\n\n{story}\n", encoding="utf-8")
    assert ingest(tmp_path).ok
    index_client.app.state.search_index.catch_up(engine)  # type: ignore[attr-defined]
    for word, headline, shown in (
        ("生产总值", "统计局公布数据", "生产总值"),
        ("金利", "日銀が政策変更", "金利"),
        ("กรุงเทพ", "ฝนตกหนัก", "กรุงเทพ"),
        # Greek accents and case folded both ways; the mark is on the word as written.
        ("Αθήνα", "ΣΕΙΣΜΟΣ ΣΤΗΝ ΑΘΗΝΑ", "Αθήνα"),
        ("σεισμος", "ΣΕΙΣΜΟΣ ΣΤΗΝ ΑΘΗΝΑ", "σεισμός"),
    ):
        body = search(index_client, q=word)
        assert [hit["title"] for hit in body["items"]] == [headline], word
        assert f"<mark>{shown}</mark>" in body["items"][0]["highlight"]["snippet"], word
    assert search(index_client, q="Zurich")["total"] == 0


@pytest.mark.sqlite_only  # the index's answers do not depend on the store behind it
def test_facets_are_exact_over_several_segments(
    index_client: TestClient, engine: Engine, ingest: Ingest, tmp_path: Path
) -> None:
    for number in range(150):
        article = generated_article(number)
        if number % 11 == 0:
            article.dateline = None  # some articles have none
        article.write(tmp_path, f"{number:04}.txt")
    assert ingest(tmp_path).ok
    index = index_client.app.state.search_index  # type: ignore[attr-defined]
    index.catch_up(engine, batch=13)  # a commit, and a segment, every 13 changes
    assert index.searcher().num_segments > 3
    body = search(index_client, q="harbour", facets="source,dateline,year", limit=1)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT source, dateline, year FROM article")).all()
    for position, facet in enumerate(("source", "dateline", "year")):
        counts = Counter(row[position] for row in rows)
        expected = sorted(counts.items(), key=lambda e: (-e[1], e[0] is not None, e[0] or 0))
        got = [(entry["value"], entry["count"]) for entry in body["facets"][facet]]
        assert got == expected, facet
    narrowed = search(index_client, q="harbour", facets="year", year=2019, limit=1)
    assert narrowed["facets"]["year"] == [{"value": 2019, "count": narrowed["total"]}]


class _HeldSearcher:
    """A searcher whose aggregations wait until the test lets them go, noting their thread."""

    def __init__(self, searcher: tantivy.Searcher) -> None:
        self.searcher = searcher
        self.go = threading.Event()
        self.started = threading.Event()
        self.threads: list[str] = []

    def aggregate(self, query: tantivy.Query, aggregations: dict[str, Any]) -> Any:
        self.threads.append(threading.current_thread().name)
        self.started.set()
        assert self.go.wait(timeout=10), "counted on the caller's thread: nothing let it go"
        return self.searcher.aggregate(query, aggregations)


def test_facets_are_counted_on_a_thread_of_their_own_from_the_start(
    searcher: tantivy.Searcher,
) -> None:
    held = _HeldSearcher(searcher)
    query = render.ranked(parse_query("Macron"))
    assert query is not None
    counting = FacetCounting(
        held,  # type: ignore[arg-type]
        query,
        [Facet.SOURCE, Facet.DATELINE],
        also={"months": {"terms": {"field": facet_field(Facet.SOURCE)}}},
    )
    # Made, and counting already, on another thread: the caller goes on with its page.
    held.started.wait(timeout=10)
    assert held.threads
    assert held.threads[0] != threading.current_thread().name
    held.go.set()
    counts, others = counting.result(total=2)
    assert counts is not None
    assert others is not None
    assert sum(count for _, count in counts["source"]) == 2
    assert set(others) == {"months"}


class _BoundedSearcher:
    """A searcher whose engine refuses the aggregation named ``months``, as it refuses one past
    its bounds on buckets."""

    def __init__(self, searcher: tantivy.Searcher) -> None:
        self.searcher = searcher

    def aggregate(self, query: tantivy.Query, aggregations: dict[str, Any]) -> Any:
        if "months" in aggregations:
            raise ValueError("Aborting aggregation because too many buckets were created")
        return self.searcher.aggregate(query, aggregations)


def test_facets_are_counted_without_the_others_past_the_engines_bounds(
    searcher: tantivy.Searcher,
) -> None:
    query = render.ranked(parse_query("Macron"))
    assert query is not None
    bounded = _BoundedSearcher(searcher)
    months = {"months": {"terms": {"field": facet_field(Facet.SOURCE)}}}
    counting = FacetCounting(bounded, query, [Facet.SOURCE], also=months)  # type: ignore[arg-type]
    counts, others = counting.result(total=2)
    assert counts is not None
    assert sum(count for _, count in counts["source"]) == 2
    assert others is None
    alone = FacetCounting(bounded, query, [], also=months)  # type: ignore[arg-type]
    assert alone.result(total=2) == (None, None)


@pytest.mark.sqlite_only
@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
def test_pages_neither_repeat_nor_skip_while_articles_are_added(
    index_client: TestClient, engine: Engine, ingest: Ingest, tmp_path: Path, sort: str
) -> None:
    for number in range(60):
        generated_article(number).write(tmp_path / "first", f"{number:04}.txt")
    assert ingest(tmp_path / "first").ok
    index = index_client.app.state.search_index  # type: ignore[attr-defined]
    caught_up(index, engine)
    whole = search(index_client, q="harbour", sort=sort, limit=100)
    assert whole["total"] == 60
    seen: list[int] = []
    body = search(index_client, q="harbour", sort=sort, limit=7)
    added = 60
    while True:
        assert body["total"] == 60
        seen += [item["id"] for item in body["items"]]
        if body["next_cursor"] is None:
            break
        # More articles that match, some of them newer and better than any seen, arrive
        # between two pages.
        for _ in range(5):
            ArticleText(
                title=f"Harbour harbour news {added}",
                paragraphs=[f"The harbour reopened, report {added}."],
                copyright=f"Copyright © {2030 + added % 3}, Reuters.",
            ).write(tmp_path / "later", f"{added}.txt")
            added += 1
        assert ingest(tmp_path / "later").ok
        caught_up(index, engine)
        body = search(index_client, q="harbour", sort=sort, limit=7, cursor=body["next_cursor"])
    assert seen == [item["id"] for item in whole["items"]]
    assert search(index_client, q="harbour")["total"] == added


@pytest.mark.parametrize("q", ["a" * 100 + "*", "x" * 101 + "*", "(((((a*", '"a b c d e f g h"~'])
def test_queries_at_the_edges_of_the_engine(engine_client: TestClient, q: str) -> None:
    response = engine_client.get("/v1/search", params={"q": q, "facets": "source,year"})
    assert response.status_code in (200, 400), response.text


@pytest.fixture(scope="module")
def engine_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """One app searching the index, on the seed and a few generated articles, for many
    generated requests."""
    url = f"sqlite:///{tmp_path_factory.mktemp('engine') / 'byline.db'}"
    migrate(url)
    folder = tmp_path_factory.mktemp("articles")
    for number in range(20):
        generated_article(number).write(folder, f"{number:04}.txt")
    engine = create_db_engine(url, writer=True)
    ingest_paths(engine, [SEEDS, folder])
    engine.dispose()
    settings = Settings(
        database_url=url,
        index_path=tmp_path_factory.mktemp("engine-index"),
        ingest_on_start=False,
    )
    with CaughtUpClient(create_app(settings)) as client:
        yield client


@settings(max_examples=120, deadline=None)
@given(
    q=st.text(min_size=1, max_size=60),
    source=st.text(max_size=5),
    sort=st.sampled_from(["relevance", "newest", "oldest"]),
)
def test_no_text_makes_the_engine_fail(
    engine_client: TestClient, q: str, source: str, sort: str
) -> None:
    response = engine_client.get(
        "/v1/search",
        params={"q": q, "source": source, "sort": sort, "facets": "dateline", "search_in": "title"},
    )
    assert response.status_code in (200, 400, 422), response.text


WHOLE = st.integers(min_value=-(2**63), max_value=2**63 - 1)
FLOAT = st.floats(allow_nan=False, allow_infinity=False)


@settings(max_examples=150, deadline=None)
@given(
    sort=st.sampled_from(["relevance", "newest", "oldest"]),
    key=st.one_of(
        st.lists(st.one_of(st.none(), WHOLE, st.floats(allow_nan=False, allow_infinity=False))),
        # Shaped as the engine's own: a relevance key, and a key of the year orders.
        st.tuples(WHOLE, FLOAT, *[WHOLE] * 3, FLOAT, *[WHOLE] * 3).map(list),
        st.tuples(WHOLE, WHOLE).map(list),
    ),
)
def test_no_cursor_makes_the_engine_fail(
    engine_client: TestClient, sort: str, key: list[Any]
) -> None:
    cursor = Cursor(sort, key).encode()
    response = engine_client.get(
        "/v1/search", params={"q": "harbour OR Zelensky", "sort": sort, "cursor": cursor}
    )
    assert response.status_code in (200, 400), response.text


def harbour_articles(tmp_path: Path, ingest: Ingest, count: int) -> None:
    """``count`` articles holding `harbour`, every fourth without a year."""
    for number in range(count):
        article = generated_article(number)
        if number % 4 == 0:
            article.copyright = None
        article.write(tmp_path, f"{number:04}.txt")
    assert ingest(tmp_path).ok


def every_page(client: TestClient, **params: Any) -> list[int]:
    """The ids of every page of a search, followed cursor by cursor."""
    seen: list[int] = []
    body = search(client, **params)
    while True:
        seen += [item["id"] for item in body["items"]]
        if body["next_cursor"] is None:
            return seen
        body = search(client, **params, cursor=body["next_cursor"])


@pytest.mark.sqlite_only
@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_pages_go_on_through_the_articles_without_a_year(
    index_client: TestClient, engine: Engine, ingest: Ingest, tmp_path: Path, sort: str
) -> None:
    harbour_articles(tmp_path, ingest, 40)
    caught_up(index_client.app.state.search_index, engine)  # type: ignore[attr-defined]
    whole = [
        item["id"] for item in search(index_client, q="harbour", sort=sort, limit=100)["items"]
    ]
    assert len(whole) == 40
    assert every_page(index_client, q="harbour", sort=sort, limit=7) == whole


@pytest.mark.sqlite_only
@pytest.mark.parametrize("q", ["harbour", "harb*", "report OR harbour"])
def test_a_long_tie_walked_in_recency_order_is_the_tie_fetched_whole(
    index_client: TestClient,
    engine: Engine,
    ingest: Ingest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    q: str,
) -> None:
    harbour_articles(tmp_path, ingest, 60)
    caught_up(index_client.app.state.search_index, engine)  # type: ignore[attr-defined]
    fetched_whole = every_page(index_client, q=q, limit=7)
    monkeypatch.setattr(relevance_order, "TIE_MARGIN", 1)
    monkeypatch.setattr(relevance_order, "LONG_TIE", 4)
    monkeypatch.setattr(relevance_order, "WALK_STEP", 3)
    walks = []
    walk = relevance_order._tied

    def counted(*args: Any, **kwargs: Any) -> Any:
        walks.append(args)
        return walk(*args, **kwargs)

    monkeypatch.setattr(relevance_order, "_tied", counted)
    # Another snippet length: the answers are computed again, not the kept ones.
    assert every_page(index_client, q=q, limit=7, snippet_words=31) == fetched_whole
    assert walks  # the ties were long enough to be walked
    assert len(set(fetched_whole)) == len(fetched_whole) == 60


@pytest.mark.sqlite_only
def test_pages_by_relevance_stop_at_the_window_and_say_how_to_go_on(
    index_client: TestClient,
    engine: Engine,
    ingest: Ingest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    harbour_articles(tmp_path, ingest, 30)
    caught_up(index_client.app.state.search_index, engine)  # type: ignore[attr-defined]
    monkeypatch.setattr(page_cursor, "RELEVANCE_WINDOW", 10)
    first = search(index_client, q="harbour", limit=7)
    second = search(index_client, q="harbour", limit=7, cursor=first["next_cursor"])
    response = index_client.get(
        "/v1/search", params={"q": "harbour", "limit": 7, "cursor": second["next_cursor"]}
    )
    assert response.status_code == 400
    assert "sort=newest" in response.json()["detail"]
    assert len(every_page(index_client, q="harbour", sort="newest", limit=7)) == 30
