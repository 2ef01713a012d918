"""Spelling variants of names, and corrections, drawn from the corpus's own vocabulary.

After each ingestion that changed articles, ``refresh_vocabulary`` copies the FTS5 vocabulary
(index terms with the number of articles holding them) into ``search_term`` with a similarity key
per term. A query word then finds its variants among the terms that share its key and lie within
a small edit distance: ``Zelensky`` finds ``Zelenskyy`` and ``Zelenskiy``, ``Gaddafi`` finds
``Qaddafi`` and ``Gadhafi``, ``Yuschenko`` finds ``Yushchenko`` and ``Juschtschenko``.

Variants are for names only, judged by how the corpus writes a word where its case says
something (inside a sentence of body text, not in a headline-like line): a word written
capitalised there nearly everywhere is a name, one written mostly in lower case is a common word.
A word the corpus holds often gains only spellings of the same sound (transliterations); nearby
spellings (edits) are for words the corpus holds rarely or not at all. ``suggest`` offers, for a
query word the corpus holds rarely, a word one or two edits away that it holds far more often.
Everything is deterministic and offline.
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
from app.query import (
    AnyOf,
    AtomKind,
    Node,
    ParsedQuery,
    Term,
    interpreted,
    is_token_char,
    map_terms,
)

MIN_NAME_LENGTH = 4
VOCABULARY_CHUNK = 5000
SAMPLE_PLACES = 5
# Of a sampled article, only this many characters are read for how it writes a word: tokenizing a
# 10 MB body in Python would cost seconds a search.
SAMPLE_CHARACTERS = 65_536
_CACHE_SIZE = 4096
# Spellings that English, German and French wire copy trade for one another when they
# transliterate Russian, Ukrainian and Arabic names: digraphs standing for one sound (tried in
# this order, longest first; "9" stands for the sound of ch/tsch), then letters taken as the same
# sound, then doubled letters as one. Russian shcha is shch, sch, schtsch (German) or chtch
# (French); kha is kh, h or ch; short i and yery are y, i or j; u is u or ou (French); Arabic
# qaf is q, k or g; the hamza of al-Qaeda is ae or ai.
_DIGRAPHS = (
    ("schtsch", "sh"),
    ("chtch", "sh"),
    ("shch", "sh"),
    ("tsch", "9"),
    ("tch", "9"),
    ("sch", "sh"),
    ("ch", "9"),
    ("ph", "f"),
    ("dh", "d"),
    ("kh", "h"),
    ("th", "t"),
    ("gh", "g"),
    ("ou", "u"),
    ("ae", "ai"),
)
_SAME_SOUND = str.maketrans(
    {"q": "k", "c": "k", "g": "k", "w": "v", "z": "s", "x": "s", "j": "y", "i": "y"}
)
_VOWELS = re.compile("[aeiouy]")
_REPEATS = re.compile(r"(.)\1+")
# A query word held by at least this many times fewer articles than a spelling near it is rare
# next to it: a misspelling or a rare spelling of it, which may gain it (as a variant, or as
# `did_you_mean`). A word held about as often as its neighbour is a word of its own (Tokyo, Togo).
FAR_MORE = 10
# A query word is rare in the corpus, for `did_you_mean`, when at most this share of the articles
# holds it (and at most RARE_ARTICLES whatever the corpus's size).
RARE_SHARE = 1 / 2000
RARE_ARTICLES = 2
# How many places in body text are read to tell a name from a common word, at most.
EVIDENCE_PLACES = 40
# A name is written capitalised at this share of its places inside sentences, at least.
NAME_SHARE = 0.8
# How many corpus words near a misspelling are read for how they are written, at most.
SUGGESTION_CANDIDATES = 8
# The query words a suggestion looks at, and the vocabulary rows it compares each with (the
# most frequent first: a correction is far more frequent than the word it corrects).
SUGGESTED_WORDS = 4
SUGGESTION_ROWS = 5000
_PARTS = re.compile(r"([^\w]+)")


def index_tokens(text: str) -> list[str]:
    """The text cut into tokens as the full-text tokenizer cuts it (runs of letters, digits)."""
    return [text[start:end] for start, end in token_spans(text)]


def token_spans(text: str, *, count: int | None = None) -> list[tuple[int, int]]:
    """Where each of the text's tokens (``index_tokens``) starts and ends: the first ``count``
    tokens' only, when given (reading a long body to its end costs milliseconds)."""
    spans: list[tuple[int, int]] = []
    start = None
    for position, char in enumerate(text):
        if is_token_char(char):
            if start is None:
                start = position
        elif start is not None:
            spans.append((start, position))
            start = None
            if len(spans) == count:
                return spans
    if start is not None:
        spans.append((start, len(text)))
    return spans


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
    return _REPEATS.sub(r"\1", word.translate(_SAME_SOUND))


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
        forms = _surface_forms(session, term, documents)
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
    # The Arabic article is written al- or el-: the other is added where the corpus writes it.
    articles = [index for index, part in enumerate(parts) if folded(part) in {"al", "el"}]
    for spelling in [word, *variants]:
        pieces = _PARTS.split(spelling)
        for index in articles:
            pieces_swapped = [
                *pieces[:index],
                pieces[index].translate(_AL_EL),
                *pieces[index + 1 :],
            ]
            swapped = "".join(pieces_swapped)
            if swapped not in variants and documents_holding(session, swapped, cap=1):
                variants.append(swapped)
    return variants


