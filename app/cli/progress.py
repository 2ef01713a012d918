"""Progress of a long ingestion or index rebuild: a Rich bar with rate and ETA on a terminal, a
plain line every few seconds in a pipe or a log."""

import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from rich.console import Console, RenderableType
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.spinner import Spinner
from rich.text import Text

from app.ingestion.discovery import discover_files
from app.ingestion.outcomes import FileResult
from app.search.upkeep_reports import Progress as IndexProgress

PLAIN_EVERY_S = 5.0


class RateColumn(ProgressColumn):
    """Files a second."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text(f"{speed:,.0f} files/s" if speed else "… files/s", style="progress.data.speed")


class PhaseColumn(ProgressColumn):
    """The work after the last file, with a spinner that turns while it lasts."""

    def __init__(self) -> None:
        super().__init__()
        self.spinner = Spinner("dots", style="progress.spinner")

    def render(self, task: Task) -> RenderableType:
        phase = task.fields.get("phase")
        if not phase:
            return Text("")
        self.spinner.update(text=phase)
        return self.spinner.render(task.get_time())


class IngestProgress:
    """Counts results as they come and shows them; ``print`` keeps the bar in place."""

    def __init__(self, console: Console, total: int | None) -> None:
        self.console = console
        self.total = total
        self.counts: Counter[str] = Counter()
        self.done = 0
        self.started = time.monotonic()
        self.last_line = self.started
        self.bar: Progress | None = None
        self.task: TaskID | None = None
        self.index_note = ""  # how far the search index has followed, once it has

    def advance(self, result: FileResult) -> None:
        self.done += 1
        self.counts[result.outcome.value] += 1
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, advance=1)
        elif time.monotonic() - self.last_line >= PLAIN_EVERY_S:
            self.last_line = time.monotonic()
            index = f"; {self.index_note}" if self.index_note else ""
            self.console.print(self.line() + index)

    def line(self) -> str:
        elapsed = max(time.monotonic() - self.started, 1e-9)
        of = f"/{self.total}" if self.total is not None else ""
        counts = ", ".join(f"{count} {name}" for name, count in sorted(self.counts.items()))
        return f"ingesting: {self.done}{of} files, {self.done / elapsed:.0f}/s ({counts})"

    def phase(self, name: str) -> None:
        """Show that the files are done and the run is at work on ``name``: beside the bar
        with a spinner, so that a full bar does not look stuck (in a log, a line, once the run
        is long enough to have lines)."""
        if self.bar is not None and self.task is not None:
            self.bar.update(self.task, phase=name)
        elif time.monotonic() - self.started >= PLAIN_EVERY_S:
            self.console.print(f"{self.line()}; {name}")
            self.last_line = time.monotonic()

    def print(self, text: str) -> None:
        (self.bar.console if self.bar is not None else self.console).print(text)


@contextmanager
def ingest_progress(console: Console, paths: Iterable[Path]) -> Iterator[IngestProgress]:
    """A progress display for ingesting ``paths``: a bar on a terminal, plain lines otherwise."""
    if not console.is_terminal:
        yield IngestProgress(console, total=None)
        return
    total = sum(1 for _ in discover_files(paths))  # a quick walk, for the bar's ETA
    progress = IngestProgress(console, total)
    with Progress(
        TextColumn("ingesting"),
        BarColumn(),
        MofNCompleteColumn(),
        RateColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        PhaseColumn(),
        console=console,
        transient=True,
    ) as bar:
        progress.bar = bar
        progress.task = bar.add_task("ingest", total=total, phase=None)
        yield progress


@contextmanager
def rebuild_progress(console: Console) -> Iterator[Callable[[IndexProgress], None]]:
    """A progress display for ``byline reindex``: the callback a rebuild reports to, shown as
    a bar on a terminal, a plain line every few seconds otherwise."""
    if not console.is_terminal:
        last_line = time.monotonic()

        def plain(progress: IndexProgress) -> None:
            nonlocal last_line
            if time.monotonic() - last_line >= PLAIN_EVERY_S:
                last_line = time.monotonic()
                console.print(f"reindexing: {progress}")

        yield plain
        return
    with Progress(
        TextColumn("reindexing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("reindex", total=None)

        def update(progress: IndexProgress) -> None:
            bar.update(task, completed=progress.done, total=progress.total)

        yield update
