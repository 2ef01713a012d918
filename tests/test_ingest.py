"""Ingestion: idempotent, updates in place, refuses duplicates, reports every bad file."""

import json
import os
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from app.ingestion.discovery import discover_files
from app.ingestion.outcomes import FileResult, Outcome
from app.ingestion.reading import MAX_FILE_BYTES
from app.ingestion.run import ingest_paths
from app.search import render
from app.search.language import parse_query
from app.store.models import Article
from tests.conftest import SEED_FILE, SEED_SLUG, SEEDS, Ingest
from tests.factories import ArticleText, generated_article
from tests.index_checks import open_search_index


def stored(engine: Engine) -> list[Article]:
    with Session(engine) as session:
        return list(session.exec(select(Article).order_by(Article.id)))  # type: ignore[arg-type]


def found_ids(engine: Engine, word: str) -> list[int]:
    """The ids of the articles a search index built from the store finds for ``word``."""
    with tempfile.TemporaryDirectory() as folder:
        index = open_search_index(Path(folder))
        index.catch_up(engine)
        query = render.matching(parse_query(word))
        if query is None:
            return []
        searcher = index.searcher()
        hits = searcher.search(query, limit=max(searcher.num_docs, 1)).hits
        return sorted(int(searcher.doc(address)["id"][0]) for _, address in hits)


def refuse_titles_starting_with_refuse(engine: Engine) -> None:
    """A trigger standing for any write failure: inserting an article titled Refuse… fails."""
    if engine.dialect.name == "postgresql":
        statements = [
            "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            " RAISE EXCEPTION 'refused by test'; END $$",
            "CREATE TRIGGER refuse BEFORE INSERT ON article FOR EACH ROW"
            " WHEN (new.title LIKE 'Refuse%') EXECUTE FUNCTION refuse()",
        ]
    else:
        statements = [
            "CREATE TRIGGER refuse BEFORE INSERT ON article WHEN new.title LIKE 'Refuse%' "
            "BEGIN SELECT RAISE(ABORT, 'refused by test'); END"
        ]
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


def test_seed_is_added_with_its_fields(ingest: Ingest, engine: Engine) -> None:
    report = ingest(SEEDS)
    assert report.counts[Outcome.ADDED] == 1
    assert report.ok
    [article] = stored(engine)
    assert article.slug == SEED_SLUG
    assert article.dateline == "LONDON"
    assert article.source == "ABC Audio"
    assert article.year == 2025
    assert len(article.paragraphs) == 14
    assert article.raw_text == SEED_FILE.read_text(encoding="utf-8")
    assert article.source_path == str(SEED_FILE.resolve())
    assert article.ingested_at.tzinfo is not None
    assert found_ids(engine, "zelenskyy") == [article.id]


def test_second_run_is_unchanged(ingest: Ingest, engine: Engine) -> None:
    ingest(SEEDS)
    before = stored(engine)
    report = ingest(SEEDS)
    assert dict(report.counts) == {Outcome.UNCHANGED: 1}
    after = stored(engine)
    assert [(a.id, a.updated_at) for a in after] == [(a.id, a.updated_at) for a in before]


def test_changed_file_updates_in_place(ingest: Ingest, engine: Engine, tmp_path: Path) -> None:
    path = ArticleText(title="Storm hits coast").write(tmp_path, "a.txt")
    ingest(path)
    [before] = stored(engine)
    ArticleText(title="Storm hits coast, thousands evacuated").write(tmp_path, "a.txt")
    report = ingest(path)
    assert dict(report.counts) == {Outcome.UPDATED: 1}
    [after] = stored(engine)
    assert (after.id, after.slug) == (before.id, before.slug)
    assert after.title == "Storm hits coast, thousands evacuated"
    assert after.updated_at > before.updated_at
    assert after.ingested_at == before.ingested_at
    # The index follows the update: the new words are found, the old version is gone.
    assert found_ids(engine, "evacuated") == [after.id]
    ArticleText(title="Completely different words").write(tmp_path, "a.txt")
    ingest(path)
    assert found_ids(engine, "evacuated") == []


def test_identical_content_is_a_duplicate(ingest: Ingest, engine: Engine, tmp_path: Path) -> None:
    first = ArticleText().write(tmp_path, "one.txt")
    second = ArticleText().write(tmp_path, "copy/two.txt")
    report = ingest(first, second)
    assert report.counts[Outcome.ADDED] == 1
    assert report.counts[Outcome.DUPLICATE] == 1
    [duplicate] = report.duplicates
    [article] = stored(engine)
    assert duplicate.path == str(second)
    assert (duplicate.article_id, duplicate.slug) == (article.id, article.slug)
    assert report.ok


