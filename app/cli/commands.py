"""The ``byline`` command: migrate the store, ingest article files, rebuild the search index,
serve the API, and move a corpus between stores (export, import)."""

import json
import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext, suppress
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from app.api.schemas import run_summary
from app.cli.allocator import bound_arenas
from app.cli.progress import ingest_progress, rebuild_progress
from app.ingestion.ingest import FileResult, IngestReport, Outcome, ingest_paths
from app.problems import NotFound
from app.search.index import IndexBusy, SearchIndex
from app.settings import Settings, get_settings
from app.store.articles import get_run, list_runs
from app.store.changes import count_changes_after, last_change
from app.store.database import create_db_engine, migrate

cli = typer.Typer(
    help="Byline: a searchable JSON API over a folder of news articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def read_settings() -> Settings:
    """The settings; a setting that is not valid is one line naming it, and exit status 2."""
    try:
        return get_settings()
    except ValidationError as error:
        for problem in error.errors():
            name = f"BYLINE_{str(problem['loc'][0]).upper()}"  # the variable, not an item
            reason = problem["msg"].removeprefix("Value error, ")
            err.print(f"[red]error:[/] {escape(printable(f'{name}: {reason}'))}")
        raise typer.Exit(2) from None


@contextmanager
def store_errors() -> Iterator[None]:
    """Turn a store that is locked or unreachable into one clear line and exit status 1."""
    try:
        yield
    except OperationalError as error:
        reason = str(error.orig) if error.orig is not None else str(error)
        hint = (
            " (another process holds the write lock; try again when it is done)"
            if "locked" in reason or "lock timeout" in reason
            else ""
        )
        err.print(f"[red]error:[/] the store refused: {escape(reason)}{hint}")
        raise typer.Exit(1) from None


@contextmanager
def migrated_store(*, writer: bool = False) -> Iterator[tuple[str, Engine]]:
    """The store's URL and an engine on it, migrated first; store errors made one clear line."""
    database_url = read_settings().database_url
    with store_errors():
        migrate(database_url)
        engine = create_db_engine(database_url, writer=writer)
        try:
            yield database_url, engine
        finally:
            engine.dispose()


@cli.command("migrate")
def migrate_command() -> None:
    """Create or upgrade the store's schema to the newest migration."""
    settings = read_settings()
    with store_errors():
        migrate(settings.database_url)
    err.print(f"migrated {escape(_shown_url(settings.database_url))} to the newest schema")


@cli.command("ingest")
def ingest_command(
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            exists=True,
            help="Article files (read whatever their suffix), or folders searched recursively "
            "for .txt, .md, .json and .jsonl files (any other file is reported as skipped). "
            + escape("[default: the seeds folder, BYLINE_SEEDS_DIR]"),
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the report as JSON on standard output.")
    ] = False,
    prune: Annotated[
        bool,
        typer.Option("--prune", help="Delete the articles from under PATH whose files are gone."),
    ] = False,
) -> None:
    """Load article files into the store; exit 1 when any file could not be taken."""
    settings = read_settings()
    with store_errors():
        migrate(settings.database_url)
        report, index = _ingest(settings, paths or [settings.seeds_dir], quiet=as_json, prune=prune)
    if as_json:
        data = report.as_dict() | {"index": index}
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        _print_summary(report, index)
    raise typer.Exit(0 if report.ok else 1)


# How long `byline reindex` waits for another writer (a catch-up) to let the index go.
REINDEX_WAIT_S = 30.0


@cli.command("reindex")
def reindex_command() -> None:
    """Rebuild the search index from the store, with a progress bar. Searches keep the old
    index until the new one is committed whole; a rebuild cut off leaves the old one."""
    settings = read_settings()
    with migrated_store() as (_, engine):
        index = SearchIndex(settings.index_folder, writer_mb=settings.index_writer_mb)
        deadline = time.monotonic() + REINDEX_WAIT_S
        with rebuild_progress(err) as on_progress:
            while True:
                try:
                    index.rebuild(engine, on_progress=on_progress)
                    break
                except IndexBusy:
                    if time.monotonic() > deadline:
                        err.print(
                            "[red]error:[/] another process kept the search index's writer "
                            f"for {REINDEX_WAIT_S:.0f} s; try again when it is done"
                        )
                        raise typer.Exit(1) from None
                    time.sleep(0.2)
        # The changes committed while it read the articles (when another process holds the
        # writer, that process applies them).
        with suppress(IndexBusy):
            index.catch_up(engine)
        state = index.state()
    err.print(
        f"[green]reindexed:[/] {state.documents} articles, change {state.applied_change} "
        f"applied, {state.size_bytes:,} bytes in {escape(str(index.folder))}"
    )