_AL_EL = str.maketrans("aeAE", "eaEA")


def _variants_of(session: Session, word: str) -> list[str]:
    """The rules of variants: a name (or a word the corpus does not show to be anything else)
    gains the names of the same sound; a word the corpus holds rarely next to a name near it
    also gains that name."""
    key = name_key(word)
    if key is None:
        return []
    wanted, heard = folded(word), sounds(word) or ""
    rows = session.execute(
        text("SELECT term, documents FROM search_term WHERE key = :key"), {"key": key}
    ).all()
    from rapidfuzz.distance import OSA  # noqa: PLC0415  (searches only: ingestion's memory)

    own_term = _index_term(session, word)
    # Edits are counted between the sounds, so that spellings of one sound cost nothing.
    near = [
        (term, documents, sounds(term) == heard)
        for term, documents in rows
        if term != own_term and OSA.distance(heard, sounds(term) or term) <= max_distance(wanted)
    ]
    if not near:
        return []
    own = _usage(session, own_term, _documents_of(session, own_term))
    if own.known and not own.is_name:
        return []  # a common word (or one the corpus writes either way): not varied
    held = documents_holding(session, word, cap=max(documents for _, documents, _ in near) + 1)
    variants: list[str] = []
    for term, documents, same_sound in near:
        if not same_sound and held * FAR_MORE > documents:
            continue  # a word of its own next to this one (Tokyo and Togo), not its misspelling
        usage = _usage(session, term, documents)
        if not usage.is_name:
            continue
        for form in _by_frequency(list(usage.names)):
            # One spelling a word: the search folds case (WALKER is Walker).
            if folded(form) not in {wanted, *map(folded, variants)}:
                variants.append(form)
    return sorted(variants, key=str.lower)


def _index_term(session: Session, word: str) -> str:
    """The term the index holds ``word`` under (stemmed, folded)."""
    if _on_postgresql(connection := session.connection()):
        return postgres.index_term(connection, word) or folded(word)
    from app.impacts import index_term  # noqa: PLC0415  (app.impacts builds on this module)

    return index_term(word) or folded(word)


