"""The same corpus and the same queries give the same results on SQLite and on PostgreSQL.

Search runs on the same engine whichever the store, so every page of every search is equal
whole: order, scores, highlights, variants, totals, facets, suggestions. Lists are equal item
for item.
"""

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.ingestion.run import ingest_paths
from app.settings import Settings
from app.store.database import create_db_engine, migrate
from tests.conftest import SEEDS, CaughtUpClient, PostgreSQL
from tests.factories import ArticleText
from tests.test_bench import generator

ARTICLES = 300
WIRE_COPY = [
    ArticleText(
        title="U.S. and E.U. officials meet in Brussels",
        paragraphs=[
            "The U.S. envoy met al-Qaida experts and Mélenchon's allies on Friday.",
            "Prices rose 3.5% to $1,200 a barrel, said spokesperson@example.com.",
            "Details are at https://example.com/report-2025 and in <b>bold</b> print.",
        ],
    ),
    ArticleText(
        title="Al Qaeda leader's death confirmed",
        paragraphs=["Officials said the al Qaeda leader died; Melenchon was not there."],
        dateline="PARIS",
    ),
]
QUERIES = [
    "minister",
    "harbour",
    "minister harbour",
    '"tidal barrier"',
    "tidal barrier",
    "harbour OR zephyrine",
    "minister -harbour",
    "harbo*",
    "title:(Ukraine OR leader)",
    "body:harbour -title:harbour",
    "Zelensky",
    "Gaddafi",
    "U.S.",
    "al-Qaida",
    "Qaeda",
    "Mélenchon",
    "melenchon's",
    "3.5",
    "example.com",
    "bold",
    "Zelenskyy troop*",
    "officials (Brussels OR Paris)",
]


def corpus(folder: Path) -> Path:
    generator().generate(folder / "generated", count=ARTICLES, seed=7)
    for number, article in enumerate(WIRE_COPY):
        article.write(folder / "wire", f"{number}.txt")
    for seed in SEEDS.glob("*.txt"):
        (folder / "seeds").mkdir(exist_ok=True)
        (folder / "seeds" / seed.name).write_bytes(seed.read_bytes())
    return folder


@pytest.fixture(scope="module")
def stores(
    tmp_path_factory: pytest.TempPathFactory, postgresql: PostgreSQL
) -> Iterator[dict[str, TestClient]]:
    """The corpus ingested into a SQLite store and a PostgreSQL one, and a client on each."""
    folder = corpus(tmp_path_factory.mktemp("contract"))
    name = f"byline_contract_{uuid.uuid4().hex[:12]}"
    urls = {
        "sqlite": f"sqlite:///{folder / 'byline.db'}",
        "postgresql": postgresql.create(name, template=postgresql.template),
    }
    clients: dict[str, TestClient] = {}
    for backend, url in urls.items():
        migrate(url)
        engine = create_db_engine(url, writer=True)
        try:
            report = ingest_paths(engine, [folder / "generated", folder / "wire", folder / "seeds"])
        finally:
            engine.dispose()
        assert report.ok, report.failures
        settings = Settings(
            database_url=url,
            index_path=tmp_path_factory.mktemp("index"),
            ingest_on_start=False,
            search_cache=0,
        )
        clients[backend] = CaughtUpClient(create_app(settings)).__enter__()
    yield clients
    for client in clients.values():
        client.__exit__(None, None, None)
    postgresql.drop(name)


def every_page(client: TestClient, path: str, **params: Any) -> tuple[int, list[str]]:
    """(total, slugs of every item in order), following the pages to the end."""
    slugs: list[str] = []
    response = client.get(path, params={**params, "limit": 100})
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        slugs += [item["slug"] for item in body["items"]]
        if body["next"] is None:
            return body["total"], slugs
        response = client.get(body["next"])


def whole_pages(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    """Every page of a search, whole (its links too: both apps answer the same host),
    following the pages to the end."""
    pages: list[dict[str, Any]] = []
    response = client.get("/v1/search", params={**params, "limit": 7, "facets": "source,year"})
    while True:
        assert response.status_code == 200, response.text
        body = response.json()
        pages.append(body)
        if body["next"] is None:
            return pages
        response = client.get(body["next"])


@pytest.mark.parametrize("q", QUERIES)
@pytest.mark.parametrize("fuzzy", [True, False])
def test_searches_are_equal_page_for_page(
    stores: dict[str, TestClient], q: str, fuzzy: bool
) -> None:
    sqlite, postgresql = (whole_pages(c, q=q, fuzzy=fuzzy) for c in stores.values())
    assert sqlite[0]["total"] > 0  # every query finds something here
    assert sum(len(page["items"]) for page in sqlite) == sqlite[0]["total"]
    assert postgresql == sqlite


@pytest.mark.parametrize("q", ["minister", "harbour OR Zelensky", "officials"])
@pytest.mark.parametrize("sort", ["newest", "oldest"])
def test_searches_sorted_by_year_are_equal_item_for_item(
    stores: dict[str, TestClient], q: str, sort: str
) -> None:
    sqlite, postgresql = (every_page(c, "/v1/search", q=q, sort=sort) for c in stores.values())
    assert postgresql == sqlite


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"sort": "oldest"},
        {"sort": "title"},
        {"dateline": "london", "year": ["2019", "2021"]},
        {"source": "Reuters"},
    ],
)
def test_lists_are_equal_item_for_item(
    stores: dict[str, TestClient], params: dict[str, str]
) -> None:
    sqlite, postgresql = (every_page(c, "/v1/articles", **params) for c in stores.values())
    assert postgresql == sqlite


def test_facets_and_details_are_equal(stores: dict[str, TestClient]) -> None:
    params = {"q": "minister", "facets": "source,dateline,year"}
    facets = [c.get("/v1/search", params=params).json()["facets"] for c in stores.values()]
    assert facets[0] == facets[1]
    details = [c.get("/v1/articles/1").json() for c in stores.values()]
    for detail in details:  # the moment each store took it in
        detail.pop("ingested_at")
        detail.pop("updated_at")
    assert details[0] == details[1]
