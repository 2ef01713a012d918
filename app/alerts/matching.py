"""Matching on arrival: every saved search matched against the articles of the changes the
store committed after the last round, in an index of those articles alone
(app/search/arrivals.py), so a round's cost grows with its changes and the saved searches,
never with the corpus. Each match is recorded, and a saved search with a webhook gets a
delivery of its round's matches, made then (app/alerts/webhooks.py sends it).

Ingestion runs a round after each batch it commits; each server runs one when it finds the
store ahead of the progress (a batch whose round a crash cut off). Rounds are recorded with
the progress in one transaction (app/store/arrival_matches.py): two processes matching the
same changes record them once.
"""

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, select

from app.problems import InvalidParameter
from app.search.arrivals import arrivals_index, ids_among, matching_among
from app.search.index import SearchIndex
from app.search.language import parse_query
from app.search.query_tree import Column
from app.search.snippets import SearchMatch
from app.search.store_documents import READ_CHUNK, stored_articles
from app.store.arrival_matches import RoundOutcome, matched_change, record_round
from app.store.changes import Change, changes_after, changes_of_after
from app.store.filters import ArticleFilters
from app.store.models import Article, ChangeKind, SavedSearchRecord
from app.store.readers.base import Read

# The body of a delivery: what a saved search matched in a round, each change with its
# article's hit (the API's shape: app/api/webhook_payloads.py).
PayloadMaker = Callable[[SavedSearchRecord, list[tuple[Change, SearchMatch]]], str]

# Changes matched in one round: bounds a round's memory (their articles, in an index).
ROUND_CHANGES = 1_000

_log = logging.getLogger("byline")


@dataclass(frozen=True, slots=True)
class MatchingReport:
    """What matching did: its rounds, the changes they matched, the matches and deliveries."""

    rounds: int = 0
    changes: int = 0
    matches: int = 0
    deliveries: int = 0


def match_arrivals(
    engine: Engine,
    writer: Engine,
    read: Read,
    payload: PayloadMaker,
    *,
    stop: threading.Event | None = None,
    patient: bool = True,
) -> MatchingReport:
    """Match every saved search against the articles of each change after the progress, a
    round of at most ``ROUND_CHANGES`` at a time, until none is left (or ``stop`` is set);
    ``engine`` reads the store (and ``read`` the articles' summaries), ``writer`` records,
    ``payload`` makes the body of each delivery. A round another process recorded first is
    made again from the new progress, unless not ``patient``: then matching ends there (a
    server reading a replica behind the primary would otherwise make the same round again
    and again until the replica caught up)."""
    rounds = changes = matches = deliveries = 0
    while stop is None or not stop.is_set():
        with engine.connect() as connection:
            start = matched_change(connection)
            round_changes = changes_after(connection, start, limit=ROUND_CHANGES)
            if not round_changes:
                return MatchingReport(rounds, changes, matches, deliveries)
            searches = _saved_searches(connection)
            articles = _changed_articles(connection, round_changes) if searches else []
        outcome = _matched(read, searches, articles, payload) if articles else RoundOutcome()
        if record_round(
            writer,
            started_at=start,
            matched_through=round_changes[-1].number,
            searched=[search.id for search in searches if search.id is not None],
            outcome=outcome,
        ):
            rounds += 1
            changes += len(round_changes)
            matches += len(outcome.matches)
            deliveries += len(outcome.deliveries)
        elif not patient:
            break
        # Else another process recorded these changes, or a search was deleted meanwhile:
        # the next round reads the progress and the searches again.
    return MatchingReport(rounds, changes, matches, deliveries)


def behind(connection: Connection, progress: int) -> bool:
    """Whether the store has changes after ``progress`` (no round has matched them yet)."""
    return bool(changes_after(connection, progress, limit=1))


def _saved_searches(connection: Connection) -> list[SavedSearchRecord]:
    table = SavedSearchRecord.__table__  # type: ignore[attr-defined]
    rows = connection.execute(select(table).order_by(table.c.id))
    return [SavedSearchRecord.model_validate(dict(row._mapping)) for row in rows]


@dataclass(frozen=True, slots=True)
class _Arrival:
    """An article as the store holds it, and its latest change of the round."""

    article: dict[str, Any]
    change: Change


