"""Text written without spaces (Chinese, Japanese, Thai, Lao, Khmer, Myanmar): its runs, the
characters of a run, and the overlapping pairs of characters ("grams") the index holds so that
a word inside a run is found.

The index's word analyzers make a whole run one term (``北京市政府`` is one word to them), so a
word inside it is never found. The ``*_grams`` fields hold each run again as the pair of every
character and the next, and the run's last character alone, one term per character position:
a word of two or more characters is the phrase of its pairs, a single character is the prefix
of the terms starting with it. The fields are given the grams as text separated by spaces
(``grams_text``), which the index's ``GRAMS`` analyzer cuts, a term a position. Text in other
scripts puts nothing in these fields, so its analysis and its results do not change.

A "character" here is a letter with the marks that follow it (Thai vowels and tones, Japanese
sound marks), compatibility forms folded (half-width katakana, compatibility ideographs) and
variation selectors dropped, so the stored text and the typed query meet however either was
normalised.
"""

import functools
import itertools
import re
import unicodedata
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from enum import Enum

import tantivy

# The scripts written without spaces between words, their punctuation and digits left out
# (they end a run as a space would), and the variation selectors that may follow an ideograph.
_RUN = re.compile(
    "["
    "\u0e01-\u0e3a\u0e40-\u0e4e"  # Thai letters, vowels, tones
    "\u0e81-\u0ecf\u0edc-\u0edf"  # Lao
    "\u1000-\u103f\u1050-\u108f"  # Myanmar
    "\u1780-\u17d3\u17d7\u17dc\u17dd"  # Khmer
    "\u3005-\u3007\u3021-\u3029\u3031-\u3035\u303b\u303c"  # 々〆〇, Suzhou numerals, kana repeats
    "\u3041-\u3096\u3099-\u309f"  # hiragana and sound marks
    "\u30a1-\u30fa\u30fc-\u30ff\u31f0-\u31ff"  # katakana (not the middle dot)
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # ideographs
    "\uff66-\uff9f"  # half-width katakana
    "\ufe00-\ufe0f\U000e0100-\U000e01ef"  # variation selectors
    "\U0001b000-\U0001b16f"  # kana supplement
    "\U00020000-\U000323af"  # ideograph extensions B to H
    "]+"
)
# The first bytes in UTF-8 of the blocks above: U+0800 to U+1FFF, U+3000 to U+9FFF, U+F000 to
# U+FFFF, and the supplementary planes.
_UTF8_LEADS = (
    b"\xe0",
    b"\xe1",
    *(bytes([lead]) for lead in range(0xE3, 0xEA)),
    b"\xef",
    b"\xf0",
    b"\xf3",
)
_VARIATION_SELECTORS = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")

# A column's text without spaces is indexed in grams up to this many characters: as much as a
# very long feature holds, while a hostile file's megabytes of ideographs stay a bounded cost.
GRAMS_LIMIT = 65_536


@dataclass(frozen=True, slots=True)
class Run:
    """A run of text without spaces: its characters as the grams hold them, and where each one
    stands in the text (``starts[i]:ends[i]`` in code points)."""

    units: tuple[str, ...]
    starts: tuple[int, ...]
    ends: tuple[int, ...]


def runs(text: str, *, limit: int | None = None) -> Iterator[Run]:
    """The runs of text without spaces in ``text``, in order, read up to ``limit`` code points
    of such text in all."""
    if not _may_hold_runs(text):
        return
    left = len(text) if limit is None else limit
    for match in _RUN.finditer(text):
        if left <= 0:
            return
        chunk = match.group()[:left]
        left -= len(chunk)
        yield from _split(chunk, match.start())


def _may_hold_runs(text: str) -> bool:
    """Whether ``text`` may hold a run: it has a character of a block ``_RUN`` reads from, told
    by the first byte of its UTF-8 (a scan of the bytes costs a tenth of ``_RUN``'s, and most
    text has none, or only the punctuation of block U+2000)."""
    if text.isascii():
        return False
    data = text.encode("utf-8", "surrogatepass")
    return any(lead in data for lead in _UTF8_LEADS)


