"""``/docs`` (Swagger UI) and ``/redoc``, with every asset served by this server.

The assets come from the fastapi-offline package, not from a CDN, so the pages work on a machine
with no internet access. A Content-Security-Policy keeps the pages on this origin. ReDoc's bundle
asks for one thing outside whatever its options say, the logo of its sidebar's footer, from
Redocly's CDN: the bundle is served with a logo of this server's own in its place.
"""

import hashlib
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
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'unsafe-inline'",  # Swagger UI starts from an inline script
        "style-src 'self' 'unsafe-inline'",  # ReDoc styles its components inline
        "img-src 'self' data:",
        "font-src 'self' data:",
        "worker-src 'self' blob:",
        "connect-src 'self'",
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
        return _locked(page)

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
        return _locked(page)


def _locked(page: HTMLResponse) -> HTMLResponse:
    page.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return page
