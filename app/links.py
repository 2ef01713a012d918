"""The URLs responses carry: an article's own, and the next page's (also a ``Link`` header)."""

import re
from urllib.parse import quote

from fastapi import Request

from app.models import Article, ArticleSummary

ARTICLES_PATH = "/v1/articles"
_SLUG = re.compile(r"[a-z0-9-]+")


def articles_url(request: Request) -> str:
    """The absolute URL of the article list, which an article's URL extends with its slug."""
    return f"{request.base_url}{ARTICLES_PATH[1:]}/"


def article_url(request: Request, slug: str, *, base: str | None = None) -> str:
    """The absolute URL of an article, by slug (what ``url_for`` gives, without its route walk);
    pass ``base`` from ``articles_url`` when making many."""
    return (base or articles_url(request)) + (
        slug if _SLUG.fullmatch(slug) else quote(slug, safe="")
    )


def summary(request: Request, article: Article) -> ArticleSummary:
    """An article's summary with its absolute URL."""
    return ArticleSummary.model_validate(
        article, update={"url": article_url(request, article.slug)}
    )


def next_page_url(request: Request, next_cursor: str | None) -> str | None:
    """The URL of the next page (a ``Link: <...>; rel="next"`` header too, by ``JSONResponse``)."""
    if next_cursor is None:
        return None
    return str(request.url.include_query_params(cursor=next_cursor))
