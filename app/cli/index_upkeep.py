"""Ingestion's share of the search index's upkeep: the index catches up after committed batches
(at most once a second) and at the end, each problem said once, none stopping the run."""

import time
from typing import Any

from rich.markup import escape
from sqlalchemy import Engine

from app.cli.console import err
from app.search.index import SearchIndex
from app.search.upkeep_reports import IndexBusy
from app.store.changes import count_changes_after, last_change

# Seconds between ingestion's catch-ups of the search index: each commit of the index costs a
# flush and an fsync (about 50 ms), which after every batch of 200 files made ingestion nearly
# three times as slow; once a second keeps a search at most about a second behind.
CATCH_UP_INTERVAL = 1.0


class IndexUpkeep:
    """Ingestion's share of the search index's upkeep: after a batch the store committed (at
    most once every ``CATCH_UP_INTERVAL`` seconds) and at the end, the index catches up,
    unless another process (a server) holds its writer, which then applies the changes
    itself: said once, in one line. An index that cannot be written (a full disk) is said
    once too, and never stops the run: the store has the articles, and the next catch-up
    applies them. Without an index (``None``: a PostgreSQL store, on a machine where no server
    keeps one) the run writes the store only, and each server's follower applies the
    changes."""

    def __init__(self, index: SearchIndex | None, engine: Engine, *, quiet: bool) -> None:
        self.index = index
        self.engine = engine
        self.quiet = quiet
        self.left_to_another = False
        self.error: str | None = None
        self.next_at = 0.0

    def __call__(self, *, final: bool = False) -> None:
        if self.index is None or (not final and time.monotonic() < self.next_at):
            return
        try:
            self.index.catch_up(self.engine)
        except IndexBusy:
            if not self.left_to_another and not self.quiet:
                err.print(
                    "[yellow]search index:[/] another process (a server) is writing it; the "
                    "changes are left to it"
                )
            self.left_to_another = True
        except (OSError, ValueError) as error:  # the engine's own errors are ValueErrors
            if self.error is None:
                err.print(f"[red]search index:[/] cannot catch up: {escape(str(error))}")
            self.error = str(error)
        self.next_at = time.monotonic() + CATCH_UP_INTERVAL

    def summary(self) -> dict[str, Any]:
        """The index's state now, for the run's report (``kept_here`` false and the index's
        own figures null without one)."""
        with self.engine.connect() as connection:
            store = last_change(connection)
            if self.index is None:
                applied = lag = documents = None
            else:
                state = self.index.state()
                applied, documents = state.applied_change, state.documents
                lag = count_changes_after(connection, state.applied_change)
        return {
            "kept_here": self.index is not None,
            "applied_change": applied,
            "last_change": store,
            "lag": lag,
            "documents": documents,
            "left_to_another_process": self.left_to_another,
            "error": self.error,
        }
