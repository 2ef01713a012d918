"""``byline watch QUERY``: follow the store's change stream and print each added or updated
article that matches a query as it arrives: lines for a person at a terminal, JSON lines for a
program at the end of a pipe.

Each page of changes is read as ``GET /v1/changes`` reads it (app/store/change_stream.py); the
changed articles are matched once the search index has applied the page's last change (this
process brings the index up to date itself, or waits for the process that holds its writer),
by the search restricted to their ids (app/search/arrivals.py), so a batch costs what its
articles cost, whatever the store's size.
"""

import html
import re
import sys
import time
from contextlib import suppress
from typing import Annotated, Any

import orjson
import typer
from rich.console import Console
from rich.markup import escape
from rich.text import Text
from sqlalchemy import Engine

from app.cli.console import err, migrated_store, printable, read_settings
from app.problems import InvalidParameter
from app.search.arrivals import matching_among
from app.search.index import SearchIndex
from app.search.language import parse_query
from app.search.query_tree import ParsedQuery
from app.search.snippets import SearchMatch
from app.search.upkeep_reports import IndexBusy
from app.store.change_stream import NOW, ChangePoint, StreamEntry, parse_since, read_changes
from app.store.models import ChangeKind
from app.store.readers import open_reader
from app.store.readers.base import Reader

# ``--since start``: from the first change (the API's ``since`` left out).
START = "start"
# Changes read at a time: a page of the stream at its largest.
PAGE_CHANGES = 500
# How often to look again for the index to apply a change another process is applying.
INDEX_WAIT_S = 0.05
_MARK = re.compile(r"<mark>(.*?)</mark>", re.DOTALL)


def watch_command(
    query: Annotated[
        str, typer.Argument(help="A query in the search syntax of /v1/search.", show_default=False)
    ],
    since: Annotated[
        str,
        typer.Option(
            help="Where to start: `now` (what arrives from now on), `start` (every change "
            "the store has made), or a `cursor` a JSON line (or /v1/changes) gave.",
        ),
    ] = NOW,
    once: Annotated[
        bool,
        typer.Option("--once", help="Print what matches up to the store's last change, and stop."),
    ] = False,
    interval: Annotated[
        float, typer.Option(min=0.05, help="Seconds between two looks at the store.")
    ] = 1.0,
    fuzzy: Annotated[
        bool, typer.Option(help="Add the spelling variants of names, as /v1/search does.")
    ] = True,
    as_json: Annotated[
        bool | None,
        typer.Option(
            "--json/--lines",
            help="JSON lines, one a matching change, or lines for a person. "
            + escape("[default: JSON lines unless standard output is a terminal]"),
            show_default=False,
        ),
    ] = None,
) -> None:
    """Print the articles matching QUERY as they are added or updated, oldest first, until
    stopped (Ctrl-C); JSON lines when standard output is not a terminal."""
    try:
        parsed = parse_query(query)
    except InvalidParameter as error:
        err.print(f"[red]error:[/] QUERY: {printable(error.detail)}")
        raise typer.Exit(2) from None
    try:
        start = parse_since(None if since == START else since)
    except InvalidParameter:
        err.print(
            f"[red]error:[/] --since: give `{NOW}`, `{START}`, or the `cursor` of a JSON line "
            "of byline watch (or of /v1/changes)"
        )
        raise typer.Exit(2) from None
    settings = read_settings()
    as_lines = sys.stdout.isatty() if as_json is None else not as_json
    out = Console(highlight=False, soft_wrap=True)
    with migrated_store() as (database_url, engine):
        reader = open_reader(database_url)
        index = SearchIndex(settings.index_folder, writer_mb=settings.index_writer_mb)
        watcher = Watcher(reader, index, engine, query=parsed, fuzzy=fuzzy)
        point: ChangePoint | None = None
        try:
            point = watcher.starting_point(start)
            err.print(
                f"watching {printable(repr(query))} after change {point.number}; Ctrl-C stops",
                markup=False,
            )
            while True:
                entries, point, more = watcher.next_matches(point)
                for entry, match in entries:
                    if as_lines:
                        out.print(_lines(entry, match))
                    else:
                        sys.stdout.write(_json_line(entry, match))
                        sys.stdout.flush()
                if more:
                    continue
                if once:
                    break
                time.sleep(interval)
        except KeyboardInterrupt:
            pass
        except InvalidParameter as error:  # a --since of another store or history
            err.print(f"[red]error:[/] --since: {printable(error.detail)}")
            raise typer.Exit(2) from None
        finally:
            reader.close()
        if point is not None:
            err.print(f"read up to change {point.number}: resume with --since {point.cursor()}")


