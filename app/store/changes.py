"""The store's numbered changes (``article_change``): what changed after a number, and the
last number. The search index follows them.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func
from sqlmodel import select

from app.store.models import ArticleChange, ChangeKind


@dataclass(frozen=True, slots=True)
class Change:
    """One numbered change to the articles: what happened to which article, and when."""

    number: int
    article_id: int
    kind: ChangeKind
    at: datetime


def changes_after(connection: Connection, number: int, *, limit: int) -> list[Change]:
    """The changes numbered above ``number``, oldest first, at most ``limit`` of them.

    Numbers are committed in their order (migration 0015), so a reader that has applied every
    change up to N and asks for those after N never misses one committed later.
    """
    table = ArticleChange.__table__.c  # type: ignore[attr-defined]
    rows = connection.execute(
        select(table.number, table.article_id, table.kind, table.at)
        .where(table.number > number)
        .order_by(table.number)
        .limit(limit)
    )
    return [
        Change(number=row.number, article_id=row.article_id, kind=ChangeKind(row.kind), at=row.at)
        for row in rows
    ]


def changes_of_after(connection: Connection, article_ids: list[int], number: int) -> set[int]:
    """Which of ``article_ids`` have a change numbered above ``number``."""
    if not article_ids:
        return set()
    table = ArticleChange.__table__.c  # type: ignore[attr-defined]
    rows = connection.execute(
        select(table.article_id)
        .where(table.article_id.in_(article_ids), table.number > number)
        .distinct()
    )
    return {row.article_id for row in rows}


def last_change(connection: Connection) -> int:
    """The number of the latest committed change to the articles; 0 before the first."""
    table = ArticleChange.__table__.c  # type: ignore[attr-defined]
    return int(connection.execute(select(func.coalesce(func.max(table.number), 0))).scalar_one())


def count_changes_after(connection: Connection, number: int) -> int:
    """How many changes the store has committed numbered above ``number``."""
    table = ArticleChange.__table__.c  # type: ignore[attr-defined]
    return int(
        connection.execute(
            select(func.count()).select_from(ArticleChange).where(table.number > number)
        ).scalar_one()
    )
