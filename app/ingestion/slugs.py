"""Slugs of new articles: from the headline, numbered (``base-2``, ...) when another article has
the slug already, and never readable as an id."""

from collections.abc import Iterable

from slugify import slugify
from sqlmodel import Session

from app.ingestion.article_rows import MAX_TITLE

SLUG_MAX_LENGTH = 80


def slug_base(title: str) -> str:
    """The slug of a headline, before any number that tells it from another article's."""
    # The slug's 80 characters come from the headline's start; transliterating the rest of a
    # headline megabytes long would cost seconds for nothing.
    base = slugify(title[:MAX_TITLE], max_length=SLUG_MAX_LENGTH, word_boundary=True) or "article"
    return f"article-{base}" if base.isdigit() else base  # a slug must not read as an id


def slugs_taken(session: Session, bases: Iterable[str]) -> set[str]:
    """The slugs in the store that a new article with one of these slug bases could collide
    with: each base, and each base numbered (``base-2``, ...); one query a hundred bases."""
    bases = sorted(set(bases))
    connection = session.connection()
    mark = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    taken: set[str] = set()
    for start in range(0, len(bases), 100):
        chunk = bases[start : start + 100]
        # Slugs are [a-z0-9-], so "base-…" sorts between "base-" and "base.": an index range
        # each, where LIKE (case-insensitive in SQLite) would scan the whole table.
        ranges = " OR ".join([f"(slug >= {mark} AND slug < {mark})"] * len(chunk))
        marks = ", ".join([mark] * len(chunk))  # placeholders only: the values are parameters
        sql = f"SELECT slug FROM article WHERE slug IN ({marks})"  # noqa: S608
        parameters = [*chunk, *(bound for base in chunk for bound in (f"{base}-", f"{base}."))]
        rows = connection.exec_driver_sql(f"{sql} OR {ranges}", tuple(parameters))
        taken.update(row[0] for row in rows)
    return taken


def free_slug(base: str, taken: set[str]) -> str:
    """``base``, or the first of ``base-2``, ``base-3``, ... that is not ``taken``."""
    slug, suffix = base, 2
    while slug in taken:
        slug, suffix = f"{base}-{suffix}", suffix + 1
    return slug


def unique_slug(session: Session, *, title: str) -> str:
    """A slug from the headline that no article has yet and that cannot be read as an id."""
    base = slug_base(title)
    return free_slug(base, slugs_taken(session, [base]))
