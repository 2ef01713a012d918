"""``/v1/search``: the query syntax, ranking, highlights, filters, sorts and paging."""

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import Session, select

from app.api.app import create_app
from app.ingestion.outcomes import IngestReport
from app.ingestion.run import ingest_paths
from app.settings import Settings
from app.store.database import create_db_engine, migrate
from app.store.models import Article
from tests.conftest import (
    BACKENDS,
    SEED_SLUG,
    SEED_TITLE,
    SEEDS,
    CaughtUpClient,
    Ingest,
    PostgreSQL,
)
from tests.factories import ArticleText, generated_article


@pytest.fixture
def news(ingest: Ingest, tmp_path: Path) -> dict[str, int]:
    """A small corpus with known answers; maps a short name to each article's id."""
    articles = {
        "title_macron": ArticleText(
            title="Macron visits Berlin",
            paragraphs=["The French president met the chancellor to discuss trade."],
        ),
        "body_macron": ArticleText(
            title="European leaders meet",
            paragraphs=["Leaders gathered in Brussels.", "Macron spoke briefly at the end."],
            dateline="BRUSSELS",
            copyright="(c) 2024 Reuters",
        ),
        "accent": ArticleText(
            title="Mélenchon rallies supporters",
            paragraphs=["Jean-Luc Mélenchon addressed a crowd of the far left."],
            dateline="PARIS",
        ),
        "html": ArticleText(
            title="Fish & chips <b>prices</b> rise",
            paragraphs=["Shops said the cost of <script>alert(1)</script> cod & haddock rose."],
            dateline=None,
        ),
        "football": ArticleText(
            title="Arsenal win at home",
            paragraphs=["Fans can read more at www.arsenal.com after the 2-0 win."],
            dateline=None,
            copyright="© 2023 The Associated Press. All rights reserved.",
        ),
    }
    for name, article in articles.items():
        article.write(tmp_path, f"{name}.txt")
    report = ingest(SEEDS, tmp_path)
    assert report.ok
    assert not report.duplicates
    with Session(ingest.engine) as session:
        by_title = {row.title: row.id for row in session.exec(select(Article))}
    ids = {name: by_title[article.title] for name, article in articles.items()}
    return {"seed": by_title[SEED_TITLE], **ids}  # type: ignore[dict-item]


