"""The ``byline`` command: the Typer app and its commands, with the small ones here (migrate the
store, rebuild the search index, list the ingestion runs); ingest, serve, export and import, and
the API keys, have their own modules."""

import json
import time
from contextlib import suppress
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlmodel import Session

from app.api.schemas import run_summary
from app.cli.allocator import bound_arenas
from app.cli.console import err, migrated_store, printable, read_settings, store_errors
from app.cli.ingest_command import ingest_command
from app.cli.key_commands import keys_cli
from app.cli.progress import rebuild_progress
from app.cli.serve_command import serve_command
from app.cli.transfer_commands import export_command, import_command
from app.cli.watch_command import watch_command
from app.problems import NotFound
from app.search.index import SearchIndex
from app.search.upkeep_reports import IndexBusy
from app.store.articles import get_run, list_runs
from app.store.database import migrate

cli = typer.Typer(
    help="Byline: a searchable JSON API over a folder of news articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def migrate_command() -> None:
    """Create or upgrade the store's schema to the newest migration."""
    settings = read_settings()
    with store_errors():
        migrate(settings.database_url)
    err.print(f"migrated {escape(_shown_url(settings.database_url))} to the newest schema")


# How long `byline reindex` waits for another writer (a catch-up) to let the index go.
REINDEX_WAIT_S = 30.0


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


def _shown_url(url: str) -> str:
    """A database URL without its password, fit for a log line."""
    return make_url(url).render_as_string(hide_password=True)


# In the order `byline --help` lists them.
cli.command("migrate")(migrate_command)
cli.command("ingest")(ingest_command)
cli.command("reindex")(reindex_command)
cli.command("runs")(runs_command)
cli.command("serve")(serve_command)
cli.command("export")(export_command)
cli.command("import")(import_command)
cli.command("watch")(watch_command)
cli.add_typer(keys_cli, name="keys")


def main() -> None:
    """Entry point of the ``byline`` console script."""
    bound_arenas()  # before any thread starts
    cli()
