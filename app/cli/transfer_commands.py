"""``byline export`` and ``byline import``: a whole store moved as JSON Lines, streamed."""

import sys
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from app.cli.console import err, migrated_store


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
