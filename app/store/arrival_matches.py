"""The store's side of matching saved searches on arrival: how far matching has come, and the
matches and webhook deliveries one round made, recorded with that progress in one transaction.

A round reads the changes after the progress, matches them, then records: in a writer's
transaction (the store's write lock, which ingestion and the saving of searches take too), the
progress moves from what the round started at to the last change it matched, but only if no
other process moved it meanwhile and the saved searches are still those it matched; otherwise
nothing is recorded and the round is made again. A crash at any moment loses nothing and
records nothing twice: the next round starts from the progress as committed.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, insert, select, update

from app.store.models import (
    DeliveryState,
    SavedSearchMatch,
    SavedSearchProgress,
    SavedSearchRecord,
    WebhookDelivery,
)
from app.store.times import utc_now

PROGRESS_ROW = 1


@dataclass(slots=True)
class RoundOutcome:
    """What one round of matching found: the matches (saved search id, change number, article
    id) and the deliveries to make (their rows' values, the saved search's id among them)."""

    matches: list[tuple[int, int, int]] = field(default_factory=list)
    deliveries: list[dict[str, Any]] = field(default_factory=list)


def matched_change(connection: Connection) -> int:
    """The number of the last change every saved search was matched against."""
    progress = SavedSearchProgress.__table__.c  # type: ignore[attr-defined]
    found = connection.execute(
        select(progress.matched_change).where(progress.id == PROGRESS_ROW)
    ).scalar_one_or_none()
    return int(found or 0)


def record_round(
    writer: Engine,
    *,
    started_at: int,
    matched_through: int,
    searched: Sequence[int],
    outcome: RoundOutcome,
) -> bool:
    """Record a round that matched the saved searches ``searched`` (their ids) against the
    changes after ``started_at`` up to ``matched_through``; False, recording nothing, when
    another process recorded a round meanwhile or one of those searches was deleted."""
    progress = SavedSearchProgress.__table__.c  # type: ignore[attr-defined]
    saved = SavedSearchRecord.__table__.c  # type: ignore[attr-defined]
    with writer.begin() as connection:
        moved = connection.execute(
            update(SavedSearchProgress)
            .where(progress.id == PROGRESS_ROW, progress.matched_change == started_at)
            .values(matched_change=matched_through)
        )
        if moved.rowcount != 1:
            connection.rollback()
            return False
        # A search deleted meanwhile would lose its matches' rows (and fail their keys): the
        # round is made again. One saved meanwhile owes nothing of it (it was saved at a later
        # point, under the same lock), and ids are never given twice.
        now_saved = set(connection.execute(select(saved.id)).scalars())
        if not set(searched) <= now_saved:
            connection.rollback()
            return False
        if outcome.matches:
            connection.execute(
                insert(SavedSearchMatch),
                [
                    {"saved_search_id": saved_id, "change_number": number, "article_id": article}
                    for saved_id, number, article in outcome.matches
                ],
            )
        if outcome.deliveries:
            now = utc_now()
            connection.execute(
                insert(WebhookDelivery),
                [
                    delivery
                    | {
                        "state": DeliveryState.PENDING.value,
                        "attempts": [],
                        "created_at": now,
                        "next_attempt_at": now,
                    }
                    for delivery in outcome.deliveries
                ],
            )
    return True
