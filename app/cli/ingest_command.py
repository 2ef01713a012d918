"""``byline ingest``: a run with progress on standard error and the search index following it,
a line for each noteworthy file, and the summary (or the report as JSON)."""

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from sqlalchemy.engine import make_url

from app.alerts.matching import ArrivalMatching
from app.api.webhook_payloads import delivery_body
from app.cli.console import err, printable, read_settings, store_errors
from app.cli.index_upkeep import IndexUpkeep
from app.cli.progress import ingest_progress
from app.ingestion.outcomes import FileResult, IngestReport, Outcome
from app.ingestion.run import ingest_paths
from app.search.index import SearchIndex
from app.settings import Settings
from app.store.database import create_db_engine, migrate
from app.store.readers import open_reader

# What a run does after its last file.
INDEX_PHASE = "bringing the search index up to date"


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
        report, index, matching = ingest_with_progress(
            settings, paths or [settings.seeds_dir], quiet=as_json, prune=prune
        )
    if as_json:
        data = report.as_dict() | {"index": index, "saved_searches": matching}
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        print_summary(report, index, matching)
    raise typer.Exit(0 if report.ok else 1)


def ingest_with_progress(
    settings: Settings, paths: list[Path], *, quiet: bool, prune: bool = False
) -> tuple[IngestReport, dict[str, Any], dict[str, Any]]:
    """Ingest with progress on standard error, the search index following each committed
    batch and the saved searches matched against it; unless ``quiet``, a line per noteworthy
    file. The report, the index's state, and what matching found."""
    engine = create_db_engine(settings.database_url, writer=True)
    # The index reads the store without its write lock: other writers need not wait for it.
    reader = create_db_engine(settings.database_url)
    summaries = open_reader(settings.database_url)
    try:
        matching = ArrivalMatching(reader, engine, summaries.rows, delivery_body)
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
                matching()
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
        return report, upkeep.summary(), matching.summary()
    finally:
        summaries.close()
        reader.dispose()
        engine.dispose()


def _keeps_an_index(settings: Settings) -> bool:
    """Whether ingestion keeps the search index on this machine: always beside a SQLite file;
    for PostgreSQL only where a server keeps one (its folder exists), since each server machine
    builds and follows its own and an ingesting machine needs none."""
    if make_url(settings.database_url).get_backend_name() != "postgresql":
        return True
    return settings.index_folder.exists()


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


def print_summary(report: IngestReport, index: dict[str, Any], matching: dict[str, Any]) -> None:
    counts = ", ".join(f"{report.counts[outcome]} {outcome.value}" for outcome in Outcome)
    colour = "green" if report.ok else "red"
    err.print(f"[{colour}]ingested:[/] {counts}")
    if matching["matches"]:
        err.print(
            f"[green]saved searches:[/] {_counted(matching['matches'], 'new match')}, "
            f"{_counted(matching['deliveries'], 'webhook delivery', 'webhook deliveries')} "
            "to make"
        )
    if matching["error"]:
        err.print(f"[red]saved searches:[/] not matched yet: {escape(matching['error'])}")
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


def _counted(count: int, one: str, many: str | None = None) -> str:
    return f"{count} {one if count == 1 else many or one + 'es'}"
