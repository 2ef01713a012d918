"""What a word is to Byline's search: the analyzers that turn text into terms, the folding
they apply, and where the words of a text start and end.

``TEXT`` (folded, stemmed) ranks and matches, ``WORDS`` (folded, not stemmed) answers
``prefix*`` and exact words, ``KEYWORD`` matches a filter's whole value in any case, ``GRAMS``
holds text written without spaces as pairs of characters (``app/search/grams.py``). The index
(``app/search/schema.py``), the query language, highlights, name variants and related articles
all cut text here, so a query term and an indexed term always meet, and what is marked is what
matched.
"""

import re
import sys
import unicodedata
from functools import cache

import tantivy

TEXT = "byline_text"

WORDS = "byline_words"

KEYWORD = "byline_keyword"

GRAMS = "byline_grams"

# A longer run of letters is no word anyone searches for (a hostile file's megabyte of "a"),
# and the engine caps a term's length: such tokens are left out of the index and of queries.
LONGEST_WORD = 100


def analyzers() -> dict[str, tantivy.TextAnalyzer]:
    """The analyzers by name, built fresh (an index registers its own)."""

    def words() -> tantivy.TextAnalyzerBuilder:
        return (
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.remove_long(LONGEST_WORD))
            .filter(tantivy.Filter.lowercase())
            .filter(tantivy.Filter.ascii_fold())
        )

    return {
        TEXT: words().filter(tantivy.Filter.stemmer("english")).build(),
        WORDS: words().build(),
        KEYWORD: tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.raw())
        .filter(tantivy.Filter.lowercase())
        .build(),
        # Grams come written out by ``grams.grams_text``: a term between two spaces.
        GRAMS: tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.whitespace())
        .filter(tantivy.Filter.remove_long(LONGEST_WORD))
        .build(),
    }


ANALYZERS = analyzers()


def _greek_folding() -> dict[int, str]:
    """Each Greek letter with accents or diaeresis mapped to the letter alone, and the final
    sigma to the sigma: the engine's ASCII folding leaves Greek as it is, so `Αθήνας` would
    miss `ΑΘΗΝΑΣ`, which readers take for one word."""
    folding = {0x03C2: "\u03c3"}  # final sigma, sigma
    for code in (*range(0x0370, 0x0400), *range(0x1F00, 0x2000)):
        letters = unicodedata.normalize("NFD", chr(code))
        if (
            len(letters) > 1
            and unicodedata.category(letters[0]).startswith("L")
            and all(unicodedata.combining(mark) for mark in letters[1:])
        ):
            folding[code] = letters[0]
    return folding


_FOLDING = _greek_folding()


def folded(text: str) -> str:
    """``text`` as the word analyzers (``TEXT``, ``WORDS``) read it: Greek letters without
    their accents. One character for one, so offsets into it are offsets into ``text``."""
    return text.translate(_FOLDING)


def analyze(analyzer: str, text: str) -> list[str]:
    """The terms ``analyzer`` makes of ``text``, as the index holds them."""
    return ANALYZERS[analyzer].analyze(folded(text) if analyzer in (TEXT, WORDS) else text)


def word_spans(text: str) -> list[tuple[int, int]]:
    """Where each word of ``text`` starts and ends, as the word analyzers cut words."""
    return [found.span() for found in word_run().finditer(text)]


def has_words(text: str) -> bool:
    """Whether any character of ``text`` would be indexed in a word."""
    return word_run().search(text) is not None


@cache
def word_run() -> re.Pattern[str]:
    """A run of the characters the engine's tokenizer keeps in a word (Unicode's alphabetic and
    numeric characters), as a pattern: a fifth of the time of asking the engine for its
    tokens, which matters at ingestion. The class is written as ranges of code points
    (``_word_ranges``), which the regular expression engine tests at a table lookup a character;
    an alternation with Python's ``[^\\W_]`` costs twenty times as much."""
    ranges = (f"{re.escape(chr(first))}-{re.escape(chr(last))}" for first, last in _word_ranges())
    return re.compile(f"[{''.join(ranges)}]+")


@cache
def _word_ranges() -> list[tuple[int, int]]:
    """The code points the engine's tokenizer keeps in a word, as (first, last) ranges.

    Python's letters and digits lack the alphabetic marks and symbols (Devanagari's vowel signs,
    Arabic's short vowels, circled letters), and the characters a later Unicode than Python's
    assigned: each is found by asking the engine whether it keeps ``a`` and the character
    together. Past the first four planes, every such character is a letter or a digit to Python
    too."""
    candidates = [
        char
        for code in range(0x40000)
        if (category := unicodedata.category(char := chr(code)))[0] in "MS" or category == "Cn"
    ]
    cutter = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).build()
    kept = {
        token.text[1]
        for token in cutter.pre_tokenize(" ".join(f"a{char}" for char in candidates)).tokens
        if len(token.text) == 2
    }
    ranges: list[tuple[int, int]] = []
    first = None
    for code in range(sys.maxunicode + 2):
        in_word = code <= sys.maxunicode and ((char := chr(code)).isalnum() or char in kept)
        if in_word and first is None:
            first = code
        elif not in_word and first is not None:
            ranges.append((first, code - 1))
            first = None
    return ranges


def prepare_text_tables() -> None:
    """Build the tables that cutting and screening text use (a few tenths of a second, asked
    of the engine), so that no request waits for them: a server calls this as it starts."""
    word_run()
    _screen_folding()


def screened(text: str) -> str:
    """``text`` with each character of a word written as the ``WORDS`` analyzer writes it in
    its terms (lower case, ASCII and Greek folding; ``ß`` as ``ss``): wherever a term of the
    text starts, the screened text holds the term there. Not one character for one; a newline
    stays a newline, so the text's paragraphs stay apart."""
    return text.translate(_screen_folding())


@cache
def _screen_folding() -> dict[int, str]:
    """Each character of a word that the ``WORDS`` analyzer writes otherwise, and how: asked of
    the analyzer, one call for every such character (between two ``x``, which fold to
    themselves, so that each gives one term)."""
    chars = [chr(code) for first, last in _word_ranges() for code in range(first, last + 1)]
    terms = analyze(WORDS, " ".join(f"x{char}x" for char in chars))
    return {
        ord(char): term[1:-1] for char, term in zip(chars, terms, strict=True) if term[1:-1] != char
    }
