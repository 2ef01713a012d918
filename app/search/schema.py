"""What the search index holds: its fields, the document an article becomes, the sort keys and
the progress document.

Terms are made by the analyzers of ``app/search/words.py``. Text written without spaces
(Chinese, Japanese, Thai) is held once more as pairs of characters in the ``*_grams`` fields
(``app/search/grams.py``), so a word inside a run is found. ``NAME_KEYS`` files the words that
may be names under their similarity key (``app/search/name_keys.py``), for name variants to
find the spellings of one sound.
"""

import logging
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import tantivy

from app.search import grams
from app.search.name_keys import name_key
from app.search.words import (
    GRAMS,
    KEYWORD,
    LONGEST_WORD,
    TEXT,
    WORDS,
    analyze,
    analyzers,
    folded,
    word_run,
)
from app.store.filters import WHOLE_VALUE_FILTERS, Facet
from app.store.times import in_utc

# Bumped whenever the fields or the analyzers change: an index built otherwise is rebuilt
# (the progress document records the version each commit was made with).
SCHEMA_VERSION = 10

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# The field of similarity keys: per article, ``"{key} {word}"`` for each word of its headline
# and body (as ``WORDS`` holds it) that has a name key and that the article writes capitalised
# at least once (a word never written so is no name; leaving the rest out keeps the field small).
NAME_KEYS = "name_keys"

# The fields of an article's publication day and month (``published_day``, ``published_month``).
PUBLISHED_DAY = "published_day"
PUBLISHED_MONTH = "published_month"

# The id of the one document that is no article: it holds the number of the last change the
# index applied, committed with the articles it covers (article ids start at 1).
PROGRESS_ID = 0

_log = logging.getLogger(__name__)


def facet_field(facet: Facet) -> str:
    """The field a facet counts: the year's own, or a text facet's values as written."""
    return facet.value if facet.counts_numbers else f"{facet.value}_value"


def _schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("id", stored=True, indexed=True, fast=True)
    # The text, ranked: positions for phrases and proximity.
    builder.add_text_field("title", tokenizer_name=TEXT)
    builder.add_text_field("body", tokenizer_name=TEXT)
    # The same text unstemmed: prefixes and words exactly as typed.
    builder.add_text_field("title_words", tokenizer_name=WORDS, index_option="freq")
    builder.add_text_field("body_words", tokenizer_name=WORDS, index_option="freq")
    # Runs of text without spaces as overlapping pairs of characters, positions for phrases.
    builder.add_text_field("title_grams", tokenizer_name=GRAMS)
    builder.add_text_field("body_grams", tokenizer_name=GRAMS)
    # The words that may be names under their similarity key: listed by prefix (``key + " "``),
    # never scored.
    builder.add_text_field(NAME_KEYS, tokenizer_name="raw", index_option="basic")
    # Filters match whole values in any case; facets count the values as written.
    for declared in WHOLE_VALUE_FILTERS:
        builder.add_text_field(declared.parameter, tokenizer_name=KEYWORD, index_option="basic")
    for facet in Facet:
        if not facet.counts_numbers:
            builder.add_text_field(
                facet_field(facet), tokenizer_name="raw", index_option="basic", fast=True
            )
    builder.add_integer_field("year", indexed=True, fast=True)
    # Microseconds from the epoch: the engine's dates end at 1677 and 2262, an archive's do not.
    builder.add_integer_field("published_at", indexed=True, fast=True)
    # The publication's day (from the epoch, UTC) and month (``year * 12 + month - 1``): the
    # timeline's buckets, counted by the engine's histograms in small whole numbers (the
    # microseconds of a far year are past what its floating point holds exactly).
    builder.add_integer_field(PUBLISHED_DAY, fast=True)
    builder.add_integer_field(PUBLISHED_MONTH, fast=True)
    # Sort keys, each ending on the id so that an order is total and a cursor is one number:
    # ``recency`` breaks ties of relevance (the year, 0 without one); ``newest`` and ``oldest``
    # order by year then id, articles without a year last either way.
    for name in ("recency", "newest", "oldest"):
        builder.add_integer_field(name, indexed=True, fast=True)
    # The store's change that last put the article in the index: a cursor leaves out what
    # changed after its first page.
    builder.add_integer_field("change", indexed=True, fast=True)
    # The change the index has applied up to, and the schema version it was built with: on
    # the progress document only.
    builder.add_integer_field("applied_change", stored=True)
    builder.add_integer_field("schema_version", stored=True)
    return builder.build()


SCHEMA = _schema()


def open_index(folder: Path) -> tantivy.Index:
    """The index in ``folder``, created there when the folder holds none, with the analyzers
    registered."""
    folder.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(SCHEMA, path=str(folder), reuse=True)
    for name, analyzer in analyzers().items():
        index.register_tokenizer(name, analyzer)
    return index