def documents_holding(session: Session, word: str, *, cap: int) -> int:
    """How many articles hold the word (stemmed as the articles were), counted up to ``cap``."""
    connection = session.connection()
    if _on_postgresql(connection):
        # Cut into words as the articles were indexed (al-Qaida is al and qaida).
        return postgres.document_frequency(connection, " ".join(index_tokens(word)), cap=cap)
    quoted = '"' + word.replace('"', '""') + '"'
    return int(
        session.execute(
            text(
                "SELECT count(*) FROM (SELECT 1 FROM article_fts WHERE article_fts MATCH :q "
                "LIMIT :cap)"
            ),
            {"q": quoted, "cap": cap},
        ).scalar_one()
    )


def suggest(session: Session, query: ParsedQuery, *, expanded: Iterable[str] = ()) -> str | None:
    """The query written back with each word the corpus holds rarely replaced by a word one or
    two edits away that it holds far more often (None when no word is replaced); its operators,
    fields, phrases and exclusions are kept.

    Words that gained name variants (``expanded``) already found what the corpus holds. At most
    ``SUGGESTED_WORDS`` words are looked at, so a long query costs no more than a short one.
    """
    words: list[str] = []

    def collect(term: Term) -> Node:
        if term.kind is AtomKind.WORD and term.text not in words:
            words.append(term.text)
        return term

    map_terms(query.root, collect)
    skip = set(expanded)
    candidates = [w for w in words if w not in skip and len(folded(w)) >= MIN_NAME_LENGTH]
    replacements: dict[str, str] = {}
    rare: int | None = None
    for word in candidates[:SUGGESTED_WORDS]:
        if rare is None:
            rare = _rare_articles(session)
        held = documents_holding(session, word, cap=rare + 1)
        if held > rare:
            continue
        best = _closest(session, word, more_than=max(held * FAR_MORE, held))
        if best is not None:
            replacements[word] = best
    if not replacements:
        return None

    def replace(term: Term) -> Node:
        if term.kind is AtomKind.WORD and term.text in replacements:
            return Term(AtomKind.WORD, replacements[term.text], term.column)
        return term

    return interpreted(map_terms(query.root, replace))


def _rare_articles(session: Session) -> int:
    """How many articles at most hold a word that is rare in this corpus.

    The corpus's size is read as its highest article id, a lookup in the primary key (counting
    the rows would scan them all, a search at a million articles): an upper bound that pruning
    leaves a little high, which a share of one in 2,000 does not feel.
    """
    highest = session.execute(select(func.max(Article.id))).scalar_one() or 0
    return max(RARE_ARTICLES, int(highest * RARE_SHARE))


def _on_postgresql(connection: Connection) -> bool:
    return connection.dialect.name == "postgresql"


_CANDIDATES_SQL = (
    "SELECT term, documents FROM search_term"
    " WHERE ((term >= :low AND term < :high) OR key = :key) AND documents > :more_than"
    " AND length(term) <= :longest ORDER BY documents DESC LIMIT :rows"
)


def _closest(session: Session, word: str, *, more_than: int) -> str | None:
    """The word as the corpus writes it that is fewest edits from ``word``, then held by the
    most articles (more than ``more_than``); None when none is within ``max_distance``."""
    wanted = folded(word)
    # Misspellings keep the first letter, mostly: compare with the terms that start like it,
    # and with those that sound alike (on PostgreSQL, also those that share many trigrams).
    on_postgresql = _on_postgresql(session.connection())
    sql = _CANDIDATES_SQL
    if on_postgresql:
        sql = sql.replace(" OR key = :key)", " OR key = :key OR term % :word)")
    rows = session.execute(
        text(sql),
        {
            "low": wanted[0],
            "high": chr(min(ord(wanted[0]) + 1, sys.maxunicode)),
            "key": name_key(word) or "",
            "word": wanted,
            "more_than": more_than,
            "longest": len(wanted) + max_distance(wanted),
            "rows": SUGGESTION_ROWS,
        },
    ).all()
    from rapidfuzz.distance import OSA  # noqa: PLC0415  (searches only: ingestion's memory)

    limit = max_distance(wanted)
    # Index terms are stems, shorter than the words written (``govern`` for ``government``):
    # a term near the word, or near as many of its first letters, may be written near it.
    candidates = sorted(
        (
            (documents, term)
            for term, documents in rows
            if OSA.distance(wanted, term, score_cutoff=limit) <= limit
            or OSA.distance(wanted[: len(term)], term, score_cutoff=limit) <= limit
        ),
        reverse=True,
    )[:SUGGESTION_CANDIDATES]
    scored = []
    for documents, term in candidates:
        for form in _surface_forms(session, term, -1):
            distance = OSA.distance(wanted, folded(form), score_cutoff=limit)
            if 0 < distance <= limit:
                scored.append((distance, -documents, form))
    if not scored:
        return None
    return min(scored)[2]


