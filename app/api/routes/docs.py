"""``/docs`` (Swagger UI) and ``/redoc``, with every asset served by this server.

The assets come from the fastapi-offline package, not from a CDN, so the pages work on a machine
with no internet access. ReDoc's bundle asks for one thing outside whatever its options say, the
logo of its sidebar's footer, from Redocly's CDN: the bundle is served with a logo of this server's
own in its place.

Each page carries a Content-Security-Policy that its own assets satisfy: scripts, styles, images
and requests from this origin only, no plugin, no ``<base>``, no frame may embed the page. Swagger
UI starts from one inline script, allowed by the answer's nonce (a new one each answer), and needs
no inline style. ReDoc's bundle adds ``<style>`` elements as it loads, before any of its options
could hand them a nonce (and Chromium hides a ``nonce`` attribute from the ``<redoc>`` element that
would give it), so its page allows inline styles; its scripts are this origin's only. Neither page
tells the sites it links to (the license, Redocly's) its address.
"""

import hashlib
import secrets
from functools import cache
from pathlib import Path
from urllib.parse import quote

import fastapi_offline
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
ASSETS_URL = "/docs-assets"


def content_security_policy(*, scripts: str = "", styles: str = "") -> str:
    """The docs pages' Content-Security-Policy: this origin's assets, and the inline
    ``scripts`` and ``styles`` sources given (a nonce, ``'unsafe-inline'``)."""
    return "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {scripts}".strip(),
            f"style-src 'self' {styles}".strip(),
            "img-src 'self' data:",  # icons as data: URLs in the style sheets
            "worker-src 'self' blob:",  # ReDoc's search runs in a worker made from a blob
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


REDOC_BUNDLE = "redoc.standalone.js"
REDOC_CDN_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"
# The footer's logo links to Redocly's site (a click is the reader's choice); a data: URL is
# served with the bundle, so it needs no request at all.
REDOC_LOGO_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="112" height="16">'
    '<text x="56" y="12" font-family="sans-serif" font-size="11" fill="#8a8a8a" '
    'text-anchor="middle">API docs by Redocly</text></svg>'
)
REDOC_LOGO = "data:image/svg+xml," + quote(REDOC_LOGO_SVG, safe=" =:/")  # no `"`: a JS string


@cache
def redoc_bundle() -> tuple[bytes, str]:
    """ReDoc's bundle, asking for its footer's logo from this page, not from Redocly's CDN, and
    its entity tag (a megabyte: a browser that has it is answered 304)."""
    bundle = (ASSETS_DIR / REDOC_BUNDLE).read_text(encoding="utf-8")
    served = bundle.replace(REDOC_CDN_LOGO, REDOC_LOGO).encode()
    return served, f'"{hashlib.sha256(served).hexdigest()[:32]}"'


def install_docs(app: FastAPI) -> None:
    """Serve the docs pages and their assets on ``app``."""

    # Before the mount, which would otherwise answer for it with the bundle as shipped.
    @app.get(f"{ASSETS_URL}/{REDOC_BUNDLE}", include_in_schema=False)
    def redoc_script(request: Request) -> Response:
        bundle, etag = redoc_bundle()
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers={"ETag": etag})
        return Response(bundle, media_type="text/javascript; charset=utf-8", headers={"ETag": etag})

    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
        )
        # The page's one inline script, which starts Swagger UI, runs by its nonce.
        nonce = secrets.token_urlsafe(16)
        body = bytes(page.body).replace(b"<script>", f'<script nonce="{nonce}">'.encode(), 1)
        return HTMLResponse(body, headers=_policy_headers(scripts=f"'nonce-{nonce}'"))

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=f"{root}{app.openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/{REDOC_BUNDLE}",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
        return HTMLResponse(page.body, headers=_policy_headers(styles="'unsafe-inline'"))


def _policy_headers(*, scripts: str = "", styles: str = "") -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(scripts=scripts, styles=styles),
        "Referrer-Policy": "no-referrer",
    }
