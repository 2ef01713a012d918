"""Pruning: the articles from under a run's paths whose file (or record) the run did not find
are deleted, with what the store remembers of their files."""

import os
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, col, select

from app.ingestion.discovery import real_path
from app.ingestion.outcomes import FileResult, Outcome, shown_path
from app.ingestion.reading import Loaded, LoadedFile
from app.store.models import Article, SourceFile


@dataclass(slots=True)
class Seen:
    """What a run found, for pruning: article keys taken, files present, files read whole."""

    kept: set[str] = field(default_factory=set)
    present: set[str] = field(default_factory=set)
    read_whole: set[str] = field(default_factory=set)
    unread_folders: list[str] = field(default_factory=list)

    def note(self, loaded: LoadedFile, results: list[FileResult]) -> None:
        key = loaded.key
        self.present.add(key)
        self.kept.update(entry.key for entry in loaded.entries if isinstance(entry, Loaded))
        if loaded.read and all(result.outcome is not Outcome.FAILED for result in results):
            self.read_whole.add(key)

    def keeps(self, source_path: str) -> bool:
        """Whether an article stays: taken this run, or from a file present but not read whole
        (unchanged, or failed: its articles are not the run's to judge)."""
        if source_path in self.kept:
            return True
        if any(source_path.startswith(f"{folder}{os.sep}") for folder in self.unread_folders):
            return True  # under a folder the run could not list: not the run's to judge
        file = source_path if source_path in self.present else source_path.rpartition("#")[0]
        return file in self.present and file not in self.read_whole


def prune_articles(session: Session, *, roots: list[Path], seen: Seen) -> list[FileResult]:
    """Delete the articles from under ``roots`` that this run did not find, and their files."""
    pruned = []
    for root in roots:
        resolved = shown_path(real_path(root))
        # Under a folder: its files; of a file: its records (``file#3``), never another file
        # whose name it begins (``one.txt`` is no prefix of ``one.txtdir/b.txt``).
        inside = f"{resolved}{os.sep}" if root.is_dir() else f"{resolved}#"
        candidates = session.exec(
            select(Article).where(
                (col(Article.source_path) == resolved)
                | col(Article.source_path).startswith(inside, autoescape=True)
            )
        )
        for article in candidates:
            if seen.keeps(article.source_path):
                continue
            pruned.append(
                FileResult(
                    article.source_path, Outcome.PRUNED, article.id, article.slug, "file is gone"
                )
            )
            session.delete(article)
            for file in {article.source_path, article.source_path.rpartition("#")[0]}:
                if file not in seen.present and (known := session.get(SourceFile, file)):
                    session.delete(known)
    return pruned
