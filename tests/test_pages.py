"""The page for people (``/``, ``/articles/{ref}``) as HTML: what it shows for a search, the
list, a facet, a timeline bar and an article; every state a URL; the text escaped; bad input a
friendly page; on both stores. The same pages in a real browser: ``tests/test_pages_browser.py``.
"""

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.settings import Settings
from tests.conftest import SEED_TITLE, Ingest
from tests.factories import ArticleText

ARTICLES: list[dict[str, Any]] = [
    {
        "title": "Macron visits Berlin for talks",
        "author": ["Ana Ruiz"],
        "tags": ["France", "Germany"],
        "source": "Reuters",
        "date": "2024-01-15T10:00:00Z",
        "body": "President Emmanuel Macron met the chancellor in Berlin on trade and defence.",
    },
    {
        "title": "Macron in Paris",
        "author": ["Ben Cole"],
        "tags": ["France"],
        "source": "AFP",
        "date": "2024-03-10T10:00:00Z",
        "body": "Macron spoke in Paris about pensions and the budget.",
    },
    {
        "title": "Zelenskyy meets Macron",
        "author": ["Ana Ruiz"],
        "source": "Reuters",
        "date": "2024-03-20T10:00:00Z",
        "body": "Volodymyr Zelenskyy and Macron discussed air defence for Kyiv.",
    },
    {
        "title": "Storm <script>alert(1)</script> hits the coast",
        "author": ["<img src=x onerror=alert(2)>"],
        "tags": ['Storms & "floods" <b>'],
        "source": "AFP",
        "date": "2023-11-02T10:00:00Z",
        "body": "A storm <b>closed</b> the harbour & the <script>alert('x')</script> roads.",
    },
]