def memory_index() -> tantivy.Index:
    """An empty index in memory, with the analyzers registered."""
    index = tantivy.Index(SCHEMA)
    for name, analyzer in analyzers().items():
        index.register_tokenizer(name, analyzer)
    return index


def open_or_replace_index(folder: Path) -> tantivy.Index:
    """The index in ``folder``; an index of other fields there is deleted first (the store
    rebuilds it)."""
    try:
        return open_index(folder)
    except ValueError as error:
        if "schema does not match" not in str(error) and "ncompatible" not in str(error):
            raise
        _log.warning("%s holds an index of other fields: it is deleted and rebuilt", folder)
    shutil.rmtree(folder, ignore_errors=True)
    return open_index(folder)


# An id takes fewer bits than this (SQLite's rowids reach 2**63 only in theory; a corpus of
# a billion articles needs 30): the year goes above them in a sort key.
ID_BITS = 40

# The year an article without one sorts as, oldest first: after every year there is.
NO_YEAR_OLDEST = 10_000


def sort_key(year: int | None, id: int, *, newest: bool) -> int:
    """The ``newest`` or ``oldest`` key of an article: its year, then its id."""
    if year is None:
        year = 0 if newest else NO_YEAR_OLDEST
    return (year << ID_BITS) | id


def article_document(article: Mapping[str, Any], *, change: int) -> tantivy.Document:
    """The index's document for an article (a mapping of the article table's columns), put
    there by the store's change number ``change``."""
    document = tantivy.Document()
    document.add_integer("id", article["id"])
    document.add_integer("change", change)
    document.add_integer("recency", article["year"] or 0)
    document.add_integer("newest", sort_key(article["year"], article["id"], newest=True))
    document.add_integer("oldest", sort_key(article["year"], article["id"], newest=False))
    title, body = article["title"] or "", article["body"] or ""
    for name, text in (("title", folded(title)), ("body", folded(body))):
        document.add_text(name, text)
        document.add_text(f"{name}_words", text)
    for name, text in (("title_grams", title), ("body_grams", body)):
        if held := grams.grams_text(text):
            document.add_text(name, held)
    for keyed in sorted(name_keys(title, body)):
        document.add_text(NAME_KEYS, keyed)
    for declared in WHOLE_VALUE_FILTERS:
        for value in declared.stored(article):
            document.add_text(declared.parameter, value)
    for facet in Facet:
        if not facet.counts_numbers:
            for value in facet.values(article):
                document.add_text(facet_field(facet), value)
    if article["year"] is not None:
        document.add_integer("year", article["year"])
    published: datetime | None = article["published_at"]
    if published is not None:
        document.add_integer("published_at", microseconds(published))
        utc = in_utc(published)
        document.add_integer(PUBLISHED_DAY, (utc.date() - EPOCH.date()).days)
        document.add_integer(PUBLISHED_MONTH, utc.year * 12 + utc.month - 1)
    return document


def microseconds(moment: datetime) -> int:
    """``moment`` as microseconds from the epoch, a moment without a zone taken as UTC (the
    store's)."""
    return (in_utc(moment) - EPOCH) // timedelta(microseconds=1)


def name_keys(*texts: str) -> set[str]:
    """The ``NAME_KEYS`` terms of an article's ``texts``: ``"{key} {word}"`` for each distinct
    word they write capitalised at least once that has a name key."""
    # No word spans a space, and a token of letters and digits alone (most of a text) is one
    # word: only the other tokens are cut by the pattern, a quarter of the time of cutting all.
    find = word_run().findall
    capitalised: set[str] = set()
    for text in texts:
        for token in text.split():
            if token.isalnum():
                if token[0].isupper():
                    capitalised.add(token)
            else:
                capitalised.update(word for word in find(token) if word[0].isupper())
    # A word longer than any term makes none: left out before it reaches the cache.
    return {
        keyed
        for word in capitalised
        if len(word) <= LONGEST_WORD and (keyed := _keyed(word)) is not None
    }


@lru_cache(maxsize=65_536)
def _keyed(written: str) -> str | None:
    """The ``NAME_KEYS`` term of a word as written (None when it has no name key): the same
    names recur from article to article, so ingestion computes each once."""
    terms = analyze(WORDS, written)
    if len(terms) != 1 or (key := name_key(terms[0])) is None:
        return None
    return f"{key} {terms[0]}"


def progress_document(applied_change: int) -> tantivy.Document:
    """The document recording the last change the index applied, and with which schema."""
    document = tantivy.Document()
    document.add_integer("id", PROGRESS_ID)
    document.add_integer("applied_change", applied_change)
    document.add_integer("schema_version", SCHEMA_VERSION)
    return document
