"""The API in a real browser: the interactive docs (every asset from the server, "Try it out"
works, nothing their Content-Security-Policy blocks), and pages of other origins calling the API
(CORS): an allowed origin reads the answer and its ``Link``, another gets nothing.

Playwright drives Debian's Chromium (``BYLINE_CHROMIUM``, default ``/usr/bin/chromium``), headless;
any request that leaves loopback, anything the page's Content-Security-Policy had to block (each
``securitypolicyviolation`` event the page fires is collected) and any error in the console fail
the test. Without Chromium these tests skip and say so.
"""

import http.server
import threading
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import CHROMIUM, NO_CHROMIUM, chromium, watched_page
from tests.conftest import SEED_TITLE
from tests.factories import generated_article
from tests.live import live_server

pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip(NO_CHROMIUM, allow_module_level=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    database = tmp_path_factory.mktemp("docs") / "byline.db"
    with live_server(f"sqlite:///{database}") as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as browser:
        yield browser


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh page that fails the test on any request leaving loopback, anything its
    Content-Security-Policy blocked, any console error or dialog (``tests/browser.py``)."""
    with watched_page(browser, request) as page:
        yield page


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


class OtherOrigin:
    """A web server of another loopback origin, serving one empty page at ``/``."""

    def __init__(self) -> None:
        class EmptyPage(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = b"<!doctype html><title>another origin</title>"
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), EmptyPage)
        self.origin = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def origins() -> Iterator[tuple[OtherOrigin, OtherOrigin]]:
    """Two origins: the first is allowed to call the API, the second is not."""
    allowed, other = OtherOrigin(), OtherOrigin()
    yield allowed, other
    allowed.close()
    other.close()


@pytest.fixture(scope="module")
def cors_server(
    tmp_path_factory: pytest.TempPathFactory, origins: tuple[OtherOrigin, OtherOrigin]
) -> Iterator[str]:
    """A live server on two articles (a page of one has a next) allowing the first origin."""
    folder = tmp_path_factory.mktemp("cors")
    for number in (1, 2):
        generated_article(number).write(folder / "articles", f"{number}.txt")
    env = {"BYLINE_SEEDS_DIR": str(folder / "articles"), "BYLINE_CORS_ORIGINS": origins[0].origin}
    with live_server(f"sqlite:///{folder / 'byline.db'}", **env) as base:
        yield base


# Run in a page: the status, `Link` and item count of a fetch of the API, or the error's name.
FETCH = """async (url) => {
  try {
    const response = await fetch(url);
    const body = await response.json();
    return {status: response.status, link: response.headers.get("Link"), items: body.items.length};
  } catch (error) {
    return {error: error.name};
  }
}"""


def test_a_page_of_an_allowed_origin_reads_the_api_and_its_link(
    page: Page, cors_server: str, origins: tuple[OtherOrigin, OtherOrigin]
) -> None:
    page.goto(origins[0].origin)
    answer = page.evaluate(FETCH, f"{cors_server}/v1/articles?limit=1")
    assert answer["status"] == 200
    assert answer["items"] == 1
    assert answer["link"].startswith(f"<{cors_server}/v1/articles?")
    assert answer["link"].endswith('>; rel="next"')


def test_a_page_of_another_origin_cannot_read_the_api(
    browser: Browser, cors_server: str, origins: tuple[OtherOrigin, OtherOrigin]
) -> None:
    context = browser.new_context()
    page = context.new_page()
    console_errors: list[str] = []
    page.on(
        "console",
        lambda message: console_errors.append(message.text) if message.type == "error" else None,
    )
    page.goto(origins[1].origin)
    answer = page.evaluate(FETCH, f"{cors_server}/v1/articles?limit=1")
    context.close()
    assert answer == {"error": "TypeError"}
    assert any("blocked by CORS policy" in text for text in console_errors), console_errors
