"""``byline serve``: migrate, ingest the seeds folder, and run the API under uvicorn."""

from typing import Annotated

import typer
from rich.markup import escape

from app.cli.console import err, read_settings, store_errors
from app.cli.ingest_command import ingest_with_progress, print_summary
from app.settings import Settings
from app.store.database import migrate


def _with_default(help_text: str, setting: str) -> str:
    """An option's help with the setting it overrides: its default and its variable (escaped,
    as help is Rich markup, where a bracket opens a tag)."""
    default = Settings.model_fields[setting].default
    return f"{help_text} " + escape(f"[default: {default}, or BYLINE_{setting.upper()}]")


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
            print_summary(*ingest_with_progress(settings, [settings.seeds_dir], quiet=False))
        elif settings.ingest_on_start:
            seeds = escape(str(settings.seeds_dir))
            err.print(f"[yellow]no seeds folder at {seeds}; not ingesting")
    import uvicorn  # noqa: PLC0415  (not imported by the other commands: memory, start time)

    from app.api.metrics import shared_by_processes  # noqa: PLC0415  (as uvicorn)
    from app.api.server import BoundedHttpToolsProtocol  # noqa: PLC0415  (as uvicorn)

    processes = workers or settings.workers
    limited = settings.rate_limit or settings.api_keys != "off"  # a key may have a rate
    if processes > 1 and limited and settings.rate_limit_storage.startswith("memory:"):
        # Each process counts its own clients (app/api/rate_limits.py).
        err.print(
            f"[yellow]rate limits are counted in each of the {processes} processes' memory: a "
            f"client may make up to {processes} times its rate (set BYLINE_RATE_LIMIT_STORAGE "
            "to a Redis URL to share one count)"
        )
    # Several processes: /metrics adds up the counts of them all (app/api/metrics.py).
    with shared_by_processes(processes if settings.metrics else 1):
        uvicorn.run(
            "app.api.app:create_app",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            workers=processes,
            log_level=settings.log_level,
            access_log=settings.access_log == "text",  # json: app/api/access_log.py writes it
            http=BoundedHttpToolsProtocol,
            ws="none",
            proxy_headers=True,
            forwarded_allow_ips=settings.forwarded_allow_ips,
            server_header=False,  # no banner naming the server and its version to every client
        )
