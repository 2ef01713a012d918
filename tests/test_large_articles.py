"""A large article costs search a bounded amount: highlights on a window of its best paragraph,
a bounded lede in every summary, and a time budget that stops a request (503)."""

import asyncio
import threading
import time
from collections.abc import Callable, Hashable, MutableMapping
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, make_url, text
from sqlmodel import Session

import app.api.routes.search
from app.api.budget import Budget
from app.api.caching import Answer, _once
from app.problems import SearchTimeout
from app.search.index import SearchIndex
from app.search.name_variants import Expansion
from app.search.passages import MARKED_WHOLE, WINDOW, body_passage, needle_pattern, title_passage
from app.search.query_tree import ParsedQuery
from app.store.listing import LEDE_LIMIT, bounded_lede
from app.store.readers import open_reader
from app.store.readers.base import Read
from tests.conftest import Ingest
from tests.factories import ArticleText, generated_article

FILLER = "the council met on tuesday to discuss the harbour and the river"


def _words(count: int, *, every: int = 0, word: str = "minister") -> str:
    """``count`` words of filler, ``word`` every ``every`` words (never when 0)."""
    filler = FILLER.split()
    return " ".join(
        word if every and i % every == every - 1 else filler[i % len(filler)] for i in range(count)
    )


@pytest.fixture
def large_ids(ingest: Ingest, tmp_path: Path) -> dict[str, int]:
    """Ordinary articles beside two of about 1 MB: one paragraph, and many paragraphs of which
    the tenth holds the most matches."""
    for number in range(5):
        generated_article(number).write(tmp_path, f"ordinary-{number}.txt")
    ArticleText(
        title="Minister speaks at the harbour",
        paragraphs=["The minister spoke to the harbour authority on Monday."],
    ).write(tmp_path, "ordinary-minister.txt")
    # One paragraph of 150,000 words; the first match 100,000 words in.
    single = _words(100_000) + " " + _words(50_000, every=50)
    ArticleText(title="Minister in one endless paragraph", paragraphs=[single]).write(
        tmp_path, "single.txt"
    )
    # 1,500 paragraphs of 100 words: one match each, but three in the tenth.
    paragraphs = [_words(100, every=100) for _ in range(1_500)]
    paragraphs[9] = _words(100, every=30)
    ArticleText(title="Minister in many paragraphs", paragraphs=paragraphs).write(
        tmp_path, "many.txt"
    )
    assert ingest(tmp_path).ok
    with Session(ingest.engine) as session:
        rows = session.execute(text("SELECT id, source_path FROM article")).all()
    return {Path(path).stem: rowid for rowid, path in rows}


def _hits(client: TestClient, **params: Any) -> dict[str, dict[str, Any]]:
    response = client.get("/v1/search", params=params)
    assert response.status_code == 200, response.text
    return {hit["title"]: hit for hit in response.json()["items"]}


def test_a_long_body_is_highlighted_on_a_window_of_its_best_paragraph(
    client: TestClient, large_ids: dict[str, int]
) -> None:
    hits = _hits(client, q="minister", limit=50, snippet_words=20)
    many = hits["Minister in many paragraphs"]["highlight"]
    assert many["paragraph"] == 9  # the paragraph with most matches, found without marking all
    assert many["snippet"].count("<mark>minister</mark>") >= 1
    assert many["title"] == "<mark>Minister</mark> in many paragraphs"
    single = hits["Minister in one endless paragraph"]["highlight"]
    assert single["paragraph"] == 0
    # Deep in the paragraph: the excerpt says that text comes before and after it.
    assert single["snippet"].startswith("… ")
    assert single["snippet"].endswith(" …")
    assert "<mark>minister</mark>" in single["snippet"]
    assert len(single["snippet"]) < 400
    # An ordinary article is highlighted whole, as always.
    ordinary = hits["Minister speaks at the harbour"]["highlight"]
    assert ordinary["snippet"] == (
        "The <mark>minister</mark> spoke to the harbour authority on Monday."
    )