@cli.command("runs")
def runs_command(
    run_id: Annotated[
        int | None, typer.Argument(help="Show this run's whole report.", show_default=False)
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="How many runs to list.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on standard output.")] = False,
) -> None:
    """List the latest ingestion runs, or show one with every failure and skip."""
    with migrated_store() as (_, engine), Session(engine) as session:
        if run_id is None:
            summaries = [run_summary(run) for run in list_runs(session, limit=limit)]
            report = None
        else:
            try:
                run = get_run(session, run_id=run_id)
            except NotFound as error:
                err.print(f"[red]error:[/] {escape(error.detail)}")
                raise typer.Exit(1) from None
            summaries, report = [run_summary(run)], run.report
    if as_json:
        data: Any = (
            summaries[0].model_dump(mode="json") | {"report": report}
            if run_id
            else [summary.model_dump(mode="json") for summary in summaries]
        )
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    table = Table("run", "started", "finished", "paths", "counts", box=None)
    for summary in summaries:
        counts = summary.counts or {}
        table.add_row(
            str(summary.id),
            f"{summary.started_at:%Y-%m-%d %H:%M:%S}",
            f"{summary.finished_at:%H:%M:%S}" if summary.finished_at else "cut off",
            escape(printable(" ".join(summary.paths))),
            ", ".join(f"{count} {name}" for name, count in counts.items() if count),
        )
    Console(highlight=False).print(table)
    if report:
        for kind in ("failures", "skipped", "duplicates", "pruned", "warnings"):
            for entry in report.get(kind, []):
                detail = entry.get("reason") or entry.get("warning") or entry.get("slug") or ""
                typer.echo(printable(f"{kind:<10} {entry.get('path')}: {detail}"))


def _with_default(help_text: str, setting: str) -> str:
    """An option's help with the setting it overrides: its default and its variable (escaped,
    as help is Rich markup, where a bracket opens a tag)."""
    default = Settings.model_fields[setting].default
    return f"{help_text} " + escape(f"[default: {default}, or BYLINE_{setting.upper()}]")


@cli.command("serve")
def serve_command(
    host: Annotated[
        str | None, typer.Option(help=_with_default("Address to bind.", "host"))
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(min=1, max=65535, help=_with_default("Port to listen on.", "port")),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(min=1, max=64, help=_with_default("Server processes.", "workers")),
    ] = None,
) -> None:
    """Migrate, ingest the seeds folder (unless BYLINE_INGEST_ON_START=false) and serve the API."""
    settings = read_settings()
    with store_errors():
        migrate(settings.database_url)
        if settings.ingest_on_start and settings.seeds_dir.is_dir():
            _print_summary(*_ingest(settings, [settings.seeds_dir], quiet=False))
        elif settings.ingest_on_start:
            seeds = escape(str(settings.seeds_dir))
            err.print(f"[yellow]no seeds folder at {seeds}; not ingesting")
    import uvicorn  # noqa: PLC0415  (not imported by the other commands: memory, start time)

    from app.api.server import BoundedHttpToolsProtocol  # noqa: PLC0415  (as uvicorn)

    uvicorn.run(
        "app.api.app:create_app",
        factory=True,
        host=host or settings.host,
        port=port or settings.port,
        workers=workers or settings.workers,
        log_level=settings.log_level,
        http=BoundedHttpToolsProtocol,
        ws="none",
        proxy_headers=True,
        forwarded_allow_ips=settings.forwarded_allow_ips,
    )


@cli.command("export")
def export_command(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            dir_okay=False,
            help="Write to this file. " + escape("[default: standard output]"),
            show_default=False,
        ),
    ] = None,
) -> None:
    """Write the whole store as JSON Lines (articles, revisions, files, runs), streamed."""
    from app.store.transfer import export_store  # noqa: PLC0415

    with migrated_store() as (database_url, engine):
        if output is None:
            counts = export_store(engine, database_url, sys.stdout.buffer)
        else:
            with output.open("wb") as out:
                counts = export_store(engine, database_url, out)
    err.print(f"[green]exported:[/] {_counted(counts.rows)}")


@cli.command("import")
def import_command(
    source: Annotated[
        str, typer.Argument(help="An export's file, or - for standard input.", show_default=False)
    ],
) -> None:
    """Load a `byline export` into an empty store, with its ids, slugs and revisions."""
    from sqlalchemy.exc import IntegrityError  # noqa: PLC0415

    from app.store.transfer import ImportError_, import_store  # noqa: PLC0415

    if source != "-" and not Path(source).is_file():
        err.print(f"[red]error:[/] no file {escape(source)}")
        raise typer.Exit(2)
    with migrated_store(writer=True) as (_, engine):
        try:
            with open(source, "rb") if source != "-" else nullcontext(sys.stdin.buffer) as lines:
                counts = import_store(engine, lines)
        except (ImportError_, IntegrityError) as error:
            reason = str(error.orig) if isinstance(error, IntegrityError) else str(error)
            err.print(f"[red]error:[/] {escape(reason)}; nothing was imported")
            raise typer.Exit(1) from None
    err.print(f"[green]imported:[/] {_counted(counts.rows)}")


