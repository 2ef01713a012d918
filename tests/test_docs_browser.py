"""The interactive docs in a real browser: every asset from the server, "Try it out" works.

Playwright drives Debian's Chromium (``BYLINE_CHROMIUM``, default ``/usr/bin/chromium``), headless;
any request that leaves loopback, anything the page's Content-Security-Policy had to block (each
``securitypolicyviolation`` event the page fires is collected) and any error in the console fail
the test. Without Chromium these tests skip and say so.
"""

import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect, sync_playwright

from tests.conftest import SEED_TITLE
from tests.live import ROOT, live_server

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("BYLINE_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts"
LOOPBACK = ("127.0.0.1", "localhost")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Runs in every page before its own scripts: keeps what the page's policy blocked, for the test.
COLLECT_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.effectiveDirective} blocked ${event.blockedURI || "inline"}`);
});
"""

if not CHROMIUM.exists():
    pytest.skip(
        f"no Chromium at {CHROMIUM}: install Debian's `chromium` or set BYLINE_CHROMIUM",
        allow_module_level=True,
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = tmp_path_factory.mktemp("docs") / "byline.db"
    with live_server(f"sqlite:///{database}") as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh page on which any request leaving loopback is stopped and fails the test, and so
    does any console error: a request the page's Content-Security-Policy blocks never leaves the
    browser, but it is a broken page (a missing image, an error in the console) all the same.
    """
    context = browser.new_context()
    outside: list[str] = []
    console_errors: list[str] = []

    def beyond_loopback(url: str) -> bool:
        return url.startswith(("http:", "https:")) and urlsplit(url).hostname not in LOOPBACK

    def stop(route: Route) -> None:
        outside.append(route.request.url)
        route.abort()

    context.route(beyond_loopback, stop)
    context.add_init_script(COLLECT_VIOLATIONS)
    page = context.new_page()
    page.on(
        "console",
        lambda message: console_errors.append(message.text) if message.type == "error" else None,
    )
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    yield page
    violations = page.evaluate("window.__violations")
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert outside == [], f"the page reached beyond loopback: {outside}"
    assert violations == [], f"the page's Content-Security-Policy blocked: {violations}"
    blocked = [text for text in console_errors if "Content Security Policy" in text]
    assert blocked == [], f"the page's Content-Security-Policy blocked: {blocked}"
    assert console_errors == [], f"the page logged errors: {console_errors}"


def test_swagger_ui_lists_every_operation_and_runs_a_search(page: Page, server: str) -> None:
    page.goto(f"{server}/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Byline")
    spec = page.request.get(f"{server}/openapi.json").json()
    operation_ids = [op["operationId"] for ops in spec["paths"].values() for op in ops.values()]
    for operation_id in operation_ids:
        expect(page.locator(f"[id^='operations-'][id$='-{operation_id}']")).to_have_count(1)

    search = page.locator("[id^='operations-'][id$='-search_articles']")
    search.locator(".opblock-summary").click()
    # Each error response shows an example of its own kind, not the schema's 404.
    for status, shown in (("400", "is blank"), ("422", "limit"), ("503", "time budget")):
        example = search.locator(f"tr.response[data-code='{status}'] .example")
        expect(example.first).to_contain_text(shown)
        expect(example.first).not_to_contain_text("No article has the id")
    search.get_by_role("button", name="Try it out").click()
    search.locator("tr[data-param-name='q'] input").fill("Macron")
    search.get_by_role("button", name="Execute").click()
    response = search.locator(".live-responses-table tr.response")
    expect(response.locator(".response-col_status")).to_contain_text("200")
    expect(response.locator(".response-col_description")).to_contain_text(SEED_TITLE)


def test_redoc_renders_the_operations(page: Page, server: str) -> None:
    page.goto(f"{server}/redoc")
    expect(page.locator("h1").first).to_contain_text("Byline", timeout=20_000)
    spec = page.request.get(f"{server}/openapi.json").json()
    summaries = [op["summary"] for ops in spec["paths"].values() for op in ops.values()]
    for summary in summaries:
        expect(page.locator("h2", has_text=summary).first).to_be_visible()
