"""Headless Chromium for the browser tests and the README's screenshot: Debian's Chromium
(``BYLINE_CHROMIUM``, default ``/usr/bin/chromium``) driven by Playwright, and pages watched for
what would make them broken or unsafe.

A watched page stops any request that leaves loopback, and collects what the page's
Content-Security-Policy blocked (each ``securitypolicyviolation`` event), its console errors and
any dialog (``alert()`` and the like: text of an article run as script would open one); on leaving,
a failed test's page is saved as a screenshot in ``test-artifacts/``, then any of these fails it.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Route, sync_playwright

from tests.live import ROOT

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
NO_CHROMIUM = f"no Chromium at {CHROMIUM}: install Debian's `chromium` or set BYLINE_CHROMIUM"


@contextmanager
def chromium() -> Iterator[Browser]:
    """Headless Chromium, closed on leaving."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_FLAGS
        )
        try:
            yield browser
        finally:
            browser.close()


def beyond_loopback(url: str) -> bool:
    return url.startswith(("http:", "https:")) and urlsplit(url).hostname not in LOOPBACK


@contextmanager
def watched_page(
    browser: Browser, request: pytest.FixtureRequest | None = None, **context_options: Any
) -> Iterator[Page]:
    """A fresh page (in a context made with ``context_options``) on which any request leaving
    loopback is stopped, and that fails on leaving if one was, or if the page's
    Content-Security-Policy blocked anything, logged an error (but the failed load of a page the
    server answered with an error status) or opened a dialog: a request the policy blocks never
    leaves the browser, but it is a broken page all the same. With the test's
    ``request``, a failed test's page is saved as a screenshot first.
    """
    context = browser.new_context(**context_options)
    outside: list[str] = []
    console_errors: list[str] = []
    dialogs: list[str] = []
    # Pages the server answered with an error status: Chromium logs each as a failed load, which
    # is what a page of a bad request is (the test reads its status), not a broken page.
    error_pages: set[str] = set()

    def stop(route: Route) -> None:
        outside.append(route.request.url)
        route.abort()

    def dismiss(dialog: Dialog) -> None:
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    context.route(beyond_loopback, stop)
    context.add_init_script(COLLECT_VIOLATIONS)
    page = context.new_page()
    page.on(
        "response",
        lambda response: (
            error_pages.add(response.url)
            if response.request.resource_type == "document" and response.status >= 400
            else None
        ),
    )

    def console(message: ConsoleMessage) -> None:
        failed_page = message.text.startswith("Failed to load resource: the server responded")
        if message.type == "error" and not (
            failed_page and message.location.get("url") in error_pages
        ):
            console_errors.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    page.on("dialog", dismiss)
    try:
        yield page
        # Without scripts the collector never ran: nothing was blocked that a script would see.
        scripted = context_options.get("java_script_enabled", True)
        violations = page.evaluate("window.__violations || []") if scripted else []
    finally:
        failed = getattr(request.node, "rep_call", None) if request is not None else None
        if request is not None and failed is not None and failed.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
        context.close()
    assert outside == [], f"the page reached beyond loopback: {outside}"
    assert violations == [], f"the page's Content-Security-Policy blocked: {violations}"
    blocked = [text for text in console_errors if "Content Security Policy" in text]
    assert blocked == [], f"the page's Content-Security-Policy blocked: {blocked}"
    assert console_errors == [], f"the page logged errors: {console_errors}"
    assert dialogs == [], f"the page opened dialogs: {dialogs}"
