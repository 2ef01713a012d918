"""What the index's upkeep tells its callers: how far a catch-up or a rebuild is, what a
catch-up did, the state of the loaded commit, and that another writer holds the lock.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal


class IndexBusy(Exception):
    """Another writer (this process or another) holds the index's writer lock."""


@dataclass(frozen=True, slots=True)
class Progress:
    """How far a catch-up (changes applied, by number) or a rebuild (articles read) is."""

    unit: Literal["change", "article"]
    done: int
    total: int

    def __str__(self) -> str:
        if self.unit == "change":
            return f"change {self.done:,} of {self.total:,} applied"
        return f"{self.done:,} of {self.total:,} articles read"


OnProgress = Callable[[Progress], None]


@dataclass(frozen=True, slots=True)
class CatchUp:
    """What a catch-up did: the change the index had applied before and after, the number of
    changes it applied, and whether it rebuilt the index first."""

    before: int
    after: int
    changes: int
    rebuilt: bool = False


@dataclass(frozen=True, slots=True)
class IndexState:
    """The loaded commit: the last change it applied, the articles it holds, and the bytes
    the folder takes on disk."""

    applied_change: int
    documents: int
    size_bytes: int