def search(client: TestClient, q: str, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def hit_ids(client: TestClient, q: str, **params: Any) -> list[int]:
    return [item["id"] for item in search(client, q, **params)["items"]]


def test_seed_is_found_with_highlights(client: TestClient, seeded: IngestReport) -> None:
    body = search(client, "Macron")
    assert body["total"] == 1
    [hit] = body["items"]
    assert hit["slug"] == SEED_SLUG
    assert hit["score"] > 0
    assert "<mark>Macron</mark>" in hit["highlight"]["snippet"]
    assert hit["highlight"]["paragraph"] is not None
    assert body["query"]["words"] == ["Macron"]


def test_all_words_must_match(client: TestClient, news: dict[str, int]) -> None:
    assert set(hit_ids(client, "Macron Berlin")) == {news["title_macron"]}
    assert set(hit_ids(client, "macron brussels")) == {news["body_macron"]}
    assert hit_ids(client, "Macron Arsenal") == []


def test_title_match_ranks_above_body_match(client: TestClient, news: dict[str, int]) -> None:
    ids = hit_ids(client, "Macron")
    assert ids.index(news["title_macron"]) < ids.index(news["body_macron"])


def test_exact_phrase(client: TestClient, news: dict[str, int]) -> None:
    assert hit_ids(client, '"president met the"') == [news["title_macron"]]
    assert hit_ids(client, '"met president"') == []
    assert search(client, '"president met"')["query"]["phrases"] == ["president met"]


def test_or(client: TestClient, news: dict[str, int]) -> None:
    assert set(hit_ids(client, "Berlin OR Brussels")) == {news["title_macron"], news["body_macron"]}
    assert search(client, "Berlin OR Brussels")["query"]["alternatives"] == [["Berlin", "Brussels"]]
    # OR binds its two neighbours; the other words still all match.
    assert hit_ids(client, "Berlin OR Brussels chancellor") == [news["title_macron"]]


def test_lowercase_or_is_a_word(client: TestClient, news: dict[str, int]) -> None:
    assert hit_ids(client, "Berlin or Brussels") == []


def test_exclusion(client: TestClient, news: dict[str, int]) -> None:
    ids = hit_ids(client, "Macron -Berlin")
    assert news["title_macron"] not in ids
    assert news["body_macron"] in ids
    assert news["title_macron"] not in hit_ids(client, 'Macron -"president met"')
    assert search(client, "Macron -Berlin")["query"]["excluded"] == ["Berlin"]


def test_prefix(client: TestClient, news: dict[str, int]) -> None:
    assert hit_ids(client, "Arsen*") == [news["football"]]
    assert search(client, "Arsen*")["query"]["prefixes"] == ["Arsen"]


@pytest.mark.parametrize("q", ["Melenchon", "MÉLENCHON", "mélenchon", "MELENCHON"])
def test_accents_and_case_are_ignored_both_ways(
    client: TestClient, news: dict[str, int], q: str
) -> None:
    # The seed writes "Melenchon", the other article "Mélenchon": each query finds both.
    assert set(hit_ids(client, q)) == {news["accent"], news["seed"]}


def test_english_stemming(client: TestClient, news: dict[str, int]) -> None:
    assert news["seed"] in hit_ids(client, "troop")
    assert news["seed"] in hit_ids(client, "deploying")


@pytest.mark.parametrize(
    "q",
    [
        "www.arsenal.com",
        '"unclosed',
        "AND",
        "*",
        "NEAR(",
        "'; DROP TABLE article; --",
        "title:Macron",
        "Macron NOT",
        "OR",
        "-",
        '"',
        "a OR OR b",
        "(((",
        "^Macron",
        "Macron AND Berlin",
        "\\",
        "\x00",
        "macron" * 80,
        "ä" * 400,
    ],
)
def test_no_query_is_a_server_or_syntax_error(
    client: TestClient, news: dict[str, int], q: str
) -> None:
    response = client.get("/v1/search", params={"q": q})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 400:
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"]
    assert client.get("/v1/articles").json()["total"] == len(news)


@pytest.mark.parametrize("raw", ["%ED%A0%80", "%FF%FE", "%C3", "Macron%00"])
def test_invalid_utf8_in_the_url_is_not_a_server_error(
    client: TestClient, news: dict[str, int], raw: str
) -> None:
    response = client.get(f"/v1/search?q={raw}")
    assert response.status_code in (200, 400), response.text


def test_urls_and_scores_are_searchable(client: TestClient, news: dict[str, int]) -> None:
    assert hit_ids(client, "www.arsenal.com") == [news["football"]]
    assert hit_ids(client, "2-0") == [news["football"]]


def test_operators_of_the_engine_are_plain_words(client: TestClient, news: dict[str, int]) -> None:
    assert hit_ids(client, "AND") == hit_ids(client, "and")
    assert news["seed"] in hit_ids(client, "AND")
    assert hit_ids(client, "Macron AND Berlin") == []  # "and" is a word that article lacks
    assert hit_ids(client, "chips AND") == []
    assert hit_ids(client, "NEAR(Macron Berlin)") == []
    assert hit_ids(client, "colour:Macron") == []  # not a field: the words "colour macron"


def test_unclosed_quote_is_a_phrase_with_a_warning(
    client: TestClient, news: dict[str, int]
) -> None:
    body = search(client, '"president met')
    assert [item["id"] for item in body["items"]] == [news["title_macron"]]
    assert body["query"]["warnings"]


@pytest.mark.parametrize("q", ["", "   ", "*", "-Macron", '""', "--"])
def test_nothing_to_search_is_400(client: TestClient, seeded: IngestReport, q: str) -> None:
    response = client.get("/v1/search", params={"q": q})
    assert response.status_code == 400
    assert response.json()["type"] == "/problems/invalid-parameter"


def test_an_operator_alone_is_400_saying_it_searches_nothing(
    client: TestClient, seeded: IngestReport
) -> None:
    response = client.get("/v1/search", params={"q": "OR"})
    assert response.status_code == 400
    assert "an operator alone searches nothing" in response.json()["detail"]
    assert "no letters or digits" not in response.json()["detail"]


def test_a_field_without_a_term_is_searched_with_a_warning(
    client: TestClient, seeded: IngestReport
) -> None:
    body = search(client, "title:")
    assert body["query"]["words"] == ["title"]
    assert body["query"]["warnings"] == [
        "`title:` names a field but no term follows it: it was searched as the word `title`; "
        "write the term right after the colon (`title:Macron`)."
    ]


def test_missing_q_is_422(client: TestClient) -> None:
    response = client.get("/v1/search")
    assert response.status_code == 422
    assert response.json()["errors"][0]["name"] == "q"


def test_highlights_escape_the_article_text(client: TestClient, news: dict[str, int]) -> None:
    [hit] = search(client, "chips")["items"]
    assert (
        hit["highlight"]["title"] == "Fish &amp; <mark>chips</mark> &lt;b&gt;prices&lt;/b&gt; rise"
    )
    [hit] = search(client, "haddock")["items"]
    snippet = hit["highlight"]["snippet"]
    assert "<script>" not in snippet
    assert "&lt;script&gt;" in snippet
    assert "<mark>haddock</mark>" in snippet
    # The article itself is returned as text, unescaped.
    assert hit["title"] == "Fish & chips <b>prices</b> rise"


def test_snippet_comes_from_the_best_paragraph(client: TestClient, seeded: IngestReport) -> None:
    [hit] = search(client, "Peskov")["items"]
    detail = client.get(hit["url"]).json()
    paragraph = detail["paragraphs"][hit["highlight"]["paragraph"]]
    assert "Peskov" in paragraph
    assert "<mark>Peskov</mark>" in hit["highlight"]["snippet"]


def test_snippet_length_is_a_parameter(client: TestClient, seeded: IngestReport) -> None:
    short = search(client, "Peskov", snippet_words=8)["items"][0]["highlight"]["snippet"]
    long = search(client, "Peskov", snippet_words=60)["items"][0]["highlight"]["snippet"]
    assert len(short.replace("…", "").split()) == 8
    assert len(long.split()) > len(short.split())
    assert client.get("/v1/search", params={"q": "x", "snippet_words": 1000}).status_code == 422


def test_fullwidth_letters_find_their_plain_form(client: TestClient, news: dict[str, int]) -> None:
    assert hit_ids(client, "ＭＡＣＲＯＮ") == hit_ids(client, "Macron")


def test_a_phrase_across_two_paragraphs_keeps_its_marks_balanced(
    client: TestClient, ingest: Ingest, tmp_path: Path
) -> None:
    ingest(
        ArticleText(title="Script", paragraphs=["x beta", "gamma delta delta"]).write(
            tmp_path, "s.txt"
        )
    )
    [hit] = search(client, '"beta gamma" OR delta')["items"]
    snippet = hit["highlight"]["snippet"]
    assert snippet.count("<mark>") == snippet.count("</mark>")
    assert snippet.index("<mark>") < snippet.index("</mark>")


def test_title_only_match_snippets_the_lede(client: TestClient, news: dict[str, int]) -> None:
    [hit] = search(client, "visits")["items"]
    assert hit["highlight"]["title"] == "Macron <mark>visits</mark> Berlin"
    assert hit["highlight"]["paragraph"] == 0
    assert hit["highlight"]["snippet"].startswith("The French president")


def test_filters_apply_to_search(client: TestClient, news: dict[str, int]) -> None:
    assert hit_ids(client, "Macron", source="reuters") == [news["body_macron"]]
    assert set(hit_ids(client, "Macron", dateline="london")) == {news["seed"], news["title_macron"]}
    assert hit_ids(client, "Macron", dateline="LONDON", source="Reuters") == []
    body = search(client, "Macron", year=2024)
    assert [item["id"] for item in body["items"]] == [news["body_macron"]]
    assert body["total"] == 1


@pytest.fixture
def harbour(ingest: Ingest, tmp_path: Path) -> IngestReport:
    for number in range(120):
        generated_article(number).write(tmp_path, f"{number:04}.txt")
    return ingest(tmp_path)


@pytest.mark.parametrize("sort", ["relevance", "newest", "oldest"])
def test_search_pages_visit_each_hit_once(
    client: TestClient, harbour: IngestReport, sort: str
) -> None:
    seen: list[int] = []
    params: dict[str, Any] = {"q": "harbour", "limit": 9, "sort": sort}
    response = client.get("/v1/search", params=params)
    while True:
        body = response.json()
        assert body["total"] == 120
        seen.extend(item["id"] for item in body["items"])
        if body["next"] is None:
            break
        response = client.get(body["next"])
    assert sorted(seen) == sorted(set(seen))
    assert len(seen) == 120


def test_newest_sort_in_search(client: TestClient, harbour: IngestReport) -> None:
    items = search(client, "harbour", sort="newest", limit=100)["items"]
    keys = [(item["year"], item["id"]) for item in items]
    assert keys == sorted(keys, reverse=True)


def test_relevance_scores_do_not_increase(client: TestClient, news: dict[str, int]) -> None:
    scores = [item["score"] for item in search(client, "Macron OR Arsenal OR chips")["items"]]
    assert scores == sorted(scores, reverse=True)


def test_cursor_of_another_sort_is_rejected(client: TestClient, harbour: IngestReport) -> None:
    cursor = search(client, "harbour", limit=5)["next_cursor"]
    response = client.get("/v1/search", params={"q": "harbour", "sort": "newest", "cursor": cursor})
    assert response.status_code == 400
    assert "sort" in response.json()["detail"]


def test_search_facets_count_every_hit(client: TestClient, harbour: IngestReport) -> None:
    body = search(client, "harbour", facets="source,year", limit=3)
    assert sum(entry["count"] for entry in body["facets"]["source"]) == body["total"] == 120
    assert sum(entry["count"] for entry in body["facets"]["year"]) == 120
    narrowed = search(client, "harbour", facets="source", source="Reuters")
    assert narrowed["facets"]["source"] == [{"value": "Reuters", "count": narrowed["total"]}]


def test_parentheses_group(client: TestClient, news: dict[str, int]) -> None:
    assert set(hit_ids(client, "Macron (Berlin OR Brussels)")) == {
        news["title_macron"],
        news["body_macron"],
    }
    assert hit_ids(client, "Macron -(Berlin OR Brussels)") == [news["seed"]]
    body = search(client, "Macron -(Berlin OR Brussels)")
    assert body["query"]["interpreted"] == "Macron -(Berlin OR Brussels)"


def test_field_qualifiers(client: TestClient, news: dict[str, int]) -> None:
    assert hit_ids(client, "title:Macron") == [news["title_macron"]]
    assert set(hit_ids(client, "body:Macron")) == {news["seed"], news["body_macron"]}
    assert hit_ids(client, 'title:"visits Berlin"') == [news["title_macron"]]
    assert hit_ids(client, "title:(Arsenal OR Macron)") == sorted(
        hit_ids(client, "title:(Arsenal OR Macron)"),
        key=hit_ids(client, "title:(Arsenal OR Macron)").index,
    )
    assert set(hit_ids(client, "title:(Arsenal OR Macron)")) == {
        news["football"],
        news["title_macron"],
    }
    assert search(client, "title:Macron")["query"]["words"] == ["title:Macron"]


def test_search_in(client: TestClient, news: dict[str, int]) -> None:
    assert hit_ids(client, "Macron", search_in="title") == [news["title_macron"]]
    assert set(hit_ids(client, "Macron", search_in="body")) == {news["seed"], news["body_macron"]}
    assert set(hit_ids(client, "Macron", search_in="title,body")) == set(hit_ids(client, "Macron"))
    # A term's own field wins over search_in.
    assert hit_ids(client, "body:Brussels", search_in="title") == [news["body_macron"]]
    assert search(client, "Macron", search_in="title")["query"]["search_in"] == ["title"]
    response = client.get("/v1/search", params={"q": "Macron", "search_in": "headline"})
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("Macron's", {"seed", "title_macron", "body_macron"}),
        ("Jean-Luc", {"seed", "accent"}),
        ("Jean Luc", {"seed", "accent"}),
        ('"Jean-Luc Melenchon"', {"seed", "accent"}),
        ("U.S.", {"seed"}),
    ],
)
def test_hyphens_apostrophes_and_abbreviations(
    client: TestClient, news: dict[str, int], q: str, found: set[str]
) -> None:
    assert set(hit_ids(client, q)) == {news[name] for name in found}


