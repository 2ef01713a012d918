"""Spelling variants of names, and corrections, drawn from the corpus's own vocabulary.

After each ingestion that changed articles, ``refresh_vocabulary`` copies the FTS5 vocabulary
(index terms with the number of articles holding them) into ``search_term`` with a similarity key
per term. A query word then finds its variants among the terms that share its key and lie within
a small edit distance, keeping those the corpus writes capitalised (names): ``Zelensky`` finds
``Zelenskyy`` and ``Zelenskiy``, ``Gaddafi`` finds ``Qaddafi`` and ``Gadhafi``. Everything is
deterministic and offline.
"""

import re
import sys
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from sqlalchemy import Connection, func, text
from sqlmodel import Session, col, select

from app import postgres
from app.models import Article
from app.query import AnyOf, AtomKind, Node, ParsedQuery, Term, is_token_char, map_terms

MIN_NAME_LENGTH = 4
VOCABULARY_CHUNK = 5000
SAMPLE_PLACES = 5
# Of a sampled article, only this many characters are read for how it writes a word: tokenizing a
# 10 MB body in Python would cost seconds a search.
SAMPLE_CHARACTERS = 65_536
_CACHE_SIZE = 4096
# Spellings that transliterations trade for one another: digraphs standing for one sound (tried
# in this order; "9" stands for the sound of ch/tsch), then letters taken as the same sound.
_DIGRAPHS = (
    ("tsch", "9"),
    ("tch", "9"),
    ("sch", "sh"),
    ("ch", "9"),
    ("ph", "f"),
    ("dh", "d"),
    ("kh", "k"),
    ("th", "t"),
    ("gh", "g"),
)
_SAME_SOUND = str.maketrans({"q": "k", "c": "k", "g": "k", "w": "v", "z": "s", "x": "s", "j": "y"})
_VOWELS = re.compile("[aeiouy]")
_REPEATS = re.compile(r"(.)\1+")
_PARTS = re.compile(r"([^\w]+)")


def index_tokens(text: str) -> list[str]:
    """The text cut into tokens as the full-text tokenizer cuts it (runs of letters, digits)."""
    tokens, current = [], []
    for char in text:
        if is_token_char(char):
            current.append(char)
        elif current:
            tokens.append("".join(current))
            current = []
    if current:
        tokens.append("".join(current))
    return tokens


