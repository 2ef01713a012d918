"""An article's row from its parsed text: the stored columns, each clipped to its limit, and the
revision an update keeps of the article it replaces."""

from typing import Any

from app.ingestion.parsed import ParsedArticle
from app.store.models import Article, ArticleRevision

# Longer headlines are cut here (the raw text keeps them whole): a line this long is not a
# headline, and PostgreSQL's btree index of titles takes entries of about 2,700 bytes at most.
MAX_TITLE = 1000


def clipped(text: str | None, limit: int) -> str | None:
    """``text`` cut to ``limit`` characters, an ellipsis marking the cut."""
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def article_fields(parsed: ParsedArticle) -> dict[str, Any]:
    """The stored columns that come from the parsed text."""
    return {
        "title": clipped(parsed.title, MAX_TITLE),
        "dateline": clipped(parsed.dateline, 120),
        "source": clipped(parsed.source, 200),
        "year": parsed.year,
        "lede": parsed.lede,
        "body": "\n".join(parsed.paragraphs),
        "word_count": parsed.word_count,
        "copyright": parsed.copyright,
        "authors": list(parsed.authors),
        "dateline_date": clipped(parsed.dateline_date, 40),
        "published_at": parsed.published_at,
        "web_url": parsed.web_url,
        "tags": list(parsed.tags),
        "labels": list(parsed.labels),
        "raw_text": parsed.raw_text,
        "content_hash": parsed.content_hash,
    }


def revision_of(article: Article) -> ArticleRevision:
    """The article as it is now, kept as a revision before an update replaces it."""
    assert article.id is not None
    return ArticleRevision(
        article_id=article.id,
        title=article.title,
        dateline=article.dateline,
        source=article.source,
        year=article.year,
        body=article.body,
        raw_text=article.raw_text,
        content_hash=article.content_hash,
        ingested_at=article.updated_at,
    )


def apply_fields(article: Article, parsed: ParsedArticle) -> None:
    """Copy the parsed fields onto a stored article (its id, slug and path stay)."""
    for name, value in article_fields(parsed).items():
        setattr(article, name, value)
