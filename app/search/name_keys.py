"""Name keys: the rules that make spellings of one sound one (``sounds``), the similarity key the
index files a name under (``name_key``), and how near in edits and in frequency two spellings
are to be taken for one name.

The index files each word an article writes capitalised under its key: ``Zelensky``,
``Zelenskyy`` and ``Zelenskiy`` share one, as do ``Gaddafi``, ``Qaddafi`` and ``Gadhafi``, and
``Yuschenko``, ``Yushchenko`` and ``Juschtschenko``. Everything is deterministic and offline.
"""

import re
import unicodedata
from functools import lru_cache

MIN_NAME_LENGTH = 4
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


@lru_cache(maxsize=65_536)
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