def test_same_headline_gets_a_distinct_slug(ingest: Ingest, engine: Engine, tmp_path: Path) -> None:
    for number in range(3):
        ArticleText(title="Same headline", paragraphs=[f"Body {number}."]).write(
            tmp_path, f"{number}.txt"
        )
    ingest(tmp_path)
    assert [a.slug for a in stored(engine)] == [
        "same-headline",
        "same-headline-2",
        "same-headline-3",
    ]


def test_slugs_stay_distinct_across_runs_and_numbered_headlines(
    ingest: Ingest, engine: Engine, tmp_path: Path
) -> None:
    def write(folder: str, name: str, title: str) -> None:
        ArticleText(title=title, paragraphs=[f"{folder} {name} {title}."]).write(
            tmp_path / folder, f"{name}.txt"
        )

    write("one", "a", "Same headline")
    write("one", "b", "Same headline 2")
    for number in range(150):  # more slug bases in a batch than one query takes
        write("one", f"many{number:03}", f"Story {number}")
    ingest(tmp_path / "one")
    write("two", "a", "Same headline")
    write("two", "b", "Same headline")
    write("two", "c", "Same headline 3")
    for number in range(150):
        write("two", f"many{number:03}", f"Story {number}")
    assert ingest(tmp_path / "two").counts[Outcome.ADDED] == 153
    slugs = {
        Path(article.source_path).stem: article.slug
        for article in stored(engine)
        if Path(article.source_path).parent.name == "two"
    }
    assert [slugs[name] for name in "abc"] == [
        "same-headline-3",
        "same-headline-4",
        "same-headline-3-2",
    ]
    assert [slugs[f"many{number:03}"] for number in range(150)] == [
        f"story-{number}-2" for number in range(150)
    ]


@pytest.mark.parametrize(
    ("title", "slug"),
    [
        ("2025", "article-2025"),
        ("!!!", None),
        ("Зеленский встретился с Макроном", "zelenskii-vstretilsia-s-makronom"),
    ],
)
def test_slugs_are_never_numeric_or_empty(
    ingest: Ingest, engine: Engine, tmp_path: Path, title: str, slug: str | None
) -> None:
    path = tmp_path / "a.txt"
    path.write_text(f"{title}\nBody.", encoding="utf-8")
    report = ingest(path)
    if slug is None:
        assert report.counts[Outcome.FAILED] == 1
        return
    assert stored(engine)[0].slug == slug


BAD_FILES = {
    "empty.txt": (b"", "empty file"),
    "blank.txt": (b"\n  \n", "empty file"),
    "binary.txt": (b"PK\x03\x04\x00\x00binary", "binary file"),
    "nohead.txt": (b"***\nBody.", "no headline"),
}


def test_bad_files_fail_with_reasons_and_never_stop_the_others(
    ingest: Ingest, engine: Engine, tmp_path: Path
) -> None:
    for name, (data, _) in BAD_FILES.items():
        (tmp_path / name).write_bytes(data)
    ArticleText().write(tmp_path, "good.txt")
    report = ingest(tmp_path)
    assert report.counts[Outcome.ADDED] == 1
    assert report.counts[Outcome.FAILED] == len(BAD_FILES)
    assert not report.ok
    reasons = {Path(failure.path).name: failure.reason or "" for failure in report.failures}
    for name, (_, reason) in BAD_FILES.items():
        assert reason in reasons[name]
    assert len(stored(engine)) == 1


