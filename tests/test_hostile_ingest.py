"""Hostile folders and files: each bad entry is one result with its reason, the run goes on.

Every hostile input is built here, at most a few MiB. The costs bounded below were quadratic
before (an unclosed emphasis, link or heading, a body or byline of spaces, a run of combining
marks: each took more than 30 s at 1 MiB); each now takes well under a second.
"""

import itertools
import json
import os
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlmodel import Session, select
from typer.testing import CliRunner

from app.cli.commands import cli
from app.cli.console import printable
from app.ingestion.formats.decoding import decode_text
from app.ingestion.formats.json_exports import MAX_RECORDS
from app.ingestion.formats.markdown import MAX_FRONT_MATTER_CHARS
from app.ingestion.formats.readers import reader_for
from app.ingestion.outcomes import FileResult, IngestReport, Outcome, shown_path
from app.ingestion.parsed import ArticleRejected
from app.ingestion.reading import MAX_FILE_BYTES
from app.ingestion.run import ingest_paths
from app.store.models import Article, IngestRun
from tests.conftest import Ingest
from tests.factories import ArticleText, generated_article

LOOP = "cannot read: Too many levels of symbolic links"
OVERFLOWING = "9999-12-31T23:59:59-23:59"  # after the last datetime once moved to UTC
# Generous for a machine shared with other work: each of these inputs costs well under a second.
BOUND_S = 5.0


def articles(engine: Engine) -> list[Article]:
    with Session(engine) as session:
        return list(session.exec(select(Article).order_by(Article.id)))  # type: ignore[arg-type]


def assert_run_finished(engine: Engine) -> IngestRun:
    """The last run ended, its report stored."""
    with Session(engine) as session:
        run = session.exec(select(IngestRun).order_by(IngestRun.id.desc())).first()  # type: ignore[union-attr]
        assert run is not None
        assert run.finished_at is not None
        assert run.report is not None
    return run


def by_path(report: IngestReport) -> dict[str, str | None]:
    return {result.path: result.reason for result in [*report.failures, *report.skipped]}


def good(folder: Path, name: str = "good.txt", number: int = 1) -> Path:
    return generated_article(number).write(folder, name)


def test_link_loops_fail_alone(ingest: Ingest, engine: Engine, tmp_path: Path) -> None:
    good(tmp_path)
    (tmp_path / "self.txt").symlink_to("self.txt")
    (tmp_path / "a.txt").symlink_to("b.txt")
    (tmp_path / "b.txt").symlink_to("a.txt")
    (tmp_path / "dangling.txt").symlink_to("nowhere.txt")
    report = ingest(tmp_path)
    assert report.counts[Outcome.ADDED] == 1
    assert by_path(report) == {
        str(tmp_path / "self.txt"): LOOP,
        str(tmp_path / "a.txt"): LOOP,
        str(tmp_path / "b.txt"): LOOP,
        str(tmp_path / "dangling.txt"): "cannot read: No such file or directory",
    }
    assert_run_finished(engine)


def test_a_link_loop_given_by_name_fails_alone(
    ingest: Ingest, engine: Engine, tmp_path: Path
) -> None:
    (tmp_path / "self.txt").symlink_to("self.txt")
    report = ingest(tmp_path / "self.txt", good(tmp_path))
    assert by_path(report) == {str(tmp_path / "self.txt"): LOOP}
    assert report.counts[Outcome.ADDED] == 1
    assert_run_finished(engine)


NAMES = [
    b"caf\xe9.txt",  # Latin-1, not UTF-8
    b"\xff\xfe.txt",
    b"evil\x1b[31mred.txt",  # an ANSI escape
    b"two\nfailed     lines.txt",  # a newline that would forge a report line
    "caf\u00e9-utf8.txt".encode(),
]


