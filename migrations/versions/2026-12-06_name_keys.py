"""Name keys under the widened transliteration rules: the key of every vocabulary term again.

``search_term.key`` groups the spellings of a name (app/search/name_keys.py ``name_key``). The rules
grew (Russian shch as sch, schtsch or chtch, kh as h, i as y, ou as u, ae as ai, doubled letters as
one), so the keys stored under the earlier rules no longer meet the keys of query words. The
rules of both versions are written out here, as they stood: a migration must give the same
keys whatever the app's code becomes.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06
"""

import re
import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHUNK = 5000
_VOWELS = re.compile("[aeiouy]")
_REPEATS = re.compile(r"(.)\1+")
_SAME_SOUND = {"q": "k", "c": "k", "g": "k", "w": "v", "z": "s", "x": "s", "j": "y"}
# (digraphs in order, letters taken as one, whether doubled letters count as one)
_EARLIER = (
    (
        ("tsch", "9"),
        ("tch", "9"),
        ("sch", "sh"),
        ("ch", "9"),
        ("ph", "f"),
        ("dh", "d"),
        ("kh", "k"),
        ("th", "t"),
        ("gh", "g"),
    ),
    str.maketrans(_SAME_SOUND),
    False,
)
_WIDENED = (
    (
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
    ),
    str.maketrans({**_SAME_SOUND, "i": "y"}),
    True,
)
Rules = tuple[tuple[tuple[str, str], ...], dict[int, str], bool]


def _key(term: str, rules: Rules) -> str | None:
    digraphs, same_sound, collapse = rules
    decomposed = unicodedata.normalize("NFKD", term.lower())
    word = "".join(char for char in decomposed if not unicodedata.combining(char))
    if len(word) < 4 or not word.isascii() or not word.isalpha():
        return None
    for digraph, sound in digraphs:
        word = word.replace(digraph, sound)
    word = word.translate(same_sound)
    if collapse:
        word = _REPEATS.sub(r"\1", word)
    return _REPEATS.sub(r"\1", _VOWELS.sub("", word)) or word[0]


def _rekey(rules: Rules) -> None:
    connection = op.get_bind()
    terms = connection.execute(sa.text("SELECT term FROM search_term ORDER BY term")).scalars()
    update = sa.text("UPDATE search_term SET key = :key WHERE term = :term")
    chunk: list[dict[str, str]] = []
    for term in terms.all():
        key = _key(term, rules)
        if key is not None:
            chunk.append({"term": term, "key": key})
        if len(chunk) >= CHUNK:
            connection.execute(update, chunk)
            chunk = []
    if chunk:
        connection.execute(update, chunk)


def upgrade() -> None:
    _rekey(_WIDENED)


def downgrade() -> None:
    _rekey(_EARLIER)
