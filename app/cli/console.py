"""What every command shares: the console on standard error, the settings and the store opened
with their problems said in one line (and an exit status), and text made safe for a terminal."""

import re
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from app.settings import Settings, get_settings
from app.store.database import create_db_engine, migrate

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


# Characters that would act on a terminal instead of showing (escape sequences, line breaks that
# forge report lines, bidirectional overrides that reorder a line): shown escaped, as Python would.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with the characters a terminal would act on written as ``\\xNN``/``\\uNNNN``."""
    return _UNPRINTABLE.sub(lambda match: repr(match.group())[1:-1], text)
