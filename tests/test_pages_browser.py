"""The page for people (``/``, ``/articles/{ref}``) in a real browser, through a real server on
a small corpus: a search typed in the box, a facet, a bar of the timeline, the sort (with and
without scripts), an article and its related one, the back button, the keyboard, an article's
text that looks like script, accessibility (axe-core) and widths from a phone's to a desktop's.
The same pages as HTML: ``tests/test_pages.py``.

Headless Chromium through Playwright (``tests/browser.py``): any request that leaves loopback,
anything the page's Content-Security-Policy blocks, any console error and any dialog fail the
test, and a failed test's page is saved in ``test-artifacts/``. axe-core is the copy that the
pinned ``axe-playwright-python`` package bundles, read from it: nothing is fetched at test time.
Without Chromium these tests skip and say so.
"""

import json
import re
from collections.abc import Iterator
from importlib import resources
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import CHROMIUM, NO_CHROMIUM, chromium, watched_page
from tests.live import live_server

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(NO_CHROMIUM, allow_module_level=True)

SCRIPT_HEADLINE = "Storm <script>alert(1)</script> hits the coast"
# Two sources, several authors and tags, seven months; the first and the last share the words
# that make them related (Berlin, Scholz, chancellor, defence fund).
ARTICLES: list[dict[str, Any]] = [
    {
        "title": "Macron visits Berlin for talks with Scholz",
        "author": ["Ana Ruiz"],
        "tags": ["France", "Germany"],
        "source": "Reuters",
        "date": "2024-01-15T10:00:00Z",
        "body": "BERLIN (Reuters) - President Emmanuel Macron met Chancellor Olaf Scholz in Berlin"
        " on Monday to discuss a joint defence fund and trade.\n\nThe chancellor said the"
        " defence fund would be ready by the summer.",
    },
    {
        "title": "Harbour reopens after the winter storms",
        "author": ["Ben Cole"],
        "tags": ["Weather"],
        "source": "AFP",
        "date": "2024-02-05T10:00:00Z",
        "body": "MARSEILLE (AFP) - The harbour reopened to ferries on Monday after weeks of storms."
        "\n\nDockers cleared the quays overnight.",
    },
    {
        "title": "Macron in Paris on pensions",
        "author": ["Ben Cole"],
        "tags": ["France"],
        "source": "AFP",
        "date": "2024-03-10T10:00:00Z",
        "body": "PARIS (AFP) - Macron spoke in Paris about pensions and the budget.\n\nUnions"
        " called a strike for the following week.",
    },
    {
        "title": "Zelenskyy meets Macron in Kyiv",
        "author": ["Ana Ruiz", "Oleh Marchenko"],
        "tags": ["Ukraine", "France"],
        "source": "Reuters",
        "date": "2024-03-20T10:00:00Z",
        "body": "KYIV (Reuters) - Volodymyr Zelenskyy and Macron discussed air defence for Kyiv."
        "\n\nThe two presidents also spoke about grain exports.",
    },
    {
        "title": "Macron names a new prime minister",
        "author": ["Claire Dubois"],
        "tags": ["France"],
        "source": "AFP",
        "date": "2024-05-06T10:00:00Z",
        "body": "PARIS (AFP) - Macron named a new prime minister on Monday after weeks of talks."
        "\n\nThe new government is to be named within days.",
    },
    {
        "title": "Scholz and Macron agree Berlin defence fund",
        "author": ["Ana Ruiz"],
        "tags": ["Germany", "France"],
        "source": "Reuters",
        "date": "2024-07-02T10:00:00Z",
        "body": "BERLIN (Reuters) - Chancellor Olaf Scholz and Macron agreed in Berlin on the"
        " joint defence fund first discussed in January.\n\nThe chancellor called it a"
        " milestone.",
    },
    {
        "title": SCRIPT_HEADLINE,
        "source": "AFP",
        "date": "2023-11-02T10:00:00Z",
        "body": "A storm <b>closed</b> the harbour & the <script>alert('x')</script> roads.",
    },
]
MACRON_HITS = 5


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A live server that ingested ``ARTICLES`` on starting (its seeds folder)."""
    folder = tmp_path_factory.mktemp("pages")
    seeds = folder / "articles"
    seeds.mkdir()
    lines = [json.dumps(article) for article in ARTICLES]
    (seeds / "news.jsonl").write_text("\n".join(lines), encoding="utf-8")
    with live_server(f"sqlite:///{folder / 'byline.db'}", BYLINE_SEEDS_DIR=str(seeds)) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    with watched_page(browser, request) as page:
        yield page


@pytest.fixture
def page_without_scripts(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    with watched_page(browser, request, java_script_enabled=False) as page:
        yield page


def query(page: Page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def hit_titles(page: Page) -> list[str]:
    return page.locator("ol.hits h3 a").all_inner_texts()


def total(page: Page) -> str:
    return page.locator("#results-title").inner_text()


def test_a_search_typed_in_the_box_then_narrowed_by_facet_bar_and_sort(
    page: Page, server: str
) -> None:
    page.goto(server)
    expect(page.locator("#results-title")).to_have_text(f"{len(ARTICLES)} articles")
    page.get_by_role("searchbox", name="Search the articles").fill("Macron")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?q=Macron")
    expect(page.locator("#results-title")).to_have_text(f"{MACRON_HITS} articles found")
    expect(page.locator("ol.hits > li")).to_have_count(MACRON_HITS)
    expect(page.locator("ol.hits mark").first).to_have_text("Macron")

    # A facet's value adds its filter; the filter in use is shown and takes itself out.
    page.locator("aside.facets").get_by_role("link", name="Reuters", exact=True).click()
    page.wait_for_url(re.compile(r"source=Reuters"))
    assert query(page) == {"q": ["Macron"], "source": ["Reuters"]}
    expect(page.locator("#results-title")).to_have_text("3 articles found")
    chosen = page.get_by_role("link", name="Remove the filter source: Reuters")
    expect(chosen).to_have_text("source: Reuters ×")
    chosen.click()
    page.wait_for_url("**/?q=Macron")
    expect(page.locator("#results-title")).to_have_text(f"{MACRON_HITS} articles found")

    # A bar of the timeline (an SVG link) narrows the dates to its own.
    bars = page.locator("svg.chart a")
    assert bars.count() >= 3
    label = bars.first.get_attribute("aria-label") or ""
    assert re.fullmatch(r".+: 1 article", label), label
    bars.first.click()
    page.wait_for_url(re.compile(r"published_before="))
    narrowed = query(page)
    assert sorted(narrowed) == ["published_after", "published_before", "q"]
    after, before = narrowed["published_after"][0], narrowed["published_before"][0]
    assert after <= "2024-01-15T10:00:00Z" < before
    expect(page.locator("#results-title")).to_have_text("1 article found")
    assert hit_titles(page) == ["Macron visits Berlin for talks with Scholz"]

    # Choosing a sort applies it, without the button (hidden when scripts run).
    page.goto(f"{server}/?q=Macron")
    expect(page.locator("form.sort button")).to_be_hidden()
    page.get_by_label("Sort by").select_option("oldest")
    page.wait_for_url(re.compile(r"sort=oldest"))
    assert query(page) == {"q": ["Macron"], "sort": ["oldest"]}
    assert hit_titles(page)[0] == "Macron visits Berlin for talks with Scholz"
    assert hit_titles(page)[-1] == "Scholz and Macron agree Berlin defence fund"
    expect(page.get_by_label("Sort by")).to_have_value("oldest")


def test_an_article_its_related_one_and_the_back_button(page: Page, server: str) -> None:
    page.goto(f"{server}/?q=Berlin")
    found = total(page)
    page.get_by_role("link", name="Macron visits Berlin for talks with Scholz").click()
    headline = page.get_by_role("heading", level=1)
    expect(headline).to_have_text("Macron visits Berlin for talks with Scholz")
    paragraphs = page.locator(".text p")
    expect(paragraphs).to_have_count(2)
    expect(paragraphs.first).to_contain_text("met Chancellor Olaf Scholz in Berlin")
    expect(page.locator(".facts")).to_contain_text("Reuters")
    expect(page.locator(".facts")).to_contain_text("15 January 2024")
    expect(page.get_by_role("link", name="The text as received")).to_be_visible()

    related = page.locator("ol.related li").filter(has_text="Scholz and Macron agree")
    expect(related.locator(".shared")).to_contain_text("Shared: ")
    related.get_by_role("link").click()
    expect(headline).to_have_text("Scholz and Macron agree Berlin defence fund")

    page.go_back()
    expect(headline).to_have_text("Macron visits Berlin for talks with Scholz")
    page.go_back()
    expect(page.locator("#results-title")).to_have_text(found)
    expect(page.locator("#q")).to_have_value("Berlin")


def focused(page: Page) -> str:
    """What has the focus: its tag, id and label or text, for a test to read."""
    return str(
        page.evaluate(
            """() => {
              const element = document.activeElement;
              const name = element.getAttribute("aria-label") || element.textContent.trim();
              return `${element.tagName.toLowerCase()}#${element.id} ${name}`;
            }"""
        )
    )


def test_the_keyboard_reaches_the_box_facets_and_bars(page: Page, server: str) -> None:
    page.goto(f"{server}/?q=Macron")
    reached: list[str] = []
    for _ in range(60):
        page.keyboard.press("Tab")
        reached.append(focused(page))
    assert reached[0].startswith("a# Skip to the content")
    assert any(entry.startswith("input#q") for entry in reached), reached
    assert any(entry == "a# Reuters" for entry in reached), reached
    bars = [entry for entry in reached if re.fullmatch(r"a# \w+ .*: \d+ articles?", entry)]
    assert bars, reached
    # A bar is followed with Enter, as any link.
    while not re.fullmatch(r"a# \w+ .*: \d+ articles?", focused(page)):
        page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"published_before="))

    # "/" goes to the search box from anywhere but a field.
    page.locator("aside.facets a").first.focus()
    page.keyboard.press("/")
    expect(page.locator("#q")).to_be_focused()
    expect(page.locator("#q")).to_have_value("Macron")  # not "Macron/"


def test_a_headline_that_looks_like_script_is_text(page: Page, server: str) -> None:
    page.goto(f"{server}/?q=storm")
    link = page.locator("ol.hits h3 a").filter(has_text="hits the coast")
    expect(link).to_have_text(SCRIPT_HEADLINE)
    link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SCRIPT_HEADLINE)
    expect(page.locator(".text")).to_contain_text("<script>alert('x')</script>")
    expect(page.locator(".text")).to_contain_text("<b>closed</b>")
    assert page.locator("script").count() == 1  # the page's own; a dialog fails the test


def test_search_and_sort_work_without_scripts(page_without_scripts: Page, server: str) -> None:
    page = page_without_scripts
    page.goto(server)
    page.locator("#q").fill("Macron")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?q=Macron")
    expect(page.locator("#results-title")).to_have_text(f"{MACRON_HITS} articles found")
    sort = page.get_by_role("button", name="Sort")
    expect(sort).to_be_visible()
    page.get_by_label("Sort by").select_option("newest")
    assert "sort=" not in page.url  # nothing happens until the button is pressed
    sort.click()
    page.wait_for_url(re.compile(r"sort=newest"))
    assert query(page) == {"q": ["Macron"], "sort": ["newest"]}
    assert hit_titles(page)[0] == "Scholz and Macron agree Berlin defence fund"


# Each kind of page: a search with hits, facets and the chart; one narrowed by filters (shown
# as chosen) and dates; the list; one with no hit; an article; a bad request; a missing article.
PAGES = {
    "search": "/?q=Macron",
    "narrowed": "/?q=Macron&source=Reuters&tag=France&published_after=2024-01-01",
    "empty": "/?q=Macron&source=AP",
    "list": "/",
    "article": "/articles/macron-visits-berlin-for-talks-with-scholz",
    "error": "/?q=a&sort=bad",
    "not-found": "/articles/no-such-article",
}
STATUSES = {"error": 400, "not-found": 404}
AXE = (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
# What the page must never have; "moderate" and "minor" findings are read, not failed on.
BLOCKING_IMPACTS = {"serious", "critical"}


def axe_violations(page: Page) -> list[dict[str, Any]]:
    page.evaluate(AXE)
    results = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    violations: list[dict[str, Any]] = results["violations"]
    return violations


@pytest.mark.parametrize("kind", list(PAGES))
def test_no_serious_accessibility_violation(page: Page, server: str, kind: str) -> None:
    response = page.goto(f"{server}{PAGES[kind]}")
    assert response is not None
    assert response.status == STATUSES.get(kind, 200)
    # Everything drawn, the hidden parts too (the query help, the chart's table).
    for details in page.locator("details").all():
        details.evaluate("element => element.open = true")
    blocking = [
        f"{violation['id']} ({violation['impact']}): {violation['help']}; "
        + "; ".join(node["html"] for node in violation["nodes"][:3])
        for violation in axe_violations(page)
        if violation["impact"] in BLOCKING_IMPACTS
    ]
    assert blocking == []


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1440, 900)])
def test_no_page_scrolls_sideways(page: Page, server: str, width: int, height: int) -> None:
    """At a phone's width and a desktop's, each kind of page fits: nothing is wider."""
    page.set_viewport_size({"width": width, "height": height})
    too_wide = {}
    for kind, url in PAGES.items():
        page.goto(f"{server}{url}")
        scroll_width, client_width = page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        if scroll_width > client_width:
            too_wide[kind] = f"{scroll_width}px wide in {client_width}px"
    assert too_wide == {}