def test_odd_names_are_taken_under_a_stable_name(
    ingest: Ingest, engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for number, name in enumerate(NAMES, start=1):
        path = folder / os.fsdecode(name)
        path.write_text(generated_article(number).render(), encoding="utf-8")
    report = ingest(folder)
    assert report.counts[Outcome.ADDED] == len(NAMES), report.as_dict()
    stored = {article.source_path for article in articles(engine)}
    base = shown_path(folder.resolve())
    assert stored == {
        f"{base}/caf\\xe9.txt",
        f"{base}/\\xff\\xfe.txt",
        f"{base}/evil\x1b[31mred.txt",
        f"{base}/two\nfailed     lines.txt",
        f"{base}/caf\u00e9-utf8.txt",
    }
    assert_run_finished(engine)
    again = ingest(folder)  # the same names again: nothing new
    assert again.counts[Outcome.UNCHANGED] == len(NAMES)
    assert again.counts[Outcome.ADDED] == 0


def test_a_folder_with_a_name_that_is_not_utf8_is_pruned_by_its_name(
    engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / os.fsdecode(b"d\xe9p\xeache")
    good(folder)
    ingest_paths(engine, [folder])
    (folder / "good.txt").unlink()
    report = ingest_paths(engine, [folder], prune=True)
    assert report.counts[Outcome.PRUNED] == 1
    assert articles(engine) == []
    run = assert_run_finished(engine)
    assert run.paths == [shown_path(folder)]


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "date.json",
            json.dumps({"title": "A dated story", "body": "Words.", "date": OVERFLOWING}),
        ),
        ("date.md", f"---\ntitle: A dated story\ndate: {OVERFLOWING}\n---\nWords.\n"),
        ("early.md", "---\ntitle: A dated story\ndate: 0001-01-01T00:00:00+23:59\n---\nWords.\n"),
    ],
)
def test_a_date_outside_utc_is_a_warning(
    ingest: Ingest, engine: Engine, tmp_path: Path, name: str, text: str
) -> None:
    (tmp_path / name).write_text(text, encoding="utf-8")
    good(tmp_path)
    report = ingest(tmp_path)
    assert report.counts[Outcome.ADDED] == 2
    [warned] = report.warnings
    assert warned.path == str(tmp_path / name)
    assert warned.warnings[0].endswith("is out of range in UTC: no published_at")
    assert {article.published_at for article in articles(engine)} == {None}
    assert_run_finished(engine)


@pytest.mark.parametrize("date", [10**400, 1e308, float("inf"), "9" * 5000])
def test_a_number_no_date_can_be_is_a_warning(
    ingest: Ingest, engine: Engine, tmp_path: Path, date: object
) -> None:
    record = {"title": "A dated story", "body": "Words.", "date": date}
    (tmp_path / "date.json").write_text(json.dumps(record), encoding="utf-8")
    report = ingest(tmp_path)
    assert report.counts[Outcome.ADDED] == 1
    [warned] = report.warnings
    assert warned.warnings[0].startswith("unreadable date")
    assert_run_finished(engine)


def test_folders_nested_a_thousand_deep(ingest: Ingest, engine: Engine, tmp_path: Path) -> None:
    # Made and removed a level at a time: pathlib's mkdir(parents=True) and shutil.rmtree
    # (pytest's clean-up) recurse once a level, past the stack's limit.
    levels = [tmp_path / "d"]
    for _ in range(999):
        levels.append(levels[-1] / "d")
    for level in levels:
        level.mkdir()
    try:
        deepest = good(levels[-1], "deep.txt")
        good(tmp_path, "top.txt", number=2)
        report = ingest(tmp_path)
        assert report.counts[Outcome.ADDED] == 2, report.as_dict()
        assert_run_finished(engine)
    finally:
        deepest.unlink(missing_ok=True)
        for level in reversed(levels):
            level.rmdir()


def test_a_folder_too_deep_to_open_fails_alone(
    ingest: Ingest, engine: Engine, tmp_path: Path
) -> None:
    """Folders whose path is longer than the system's limit (PATH_MAX) cannot be listed."""
    name = "n" * 250
    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        for _ in range(20):  # 20 names of 251 characters: past the 4096 of PATH_MAX
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
    finally:
        os.close(fd)
    good(tmp_path)
    report = ingest(tmp_path)
    assert report.counts[Outcome.ADDED] == 1
    [failure] = report.failures
    assert failure.reason == "cannot list folder: File name too long"
    assert_run_finished(engine)


