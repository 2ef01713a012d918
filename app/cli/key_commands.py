"""``byline keys``: create, list and revoke the API keys the server asks for when its
``api_keys`` setting is ``optional`` or ``required``."""

import json
import re
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlmodel import Session

from app.api.authentication import KEY_CACHE_SECONDS
from app.cli.console import err, migrated_store, printable
from app.problems import SENDING_A_KEY, ProblemError
from app.store.api_keys import KeyScope, create_api_key, list_api_keys, revoke_api_key
from app.store.database import session_scope

keys_cli = typer.Typer(
    help="Create, list and revoke API keys (asked for when BYLINE_API_KEYS is optional or "
    "required).",
    no_args_is_help=True,
)

RATE_FORM = re.compile(r"(?P<count>[0-9]{1,7})(?:/min)?")


def _rate(value: str | None) -> int | None:
    if value is None:
        return None
    found = RATE_FORM.fullmatch(value.strip())
    if found is None or int(found["count"]) < 1:
        raise typer.BadParameter(f"{value!r} is no rate: write requests a minute, such as 120/min")
    return int(found["count"])


@keys_cli.command("create")
def create_command(
    name: Annotated[
        str, typer.Argument(help="What the key is for, such as newsroom-app.", show_default=False)
    ],
    scope: Annotated[
        KeyScope,
        typer.Option(help="read: the API's GETs; admin: also what changes the store."),
    ] = KeyScope.READ,
    rate: Annotated[
        str | None,
        typer.Option(
            help="Requests a minute this key may make, such as 120/min (default: the server's).",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Make an API key and print it once: only its digest is stored."""
    rate_per_minute = _rate(rate)
    with migrated_store(writer=True) as (_, engine):
        try:
            with session_scope(engine) as session:
                key, record = create_api_key(
                    session, name=name, scope=scope, rate_per_minute=rate_per_minute
                )
        except ProblemError as error:
            err.print(f"[red]error:[/] {escape(printable(error.detail))}")
            raise typer.Exit(1) from None
    typer.echo(key)  # alone on standard output: KEY=$(byline keys create NAME)
    err.print(
        f"[green]created[/] {escape(record.name)} ({record.prefix}, scope {record.scope}). "
        "This is the only time the key is shown: keep it now. Clients send it as "
        f"{SENDING_A_KEY}; the server asks for it when "
        "BYLINE_API_KEYS is optional or required. `byline keys revoke "
        f"{record.prefix}` ends it."
    )


@keys_cli.command("list")
def list_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on standard output.")] = False,
) -> None:
    """List the API keys (revoked ones too): name, prefix, scope, rate, when made and revoked."""
    with migrated_store() as (_, engine), Session(engine) as session:
        records = list_api_keys(session)
    if as_json:
        rows = [
            {
                "name": record.name,
                "prefix": record.prefix,
                "scope": record.scope,
                "rate_per_minute": record.rate_per_minute,
                "created_at": record.created_at.isoformat(),
                "revoked_at": record.revoked_at.isoformat() if record.revoked_at else None,
            }
            for record in records
        ]
        typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    table = Table("name", "prefix", "scope", "rate", "created", "revoked", box=None)
    for record in records:
        table.add_row(
            escape(printable(record.name)),
            record.prefix,
            record.scope,
            f"{record.rate_per_minute}/min" if record.rate_per_minute else "",
            f"{record.created_at:%Y-%m-%d %H:%M:%S}",
            f"{record.revoked_at:%Y-%m-%d %H:%M:%S}" if record.revoked_at else "",
        )
    Console(highlight=False).print(table)


@keys_cli.command("revoke")
def revoke_command(
    name_or_prefix: Annotated[
        str,
        typer.Argument(
            help="The key's name, or its prefix as `byline keys list` shows it (byl_…).",
            show_default=False,
        ),
    ],
) -> None:
    """Revoke an API key: servers refuse it within seconds (see the README)."""
    with migrated_store(writer=True) as (_, engine):
        try:
            with session_scope(engine) as session:
                record = revoke_api_key(session, name_or_prefix=name_or_prefix)
        except ProblemError as error:
            err.print(f"[red]error:[/] {escape(printable(error.detail))}")
            raise typer.Exit(1) from None
    err.print(
        f"[green]revoked[/] {escape(record.name)} ({record.prefix}): every server refuses it "
        f"within {KEY_CACHE_SECONDS:g} seconds."
    )
