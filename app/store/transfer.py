"""Move a corpus between stores: ``byline export`` writes JSON Lines, ``byline import`` reads them.

The first line names the format and the schema it was written from; each other line is one row
of one table (``{"table": "article", "row": {...}}``): every article with its id, slug, text as
received and times, then the revisions, the remembered files and the ingestion runs. The export
streams (memory stays flat whatever the size of the store); the import is one transaction, so a
bad line leaves the target as it was.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

import orjson
from pydantic import ValidationError
from sqlalchemy import Connection, Engine, func, insert, select, text
from sqlmodel import SQLModel

from app.store.database import schema_head
from app.store.models import Article, ArticleRevision, IngestRun, SourceFile

FORMAT = "byline-export"
VERSION = 1
CHUNK = 500
# In the order an import must insert them (revisions refer to articles).
TABLES: dict[str, type[SQLModel]] = {
    "article": Article,
    "article_revision": ArticleRevision,
    "source_file": SourceFile,
    "ingest_run": IngestRun,
}
# Tables whose ids come from a sequence on PostgreSQL, moved past the imported ids.
SEQUENCED = ("article", "article_revision", "ingest_run")


class ImportError_(Exception):  # noqa: N801  (ImportError is Python's own)
    """The file cannot be imported; ``str()`` says where and why."""


@dataclass
class Transferred:
    """How many rows of each table went out or came in."""

    rows: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TABLES, 0))


def export_store(engine: Engine, database_url: str, out: IO[bytes]) -> Transferred:
    """Write the store to ``out`` as JSON Lines, a row at a time; count what was written."""
    counts = Transferred()
    header = {"format": FORMAT, "version": VERSION, "schema_revision": schema_head(database_url)}
    out.write(orjson.dumps(header) + b"\n")
    with engine.connect() as connection:
        for name, model in TABLES.items():
            table = model.__table__  # type: ignore[attr-defined]
            order = list(table.primary_key.columns)
            rows = connection.execute(select(table).order_by(*order)).yield_per(CHUNK)
            for row in rows:
                line = {"table": name, "row": dict(row._mapping)}
                out.write(orjson.dumps(line, option=orjson.OPT_UTC_Z) + b"\n")
                counts.rows[name] += 1
    return counts


def import_store(engine: Engine, lines: Iterable[bytes]) -> Transferred:
    """Insert an export into an empty store, ids and all, in one transaction.

    Raise ``ImportError_`` naming the line when the file is not an export or a row is not valid,
    and when the store already holds articles (an import never merges into a corpus).
    """
    counts = Transferred()
    numbered = enumerate(lines, start=1)
    _check_header(next(numbered, (1, b"")))
    with engine.begin() as connection:
        if connection.execute(select(func.count()).select_from(Article)).scalar_one():
            raise ImportError_(
                "the store already holds articles: import into an empty store "
                "(a new database, or a new BYLINE_DATABASE_URL)"
            )
        pending: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        order = list(TABLES)
        reached = 0  # tables before this one in ``order`` are done
        for number, line in numbered:
            if not line.strip():
                continue
            name, row = _row(number, line)
            position = order.index(name)
            if position < reached:
                raise ImportError_(f"line {number}: a {name} row after the {order[reached]} rows")
            for earlier in order[reached:position]:  # each table is flushed before the next
                _flush(connection, earlier, pending, counts)
            reached = position
            pending[name].append(row)
            if len(pending[name]) >= CHUNK:
                _flush(connection, name, pending, counts)
        for name in order:
            _flush(connection, name, pending, counts)
        if connection.dialect.name == "postgresql":
            for name in SEQUENCED:
                # ``name`` is one of our own table names, never the file's text.
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'),"  # noqa: S608
                        f" coalesce((SELECT max(id) FROM {name}), 0) + 1, false)"
                    )
                )
    return counts


def _check_header(first: tuple[int, bytes]) -> None:
    _, line = first
    try:
        header = orjson.loads(line)
    except orjson.JSONDecodeError:
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ImportError_(f"line 1: not a Byline export (its first line names no {FORMAT!r})")
    if header.get("version") != VERSION:
        raise ImportError_(
            f"line 1: export format version {header.get('version')!r}; this Byline reads {VERSION}"
        )


def _row(number: int, line: bytes) -> tuple[str, dict[str, Any]]:
    """The table and the validated row of one line."""
    try:
        record = orjson.loads(line)
    except orjson.JSONDecodeError as error:
        raise ImportError_(f"line {number}: not JSON ({error})") from None
    name = record.get("table") if isinstance(record, dict) else None
    if name not in TABLES or not isinstance(record.get("row"), dict):
        raise ImportError_(f"line {number}: not a row of {', '.join(TABLES)}")
    try:
        row = TABLES[name].model_validate(record["row"])
    except ValidationError as error:
        problem = error.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise ImportError_(f"line {number}: {name}.{where}: {problem['msg']}") from None
    return name, row.model_dump()


def _flush(
    connection: Connection,
    name: str,
    pending: dict[str, list[dict[str, Any]]],
    counts: Transferred,
) -> None:
    rows = pending[name]
    if rows:
        connection.execute(insert(TABLES[name].__table__), rows)  # type: ignore[attr-defined]
        counts.rows[name] += len(rows)
        rows.clear()