def test_unreadable_file_fails(ingest: Ingest, tmp_path: Path) -> None:
    (tmp_path / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    ArticleText().write(tmp_path, "good.txt")
    report = ingest(tmp_path)
    assert report.counts[Outcome.ADDED] == 1
    [failure] = report.failures
    assert failure.reason == "cannot read: No such file or directory"


def test_special_files_are_refused_without_blocking(ingest: Ingest, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")  # opening it for reading would wait for a writer forever
    ArticleText().write(tmp_path, "good.txt")
    report = ingest(tmp_path, Path("/dev/zero"))
    assert report.counts[Outcome.ADDED] == 1
    reasons = {failure.path: failure.reason for failure in report.failures}
    assert reasons == {
        str(tmp_path / "pipe.txt"): "not a regular file",
        "/dev/zero": "not a regular file",
    }


def test_oversized_file_is_refused(ingest: Ingest, tmp_path: Path) -> None:
    path = tmp_path / "huge.txt"
    path.write_bytes(b"Headline\n" + b"word " * (MAX_FILE_BYTES // 5 + 1))
    [failure] = ingest(path).failures
    assert (failure.reason or "").startswith("too large")


def test_file_changed_into_a_copy_of_another_is_a_duplicate_with_a_warning(
    ingest: Ingest, engine: Engine, tmp_path: Path
) -> None:
    ArticleText(title="First story").write(tmp_path, "a.txt")
    ArticleText(title="Second story").write(tmp_path, "b.txt")
    ingest(tmp_path)
    ArticleText(title="Second story").write(tmp_path, "a.txt")
    report = ingest(tmp_path / "a.txt")
    [duplicate] = report.duplicates
    assert duplicate.slug == "second-story"
    assert "first-story" in duplicate.warnings[0]
    assert sorted(article.title for article in stored(engine)) == ["First story", "Second story"]


def test_a_directory_given_as_a_file_path_fails_cleanly(ingest: Ingest, tmp_path: Path) -> None:
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    report = ingest(tmp_path)
    assert report.ok  # a folder named .txt is walked, not read
    assert dict(report.counts) == {}


def test_windows_1252_file_is_taken_with_a_warning(ingest: Ingest, tmp_path: Path) -> None:
    path = tmp_path / "latin.txt"
    path.write_bytes(b"Caf\xe9 owners protest\nThe caf\xe9 closed.")
    report = ingest(path)
    assert report.counts[Outcome.ADDED] == 1
    assert report.ok
    [warned] = report.warnings
    assert "Windows-1252" in warned.warnings[0]


def test_database_error_fails_the_file_and_keeps_the_rest(
    ingest: Ingest, engine: Engine, tmp_path: Path
) -> None:
    # A trigger standing for any write failure: the article row is rolled back with its file.
    refuse_titles_starting_with_refuse(engine)
    ArticleText(title="Refuse this one").write(tmp_path, "a.txt")
    ArticleText(title="Keep this one").write(tmp_path, "b.txt")
    report = ingest(tmp_path)
    assert report.counts[Outcome.FAILED] == 1
    assert "refused by test" in (report.failures[0].reason or "")
    assert [a.title for a in stored(engine)] == ["Keep this one"]
    assert found_ids(engine, "refuse") == []


def test_a_batch_with_one_bad_article_keeps_the_others_with_their_ids(
    engine: Engine, tmp_path: Path
) -> None:
    # The new articles of a batch are inserted together; one refused row sends each of them
    # down the one-by-one path, where only it fails.
    refuse_titles_starting_with_refuse(engine)
    folder = tmp_path / "files"
    for number in range(30):
        generated_article(number).write(folder, f"{number:02}.txt")
    ArticleText(title="Refuse this one").write(folder, "15b.txt")
    results: list[FileResult] = []
    report = ingest_paths(engine, [folder], on_result=results.append)
    assert report.counts[Outcome.ADDED] == 30
    assert [r.path for r in report.failures] == [str(folder / "15b.txt")]
    assert [Path(r.path).name for r in results] == sorted(p.name for p in folder.iterdir())
    by_id = {article.id: article for article in stored(engine)}
    for result in results:
        if result.outcome is Outcome.ADDED:
            article = by_id[result.article_id]
            key = str(Path(result.path).resolve())
            assert (article.slug, article.source_path) == (result.slug, key)


def test_folders_are_walked_recursively_for_txt_in_order(tmp_path: Path) -> None:
    for name in ["b/2.txt", "a/1.TXT", "a/photo.jpg", "c.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found = [
        item.relative_to(tmp_path).as_posix()
        for item in discover_files([tmp_path])
        if isinstance(item, Path)
    ]
    assert found == ["c.txt", "a/1.TXT", "b/2.txt"]


def test_every_file_of_a_folder_is_read_or_skipped_with_its_reason(
    engine: Engine, tmp_path: Path
) -> None:
    for number, name in enumerate(["story.txt", "notes.md", "UPPER.TXT"]):
        generated_article(number).write(tmp_path, name)
    for name in ["export.json", "feed.jsonl"]:
        (tmp_path / name).write_text(json.dumps({"title": name, "body": "Words."}))
    for name in ["prices.csv", "photo.JPG", "Makefile", ".DS_Store", "story.txt.gz"]:
        (tmp_path / name).write_bytes(b"x")
    results: list[FileResult] = []
    report = ingest_paths(engine, [tmp_path], on_result=results.append)
    assert {Path(result.path).name: result.reason for result in report.skipped} == {
        "prices.csv": "unsupported suffix .csv",
        "photo.JPG": "unsupported suffix .JPG",
        "Makefile": "no suffix (article files end in .json, .jsonl, .markdown, .md, .ndjson, .txt)",
        ".DS_Store": "hidden file",
        "story.txt.gz": "unsupported suffix .gz",
    }
    assert sorted(Path(result.path.split("#")[0]).name for result in results) == sorted(
        path.name for path in tmp_path.iterdir()
    ), "every file reported once"


def test_a_file_given_by_name_is_read_whatever_its_suffix(ingest: Ingest, tmp_path: Path) -> None:
    path = ArticleText().write(tmp_path, "wire.dat")
    report = ingest(path)
    assert report.counts[Outcome.ADDED] == 1


def test_many_files_across_batches(engine: Engine, tmp_path: Path) -> None:
    for number in range(1200):
        generated_article(number).write(tmp_path, f"{number:05}.txt")
    report = ingest_paths(engine, [tmp_path])
    assert report.counts[Outcome.ADDED] == 1200
    assert len(stored(engine)) == 1200


def test_an_unchanged_file_is_skipped_by_size_and_time(
    ingest: Ingest, engine: Engine, tmp_path: Path
) -> None:
    path = ArticleText(title="Stable story").write(tmp_path, "a.txt")
    ingest(path)
    info = path.stat()
    # Same size and modification time: the file is not even read (an edit that keeps both is
    # the documented blind spot, as for rsync).
    path.write_text(path.read_text().replace("Stable", "Sbable"))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert dict(ingest(path).counts) == {Outcome.UNCHANGED: 1}
    assert stored(engine)[0].title == "Stable story"
    # A touched file is read, found identical by its hash, and remembered with its new time.
    ArticleText(title="Stable story").write(tmp_path, "a.txt")
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns + 10**9))
    assert dict(ingest(path).counts) == {Outcome.UNCHANGED: 1}
    # A changed file is read and updated.
    ArticleText(title="Stable story, updated").write(tmp_path, "a.txt")
    assert dict(ingest(path).counts) == {Outcome.UPDATED: 1}


def test_an_unchanged_export_counts_all_its_articles(ingest: Ingest, tmp_path: Path) -> None:
    lines = [f'{{"title": "Story {n}", "body": "Body {n}."}}' for n in range(4)]
    (tmp_path / "feed.jsonl").write_text("\n".join(lines))
    assert ingest(tmp_path).counts[Outcome.ADDED] == 4
    assert dict(ingest(tmp_path).counts) == {Outcome.UNCHANGED: 4}


def test_a_file_that_failed_is_read_again(ingest: Ingest, tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_bytes(b"")
    assert ingest(tmp_path).counts[Outcome.FAILED] == 1
    assert ingest(tmp_path).counts[Outcome.FAILED] == 1


def test_pruning_a_file_leaves_the_files_whose_names_it_begins(
    ingest: Ingest, engine: Engine, tmp_path: Path
) -> None:
    one = ArticleText(title="Story one").write(tmp_path, "one.txt")
    ArticleText(title="Story beside").write(tmp_path / "one.txtdir", "b.txt")
    (tmp_path / "one.txt.jsonl").write_text('{"title": "A record", "body": "x."}\n')
    ingest(tmp_path)
    report = ingest_paths(engine, [one], prune=True)
    assert report.pruned == []
    assert len(stored(engine)) == 3


def test_prune_removes_articles_whose_files_are_gone(
    ingest: Ingest, engine: Engine, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    for name in ("a", "b", "c"):
        ArticleText(title=f"Story {name}").write(corpus, f"{name}.txt")
    (corpus / "feed.jsonl").write_text(
        '{"title": "Line one", "body": "x."}\n{"title": "Line two", "body": "y."}\n'
    )
    elsewhere = ArticleText(title="Elsewhere").write(tmp_path / "other", "e.txt")
    ingest(corpus, elsewhere)
    (corpus / "b.txt").unlink()
    (corpus / "feed.jsonl").write_text('{"title": "Line one", "body": "x."}\n')
    (corpus / "c.txt").write_bytes(b"")  # present but failing: its article is not judged
    report = ingest_paths(engine, [corpus], prune=True)
    pruned = sorted(Path(result.path).name for result in report.pruned)
    assert pruned == ["b.txt", "feed.jsonl#2"]
    titles = sorted(article.title for article in stored(engine))
    assert titles == ["Elsewhere", "Line one", "Story a", "Story c"]
    again = ingest_paths(engine, [corpus], prune=True)
    assert again.pruned == []
    assert "pruned" in again.as_dict()


def test_a_link_to_a_file_is_remembered_by_its_target(
    ingest: Ingest, engine: Engine, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    story = ArticleText(title="Harbour", paragraphs=["The harbour opened."]).write(
        corpus / "real", "story.txt"
    )
    (corpus / "alias.txt").symlink_to(story)  # met by the walk
    given = tmp_path / "given.txt"
    given.symlink_to(story)  # named on the command line
    assert ingest(corpus).ok
    assert ingest(given).ok
    with engine.connect() as connection:
        remembered = connection.execute(text("SELECT path FROM source_file")).scalars().all()
    assert remembered == [str(story.resolve())]
    again = ingest(corpus)
    assert again.counts == {Outcome.UNCHANGED: 2}