class Watcher:
    """The matching changes after a point, a page of the stream at a time."""

    def __init__(
        self,
        reader: Reader,
        index: SearchIndex,
        engine: Engine,
        *,
        query: ParsedQuery,
        fuzzy: bool,
    ) -> None:
        self.reader = reader
        self.index = index
        self.engine = engine
        self.query = query
        self.fuzzy = fuzzy

    def starting_point(self, since: ChangePoint | str) -> ChangePoint:
        """The point ``since`` names (``NOW``: the store's last change), checked to be one of
        this store's history."""
        return read_changes(self.reader, since=since, limit=0).resume

    def next_matches(
        self, point: ChangePoint
    ) -> tuple[list[tuple[StreamEntry, SearchMatch]], ChangePoint, bool]:
        """The matching changes of the page after ``point``, the point after that page, and
        whether more changes are waiting."""
        page = read_changes(self.reader, since=point, limit=PAGE_CHANGES)
        arrived = [
            entry
            for entry in page.items
            if entry.kind is not ChangeKind.REMOVED and entry.article is not None
        ]
        if not arrived:
            return [], page.resume, page.more
        self._index_up_to(page.items[-1].number)
        matches = matching_among(
            self.reader.rows,
            self.index,
            query=self.query,
            ids={entry.article_id for entry in arrived},
            fuzzy=self.fuzzy,
        )
        found = [
            (entry, matches[entry.article_id]) for entry in arrived if entry.article_id in matches
        ]
        return found, page.resume, page.more

    def _index_up_to(self, number: int) -> None:
        """Wait until the search index has applied change ``number``: apply it here, or let the
        process holding the index's writer (a server, an ingestion) apply it."""
        while True:
            with suppress(IndexBusy):
                self.index.catch_up(self.engine)
            self.index.reload()
            if self.index.applied_change() >= number:
                return
            time.sleep(INDEX_WAIT_S)


def _json_line(entry: StreamEntry, match: SearchMatch) -> str:
    """A matching change as one JSON line: the change, as ``/v1/changes`` gives it (the article
    without its URL, which only a server knows), and the hit, as ``/v1/search`` gives it."""
    content: dict[str, Any] = {
        "number": entry.number,
        "kind": entry.kind.value,
        "at": entry.at,
        "article_id": entry.article_id,
        "article": match.article,
        "cursor": entry.cursor,
        "score": match.score,
        "highlight": {
            "title": match.title_html,
            "snippet": match.snippet_html,
            "paragraph": match.snippet_paragraph,
        },
        "matched_variants": match.matched_variants,
    }
    return orjson.dumps(content, option=orjson.OPT_UTC_Z).decode() + "\n"


def _lines(entry: StreamEntry, match: SearchMatch) -> Text:
    """A matching change for a person: when and what, the headline, where from, and the
    snippet, its matches in bold."""
    article = match.article
    where = " · ".join(
        str(value) for value in (article["dateline"], article["source"], article["year"]) if value
    )
    text = Text()
    text.append(f"{entry.at[:19].replace('T', ' ')} {entry.kind.value:<7} ", style="dim")
    text.append_text(_marked(match.title_html, style="bold"))
    text.append(f"  {printable(where)}\n" if where else "\n", style="dim")
    text.append("  ")
    text.append_text(_marked(match.snippet_html, style="bold yellow"))
    text.append(f"\n  {printable(article['slug'])} (id {article['id']})", style="dim")
    return text


def _marked(marked_html: str, *, style: str) -> Text:
    """Highlighted HTML (escaped text, ``<mark>`` around matches) as terminal text."""
    text = Text()
    last = 0
    for found in _MARK.finditer(marked_html):
        text.append(printable(html.unescape(marked_html[last : found.start()])))
        text.append(printable(html.unescape(found.group(1))), style=style)
        last = found.end()
    text.append(printable(html.unescape(marked_html[last:])))
    return text
