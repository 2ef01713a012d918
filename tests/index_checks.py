"""What the tests read back from a search index and its store, to compare the two."""

import time
from collections.abc import Callable
from pathlib import Path

import tantivy
from sqlalchemy import Engine, text

from app.search.index import SearchIndex
from app.search.schema import PROGRESS_ID
from app.settings import Settings
from app.store.changes import last_change

WRITER_MB = Settings.model_fields["index_writer_mb"].default


def open_search_index(folder: Path) -> SearchIndex:
    return SearchIndex(folder, writer_mb=WRITER_MB)


def index_ids(index: SearchIndex) -> list[int]:
    """The article ids the latest commit holds, sorted, each as many times as it is held."""
    index.reload()
    searcher = index.searcher()
    hits = searcher.search(tantivy.Query.all_query(), max(searcher.num_docs, 1)).hits
    ids = (int(searcher.doc(address)["id"][0]) for _, address in hits)
    return sorted(id_ for id_ in ids if id_ != PROGRESS_ID)


def store_ids(engine: Engine) -> list[int]:
    with engine.connect() as connection:
        found = connection.execute(text("SELECT id FROM article ORDER BY id")).scalars()
        return [int(id_) for id_ in found]


def store_last_change(engine: Engine) -> int:
    with engine.connect() as connection:
        return last_change(connection)


def ids_with_title_word(index: SearchIndex, word: str) -> list[int]:
    """The articles whose headline holds ``word`` (as typed, folded)."""
    index.reload()
    searcher = index.searcher()
    query = tantivy.Query.term_query(index.index.schema, "title_words", word.lower())
    hits = searcher.search(query, 100).hits
    return sorted(int(searcher.doc(address)["id"][0]) for _, address in hits)


def assert_follows(index: SearchIndex, engine: Engine) -> None:
    """The index holds each stored article once, nothing else, and the store's last change."""
    assert index_ids(index) == store_ids(engine)
    assert index.applied_change() == store_last_change(engine)


def wait_for(condition: Callable[[], bool], *, timeout: float = 10.0) -> None:
    """Poll ``condition`` until it holds; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
