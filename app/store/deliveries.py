"""Webhook deliveries as stored: the due ones claimed by a sender for a while, each attempt's
outcome recorded, and a saved search's deliveries listed, newest first.

A sender claims a delivery by setting its lease in a writer's transaction (the store's write
lock), so two servers never send the same attempt; a sender that dies lets its lease run out,
and the delivery is sent again: at least once, never lost (the ``webhook-id`` header lets a
receiver drop a repeat).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, or_, select, update

from app.store.models import DeliveryState, SavedSearchRecord, WebhookDelivery
from app.store.readers.base import Read, Row
from app.store.times import read_time, utc_now


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A delivery to attempt now: where, with what secret, its body and its attempts so far."""

    id: int
    url: str
    secret: str
    payload: str
    attempts: list[dict[str, Any]]
    leased_until: datetime  # the claim: only its holder records the attempt


def any_due(connection: Connection) -> bool:
    """Whether a delivery is due now (read without the store's write lock)."""
    delivery = WebhookDelivery.__table__.c  # type: ignore[attr-defined]
    found = connection.execute(
        select(delivery.id)
        .where(
            delivery.state == DeliveryState.PENDING.value,
            delivery.next_attempt_at <= utc_now(),
        )
        .limit(1)
    ).first()
    return found is not None


def claim_due(writer: Engine, *, lease_s: float, limit: int) -> list[DueDelivery]:
    """The deliveries due now (``limit`` at most, the longest waiting first), each leased to
    the caller for ``lease_s`` seconds."""
    delivery = WebhookDelivery.__table__.c  # type: ignore[attr-defined]
    saved = SavedSearchRecord.__table__.c  # type: ignore[attr-defined]
    now = utc_now()
    lease = now + timedelta(seconds=lease_s)
    with writer.begin() as connection:
        rows = connection.execute(
            select(
                delivery.id,
                delivery.payload,
                delivery.attempts,
                saved.webhook_url,
                saved.webhook_secret,
            )
            .join_from(WebhookDelivery, SavedSearchRecord, delivery.saved_search_id == saved.id)
            .where(
                delivery.state == DeliveryState.PENDING.value,
                delivery.next_attempt_at <= now,
                or_(delivery.leased_until.is_(None), delivery.leased_until < now),
            )
            .order_by(delivery.next_attempt_at, delivery.id)
            .limit(limit)
        ).all()
        if not rows:
            return []
        connection.execute(
            update(WebhookDelivery)
            .where(delivery.id.in_([row.id for row in rows]))
            .values(leased_until=lease)
        )
    return [
        DueDelivery(
            row.id, row.webhook_url, row.webhook_secret, row.payload, row.attempts or [], lease
        )
        for row in rows
        if row.webhook_url and row.webhook_secret
    ]


def record_attempt(
    writer: Engine,
    *,
    delivery: DueDelivery,
    attempt: dict[str, Any],
    state: DeliveryState,
    next_attempt_at: datetime | None,
) -> None:
    """Add ``attempt`` (when, how long, the status or error) to the delivery's, with where it
    stands now and, while pending, when it is tried next; its lease ends. Nothing is recorded
    when the claim was lost meanwhile (it ran out and another sender took the delivery, or it
    was sent again on request): the attempt of the claim's holder is the one recorded."""
    table = WebhookDelivery.__table__.c  # type: ignore[attr-defined]
    mine = (
        table.id == delivery.id,
        table.state == DeliveryState.PENDING.value,
        table.leased_until == delivery.leased_until,
    )
    with writer.begin() as connection:
        attempts = connection.execute(select(table.attempts).where(*mine)).scalar_one_or_none()
        if attempts is None:  # claim lost, or deleted with its saved search meanwhile
            return
        final = state is not DeliveryState.PENDING
        connection.execute(
            update(WebhookDelivery)
            .where(*mine)
            .values(
                attempts=[*attempts, attempt],
                state=state.value,
                next_attempt_at=next_attempt_at,
                leased_until=None,
                finished_at=utc_now() if final else None,
            )
        )


def redeliver(writer: Engine, *, saved_id: int, delivery_id: int) -> Row | None:
    """Send the delivery again now (one attempt more, whatever its state: a receiver that lost
    a delivery, or came back after every retry failed); the delivery as it is then, or None
    when the saved search has no such delivery."""
    delivery = WebhookDelivery.__table__.c  # type: ignore[attr-defined]
    mine = (delivery.id == delivery_id, delivery.saved_search_id == saved_id)
    with writer.begin() as connection:
        connection.execute(
            update(WebhookDelivery)
            .where(*mine)
            .values(
                state=DeliveryState.PENDING.value,
                next_attempt_at=utc_now(),
                leased_until=None,
                finished_at=None,
            )
        )
        row = connection.execute(
            select(*(delivery[name] for name in _COLUMNS.replace(" ", "").split(","))).where(*mine)
        ).first()
    return None if row is None else _shown(dict(row._mapping))


def list_deliveries(
    read: Read, *, saved_id: int, before: int | None, limit: int
) -> tuple[list[Row], int | None]:
    """The saved search's deliveries, newest first, ``limit`` of them from before the id
    ``before`` (from the newest without one), and the id to page on from (None after the
    last)."""
    rows = read(
        f"SELECT {_COLUMNS} FROM webhook_delivery WHERE saved_search_id = ?"  # noqa: S608
        " AND id < ? ORDER BY id DESC LIMIT ?",
        (saved_id, 2**62 if before is None else before, limit + 1),
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return [_shown(row) for row in rows], rows[-1]["id"] if more else None


_COLUMNS = (
    "id, state, first_change, last_change, matches, attempts, created_at, next_attempt_at,"
    " finished_at"
)


def _shown(row: Row) -> Row:
    """A delivery's row with its attempts decoded and its times read."""
    attempts = row["attempts"]
    if isinstance(attempts, str | bytes):  # SQLite's JSON is text; PostgreSQL's decoded
        attempts = orjson.loads(attempts)
    return row | {
        "attempts": attempts,
        "created_at": read_time(row["created_at"]),
        "next_attempt_at": read_time(row["next_attempt_at"]),
        "finished_at": read_time(row["finished_at"]),
    }