@dataclass(frozen=True, slots=True)
class Usage:
    """How the corpus writes a term inside sentences of body text, at the places read."""

    names: tuple[str, ...]  # the capitalised spellings, as written
    lower: int  # how many places write it in lower case

    @property
    def capitalised(self) -> int:
        """How many places write it capitalised."""
        return len(self.names)

    @property
    def known(self) -> bool:
        """Whether any place says how the corpus writes it."""
        return self.capitalised + self.lower > 0

    @property
    def is_name(self) -> bool:
        """Written capitalised nearly everywhere inside sentences."""
        return self.known and self.capitalised >= NAME_SHARE * (self.capitalised + self.lower)

    @property
    def common_word(self) -> bool:
        """Written mostly in lower case inside sentences."""
        return self.lower > self.capitalised


_usage_cache: dict[tuple[str, str, int], Usage] = {}


def _documents_of(session: Session, term: str) -> int:
    """How many articles hold the index term, by ``search_term`` (0 for a term it lacks)."""
    found = session.execute(
        text("SELECT documents FROM search_term WHERE term = :term"), {"term": term}
    ).scalar()
    return int(found or 0)


def _usage(session: Session, term: str, documents: int) -> Usage:
    """How the corpus writes ``term`` at up to EVIDENCE_PLACES places in body text, counting only
    the places where case tells a name: not at a sentence's or paragraph's start, and not in a
    line of capitals or of Title Case (the headlines of wire copy). Remembered for the term's
    number of articles (``documents``), which an ingestion that adds the term changes."""
    cache_key = (str(session.get_bind().engine.url), term, documents)
    if (found := _usage_cache.get(cache_key)) is not None:
        return found
    names: list[str] = []
    lower = 0
    for body, spans in _body_places(session, term):
        for start, end in spans:
            if not _tells_case(body, start):
                continue
            if body[start].isupper():
                names.append(body[start:end])
            else:
                lower += 1
    usage = Usage(tuple(names), lower)
    if len(_usage_cache) >= _CACHE_SIZE:
        _usage_cache.clear()
    _usage_cache[cache_key] = usage
    return usage