def _split(chunk: str, offset: int) -> Iterator[Run]:
    """The runs of ``chunk`` (a match of ``_RUN`` at ``offset``): letters with their marks; any
    other character (a number, a lone mark) ends a run."""
    if chunk.isalpha() and unicodedata.is_normalized("NFKD", chunk):
        # Letters alone, none folding into another (most Chinese and Japanese): a character is
        # a code point, read without a loop in Python.
        end = offset + len(chunk)
        yield Run(tuple(chunk), tuple(range(offset, end)), tuple(range(offset + 1, end + 1)))
        return
    units: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for position, char in enumerate(chunk, offset):
        for code, kind in _decomposed(char):
            if kind is _Kind.MARK:
                if units:
                    units[-1] += code
                    ends[-1] = position + 1
            elif kind is _Kind.LETTER:
                units.append(code)
                starts.append(position)
                ends.append(position + 1)
            elif units:
                yield _run(units, starts, ends)
                units, starts, ends = [], [], []
    if units:
        yield _run(units, starts, ends)


class _Kind(Enum):
    LETTER = "letter"  # starts a character
    MARK = "mark"  # belongs to the character before it
    OTHER = "other"  # ends a run


@functools.cache  # a run's blocks hold some 100,000 code points at most
def _decomposed(char: str) -> tuple[tuple[str, _Kind], ...]:
    """The code points ``char`` folds into (NFKD), each with its part in a character."""
    kinds = []
    for code in unicodedata.normalize("NFKD", char):
        category = unicodedata.category(code)
        if category[0] == "M" or unicodedata.combining(code):
            kinds.append((code, _Kind.MARK))
        elif category[0] == "L" or category == "Nl":
            kinds.append((code, _Kind.LETTER))
        else:
            kinds.append((code, _Kind.OTHER))
    return tuple(kinds)


def _run(units: list[str], starts: list[int], ends: list[int]) -> Run:
    # A letter alone is already folded; a letter with marks is composed in the one canonical
    # order, its variation selectors dropped.
    folded = (
        unit if len(unit) == 1 else _VARIATION_SELECTORS.sub("", unicodedata.normalize("NFC", unit))
        for unit in units
    )
    return Run(tuple(folded), tuple(starts), tuple(ends))


def grams(units: Sequence[str]) -> list[str]:
    """The terms a run of ``units`` is indexed as: each character with the next, then the last
    character alone."""
    pairs = [first + second for first, second in itertools.pairwise(units)]
    return [*pairs, units[-1]] if units else []


def grams_text(text: str) -> str:
    """``text`` as the ``*_grams`` fields are given it: the grams of its runs, separated by
    spaces (the fields' analyzer cuts at the spaces, one position a gram); empty when it holds
    no text without spaces."""
    held: list[str] = []
    for run in runs(text, limit=GRAMS_LIMIT):
        held += grams(run.units)
    return " ".join(held)


def query_units(word: str) -> list[tuple[str, ...]]:
    """The runs of text without spaces in a query's ``word``, each as its characters (empty for
    a word in other scripts)."""
    return [run.units for run in runs(word)]


def grams_query(schema: tantivy.Schema, field: str, word: str) -> tantivy.Query | None:
    """The query on the grams ``field`` that finds every run of text without spaces in
    ``word`` (each as a phrase of its pairs, a lone character as a prefix), or ``None`` when the
    word holds none."""
    queries = [_run_query(schema, field, units) for units in query_units(word)]
    if not queries:
        return None
    if len(queries) == 1:
        return queries[0]
    return tantivy.Query.boolean_query([(tantivy.Occur.Must, query) for query in queries])


def _run_query(schema: tantivy.Schema, field: str, units: tuple[str, ...]) -> tantivy.Query:
    if len(units) == 1:
        return tantivy.Query.phrase_prefix_query(schema, field, [units[0]])
    pairs = grams(units)[:-1]
    if len(pairs) == 1:
        return tantivy.Query.term_query(schema, field, pairs[0])
    return tantivy.Query.phrase_query(schema, field, list(pairs))