class Page(HTMLParser):
    """What a test reads of a page: its links (text and href), text and elements by id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.text_parts: list[str] = []
        self.ids: set[str] = set()
        self.scripts = 0
        self._href: str | None = None
        self._link_text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "script":
            self.scripts += 1
        if tag == "a" and found.get("href") is not None:
            self._href = str(found["href"])
            self._link_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._href is not None:
            self.links.append((" ".join("".join(self._link_text).split()), self._href))
            self._href = None

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)
        if self._href is not None:
            self._link_text.append(data)

    @property
    def text(self) -> str:
        return " ".join(" ".join(self.text_parts).split())

    def link(self, text: str) -> str:
        for shown, href in self.links:
            if shown == text:
                return href
        raise AssertionError(f"no link {text!r} in {[shown for shown, _ in self.links]}")


@pytest.fixture
def news(ingest: Ingest, tmp_path: Path) -> None:
    lines = [json.dumps(item) for item in ARTICLES]
    (tmp_path / "news.jsonl").write_text("\n".join(lines), encoding="utf-8")
    assert ingest(tmp_path).ok


def page(client: TestClient, url: str, status: int = 200) -> Page:
    response = client.get(url)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy
    assert "'unsafe-inline'" not in policy
    return Page(response.text)


def params(url: str) -> list[tuple[str, str]]:
    return parse_qsl(urlsplit(url).query)


def test_a_search_shows_its_hits_total_facets_and_timeline(
    client: TestClient, news: None, backend: str
) -> None:
    shown = page(client, "/?q=Macron")
    assert "3 articles found" in shown.text
    assert {text for text, href in shown.links if href.startswith("/articles/")} == {
        "Macron in Paris",
        "Macron visits Berlin for talks",
        "Zelenskyy meets Macron",
    }
    assert "<mark>Macron</mark>" in client.get("/?q=Macron").text
    # Facets: each value a link that adds its filter, with its count.
    reuters = shown.link("Reuters")
    assert ("source", "Reuters") in params(reuters)
    assert ("q", "Macron") in params(reuters)
    assert ("author", "Ana Ruiz") in params(shown.link("Ana Ruiz"))
    assert ("tag", "France") in params(shown.link("France"))
    assert ("year", "2024") in params(shown.link("2024"))
    # The timeline: months from January to March 2024, a bar with matches a link to its dates.
    assert "Coverage by week" in shown.text or "Coverage by month" in shown.text
    bars = [href for text, href in shown.links if "published_after" in href]
    assert bars
    narrowed = page(client, bars[0])
    assert "1 article found" in narrowed.text


def test_a_facet_value_filters_and_can_be_taken_out(
    client: TestClient, news: None, backend: str
) -> None:
    reuters = page(client, page(client, "/?q=Macron").link("Reuters"))
    assert "2 articles found" in reuters.text
    assert "Macron in Paris" not in reuters.text
    # Chosen: shown as a filter in use, whose link leads back to the search without it.
    back = reuters.link("source: Reuters ×")
    assert params(back) == [("q", "Macron")]
    # A new search keeps the filters in use (hidden in the search box's form).
    response = client.get("/", params={"q": "Zelenskyy", "source": "Reuters"})
    assert "1 article found" in Page(response.text).text


def test_without_a_query_every_article_is_listed_newest_first(
    client: TestClient, news: None, backend: str
) -> None:
    shown = page(client, "/")
    assert "4 articles" in shown.text
    titles = [text for text, href in shown.links if href.startswith("/articles/")]
    assert titles[0] == "Zelenskyy meets Macron"
    oldest = page(client, "/?sort=oldest")
    titles = [text for text, href in oldest.links if href.startswith("/articles/")]
    assert titles[0].startswith("Storm")


def test_paging_follows_the_cursor(client: TestClient, ingest: Ingest, tmp_path: Path) -> None:
    lines = [
        json.dumps({"title": f"Harbour report {n}", "body": f"Harbour works, phase {n}."})
        for n in range(25)
    ]
    (tmp_path / "many.jsonl").write_text("\n".join(lines), encoding="utf-8")
    assert ingest(tmp_path).ok
    first = page(client, "/?q=harbour")
    assert "25 articles found" in first.text
    next_url = first.link("Next page")
    assert ("q", "harbour") in params(next_url)
    second = page(client, next_url)
    first_titles = {t for t, h in first.links if h.startswith("/articles/")}
    second_titles = {t for t, h in second.links if h.startswith("/articles/")}
    assert len(first_titles) == 20
    assert len(second_titles) == 5
    assert not first_titles & second_titles
    assert "Next page" not in [text for text, _ in second.links]
    assert params(second.link("First page")) == [("q", "harbour")]


def test_an_articles_page_has_its_text_related_articles_and_links(
    client: TestClient, news: None, backend: str
) -> None:
    search = page(client, "/?q=Berlin")
    article = page(client, search.link("Macron visits Berlin for talks"))
    assert "President Emmanuel Macron met the chancellor" in article.text
    assert "Reuters" in article.text
    assert "Ana Ruiz" in article.text
    assert "15 January 2024" in article.text
    raw = article.link("The text as received")
    assert client.get(raw).status_code == 200
    related = [text for text, href in article.links if href.startswith("/articles/")]
    assert related
    assert "Macron visits Berlin for talks" not in related
    assert page(client, article.link(related[0]))


def test_the_articles_text_is_escaped_everywhere(
    client: TestClient, news: None, backend: str
) -> None:
    for url in ("/?q=storm", "/", "/?q=harbour"):
        response = client.get(url)
        assert "<script>alert" not in response.text
        assert "<b>closed" not in response.text
        assert "<img" not in response.text
        assert "<b>" not in response.text.replace("<b>closed", "")
    found = page(client, "/?q=storm")
    assert "Storm <script>alert(1)</script> hits the coast" in found.text
    # The sidebar's values are the articles' too: shown as written, and their links whole.
    assert found.link("<img src=x onerror=alert(2)>")
    tagged = found.link('Storms & "floods" <b>')
    assert ("tag", 'Storms & "floods" <b>') in params(tagged)
    assert "1 article found" in page(client, tagged).text
    assert found.scripts == 1  # the page's own script, and nothing the text brought
    slug = next(href for text, href in found.links if text.startswith("Storm"))
    article = client.get(slug)
    assert "<script>alert" not in article.text
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in article.text


@pytest.mark.parametrize(
    ("url", "status", "detail"),
    [
        ("/?q=Macron&year=abc", 422, "year"),
        ("/?q=Macron&sort=best", 400, "Unknown sort 'best'"),
        ("/?q=Macron&cursor=nonsense", 400, "cursor"),
        ("/?q=" + "x" * 501, 422, "q"),
        ("/?q=Macron&interval=fortnight", 422, "interval"),
        ("/articles/no-such-article", 404, "no-such-article"),
    ],
)
def test_bad_input_is_a_friendly_page_with_the_query_kept(
    client: TestClient, news: None, url: str, status: int, detail: str
) -> None:
    shown = page(client, url, status)
    assert detail in shown.text
    assert "Traceback" not in shown.text
    if "q=Macron" in url:
        assert re.search(
            r'<input id="q" name="q" type="search" value="Macron"', client.get(url).text
        )


def test_name_variants_and_did_you_mean_are_shown(
    client: TestClient, news: None, backend: str
) -> None:
    shown = page(client, "/?q=Zelensky")
    assert "Also searched: " in shown.text
    assert "zelenskyy" in shown.text.lower()
    assert "1 article found" in shown.text
    # As the API offers it, the page does, as a link to its search.
    offered = client.get("/v1/search", params={"q": "chancelor"}).json()["did_you_mean"]
    assert offered == "chancellor"
    misspelt = page(client, "/?q=chancelor")
    assert "Did you mean chancellor ?" in misspelt.text  # the text of each element, spaced
    assert params(misspelt.link("chancellor")) == [("q", "chancellor")]


def test_the_seed_is_found_from_the_page(client: TestClient, seeded: object) -> None:
    shown = page(client, "/?q=Zelenskyy")
    assert SEED_TITLE in shown.text
    # The seed has no date: no chart, and the page says why.
    assert "1 matching article has no date: there is no timeline to draw." in shown.text


def test_the_pages_keep_the_root_path(settings: Settings, news: None) -> None:
    with TestClient(create_app(settings), root_path="/news") as client:
        shown = page(client, "/?q=Macron")
    assert shown.link("Byline") == "/news/"
    assert all(
        href.startswith(("/news/", "#")) for _, href in shown.links if not href.startswith("http")
    )


def test_a_page_is_tagged_and_an_unchanged_one_is_a_304(
    client: TestClient, news: None, ingest: Ingest, tmp_path: Path
) -> None:
    first = client.get("/?q=Macron")
    tag = first.headers["etag"]
    again = client.get("/?q=Macron", headers={"If-None-Match": tag})
    assert again.status_code == 304
    # Another article: the store changed, and so does the page.
    (tmp_path / "more").mkdir()
    (tmp_path / "more" / "one.jsonl").write_text(
        json.dumps({"title": "Macron again", "body": "Macron, once more."}), encoding="utf-8"
    )
    assert ingest(tmp_path / "more").ok
    changed = client.get("/?q=Macron", headers={"If-None-Match": tag})
    assert changed.status_code == 200
    assert "4 articles found" in Page(changed.text).text
    # A bad request's page is not kept.
    assert "etag" not in client.get("/?sort=bad").headers


def test_an_articles_page_lists_its_revisions_when_it_has_some(
    client: TestClient, ingest: Ingest, tmp_path: Path
) -> None:
    path = ArticleText(title="Storm warning", paragraphs=["Winds rise.", "Ferries stop."]).write(
        tmp_path, "storm.txt"
    )
    ingest(path)
    assert "Revisions" not in page(client, "/articles/storm-warning").text
    ArticleText(title="Storm hits the coast", paragraphs=["Winds rose.", "Schools close."]).write(
        tmp_path, "storm.txt"
    )
    ingest(path)
    shown = page(client, "/articles/storm-warning")
    assert "Storm hits the coast" in shown.text
    assert "Revisions" in shown.text
    assert "first version" in shown.text
    assert "2 (this text)" in shown.text
    assert "title, paragraphs: +2 / −2 paragraphs" in shown.text


def test_an_interval_with_too_many_bars_is_drawn_by_one_that_fits(
    client: TestClient, ingest: Ingest, tmp_path: Path
) -> None:
    lines = [
        json.dumps({"title": f"Harbour {year}", "body": "Harbour.", "date": f"{year}-06-01"})
        for year in (1990, 2024)
    ]
    (tmp_path / "decades.jsonl").write_text("\n".join(lines), encoding="utf-8")
    assert ingest(tmp_path).ok
    shown = page(client, "/?q=harbour&interval=day")
    assert "Coverage by year" in shown.text
    assert "By day these matches would take more bars than the chart draws" in shown.text
    assert "Coverage by day" in page(client, "/?q=harbour&interval=day&published_after=2024").text
    assert "Coverage by month" in page(client, "/?q=harbour&interval=month").text


def test_a_browser_opening_an_address_with_nothing_gets_a_page(client: TestClient) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    shown = client.get("/no/such/page", headers=browser)
    assert shown.status_code == 404
    assert shown.headers["content-type"] == "text/html; charset=utf-8"
    assert "Nothing is at /no/such/page." in Page(shown.text).text
    # A program, and anything under the API, still gets a problem.
    assert client.get("/no/such/page").headers["content-type"] == "application/problem+json"
    api = client.get("/v1/nothing", headers=browser)
    assert api.headers["content-type"] == "application/problem+json"


def test_a_facet_shows_its_ten_most_frequent_values_and_more_on_demand(
    client: TestClient, ingest: Ingest, tmp_path: Path
) -> None:
    lines = [
        json.dumps({"title": f"Harbour {n}", "body": "Harbour.", "tags": [f"tag{n:02d}"]})
        for n in range(14)
    ]
    (tmp_path / "tags.jsonl").write_text("\n".join(lines), encoding="utf-8")
    assert ingest(tmp_path).ok
    shown = page(client, "/?q=harbour&tag=tag13")
    assert "tag13" in [text for text, _ in shown.links]  # chosen: shown, past the first ten
    everything = page(client, "/?q=harbour")
    tags = [text for text, href in everything.links if ("tag", text) in params(href)]
    assert len(tags) == 10
    more = everything.link("Show more")
    assert params(more) == [("q", "harbour"), ("more", "tags")]
    expanded = page(client, more)
    tags = [text for text, href in expanded.links if ("tag", text) in params(href)]
    assert len(tags) == 14
    assert params(expanded.link("Show fewer")) == [("q", "harbour")]
    wrong = page(client, "/?q=harbour&more=colours", 400)
    assert "Unknown facet 'colours' in more" in wrong.text