def test_numbers_prices_and_scores(client: TestClient, ingest: Ingest, tmp_path: Path) -> None:
    ArticleText(
        title="Club agrees £15.8m deal",
        paragraphs=["The side won 0-5 away before the U.S. tour.", "Visit www.example.org."],
    ).write(tmp_path, "money.txt")
    ingest(tmp_path)
    for q in ("£15.8m", "15.8m", "0-5", "U.S.", "www.example.org", '"0-5 away"'):
        assert search(client, q)["total"] == 1, q
    assert search(client, "15.9m")["total"] == 0


@settings(max_examples=150, deadline=None)
@given(
    q=st.text(
        alphabet=st.sampled_from(list("Macron troops \"*-()OR:title body é中\U0010ffff\x00'’")),
        min_size=1,
        max_size=40,
    ),
    fuzzy=st.booleans(),
)
def test_no_query_through_the_whole_stack_is_a_server_error(
    seeded_client: TestClient, q: str, fuzzy: bool
) -> None:
    response = seeded_client.get("/v1/search", params={"q": q, "fuzzy": fuzzy, "facets": "year"})
    assert response.status_code in (200, 400), response.text


@pytest.fixture(scope="module", params=BACKENDS)
def seeded_client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient]:
    """One app on the seed for many generated requests (function fixtures would rebuild it),
    on each store."""
    backend = request.param
    server: PostgreSQL | None = None
    name = f"byline_stack_{uuid.uuid4().hex[:12]}"
    if backend == "postgresql":
        server = request.getfixturevalue("postgresql")
        url = server.create(name, template=server.template)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('stack') / 'byline.db'}"
        migrate(url)
    engine = create_db_engine(url, writer=True)
    ingest_paths(engine, [SEEDS])
    engine.dispose()
    settings = Settings(
        database_url=url,
        index_path=tmp_path_factory.mktemp("stack-index"),
        ingest_on_start=False,
    )
    with CaughtUpClient(create_app(settings)) as client:
        yield client
    if server is not None:
        server.drop(name)


def test_a_prefix_finds_the_words_stemming_would_hide(
    client: TestClient, seeded: IngestReport
) -> None:
    body = search(client, "deploy*")
    assert body["query"]["expanded"]["deploy*"] == ["deployment"]
    [hit] = body["items"]
    assert "<mark>deployment</mark>" in hit["highlight"]["title"]