def folded(word: str) -> str:
    """Lower case without accents, as the index compares words."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def sounds(term: str) -> str | None:
    """The word with the spellings transliterations trade made one (``Tschaikowsky`` and
    ``Tchaikovsky`` give ``9aikovsky``); None for what is not a word of Latin letters."""
    word = folded(term)
    if len(word) < MIN_NAME_LENGTH or not word.isascii() or not word.isalpha():
        return None
    for digraph, sound in _DIGRAPHS:
        word = word.replace(digraph, sound)
    return word.translate(_SAME_SOUND)


def name_key(term: str) -> str | None:
    """A similarity key: the consonant skeleton of ``sounds``.

    ``zelensky``, ``zelenskyy`` and ``zelenskiy`` all give ``slnsk``; ``gaddafi``, ``qaddafi``
    and ``gadhafi`` give ``kdf``. None for what is not a word of Latin letters.
    """
    word = sounds(term)
    if word is None:
        return None
    return _REPEATS.sub(r"\1", _VOWELS.sub("", word)) or word[0]


def max_distance(word: str) -> int:
    """How many edits a variant of a word this long may differ by (Gaddafi and Qaddafi: 1,
    Qaddafi and Gadhafi: 2)."""
    return 1 if len(word) <= 5 else 2


def refresh_vocabulary(
    connection: Connection, *, frequent_from: int | None = None
) -> list[tuple[str, int]]:
    """Rebuild ``search_term`` from the full-text index's vocabulary, streamed (SQLite) or in
    chunks (PostgreSQL), so that memory stays flat whatever the size of the vocabulary; return
    the terms held by at least ``frequent_from`` articles, with their numbers of articles (read
    in the same pass)."""
    connection.execute(text("DELETE FROM search_term"))
    frequent: list[tuple[str, int]] = []
    if not _on_postgresql(connection):
        # Streamed from the vocabulary into the table, row by row: no chunk is ever held (the
        # chunks were ingestion's peak memory).
        driver = connection.connection.driver_connection
        vocabulary = driver.execute("SELECT term, doc FROM article_fts_vocab")  # type: ignore[union-attr]

        def keyed() -> Iterator[tuple[str, str, int]]:
            for term, documents in vocabulary:
                if frequent_from is not None and documents >= frequent_from:
                    frequent.append((term, documents))
                if (key := name_key(term)) is not None:
                    yield term, key, documents

        driver.executemany(  # type: ignore[union-attr]
            "INSERT INTO search_term (term, key, documents) VALUES (?, ?, ?)", keyed()
        )
        return frequent
    terms = postgres.vocabulary(connection).yield_per(VOCABULARY_CHUNK)
    insert = text("INSERT INTO search_term(term, key, documents) VALUES (:term, :key, :documents)")
    for chunk in terms.partitions():
        rows = [
            {"term": term, "key": key, "documents": documents}
            for term, documents in chunk
            if (key := name_key(term)) is not None
        ]
        if rows:
            connection.execute(insert, rows)
        if frequent_from is not None:
            frequent.extend(
                (term, documents) for term, documents in chunk if documents >= frequent_from
            )
    return frequent


@dataclass(frozen=True, slots=True)
class Expansion:
    """The query with name variants added, and which variants each word gained."""

    query: ParsedQuery
    expanded: dict[str, list[str]]


def expand_names(session: Session, query: ParsedQuery) -> Expansion:
    """Add to each name in the query the variants the corpus holds."""
    expanded: dict[str, list[str]] = {}

    def vary(term: Term) -> Node:
        if term.kind is not AtomKind.WORD or not (variants := name_variants(session, term.text)):
            return term
        expanded[term.text] = variants
        return AnyOf((term, *(Term(AtomKind.WORD, v, term.column) for v in variants)))

    root = map_terms(query.root, vary)
    return Expansion(ParsedQuery(root=root, warnings=query.warnings), expanded)


PREFIX_COMPLETIONS = 20


def complete_prefixes(session: Session, query: ParsedQuery) -> Expansion:
    """Add to each ``prefix*`` the corpus words it should find but stemming hides.

    FTS5 stems a prefix like a word (``deploy*`` looks for ``deploi…``), so words whose stem
    keeps the prefix's own letters (``deployment``, stem ``deploy``) would be missed: the index
    terms that start with the prefix are added as the words the corpus writes for them.
    """
    completed: dict[str, list[str]] = {}

    def complete(term: Term) -> Node:
        if term.kind is not AtomKind.PREFIX or not (words := _completions(session, term.text)):
            return term
        completed[f"{term.text}*"] = words
        return AnyOf((term, *(Term(AtomKind.WORD, word, term.column) for word in words)))

    root = map_terms(query.root, complete)
    return Expansion(ParsedQuery(root=root, warnings=query.warnings), completed)


def _completions(session: Session, prefix: str) -> list[str]:
    start = folded(prefix)
    if len(start) < 3 or not start.isalpha():
        return []
    rows = session.execute(
        text(
            "SELECT term, documents FROM search_term WHERE term >= :low AND term < :high "
            "ORDER BY documents DESC, term LIMIT :n"
        ),
        {"low": start, "high": start + "\U0010ffff", "n": PREFIX_COMPLETIONS},
    ).all()
    words: list[str] = []
    for term, documents in rows:
        forms = _surface_forms(session, term, documents, names_only=False)
        if forms and folded(forms[0]) not in {folded(word) for word in words}:
            words.append(forms[0])
    return words


def name_variants(session: Session, word: str) -> list[str]:
    """Spellings of the same name that the corpus writes, other than ``word`` itself.

    In a compound such as ``al-Qaida``, each part is varied in turn (``al-Qaeda``).
    """
    parts = _PARTS.split(word)
    if len(parts) == 1:
        return _variants_of(session, word)
    variants = []
    for index, part in enumerate(parts):
        for variant in _variants_of(session, part) if _PARTS.fullmatch(part) is None else []:
            variants.append("".join([*parts[:index], variant, *parts[index + 1 :]]))
    return variants


def _variants_of(session: Session, word: str) -> list[str]:
    key = name_key(word)
    if key is None:
        return []
    wanted, heard = folded(word), sounds(word) or ""
    rows = session.execute(
        text("SELECT term, documents FROM search_term WHERE key = :key"), {"key": key}
    ).all()
    from rapidfuzz.distance import OSA  # noqa: PLC0415  (searches only: ingestion's memory)

    variants: list[str] = []
    for term, documents in rows:
        # Edits are counted between the sounds, so that spellings of one sound cost nothing.
        if OSA.distance(heard, sounds(term) or term) > max_distance(wanted):
            continue
        for form in _surface_forms(session, term, documents):
            if folded(form) != wanted and form not in variants:
                variants.append(form)
    return sorted(variants, key=str.lower)


def suggest(session: Session, query: ParsedQuery, *, expanded: Iterable[str] = ()) -> str | None:
    """The query's words, each the corpus lacks replaced by its closest corpus word.

    Words that gained name variants (``expanded``) already found what the corpus holds.
    """
    words = [term.text for term in query.terms() if term.kind is AtomKind.WORD]
    skip = set(expanded)
    replacements: dict[str, str] = {}
    for word in words:
        if word in skip or _found(session, word):
            continue
        best = _closest(session, word)
        if best is not None:
            replacements[word] = best
    if not replacements:
        return None
    return " ".join(replacements.get(word, word) for word in words)


def _on_postgresql(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


def _found(session: Session, word: str) -> bool:
    if _on_postgresql(connection := session.connection()):
        return postgres.holds(connection, word)
    quoted = '"' + word.replace('"', '""') + '"'
    row = session.execute(
        text("SELECT 1 FROM article_fts WHERE article_fts MATCH :q LIMIT 1"), {"q": quoted}
    ).first()
    return row is not None


_CANDIDATES_SQL = (
    "SELECT term, documents FROM search_term WHERE (term >= :low AND term < :high) OR key = :key"
)


def _closest(session: Session, word: str) -> str | None:
    wanted = folded(word)
    if len(wanted) < MIN_NAME_LENGTH:
        return None
    # Misspellings keep the first letter, mostly: compare with the terms that start like it,
    # and with those that sound alike (on PostgreSQL, also those that share many trigrams).
    on_postgresql = _on_postgresql(session.connection())
    rows = session.execute(
        text(_CANDIDATES_SQL + (" OR term % :word" if on_postgresql else "")),
        {
            "low": wanted[0],
            "high": chr(min(ord(wanted[0]) + 1, sys.maxunicode)),
            "key": name_key(word) or "",
            "word": wanted,
        },
    ).all()
    from rapidfuzz.distance import OSA  # noqa: PLC0415  (searches only: ingestion's memory)

    limit = max_distance(wanted)
    scored = [
        (distance, -documents, term)
        for term, documents in rows
        if abs(len(term) - len(wanted)) <= limit
        and (distance := OSA.distance(wanted, term, score_cutoff=limit)) <= limit
    ]
    if not scored:
        return None
    _, _, term = min(scored)
    forms = _surface_forms(session, term, -1, names_only=False)
    return forms[0] if forms else term


_surface_cache: dict[tuple[str, str, int, bool], list[str]] = {}


def _surface_forms(
    session: Session, term: str, documents: int, *, names_only: bool = True
) -> list[str]:
    """How the corpus writes an index term, from a few articles that hold it.

    With ``names_only``, only when most of those spellings are capitalised (a name).
    """
    cache_key = (str(session.get_bind().engine.url), term, documents, names_only)
    if cache_key in _surface_cache:
        return _surface_cache[cache_key]
    spellings = _spellings(session, term)
    capitalised = [form for form in spellings if form[:1].isupper()]
    if names_only and len(capitalised) * 2 < len(spellings):
        forms: list[str] = []
    else:
        chosen = capitalised if names_only else spellings
        forms = sorted(set(chosen), key=chosen.count, reverse=True)
    if len(_surface_cache) >= _CACHE_SIZE:
        _surface_cache.clear()
    _surface_cache[cache_key] = forms
    return forms


def _spellings(session: Session, term: str) -> list[str]:
    """The words as written at a few places where the index holds ``term``."""
    if _on_postgresql(connection := session.connection()):

        def words_of(text: str) -> list[str]:  # a stem keeps its word's first letters
            return [word for word in index_tokens(text) if folded(word)[:3] == term[:3]]

        return postgres.written_forms(
            connection,
            term,
            samples=SAMPLE_PLACES,
            characters=SAMPLE_CHARACTERS,
            words_of=words_of,
        )
    # The index's own record of where the term stands (article, column, token number) leads to
    # the word exactly as written; a MATCH would stem the term again and find other words.
    places = session.execute(
        text("SELECT doc, col, offset FROM article_fts_instances WHERE term = :term LIMIT :n"),
        {"term": term, "n": SAMPLE_PLACES},
    ).all()
    ids = sorted({doc for doc, _, _ in places})
    texts = {
        row.id: (row.title, row.body)
        for row in session.execute(
            select(
                col(Article.id),
                func.substr(col(Article.title), 1, SAMPLE_CHARACTERS).label("title"),
                func.substr(col(Article.body), 1, SAMPLE_CHARACTERS).label("body"),
            ).where(col(Article.id).in_(ids))
        )
    }
    spellings = []
    for doc, column, offset in places:
        if doc in texts:
            tokens = index_tokens(texts[doc][0 if column == "title" else 1])
            if offset < len(tokens):
                spellings.append(tokens[offset])
    return spellings
