"""The URLs responses carry: an article's own, and the next page's (also a ``Link`` header)."""

from urllib.parse import quote

from fastapi import Request, Response

from app.models import Article, ArticleSummary

ARTICLES_PATH = "/v1/articles"


def article_url(request: Request, slug: str) -> str:
    """The absolute URL of an article, by slug (what ``url_for`` gives, without its route walk)."""
    return f"{request.base_url}{ARTICLES_PATH[1:]}/{quote(slug, safe='')}"


def summary(request: Request, article: Article) -> ArticleSummary:
    """An article's summary with its absolute URL."""
    return ArticleSummary.model_validate(
        article, update={"url": article_url(request, article.slug)}
    )


def next_page_url(request: Request, response: Response, next_cursor: str | None) -> str | None:
    """The URL of the next page, also set as a ``Link: <...>; rel="next"`` header."""
    if next_cursor is None:
        return None
    url = str(request.url.include_query_params(cursor=next_cursor))
    response.headers["Link"] = f'<{url}>; rel="next"'
    return url
