"""The files a run reads: each file given, and the article files under each folder, found by a
walk that no entry of a folder stops (a link loop, a folder that cannot be opened, a name that
is not UTF-8 are that entry's ``failed`` or ``skipped`` result)."""

import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Literal

from app.ingestion.formats.readers import READERS
from app.ingestion.outcomes import FileResult, Outcome, shown_path

ARTICLE_SUFFIXES = frozenset(READERS)
_SUFFIXES_SHOWN = ", ".join(sorted(ARTICLE_SUFFIXES))


def real_path(path: Path | str) -> str:
    """The path with every symbolic link resolved, as far as they lead (a loop or a dangling
    link is left where it stops, for reading it to fail with its reason)."""
    return os.path.realpath(path)


def discover_files(
    paths: Iterable[Path], *, links: set[Path] | None = None
) -> Iterator[Path | FileResult]:
    """Files to ingest, in order: each file given, and the article files under each folder.

    Under a folder, files of an article format's suffix (``READERS``) are read; hidden files and
    folders, README files, files of no suffix or another one, and symbolic links that lead
    outside the folder or to a folder are skipped; a folder that cannot be listed fails. Each
    is one result; nothing met under a folder stops the walk. The files yielded that are
    symbolic links are added to ``links`` (a folder's listing tells them apart for free).
    """
    for path in paths:
        try:
            is_folder = stat.S_ISDIR(path.stat().st_mode)
        except OSError:  # reading it says why
            is_folder = False
        if is_folder:
            yield from _walk(path, root=Path(real_path(path)), links=links)
        else:
            if links is not None and os.path.islink(path):
                links.add(path)
            yield path


def _walk(top: Path, *, root: Path, links: set[Path] | None) -> Iterator[Path | FileResult]:
    """The files under ``top``, folder by folder in name order; without recursion, so that no
    depth of nesting exhausts the stack (a path too long to open fails its folder)."""
    folders = [top]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError as error:
            yield FileResult(
                shown_path(folder),
                Outcome.FAILED,
                reason=f"cannot list folder: {error.strerror or error}",
                unread_folder=shown_path(real_path(folder)),
            )
            continue
        inner: list[Path] = []
        for entry in entries:
            path = Path(entry.path)
            try:
                found = _entry(entry, path, root=root)
            except Exception as error:  # one entry's surprise is its own result, never the run's
                found = FileResult(
                    shown_path(path),
                    Outcome.FAILED,
                    reason=f"cannot read: {type(error).__name__}: {error}",
                )
            if found == "folder":
                inner.append(path)
            else:
                if links is not None and isinstance(found, Path) and entry.is_symlink():
                    links.add(found)
                yield found
        folders.extend(reversed(inner))


def _entry(
    entry: os.DirEntry[str], path: Path, *, root: Path
) -> Path | FileResult | Literal["folder"]:
    """What a folder's entry is to ingestion: a file to read, a result, or ``"folder"`` to walk
    into."""
    if _is_folder(entry):
        if entry.name.startswith("."):
            return FileResult(shown_path(path), Outcome.SKIPPED, reason="hidden folder")
        if entry.is_symlink():
            linked = "symbolic link to a folder (not followed)"
            return FileResult(shown_path(path), Outcome.SKIPPED, reason=linked)
        return "folder"
    if reason := _skip_reason(entry, path, root=root):
        return FileResult(shown_path(path), Outcome.SKIPPED, reason=reason)
    return path


def _is_folder(entry: os.DirEntry[str]) -> bool:
    """Whether the entry is a folder or a link to one (an entry that cannot be examined is
    taken as a file, for reading it to fail with the reason)."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _skip_reason(entry: os.DirEntry[str], path: Path, *, root: Path) -> str | None:
    """Why a file under a folder is not read, or None: it is hidden (``.DS_Store`` too), a
    README, of no suffix or another suffix than an article format's, or a link leading out."""
    if entry.name.startswith("."):
        return "hidden file"
    if entry.name.lower().startswith("readme"):
        return "README file"
    if not path.suffix:
        return "no suffix (article files end in " + _SUFFIXES_SHOWN + ")"
    if path.suffix.lower() not in ARTICLE_SUFFIXES:
        return f"unsupported suffix {shown_path(path.suffix)}"
    if entry.is_symlink() and not Path(real_path(entry.path)).is_relative_to(root):
        return "symbolic link leading outside the folder"
    return None