def test_summaries_carry_a_bounded_lede_and_the_detail_every_paragraph(
    client: TestClient, large_ids: dict[str, int]
) -> None:
    single = large_ids["single"]
    searched = _hits(client, q="endless")["Minister in one endless paragraph"]
    listed = client.get("/v1/articles", params={"limit": 100}).json()["items"]
    detail = client.get(f"/v1/articles/{single}").json()
    related = client.get(f"/v1/articles/{large_ids['many']}/related").json()
    ledes = [searched["lede"], detail["lede"], *(item["lede"] for item in listed)]
    ledes += [related["article"]["lede"], *(item["lede"] for item in related["items"])]
    assert max(len(lede) for lede in ledes) <= LEDE_LIMIT
    assert searched["lede"].endswith("…")
    assert searched["lede"].startswith("the council met")
    assert len(detail["paragraphs"][0]) > 500_000  # the article itself is whole


def test_related_articles_of_and_to_a_long_article_name_their_shared_words(
    client: TestClient, large_ids: dict[str, int]
) -> None:
    response = client.get(f"/v1/articles/{large_ids['ordinary-minister']}/related")
    assert response.status_code == 200
    items = {item["title"]: item for item in response.json()["items"]}
    assert "minister" in items["Minister in many paragraphs"]["shared_terms"]


@pytest.mark.parametrize(
    ("lede", "expected"),
    [
        (None, None),
        ("Short.", "Short."),
        ("word " * 199 + "last", "word " * 199 + "last"),  # 999 characters: whole
        ("word " * 300, "word " * 198 + "word…"),
        ("x" * 5_000, "x" * 999 + "…"),  # no space to cut at
    ],
)
def test_a_lede_is_cut_at_a_word_with_an_ellipsis(lede: str | None, expected: str | None) -> None:
    assert bounded_lede(lede) == expected
    assert len(bounded_lede(lede) or "") <= LEDE_LIMIT


def test_a_window_is_bounded_and_falls_between_words() -> None:
    paragraph = _words(20_000) + " " + _words(200, every=3)
    body = "short first\n" + paragraph + "\nshort last"
    passage = body_passage(body, needle_pattern(["minister", "minist"]))
    assert passage.paragraph == 1
    assert len(passage.text) <= WINDOW
    assert passage.clipped_start
    assert not passage.text.startswith(" ")
    assert passage.text in paragraph
    assert "minister" in passage.text
    title = title_passage("Headline " * 10_000)
    assert len(title.text) <= WINDOW
    assert title.clipped_end
    # Nothing found: the first paragraph, from its start.
    assert body_passage(body, needle_pattern(["zephyr"])).paragraph == 0
    assert body_passage(body, None).text == "short first"


