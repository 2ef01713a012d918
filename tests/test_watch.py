"""``byline watch``: the matching articles of the change stream, as they arrive, on both stores;
JSON lines for a pipe, lines for a person, resumable from a line's cursor."""

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO, Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from app.cli.commands import cli
from app.ingestion.run import ingest_paths
from app.search.arrivals import matching_among
from app.search.index import SearchIndex
from app.search.language import parse_query
from app.store.readers import open_reader
from tests.conftest import ROOT, caught_up
from tests.factories import ArticleText, generated_article

HARBOUR = ArticleText(
    title="Harbour strike halts ferries",
    paragraphs=["Dock workers walked out on Monday, and the harbour stood still."],
)
BUDGET = ArticleText(title="Council passes the budget")  # the factory's libraries text
LINE_WAIT_S = 30.0


@pytest.fixture
def runner(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("BYLINE_DATABASE_URL", database_url)
    return CliRunner()


def json_lines(output: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in output.splitlines()]


def test_matching_among_finds_only_the_given_articles_that_match(
    engine: Engine, database_url: str, index_folder: Path, tmp_path: Path, backend: str
) -> None:
    for number in range(4):
        generated_article(number).write(tmp_path, f"report-{number}.txt")
    HARBOUR.write(tmp_path, "strike.txt")
    ingest_paths(engine, [tmp_path])
    index = SearchIndex(index_folder, writer_mb=15)
    caught_up(index, engine)
    reader = open_reader(database_url)
    try:
        query = parse_query("harbour")
        everything = matching_among(reader.rows, index, query=query, ids=range(1, 6))
        assert sorted(everything) == [1, 2, 3, 4, 5]
        some = matching_among(reader.rows, index, query=query, ids={2, 5, 99})
        assert sorted(some) == [2, 5]
        assert "<mark>" in some[5].title_html
        strike = matching_among(reader.rows, index, query=parse_query("strike"), ids={1, 2, 5})
        assert sorted(strike) == [5]
        assert matching_among(reader.rows, index, query=query, ids=set()) == {}
    finally:
        reader.close()


def test_once_prints_the_matching_changes_as_json_lines_and_resumes(
    runner: CliRunner, engine: Engine, tmp_path: Path, backend: str
) -> None:
    HARBOUR.write(tmp_path, "strike.txt")
    BUDGET.write(tmp_path, "budget.txt")
    ingest_paths(engine, [tmp_path])
    result = runner.invoke(cli, ["watch", "harbour", "--since", "start", "--once"])
    assert result.exit_code == 0, result.output
    [line] = json_lines(result.stdout)
    assert line["kind"] == "added"
    assert line["article"]["title"] == HARBOUR.title
    assert line["highlight"]["title"] == "<mark>Harbour</mark> strike halts ferries"
    assert f"--since {line['cursor']}" in result.stderr
    # From its cursor: nothing new, until the article changes.
    resumed = runner.invoke(cli, ["watch", "harbour", "--since", line["cursor"], "--once"])
    assert resumed.exit_code == 0
    assert resumed.stdout == ""
    ArticleText(title=HARBOUR.title, paragraphs=["The harbour opened again."]).write(
        tmp_path, "strike.txt"
    )
    ingest_paths(engine, [tmp_path])
    updated = runner.invoke(cli, ["watch", "harbour", "--since", line["cursor"], "--once"])
    [update] = json_lines(updated.stdout)
    assert (update["kind"], update["article_id"]) == ("updated", line["article_id"])
    assert update["number"] > line["number"]
    lines = runner.invoke(cli, ["watch", "harbour", "--since", "start", "--once", "--lines"])
    assert "Harbour strike halts ferries" in lines.stdout
    assert "opened again" in lines.stdout


@pytest.mark.parametrize(
    ("arguments", "detail"),
    [
        (["   "], "QUERY: The query `q` is blank"),
        (["harbour", "--since", "bogus"], "--since: give `now`, `start`, or the `cursor`"),
    ],
)
def test_bad_input_is_one_line_and_exit_status_2(
    runner: CliRunner, arguments: list[str], detail: str, backend: str
) -> None:
    result = runner.invoke(cli, ["watch", *arguments, "--once"])
    assert result.exit_code == 2
    assert detail in " ".join(result.stderr.split())


def read_lines(stream: IO[str], into: "queue.Queue[str]") -> None:
    for line in stream:
        into.put(line)


def test_it_follows_the_stream_as_articles_arrive_and_stops_on_an_interrupt(
    database_url: str, engine: Engine, tmp_path: Path, backend: str
) -> None:
    corpus = tmp_path / "corpus"
    BUDGET.write(corpus, "budget.txt")
    ingest_paths(engine, [corpus])  # before the watch: not printed
    printed: queue.Queue[str] = queue.Queue()
    with subprocess.Popen(
        [sys.executable, "-m", "app", "watch", "harbour", "--interval", "0.1"],
        cwd=ROOT,
        env={**os.environ, "BYLINE_DATABASE_URL": database_url},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as watch:
        assert watch.stdout is not None
        assert watch.stderr is not None
        reader = threading.Thread(target=read_lines, args=(watch.stdout, printed))
        reader.start()
        try:
            # Its starting point read (an article ingested before would be before it).
            assert watch.stderr.readline().startswith("watching 'harbour' after change 1;")
            HARBOUR.write(corpus, "strike.txt")
            ArticleText(title="Another budget vote").write(corpus, "vote.txt")
            ingest_paths(engine, [corpus])
            arrived = json.loads(printed.get(timeout=LINE_WAIT_S))
            assert (arrived["kind"], arrived["article"]["title"]) == ("added", HARBOUR.title)
            (corpus / "strike.txt").unlink()
            generated_article(1).write(corpus, "report.txt")
            ingest_paths(engine, [corpus], prune=True)
            report = json.loads(printed.get(timeout=LINE_WAIT_S))
            assert report["article"]["title"] == generated_article(1).title
            assert report["number"] > arrived["number"]
        finally:
            watch.send_signal(signal.SIGINT)
            watch.wait(timeout=LINE_WAIT_S)
            reader.join(timeout=LINE_WAIT_S)
        stderr = watch.stderr.read()
    assert watch.returncode == 0, stderr
    assert "resume with --since" in stderr
    assert printed.empty()  # the budget articles and the removal: nothing