def _changed_articles(connection: Connection, changes: Sequence[Change]) -> list[_Arrival]:
    """The articles the changes added or updated that the store still holds, each at its
    latest change of the round (an article changed twice is matched once, at its last)."""
    latest: dict[int, Change] = {}
    for change in changes:
        latest[change.article_id] = change
    kept = {id: change for id, change in latest.items() if change.kind is not ChangeKind.REMOVED}
    # An article changed again after the round is left to the round of its latest change: it
    # is read as it is now, which is what that change made it.
    later = changes_of_after(connection, list(kept), changes[-1].number)
    table = Article.__table__.c  # type: ignore[attr-defined]
    ids = sorted(set(kept) - later)
    arrivals = []
    for start in range(0, len(ids), READ_CHUNK):
        for row in stored_articles(connection, table.id.in_(ids[start : start + READ_CHUNK])):
            arrivals.append(_Arrival(row, kept[row["id"]]))
    return arrivals


def _matched(
    read: Read,
    searches: Sequence[SavedSearchRecord],
    arrivals: Sequence[_Arrival],
    payload: "PayloadMaker",
) -> RoundOutcome:
    """Each saved search matched against the arrivals it has not seen (those after the point
    it was saved at)."""
    index = arrivals_index((arrival.article, arrival.change.number) for arrival in arrivals)
    changes = {arrival.article["id"]: arrival.change for arrival in arrivals}
    every = list(changes)
    first = min(change.number for change in changes.values())
    outcome = RoundOutcome()
    for search in searches:
        assert search.id is not None
        owed = (
            every  # saved before the round's changes: the common case, each owes them all
            if search.last_change < first
            else [id for id, change in changes.items() if change.number > search.last_change]
        )
        if not owed:
            continue
        try:
            _match_one(read, index, search, owed, changes, outcome, payload)
        except (InvalidParameter, ValueError) as error:  # a search this version cannot read
            _log.warning("saved search %s cannot be matched: %s", search.id, error)
        except Exception:  # a bug in one search's matching: never the others' matches
            _log.exception("saved search %s could not be matched", search.id)
    return outcome


def _match_one(
    read: Read,
    index: SearchIndex,
    search: SavedSearchRecord,
    owed: list[int],
    changes: dict[int, Change],
    outcome: RoundOutcome,
    payload: PayloadMaker,
) -> None:
    """Match one saved search against the arrivals it owes, into ``outcome``."""
    assert search.id is not None
    query = parse_query(search.q)
    filters, columns, fuzzy = saved_filters(search.filters)
    found = ids_among(
        read, index, query=query, ids=owed, fuzzy=fuzzy, filters=filters, columns=columns
    )
    if not found:
        return
    ordered = sorted(found, key=lambda id: changes[id].number)
    delivery: list[dict[str, Any]] = []
    if search.webhook_url is not None:
        # The highlights, for the webhook's body: for its matches only.
        marked = matching_among(
            read, index, query=query, ids=found, fuzzy=fuzzy, filters=filters, columns=columns
        )
        delivered = [(changes[id], marked[id]) for id in ordered if id in marked]
        if delivered:
            delivery.append(
                {
                    "saved_search_id": search.id,
                    "first_change": delivered[0][0].number,
                    "last_change": delivered[-1][0].number,
                    "matches": len(delivered),
                    "payload": payload(search, delivered),
                }
            )
    # Only once all of it is made: a search that fails halfway adds nothing.
    outcome.matches.extend((search.id, changes[id].number, id) for id in ordered)
    outcome.deliveries.extend(delivery)


class ArrivalMatching:
    """Ingestion's rounds of matching: one after each batch the store committed; a failure
    (a store that cannot be read or written) is said once and never stops the run, since the
    next round, of this run or of a server, matches what this one did not."""

    def __init__(self, engine: Engine, writer: Engine, read: Read, payload: PayloadMaker) -> None:
        self.engine, self.writer, self.read, self.payload = engine, writer, read, payload
        self.matches = self.deliveries = 0
        self.error: str | None = None

    def __call__(self) -> None:
        try:
            report = match_arrivals(self.engine, self.writer, self.read, self.payload)
        except Exception as error:
            if self.error is None:
                _log.error("saved searches: cannot match the new articles: %s", error)
            self.error = str(error)
            return
        self.matches += report.matches
        self.deliveries += report.deliveries

    def summary(self) -> dict[str, Any]:
        """For the run's report: the matches recorded and deliveries made, and any error."""
        return {"matches": self.matches, "deliveries": self.deliveries, "error": self.error}


def saved_filters(stored: Mapping[str, Any]) -> tuple[ArticleFilters, list[Column], bool]:
    """A saved search's stored filters (those of ``/v1/search``, defaults left out) as the
    search takes them: the article filters, the columns its words are looked for in, and
    whether its names are varied; ``ValueError`` for filters this version cannot read."""
    rest = dict(stored)
    columns = [Column(column) for column in rest.pop("search_in", [])]
    fuzzy = bool(rest.pop("fuzzy", True))
    return ArticleFilters.model_validate(rest), columns, fuzzy