def test_a_long_headline_is_highlighted_on_its_start(
    client: TestClient, ingest: Ingest, tmp_path: Path
) -> None:
    ArticleText(title="Minister", paragraphs=["The minister said little."]).write(tmp_path, "a.txt")
    assert ingest(tmp_path).ok
    # Ingestion cuts a headline to 1,000 characters; a store written otherwise (an import, an
    # older version) may hold a longer one.
    title = "Minister " + _words(MARKED_WHOLE // 5)
    with Session(ingest.engine) as session:
        session.execute(text("UPDATE article SET title = :title"), {"title": title})
        session.commit()
    (hit,) = _hits(client, q="minister").values()
    assert hit["highlight"]["title"].startswith("<mark>Minister</mark> the council")
    assert hit["highlight"]["title"].endswith(" …")
    assert len(hit["highlight"]["title"]) <= WINDOW + 30


def _endless(dialect: str) -> str:
    """A statement that runs until it is stopped."""
    if dialect == "sqlite":
        return (
            "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n"
        )
    return "SELECT pg_sleep(60)"


def _stopped_as_its_client_goes(
    budget: Budget, statement: Callable[[threading.Event], None]
) -> None:
    """``statement(began)`` on a thread of its own is stopped, with the 503 saying why, when
    ``budget`` is stopped as within_budget stops it when the client disconnects."""
    began, raised = threading.Event(), list[BaseException]()

    def work() -> None:
        try:
            statement(began)
        except BaseException as error:  # handed to the test's thread
            raised.append(error)

    worker = threading.Thread(target=work)
    started = time.monotonic()
    worker.start()
    assert began.wait(5)
    threading.Event().wait(0.2)  # let the statement begin on the server
    budget.stop(client_gone=True)
    worker.join(10)
    assert time.monotonic() - started < 10  # stopped, not run out: its budget is 60 s
    (error,) = raised
    assert isinstance(error, SearchTimeout)
    assert "client went away" in error.detail


def test_a_statement_past_the_budget_is_stopped(engine: Engine) -> None:
    budget = Budget(0.2)
    endless = _endless(engine.dialect.name)
    started = time.monotonic()
    with pytest.raises(SearchTimeout) as raised, budget.session(engine) as session:
        session.execute(text(endless))
    assert time.monotonic() - started < 5
    assert raised.value.headers == {"Retry-After": "1"}
    # The connection goes back to the pool clean: its next user is not stopped.
    with Session(engine) as session:
        assert session.execute(text("SELECT 1")).scalar_one() == 1


def test_a_statement_the_server_cancels_before_the_clock_says_spent_is_the_503(
    engine: Engine,
) -> None:
    """PostgreSQL's statement_timeout may fire a moment before the budget's own clock."""
    if engine.dialect.name == "sqlite":
        pytest.skip("PostgreSQL's statement_timeout")
    budget = Budget(60)

    def sleep_past_the_servers_timeout() -> None:
        with budget.session(engine) as session:
            session.execute(text("SET LOCAL statement_timeout = 50"))
            session.execute(text("SELECT pg_sleep(5)"))

    with pytest.raises(SearchTimeout):
        sleep_past_the_servers_timeout()


def test_a_read_through_the_reader_past_the_budget_is_stopped(database_url: str) -> None:
    reader = open_reader(database_url)
    budget = Budget(0.2)
    # What within_budget's watcher does at the deadline.
    deadline = threading.Timer(budget.seconds, budget.stop)
    try:
        read = budget.read(reader)
        started = time.monotonic()
        deadline.start()
        with pytest.raises(SearchTimeout) as raised:
            read(_endless(make_url(database_url).get_backend_name()), ())
        assert time.monotonic() - started < 5
        assert raised.value.headers == {"Retry-After": "1"}
        with pytest.raises(SearchTimeout):  # and no further statement starts
            read("SELECT 1 AS one", ())
        # The reader's connection is clean for its next user, who is not stopped.
        assert reader.rows("SELECT 1 AS one") == [{"one": 1}]
        assert Budget(60).read(reader)("SELECT 2 AS two", ()) == [{"two": 2}]
    finally:
        deadline.cancel()
        reader.close()


def test_a_read_through_the_reader_is_stopped_when_its_client_goes(database_url: str) -> None:
    reader = open_reader(database_url)
    budget = Budget(60)
    endless = _endless(make_url(database_url).get_backend_name())

    def statement(began: threading.Event) -> None:
        began.set()
        budget.read(reader)(endless, ())

    try:
        _stopped_as_its_client_goes(budget, statement)
        assert reader.rows("SELECT 1 AS one") == [{"one": 1}]
    finally:
        reader.close()


def test_a_statement_under_way_is_stopped_when_its_client_goes(engine: Engine) -> None:
    budget = Budget(60)

    def statement(began: threading.Event) -> None:
        with budget.session(engine) as session:
            began.set()
            session.execute(text(_endless(engine.dialect.name)))

    _stopped_as_its_client_goes(budget, statement)


def test_a_search_past_its_budget_answers_503_and_is_not_kept(
    client: TestClient, seeded: object
) -> None:
    client.app.state.request_timeout = 1e-6  # type: ignore[attr-defined]
    response = client.get("/v1/search", params={"q": "troops"})
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["retry-after"] == "1"
    problem = response.json()
    assert problem["type"] == "/problems/search-timeout"
    assert "BYLINE_REQUEST_TIMEOUT" in problem["detail"]
    assert client.get("/problems/search-timeout").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "503" in paths["/v1/search"]["get"]["responses"]
    assert "503" in paths["/v1/articles/{ref}/related"]["get"]["responses"]
    related = client.get("/v1/articles/1/related")
    assert related.status_code == 503
    client.app.state.request_timeout = 10  # type: ignore[attr-defined]
    assert client.get("/v1/search", params={"q": "troops"}).json()["total"] == 1


def _stall_until_stopped(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Make the search's first step wait until its budget stops it; the event says it began."""
    began = threading.Event()

    def stalled(read: Read, index: SearchIndex, query: ParsedQuery) -> Expansion:
        began.set()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # each statement checks the budget
            read("SELECT 1", ())
            threading.Event().wait(0.01)
        raise AssertionError("the budget never stopped the search")

    monkeypatch.setattr(app.api.routes.search, "complete_prefixes", stalled)
    return began


def test_every_client_waiting_on_a_stopped_search_gets_the_503(
    client: TestClient, seeded: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    began = _stall_until_stopped(monkeypatch)
    client.app.state.request_timeout = 1.0  # type: ignore[attr-defined]
    answers: list[int] = []
    first = threading.Thread(
        target=lambda: answers.append(client.get("/v1/search?q=troops").status_code)
    )
    first.start()
    assert began.wait(5)
    # The second asks the same while the first computes: it waits on the same flight.
    second = client.get("/v1/search?q=troops")
    first.join(10)
    assert answers == [503]
    assert second.status_code == 503
    assert client.app.state.responses_in_flight == {}  # type: ignore[attr-defined]


def test_a_search_whose_client_went_away_stops(
    client: TestClient, seeded: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    began = _stall_until_stopped(monkeypatch)
    client.app.state.request_timeout = 60  # type: ignore[attr-defined]
    sent: list[MutableMapping[str, Any]] = []
    messages = [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive() -> dict[str, Any]:
        if messages:
            return messages.pop()
        await asyncio.to_thread(began.wait, 5)  # gone once the search is under way
        return {"type": "http.disconnect"}

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/v1/search",
        "raw_path": b"/v1/search",
        "query_string": b"q=troops",
        "root_path": "",
        "headers": [(b"host", b"testserver")],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    started = time.monotonic()
    assert client.portal is not None

    async def request() -> None:
        await client.app(scope, receive, send)

    client.portal.call(request)
    assert time.monotonic() - started < 10  # stopped long before its 60 s budget
    assert sent[0]["status"] == 503
    assert b"client went away" in sent[1]["body"]


def test_a_waiter_computes_the_search_again_when_the_first_client_went_away() -> None:
    """The first client's leaving stops its computation, not the answer of another."""

    async def scenario() -> None:
        flights: dict[Hashable, asyncio.Future[Answer]] = {}
        started, release = asyncio.Event(), asyncio.Event()

        async def stopped_for_its_client() -> Answer:
            started.set()
            await release.wait()
            raise SearchTimeout("The client went away.", retry_after=1, client_gone=True)

        async def computed() -> Answer:
            return b"{}", None

        first = asyncio.create_task(_once(flights, "q=troops", stopped_for_its_client))
        await started.wait()
        second = asyncio.create_task(_once(flights, "q=troops", computed))
        await asyncio.sleep(0)  # the second waits on the first's flight
        release.set()
        with pytest.raises(SearchTimeout):
            await first
        assert await second == (b"{}", None)
        assert flights == {}

    asyncio.run(scenario())
