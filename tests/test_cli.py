"""The ``byline`` command: help for every command, ingest's report and exit codes."""

import json
import re
from pathlib import Path

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from app.cli.commands import cli
from app.cli.ingest_command import INDEX_PHASE
from app.ingestion.formats.readers import READERS
from app.settings import get_settings
from tests.conftest import ROOT, SEEDS
from tests.factories import ArticleText

COMMANDS = sorted(get_command(cli).commands)  # type: ignore[attr-defined]


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("BYLINE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("BYLINE_SEEDS_DIR", str(SEEDS))
    return CliRunner()


def test_the_commands() -> None:
    assert COMMANDS == [
        "export",
        "import",
        "ingest",
        "keys",
        "migrate",
        "reindex",
        "runs",
        "serve",
        "watch",
    ]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(runner: CliRunner, command: str) -> None:
    result = runner.invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    assert "Usage:" in result.output
    documented = get_command(cli).commands[command].help  # type: ignore[attr-defined]
    assert documented
    assert documented.split()[0] in result.output


def shown(output: str) -> str:
    """Help as one line of words: box drawing and line wrapping taken out."""
    return " ".join(re.sub("[\u2500-\u257f]", " ", output).split())


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_shows_every_parameters_help_whole(runner: CliRunner, command: str | None) -> None:
    group = get_command(cli)
    documented = group.commands[command] if command else group  # type: ignore[attr-defined]
    result = runner.invoke(cli, [*([command] if command else []), "--help"])
    assert result.exit_code == 0
    output = shown(result.output)
    for parameter in documented.params:
        help_text = getattr(parameter, "help", None)
        if help_text:  # as Rich shows it: a bracket escaped in the markup is shown
            assert " ".join(help_text.replace("\\[", "[").split()) in output
    assert not re.search(r" [.,;:](?:\s|$)|\( | \)", output), "no stray spaces"


def test_ingest_help_and_the_readme_name_every_format_a_folder_gives(runner: CliRunner) -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    loading = readme.split("## Loading your own articles", 1)[1].split("\n## ", 1)[0]
    help_text = shown(runner.invoke(cli, ["ingest", "--help"]).output)
    for suffix in READERS:
        assert f"`{suffix}`" in loading, suffix
    for suffix in (".txt", ".md", ".json", ".jsonl"):  # the help names each format once
        assert re.search(rf"{re.escape(suffix)}\b(?!\w)", help_text), suffix
    assert "unsupported suffix" in loading
    assert "reported as skipped" in help_text


def test_serve_help_shows_the_defaults_of_its_settings(runner: CliRunner) -> None:
    output = shown(runner.invoke(cli, ["serve", "--help"]).output)
    assert "Address to bind. [default: 127.0.0.1, or BYLINE_HOST]" in output
    assert "Port to listen on. [default: 8000, or BYLINE_PORT]" in output
    assert "Server processes. [default: 1, or BYLINE_WORKERS]" in output


@pytest.mark.parametrize(
    "url",
    [
        "mysql://reader:secret@db.example/news",
        "postgresql+psycopg2://reader:secret@db.example/news",
        "postgres ql://reader:secret@db.example/news",
        "not-a-url",
        "",
    ],
)
@pytest.mark.parametrize("command", [command for command in COMMANDS if command != "import"])
def test_a_bad_database_url_is_one_line_naming_the_setting(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch, url: str, command: str
) -> None:
    monkeypatch.setenv("BYLINE_DATABASE_URL", url)
    arguments = {"keys": ["list"], "watch": ["harbour"]}.get(command, [])
    result = runner.invoke(cli, [command, *arguments])
    assert result.exit_code == 2
    [line] = result.output.splitlines()
    assert line.startswith("error: BYLINE_DATABASE_URL: ")
    assert "sqlite:///" in line
    assert "postgresql+psycopg://" in line
    assert "secret" not in line


def test_import_with_a_bad_database_url_is_one_line_too(
    runner: CliRunner, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BYLINE_DATABASE_URL", "mysql://db.example/news")
    result = runner.invoke(cli, ["import", "-"], input="")
    assert result.exit_code == 2
    assert result.output.startswith("error: BYLINE_DATABASE_URL: 'mysql://db.example/news' is no")


def test_an_empty_read_url_means_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BYLINE_DATABASE_READ_URL", "")
    assert get_settings().read_url == get_settings().database_url


def test_migrate(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["migrate"])
    assert result.exit_code == 0, result.output
    assert "migrated" in result.output


def test_ingest_defaults_to_the_seeds_and_is_idempotent(runner: CliRunner) -> None:
    first = runner.invoke(cli, ["ingest"])
    assert first.exit_code == 0, first.output
    assert "1 added" in first.output
    second = runner.invoke(cli, ["ingest", str(SEEDS)])
    assert second.exit_code == 0
    assert "1 unchanged" in second.output


def test_ingest_reports_failures_and_exits_1(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    ArticleText().write(folder, "good.txt")
    (folder / "empty.txt").write_bytes(b"")
    result = runner.invoke(cli, ["ingest", str(folder)])
    assert result.exit_code == 1
    assert f"failed     {folder / 'empty.txt'}: empty file" in result.output
    assert "1 added" in result.output
    assert "1 failed" in result.output


def test_ingest_json(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    ArticleText().write(folder, "good.txt")
    ArticleText().write(folder, "same.txt")
    (folder / "bin.txt").write_bytes(b"\x00\x01")
    result = runner.invoke(cli, ["ingest", "--json", str(folder)])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["counts"] == {
        "added": 1,
        "updated": 0,
        "unchanged": 0,
        "duplicate": 1,
        "failed": 1,
        "skipped": 0,
        "pruned": 0,
    }
    assert report["failures"] == [
        {"path": str(folder / "bin.txt"), "reason": "binary file (contains NUL bytes)"}
    ]
    assert report["duplicates"][0]["path"] == str(folder / "same.txt")


@pytest.mark.parametrize(
    "arguments", [["ingest", "/no/such/path"], ["ingest", "--bogus"], ["serve", "--port", "0"]]
)
def test_usage_errors_exit_2(runner: CliRunner, arguments: list[str]) -> None:
    assert runner.invoke(cli, arguments).exit_code == 2


def test_progress_in_a_pipe_is_a_plain_line(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.cli.progress.PLAIN_EVERY_S", 0.0)
    for number in range(3):
        ArticleText(title=f"Story {number}").write(tmp_path / "in", f"{number}.txt")
    result = runner.invoke(cli, ["ingest", str(tmp_path / "in")])
    assert result.exit_code == 0
    assert "ingesting: 3 files," in result.output
    assert "/s (3 added)" in result.output


def test_progress_on_a_terminal_is_a_bar_with_a_total(tmp_path: Path) -> None:
    from io import StringIO  # noqa: PLC0415

    from rich.console import Console  # noqa: PLC0415

    from app.cli.progress import ingest_progress  # noqa: PLC0415

    for number in range(4):
        ArticleText(title=f"Story {number}").write(tmp_path, f"{number}.txt")
    console = Console(file=StringIO(), force_terminal=True, width=100)
    with ingest_progress(console, [tmp_path]) as progress:
        assert progress.total == 4
        assert progress.bar is not None


def test_progress_shows_the_work_after_the_last_file(tmp_path: Path) -> None:
    from io import StringIO  # noqa: PLC0415

    from rich.console import Console  # noqa: PLC0415

    from app.cli.progress import ingest_progress  # noqa: PLC0415

    ArticleText().write(tmp_path, "story.txt")
    output = StringIO()
    console = Console(file=output, force_terminal=True, width=160)
    with ingest_progress(console, [tmp_path]) as progress:
        assert progress.bar is not None
        progress.phase(INDEX_PHASE)
        progress.bar.refresh()
        assert INDEX_PHASE in output.getvalue()


def test_progress_in_a_long_run_s_log_names_the_work_after_the_last_file(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("app.cli.progress.PLAIN_EVERY_S", 0.0)
    ArticleText().write(tmp_path / "in", "story.txt")
    result = runner.invoke(cli, ["ingest", str(tmp_path / "in")])
    assert "ingesting: 1 files, " in result.output
    assert f"(1 added); {INDEX_PHASE}" in result.output


def test_ingest_prune(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    ArticleText(title="Kept").write(folder, "kept.txt")
    gone = ArticleText(title="Gone").write(folder, "gone.txt")
    assert runner.invoke(cli, ["ingest", str(folder)]).exit_code == 0
    gone.unlink()
    result = runner.invoke(cli, ["ingest", "--prune", str(folder)])
    assert result.exit_code == 0
    assert f"pruned     {gone}: article gone (its file is gone)" in result.output
    assert "1 pruned" in result.output


def test_runs_are_kept_and_listed(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    ArticleText().write(folder, "good.txt")
    (folder / "empty.txt").write_bytes(b"")
    (folder / ".hidden.txt").write_text("x")
    runner.invoke(cli, ["ingest", str(folder)])
    listing = runner.invoke(cli, ["runs", "--json"])
    assert listing.exit_code == 0
    [run] = json.loads(listing.stdout)
    assert run["finished_at"] is not None
    assert run["counts"]["added"] == 1
    assert run["counts"]["failed"] == 1
    shown = json.loads(runner.invoke(cli, ["runs", str(run["id"]), "--json"]).stdout)
    assert shown["report"]["failures"] == [
        {"path": str(folder / "empty.txt"), "reason": "empty file"}
    ]
    assert shown["report"]["skipped"] == [
        {"path": str(folder / ".hidden.txt"), "reason": "hidden file"}
    ]
    table = runner.invoke(cli, ["runs", str(run["id"])])
    assert "failures   " in table.output
    assert "empty file" in table.output
    assert runner.invoke(cli, ["runs", "999"]).exit_code == 1


KEY_COMMANDS = ["create", "list", "revoke"]


@pytest.mark.parametrize("command", KEY_COMMANDS)
def test_every_keys_command_has_help(runner: CliRunner, command: str) -> None:
    group = get_command(cli).commands["keys"]  # type: ignore[attr-defined]
    assert sorted(group.commands) == KEY_COMMANDS
    result = runner.invoke(cli, ["keys", command, "--help"])
    assert result.exit_code == 0
    output = shown(result.output)
    assert group.commands[command].help.split()[0] in output
    for parameter in group.commands[command].params:
        help_text = getattr(parameter, "help", None)
        if help_text:
            assert " ".join(help_text.split()) in output


def test_keys_create_prints_the_key_once_list_shows_it_revoke_ends_it(runner: CliRunner) -> None:
    created = runner.invoke(cli, ["keys", "create", "newsroom", "--rate", "120/min"])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip()
    assert re.fullmatch(r"byl_[A-Za-z0-9_-]{43}", key)
    assert "only time the key is shown" in shown(created.stderr)
    assert "Authorization: Bearer KEY" in created.stderr
    admin = runner.invoke(cli, ["keys", "create", "ops", "--scope", "admin"])
    assert admin.exit_code == 0
    listed = json.loads(runner.invoke(cli, ["keys", "list", "--json"]).stdout)
    assert [(row["name"], row["scope"], row["rate_per_minute"]) for row in listed] == [
        ("newsroom", "read", 120),
        ("ops", "admin", None),
    ]
    assert listed[0]["prefix"] == key[:12]
    assert key not in json.dumps(listed)  # the key is never shown again
    table = runner.invoke(cli, ["keys", "list"]).stdout
    assert "newsroom" in table
    assert "120/min" in table
    assert key[:12] in table
    revoked = runner.invoke(cli, ["keys", "revoke", key[:12]])
    assert revoked.exit_code == 0
    assert "revoked newsroom" in revoked.stderr
    assert json.loads(runner.invoke(cli, ["keys", "list", "--json"]).stdout)[0]["revoked_at"]
    again = runner.invoke(cli, ["keys", "revoke", "newsroom"])
    assert again.exit_code == 1
    assert "No key in use" in again.stderr


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["keys", "create", "two words"], "is no key name"),
        (["keys", "create", "x", "--rate", "0"], "is no rate"),
        (["keys", "create", "x", "--rate", "fast"], "is no rate"),
        (["keys", "create", "x", "--scope", "root"], "root"),
    ],
)
def test_keys_create_refuses_what_is_not_a_name_rate_or_scope(
    runner: CliRunner, arguments: list[str], said: str
) -> None:
    result = runner.invoke(cli, arguments)
    assert result.exit_code in (1, 2)
    assert said in shown(result.output)
