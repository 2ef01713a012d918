"""What a run did with each file: the outcomes, one file's result, the run's report, and a path
as reports and the store show it."""

import os
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any


class Outcome(StrEnum):
    """What ingestion did with one file."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    DUPLICATE = "duplicate"
    FAILED = "failed"
    SKIPPED = "skipped"
    PRUNED = "pruned"


@dataclass(frozen=True, slots=True)
class FileResult:
    """The outcome for one file, with the article it maps to or the reason it failed."""

    path: str
    outcome: Outcome
    article_id: int | None = None
    slug: str | None = None
    reason: str | None = None
    warnings: tuple[str, ...] = ()
    count: int = 1  # a file skipped as unchanged stands for all the articles it gave
    # A folder that could not be listed, resolved as the store knows paths: pruning keeps the
    # articles under it, as they are not known to be gone.
    unread_folder: str | None = None


@dataclass(slots=True)
class IngestReport:
    """Counts of each outcome and the files a reader must know about."""

    counts: Counter[Outcome] = field(default_factory=Counter)
    failures: list[FileResult] = field(default_factory=list)
    duplicates: list[FileResult] = field(default_factory=list)
    skipped: list[FileResult] = field(default_factory=list)
    pruned: list[FileResult] = field(default_factory=list)
    warnings: list[FileResult] = field(default_factory=list)

    def record(self, result: FileResult) -> None:
        """Count a file's outcome and keep it when it is worth reporting."""
        self.counts[result.outcome] += result.count
        if result.outcome is Outcome.FAILED:
            self.failures.append(result)
        elif result.outcome is Outcome.DUPLICATE:
            self.duplicates.append(result)
        elif result.outcome is Outcome.SKIPPED:
            self.skipped.append(result)
        elif result.outcome is Outcome.PRUNED:
            self.pruned.append(result)
        if result.warnings:
            self.warnings.append(result)

    @property
    def ok(self) -> bool:
        """Whether every file was taken."""
        return not self.failures

    def as_dict(self) -> dict[str, Any]:
        """The report as plain data, for ``--json``."""
        return {
            "counts": {outcome.value: self.counts[outcome] for outcome in Outcome},
            "failures": [{"path": r.path, "reason": r.reason} for r in self.failures],
            "duplicates": [
                {"path": r.path, "duplicate_of": {"id": r.article_id, "slug": r.slug}}
                for r in self.duplicates
            ],
            "skipped": [{"path": r.path, "reason": r.reason} for r in self.skipped],
            "pruned": [{"path": r.path, "id": r.article_id, "slug": r.slug} for r in self.pruned],
            "warnings": [
                {"path": r.path, "warning": warning}
                for r in self.warnings
                for warning in r.warnings
            ],
        }


def shown_path(path: Path | str) -> str:
    """A path as text, in reports and in the store: the bytes of a name that are not UTF-8 are
    written ``\\xNN`` (the same each run, so re-runs find the file again)."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")