def test_a_folder_that_cannot_be_listed_fails_alone_and_keeps_its_articles(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """As a folder without read permission (the tests may run as root, whom no mode stops)."""
    locked = tmp_path / "locked"
    good(locked, "inside.txt")
    good(tmp_path, "outside.txt", number=2)
    assert ingest_paths(engine, [tmp_path]).counts[Outcome.ADDED] == 2

    scandir = os.scandir

    def refusing(path: str | Path) -> Any:
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refusing)
    lines: list[FileResult] = []
    report = ingest_paths(engine, [tmp_path], on_result=lines.append, prune=True)
    assert by_path(report) == {str(locked): "cannot list folder: Permission denied"}
    assert report.counts[Outcome.UNCHANGED] == 1
    assert report.counts[Outcome.PRUNED] == 0  # the articles under it are not the run's to judge
    assert len(articles(engine)) == 2
    assert [line.path for line in lines] == [str(tmp_path / "outside.txt"), str(locked)]
    assert_run_finished(engine)


def test_a_reader_that_raises_fails_its_file_alone(
    ingest: Ingest, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(data: bytes) -> list[object]:
        raise RuntimeError("the reader broke")

    monkeypatch.setattr(
        "app.ingestion.reading.reader_for",
        lambda suffix: broken if suffix == ".md" else reader_for(suffix),
    )
    (tmp_path / "bad.md").write_text("# A title\n\nWords.\n", encoding="utf-8")
    good(tmp_path)
    report = ingest(tmp_path)
    assert by_path(report) == {
        str(tmp_path / "bad.md"): "cannot read: RuntimeError: the reader broke"
    }
    assert report.counts[Outcome.ADDED] == 1
    assert_run_finished(engine)


def test_a_file_that_vanishes_fails_alone(
    ingest: Ingest, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = good(tmp_path, "gone.txt", number=2)
    good(tmp_path)
    real = os.scandir

    @contextmanager
    def then_vanishing(path: str | Path) -> Iterator[list[os.DirEntry[str]]]:
        with real(path) as listing:
            entries = list(listing)
        gone.unlink()  # after the folder is listed, before the file is read
        yield entries

    monkeypatch.setattr(os, "scandir", then_vanishing)
    report = ingest(tmp_path)
    assert by_path(report) == {str(gone): "cannot read: No such file or directory"}
    assert report.counts[Outcome.ADDED] == 1
    assert_run_finished(engine)


def test_a_folder_replaced_by_a_file_fails_alone(
    ingest: Ingest, engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    moved = tmp_path / "moved"
    good(moved, "inside.txt", number=2)
    good(tmp_path)
    real = os.scandir

    def replacing(path: str | Path) -> Any:
        if Path(path) == moved:  # between the listing of its parent and its own
            (moved / "inside.txt").unlink()
            moved.rmdir()
            moved.write_text("now a file")
        return real(path)

    monkeypatch.setattr(os, "scandir", replacing)
    report = ingest(tmp_path)
    assert by_path(report) == {str(moved): "cannot list folder: Not a directory"}
    assert report.counts[Outcome.ADDED] == 1
    assert_run_finished(engine)


ALIAS_BOMB = (
    "---\n"
    "a: &a [x, x, x, x, x, x, x, x, x]\n"
    "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
    "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
    "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
    "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
    "title: [*h, *h, *h, *h, *h, *h, *h, *h, *h]\n"
    "---\n"
    "Words.\n"
)


def test_a_yaml_alias_bomb_fails_at_once(ingest: Ingest, engine: Engine, tmp_path: Path) -> None:
    (tmp_path / "bomb.md").write_text(ALIAS_BOMB, encoding="utf-8")  # 9^9 strings expanded
    good(tmp_path)
    started = time.monotonic()
    report = ingest(tmp_path)
    assert time.monotonic() - started < BOUND_S
    assert by_path(report) == {
        str(tmp_path / "bomb.md"): "front matter uses YAML anchors or aliases (refused)"
    }
    assert report.counts[Outcome.ADDED] == 1
    assert_run_finished(engine)


MiB = 1024 * 1024

# Each is refused with its reason, quickly.
REFUSED: dict[str, tuple[str, bytes, str]] = {
    "front matter too large": (
        ".md",
        b"---\n" + b"tag: x\n" * (MAX_FRONT_MATTER_CHARS // 7 + 1) + b"---\nWords.\n",
        f"front matter too large: more than {MAX_FRONT_MATTER_CHARS} characters",
    ),
    "front matter nested deeply": (
        ".md",
        b"---\ntitle: " + b"[" * 50_000 + b"\n---\nWords.\n",
        "front matter is not valid YAML",
    ),
    "JSON nested deeply": (".json", b"[" * MiB, "JSON nested too deeply"),
    "JSON number too long": (
        ".json",
        b'{"title": "T", "body": "B", "n": ' + b"1" * 5000 + b"}",
        "not valid JSON: Exceeds the limit (4300 digits)",
    ),
    "JSON list of too many records": (
        ".json",
        b"[" + b"{}," * MAX_RECORDS + b"{}]",
        f"too many records: more than {MAX_RECORDS} in one file",
    ),
    "JSON Lines of too many records": (
        ".jsonl",
        b"{}\n" * (MAX_RECORDS + 1),
        f"too many records: more than {MAX_RECORDS} in one file",
    ),
}


@pytest.mark.parametrize("case", REFUSED)
def test_hostile_content_is_refused_quickly(case: str) -> None:
    suffix, data, reason = REFUSED[case]
    started = time.monotonic()
    with pytest.raises(ArticleRejected) as refusal:
        reader_for(suffix)(data)
    assert time.monotonic() - started < BOUND_S
    assert str(refusal.value).startswith(reason)


# Text that made a pattern scan each line once per opener (or a sort, once per mark): quadratic.
TAKEN: dict[str, tuple[str, bytes]] = {
    "emphasis never closed": (".md", b"Title\n\n" + b"*a " * (MiB // 3)),
    "strong never closed": (".md", b"Title\n\n" + b"**a " * (MiB // 4)),
    "link text never closed": (".md", b"Title\n\n" + b"[a" * (MiB // 2)),
    "link address never closed": (".md", b"Title\n\n" + b"[a](" * (MiB // 4)),
    "image never closed": (".md", b"Title\n\n" + b"![a](" * (MiB // 5)),
    "heading of spaces": (".md", b"# a" + b" " * MiB + b"b\n\nWords.\n"),
    "body of spaces": (".json", json.dumps({"title": "T", "body": "a" + " " * MiB + "b"}).encode()),
    "authors of spaces": (
        ".json",
        json.dumps({"title": "T", "body": "B", "author": "a" + " " * MiB + "b"}).encode(),
    ),
    "date of a megabyte": (
        ".json",
        json.dumps({"title": "T", "body": "B", "date": "2024 " * (MiB // 5)}).encode(),
    ),
    "a million combining marks": (".txt", b"Title\n\na" + "\u0301\u0316".encode() * (MiB // 4)),
    "a place a megabyte long": (".txt", b"Title\n\nLONDON, " + b"A" * MiB),
}


@pytest.mark.parametrize("case", TAKEN)
def test_hostile_content_costs_in_proportion(case: str) -> None:
    suffix, data = TAKEN[case]
    started = time.monotonic()
    [record] = reader_for(suffix)(data)
    assert time.monotonic() - started < BOUND_S
    assert record.article is not None


def test_long_runs_of_combining_marks_are_broken_as_unicode_prescribes() -> None:
    decoded = decode_text(b"Zalgo a" + "\u0301\u0316".encode() * 40)
    assert decoded.text.count("\u034f") == 2  # 80 marks: one joiner after each 30
    assert "combining marks broken" in decoded.warnings[0]
    assert decode_text("caf\u0065\u0301".encode()).text == "caf\u00e9"  # NFC as before


def test_report_lines_show_control_characters_escaped() -> None:
    assert printable("a\x1b[31mb\nc\u202ed") == "a\\x1b[31mb\\nc\\u202ed"
    assert printable("café/日本") == "café/日本"


def test_cli_report_is_escaped_and_json_exact(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BYLINE_DATABASE_URL", database_url)
    folder = tmp_path / "in"
    folder.mkdir()
    forged = folder / os.fsdecode(b"\x1b[2J\nfailed     forged\xff.txt")
    forged.write_bytes(b"")  # empty: a failure naming the file
    (folder / "self.txt").symlink_to("self.txt")
    good(folder)
    runner = CliRunner()
    human = runner.invoke(cli, ["ingest", str(folder)])
    assert human.exit_code == 1, human.output
    assert "\x1b" not in human.output
    assert f"failed     {folder}/\\x1b[2J\\nfailed     forged\\xff.txt: empty file" in human.output
    assert f"failed     {folder}/self.txt: {LOOP}" in human.output
    assert "1 added" in human.output
    as_json = runner.invoke(cli, ["ingest", "--json", str(folder)])
    assert as_json.exit_code == 1
    report = json.loads(as_json.stdout)
    assert {failure["path"] for failure in report["failures"]} == {
        f"{folder}/\x1b[2J\nfailed     forged\\xff.txt",
        f"{folder}/self.txt",
    }
    assert report["counts"]["unchanged"] == 1
    runs = runner.invoke(cli, ["runs", "2"])
    assert runs.exit_code == 0
    assert "\x1b" not in runs.output
    assert "forged\\xff.txt: empty file" in runs.output


# The property: generated hostile folders, every entry reported once, every good file taken.

ODD_PIECES = [b"", b"\xe9", b"\xff\xfe", b"\x1b[31m", b"\n", b"\t", b" ", "é".encode(), b"\\x41"]
DATES = ["2024-03-05T10:00:00Z", OVERFLOWING, "0001-01-01T00:00:00+23:59", "not a date", ""]
BAD_CONTENTS = [b"", b"   \n\n", b"Title\x00binary", b"---\n\n", b"(LONDON) -- no headline\n"]


@dataclass(frozen=True)
class Entry:
    """One generated entry of a folder: ``kind`` says what it is, the rest how it is made."""

    kind: str
    odd: bytes = b""
    encoding: str = "utf-8"
    date: str = ""
    bad: bytes = b""
    inner: tuple["Entry", ...] = ()


def entries(depth: int) -> st.SearchStrategy[Entry]:
    leaves = st.one_of(
        st.builds(
            Entry,
            kind=st.sampled_from(["text", "markdown", "json"]),
            odd=st.sampled_from(ODD_PIECES),
            encoding=st.sampled_from(["utf-8", "cp1252"]),
            date=st.sampled_from(DATES),
        ),
        st.builds(
            Entry,
            kind=st.just("bad"),
            odd=st.sampled_from(ODD_PIECES),
            bad=st.sampled_from(BAD_CONTENTS),
        ),
        st.builds(
            Entry,
            kind=st.sampled_from(
                [
                    "self-loop",
                    "pair-loop",
                    "dangling",
                    "outside",
                    "to-folder",
                    "to-good",
                    "hidden",
                    "readme",
                    "too-large",
                    "fifo",
                    "other-suffix",
                    "no-suffix",
                ]
            ),
        ),
    )
    if depth == 0:
        return leaves
    folders = st.builds(
        Entry,
        kind=st.sampled_from(["folder", "hidden-folder"]),
        odd=st.sampled_from(ODD_PIECES),
        inner=st.lists(entries(depth - 1), max_size=4).map(tuple),
    )
    return st.one_of(leaves, folders)


class Built:
    """A generated folder on disk, with the result each path must get."""

    def __init__(self, outside: Path, numbers: "itertools.count[int]") -> None:
        self.outside = outside
        self.numbers = numbers
        self.expected: dict[str, set[Outcome]] = {}
        self.good = 0

    def expect(self, path: Path, *outcomes: Outcome) -> None:
        self.expected[shown_path(path)] = set(outcomes)

    def build(self, folder: Path, items: tuple[Entry, ...]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for index, entry in enumerate(items):
            self.write(folder, f"{index:02d}", entry)

    def write(self, folder: Path, prefix: str, entry: Entry) -> None:
        named = folder / os.fsdecode(prefix.encode() + entry.odd + b"x")
        if entry.kind in ("text", "markdown", "json"):
            number = next(self.numbers)
            article = generated_article(number)
            suffix = {"text": ".txt", "markdown": ".md", "json": ".json"}[entry.kind]
            path = named.with_name(named.name + suffix)
            path.write_bytes(render(entry, article).encode(entry.encoding))
            self.expect(path, Outcome.ADDED)
            self.good += 1
        elif entry.kind == "bad":
            path = named.with_name(named.name + ".txt")
            path.write_bytes(entry.bad)
            self.expect(path, Outcome.FAILED)
        elif entry.kind == "too-large":  # sparse: no time or disk spent on its bytes
            path = named.with_name(named.name + ".txt")
            path.touch()
            os.truncate(path, MAX_FILE_BYTES + 1)
            self.expect(path, Outcome.FAILED)
        elif entry.kind == "fifo":  # reading it would block for ever
            path = named.with_name(named.name + ".txt")
            os.mkfifo(path)
            self.expect(path, Outcome.FAILED)
        elif entry.kind in ("self-loop", "dangling", "outside", "to-folder", "to-good"):
            path = named.with_name(named.name + ".txt")
            target = {
                "self-loop": path,
                "dangling": folder / "nowhere",
                "outside": self.outside,
                "to-folder": folder,
                "to-good": self.outside.parent / "in" / "00good.txt",
            }[entry.kind]
            path.symlink_to(target)
            skipped = entry.kind in ("outside", "to-folder")
            # A link to a good file gives its article (unchanged when its target came first).
            good_outcomes = (Outcome.ADDED, Outcome.UNCHANGED, Outcome.DUPLICATE)
            outcomes = (
                (Outcome.SKIPPED,)
                if skipped
                else good_outcomes
                if entry.kind == "to-good"
                else (Outcome.FAILED,)
            )
            self.expect(path, *outcomes)
        elif entry.kind == "pair-loop":
            one, two = named.with_name(named.name + "a.txt"), named.with_name(named.name + "b.txt")
            one.symlink_to(two.name)
            two.symlink_to(one.name)
            self.expect(one, Outcome.FAILED)
            self.expect(two, Outcome.FAILED)
        elif entry.kind in ("hidden", "readme"):
            name = f".{prefix}.txt" if entry.kind == "hidden" else f"README{prefix}.txt"
            (folder / name).write_text(generated_article(next(self.numbers)).render())
            self.expect(folder / name, Outcome.SKIPPED)
        elif entry.kind in ("other-suffix", "no-suffix"):  # an article's text, but not its name
            path = named.with_name(named.name + (".csv" if entry.kind == "other-suffix" else ""))
            path.write_text(generated_article(next(self.numbers)).render())
            self.expect(path, Outcome.SKIPPED)
        elif entry.kind == "hidden-folder":  # nothing under it is reported, or taken
            hidden = folder / f".{prefix}"
            expected, good_files = dict(self.expected), self.good
            self.build(hidden, entry.inner)
            self.expected, self.good = expected, good_files
            self.expect(hidden, Outcome.SKIPPED)
        else:
            self.build(named, entry.inner)


def render(entry: Entry, article: ArticleText) -> str:
    date = entry.date
    if entry.kind == "markdown":
        front = f"---\ntitle: {article.title}\n" + (f"date: '{date}'\n" if date else "") + "---\n"
        return front + "\n\n".join(article.paragraphs) + "\n"
    if entry.kind == "json":
        record = {"title": article.title, "body": "\n\n".join(article.paragraphs)}
        return json.dumps(record | ({"date": date} if date else {}), ensure_ascii=False)
    return article.render()


NUMBERS = itertools.count(10_000)  # each article's text differs from every other example's


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(entries(depth=2), max_size=8))
def test_any_hostile_folder_reports_every_entry_once_and_takes_every_good_file(
    engine: Engine, tmp_path_factory: pytest.TempPathFactory, items: list[Entry]
) -> None:
    base = tmp_path_factory.mktemp("hostile")
    outside = base / "outside.txt"
    outside.write_text(generated_article(next(NUMBERS)).render())
    folder = base / "in"
    built = Built(outside, NUMBERS)
    folder.mkdir()
    good(folder, "00good.txt", next(NUMBERS))
    built.expect(folder / "00good.txt", Outcome.ADDED)
    built.good += 1
    built.build(folder, tuple(items))
    results: list[FileResult] = []
    before = len(articles(engine))

    report = ingest_paths(engine, [folder], on_result=results.append)

    reported = Counter(result.path for result in results)
    assert reported == Counter(iter(built.expected)), "each entry reported exactly once"
    for result in results:
        assert result.outcome in built.expected[result.path], (result, report.as_dict())
    assert len(articles(engine)) - before == built.good
    assert_run_finished(engine)