def _body_places(session: Session, term: str) -> list[tuple[str, list[tuple[int, int]]]]:
    """The first SAMPLE_PLACES articles whose body holds ``term`` (their bodies' first
    SAMPLE_CHARACTERS), each with the spans of the words that the index holds as ``term``:
    EVIDENCE_PLACES in all, at most. Both stores read the same places."""
    if _on_postgresql(connection := session.connection()):
        bodies = postgres.bodies_holding(
            connection, term, samples=SAMPLE_PLACES, characters=SAMPLE_CHARACTERS
        )
        spans_of = [
            [
                (start, end)
                for start, end in token_spans(body)
                if _may_stem_to(body[start:end], term)
            ]
            for body in bodies
        ]
        words = list(
            {
                body[start:end]
                for body, spans in zip(bodies, spans_of, strict=True)
                for start, end in spans
            }
        )
        matching = postgres.stemming_to(connection, words, term) if words else set()
        places: list[tuple[str, list[tuple[int, int]]]] = []
        left = EVIDENCE_PLACES
        for body, spans in zip(bodies, spans_of, strict=True):
            kept = [(start, end) for start, end in spans if body[start:end] in matching][:left]
            left -= len(kept)
            places.append((body, kept))
        return places
    # The index's own record of where the term stands (article, token number) leads to the word
    # exactly as written.
    rows = session.execute(
        text(
            "SELECT doc, offset FROM article_fts_instances WHERE term = :term AND col = 'body'"
            " AND doc IN (SELECT DISTINCT doc FROM article_fts_instances"
            " WHERE term = :term AND col = 'body' LIMIT :samples) LIMIT :n"
        ),
        {"term": term, "samples": SAMPLE_PLACES, "n": EVIDENCE_PLACES},
    ).all()
    offsets: dict[int, list[int]] = {}
    for doc, offset in rows:
        offsets.setdefault(doc, []).append(offset)
    texts: dict[int, str] = dict(
        session.execute(
            select(col(Article.id), func.substr(col(Article.body), 1, SAMPLE_CHARACTERS)).where(
                col(Article.id).in_(list(offsets))
            )
        ).all()
    )
    result = []
    for doc, wanted in offsets.items():
        if (written := texts.get(doc)) is None:
            continue
        spans = token_spans(written, count=max(wanted) + 1)
        result.append((written, [spans[offset] for offset in wanted if offset < len(spans)]))
    return result


def _may_stem_to(word: str, term: str) -> bool:
    return folded(word)[:3] == term[:3]


_OPENING = "\"'\u201c\u2018\u00ab\u201e\u201a\u2039([{"
_CLOSING = "\"'\u201d\u2019\u00bb\u203a)]}"
_SENTENCE_END = ".!?\u2026"
_DASHES = "-\u2013\u2014"


def _tells_case(text: str, start: int) -> bool:
    """Whether the case of the word at ``start`` of a stored body (one paragraph a line) says
    something of the word: it stands inside a sentence (not first after . ! ? or a dash, nor
    after a quote opening a sentence, nor first in its paragraph) in a paragraph that is not all
    capitals or Title Case."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    if _headline_like(text[line_start : line_end if line_end >= 0 else len(text)]):
        return False
    position, quoted, spaced = start - 1, False, False
    while position >= line_start and (text[position].isspace() or text[position] in _OPENING):
        quoted = quoted or text[position] in _OPENING
        spaced = True if text[position].isspace() else spaced
        position -= 1
    if position < line_start:
        return False
    before = text[position]
    if before in _SENTENCE_END or (before == ":" and quoted):
        return False
    return not (before in _DASHES and spaced)


def _headline_like(line: str) -> bool:
    """A line of capitals, or of Title Case: every word of four letters or more capitalised, three
    such words at least, and no full stop at its end (a headline has none; a short line of prose,
    German above all, which capitalises every noun, may hold only capitalised long words)."""
    letters = [char for char in line if char.isalpha()]
    if letters and all(char.isupper() for char in letters):
        return True
    if line.rstrip().rstrip(_CLOSING)[-1:] in _SENTENCE_END:
        return False
    long_words = [word for word in index_tokens(line) if len(word) >= 4 and word[0].isalpha()]
    return len(long_words) >= 3 and all(word[0].isupper() for word in long_words)


_surface_cache: dict[tuple[str, str, int], list[str]] = {}


def _surface_forms(session: Session, term: str, documents: int) -> list[str]:
    """How the corpus writes an index term, from a few articles that hold it: the most frequent
    spelling first (remembered for the term's number of articles, ``documents``)."""
    cache_key = (str(session.get_bind().engine.url), term, documents)
    if cache_key in _surface_cache:
        return _surface_cache[cache_key]
    forms = _by_frequency(_spellings(session, term))
    if len(_surface_cache) >= _CACHE_SIZE:
        _surface_cache.clear()
    _surface_cache[cache_key] = forms
    return forms


def _by_frequency(spellings: list[str]) -> list[str]:
    """The distinct spellings, the most frequent first, ties in the order met."""
    return sorted(dict.fromkeys(spellings), key=spellings.count, reverse=True)


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