def _counted(rows: dict[str, int]) -> str:
    return ", ".join(f"{count} {name.replace('_', ' ')} rows" for name, count in rows.items())


# Seconds between ingestion's catch-ups of the search index: each commit of the index costs a
# flush and an fsync (about 50 ms), which after every batch of 200 files made ingestion nearly
# three times as slow; once a second keeps a search at most about a second behind.
CATCH_UP_INTERVAL = 1.0
# What a run does after its last file.
INDEX_PHASE = "bringing the search index up to date"


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


def _ingest(
    settings: Settings, paths: list[Path], *, quiet: bool, prune: bool = False
) -> tuple[IngestReport, dict[str, Any]]:
    """Ingest with progress on standard error, the search index following each committed
    batch; unless ``quiet``, a line per noteworthy file. The report, and the index's state."""
    engine = create_db_engine(settings.database_url, writer=True)
    # The index reads the store without its write lock: other writers need not wait for it.
    reader = create_db_engine(settings.database_url)
    try:
        index = (
            SearchIndex(settings.index_folder, writer_mb=settings.index_writer_mb)
            if _keeps_an_index(settings)
            else None
        )
        upkeep = IndexUpkeep(index, reader, quiet=quiet)
        with ingest_progress(err, paths) as progress:

            def on_result(result: FileResult) -> None:
                progress.advance(result)
                if not quiet:
                    for line in _result_lines(result):
                        progress.print(line)

            def after_commit() -> None:
                upkeep()
                if index is not None:
                    progress.index_note = f"search index at change {index.applied_change()}"

            report = ingest_paths(
                engine,
                paths,
                on_result=on_result,
                after_commit=after_commit,
                prune=prune,
            )
            if index is not None:
                progress.phase(INDEX_PHASE)
                upkeep(final=True)
        return report, upkeep.summary()
    finally:
        reader.dispose()
        engine.dispose()


def _keeps_an_index(settings: Settings) -> bool:
    """Whether ingestion keeps the search index on this machine: always beside a SQLite file;
    for PostgreSQL only where a server keeps one (its folder exists), since each server machine
    builds and follows its own and an ingesting machine needs none."""
    if make_url(settings.database_url).get_backend_name() != "postgresql":
        return True
    return settings.index_folder.exists()


# Characters that would act on a terminal instead of showing (escape sequences, line breaks that
# forge report lines, bidirectional overrides that reorder a line): shown escaped, as Python would.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with the characters a terminal would act on written as ``\\xNN``/``\\uNNNN``."""
    return _UNPRINTABLE.sub(lambda match: repr(match.group())[1:-1], text)


# The line of each outcome shown, with the file's path and reason and the article's slug; the
# other outcomes show only their warnings.
_OUTCOME_LINES = {
    Outcome.FAILED: "[red]failed[/]     {path}: {reason}",
    Outcome.SKIPPED: "[dim]skipped[/]    {path}: {reason}",
    Outcome.PRUNED: "[magenta]pruned[/]     {path}: article {slug} (its file is gone)",
    Outcome.DUPLICATE: "[yellow]duplicate[/]  {path}: same text as article {slug}",
}


def _result_lines(result: FileResult) -> list[str]:
    line = _OUTCOME_LINES.get(result.outcome)
    if line is None and not result.warnings:
        return []  # most files of a run: nothing to escape
    path = escape(printable(result.path))
    lines = []
    if line is not None:
        reason = escape(printable(result.reason or ""))
        lines.append(line.format(path=path, reason=reason, slug=result.slug))
    lines += [
        f"[yellow]warning[/]    {path}: {escape(printable(warning))}" for warning in result.warnings
    ]
    return lines


def _print_summary(report: IngestReport, index: dict[str, Any]) -> None:
    counts = ", ".join(f"{report.counts[outcome]} {outcome.value}" for outcome in Outcome)
    colour = "green" if report.ok else "red"
    err.print(f"[{colour}]ingested:[/] {counts}")
    if not index["kept_here"]:
        err.print(
            f"[green]search index:[/] none on this machine; each server's index follows the "
            f"store (change {index['last_change']})"
        )
        return
    left = (
        " (left to the process writing it)"
        if index["left_to_another_process"] and index["lag"]
        else ""
    )
    err.print(
        f"[green]search index:[/] change {index['applied_change']} of {index['last_change']} "
        f"applied, {index['documents']} articles{left}"
    )


def _shown_url(url: str) -> str:
    """A database URL without its password, fit for a log line."""
    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    """Entry point of the ``byline`` console script."""
    bound_arenas()  # before any thread starts
    cli()
