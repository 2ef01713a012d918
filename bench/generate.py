"""Write a deterministic synthetic news corpus in the seed format.

    python bench/generate.py OUT_DIR --count 10000 [--seed 1]

Each article: a headline, 8 to 16 paragraphs of about 600 words in all drawn from a Zipfian
vocabulary, a dateline, a copyright line with a source and a year. Known words for benchmarks:
``minister`` is in about half the articles, ``harbour`` in about a tenth, ``zephyrine`` in about
one in a thousand, and the phrase ``tidal barrier`` in about one in a hundred. About a third of
the articles name a person or group, written in one of its spellings (Zelensky, Zelenskyy, ...).
The same seed and count always give the same files.
"""

import argparse
import bisect
import itertools
import random
from collections.abc import Callable
from pathlib import Path

DATELINES = [
    "LONDON",
    "PARIS",
    "KYIV",
    "WASHINGTON",
    "NAIROBI",
    "LAGOS",
    "CAIRO",
    "TOKYO",
    "SYDNEY",
    "BRUSSELS",
    "BERLIN",
    "MADRID",
    "ROME",
    "ATHENS",
    "ISTANBUL",
    "DUBAI",
    "MUMBAI",
    "DELHI",
    "JAKARTA",
    "MANILA",
    "SEOUL",
    "BEIJING",
    "MOSCOW",
    "WARSAW",
    "VIENNA",
    "OSLO",
    "HELSINKI",
    "DUBLIN",
    "LISBON",
    "OTTAWA",
    "TORONTO",
    "CHICAGO",
    "HOUSTON",
    "LIMA",
    "BOGOTA",
    "SANTIAGO",
    "SALVADOR",
    "JOHANNESBURG",
    "ADDIS-ABABA",
    "KINSHASA",
]
SOURCES = (
    "ABC Audio",
    "Reuters",
    "The Associated Press",
    "Agence France-Presse",
    "Example Wire",
    "Harbour Times",
)
NAME_VARIANTS = (
    ("Zelensky", "Zelenskyy", "Zelenskiy", "Zelenskyi"),
    ("Gaddafi", "Qaddafi", "Gadhafi", "Kadhafi"),
    ("al-Qaeda", "al-Qaida", "al Qaeda"),
    ("Mélenchon", "Melenchon"),
    ("Beyoncé", "Beyonce"),
    ("Tchaikovsky", "Chaikovsky", "Tschaikowsky"),
)
COMMON = [
    "the",
    "of",
    "and",
    "to",
    "in",
    "a",
    "is",
    "that",
    "for",
    "on",
    "was",
    "with",
    "he",
    "it",
    "as",
    "at",
    "by",
    "said",
    "from",
    "his",
    "an",
    "be",
    "has",
    "are",
    "have",
    "but",
    "were",
    "not",
    "this",
    "who",
    "they",
    "had",
    "which",
    "will",
    "their",
    "been",
    "would",
    "there",
    "its",
    "after",
    "also",
    "two",
    "more",
    "over",
    "when",
    "than",
    "year",
    "people",
    "new",
    "first",
    "time",
    "government",
    "police",
    "could",
    "about",
    "last",
    "city",
    "officials",
    "told",
    "state",
    "week",
    "percent",
    "president",
    "country",
    "including",
    "report",
    "told",
    "since",
]
SYLLABLES = "ka lo mi ne ru sa te vo di pa ren tor vel mar ston bri gan dol fen has kir lum"
KNOWN = (("minister", 0.5), ("harbour", 0.1), ("zephyrine", 0.001))
PHRASE = ("tidal barrier", 0.01)
WORDS_PER_ARTICLE = 600


def vocabulary(rng: random.Random, size: int) -> list[str]:
    """Common English words first, then made-up words of two to four syllables."""
    syllables = SYLLABLES.split()
    made: dict[str, None] = {}
    while len(made) < size - len(COMMON):
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(2, 4)))
        if word not in COMMON and not any(word == known for known, _ in KNOWN):
            made[word] = None
    return [*COMMON, *made]


def zipf_sampler(rng: random.Random, words: list[str], exponent: float = 1.07) -> Callable[[], str]:
    """A function drawing words with probability proportional to 1 / rank**exponent."""
    weights = itertools.accumulate(1 / (rank**exponent) for rank in range(1, len(words) + 1))
    cumulative = list(weights)
    total = cumulative[-1]

    def draw() -> str:
        return words[bisect.bisect(cumulative, rng.random() * total)]

    return draw


def article(rng: random.Random, draw: Callable[[], str], number: int) -> str:
    """One article's text."""
    sentences: list[str] = []
    remaining = WORDS_PER_ARTICLE
    while remaining > 0:
        length = rng.randint(8, 22)
        words = [draw() for _ in range(length)]
        sentences.append(" ".join(words).capitalize() + ".")
        remaining -= length
    for word, share in KNOWN:
        if rng.random() < share:
            sentences.insert(rng.randrange(len(sentences)), f"The {word} was mentioned.")
    phrase, share = PHRASE
    if rng.random() < share:
        sentences.insert(rng.randrange(len(sentences)), f"Plans for a {phrase} were shown.")
    name = None
    if rng.random() < 0.33:
        name = rng.choice(rng.choice(NAME_VARIANTS))
        # Inside the sentence, as wire copy mostly writes a name: a sentence's first word's
        # capital does not tell a name (app/search/written_forms.py).
        sentences.insert(rng.randrange(len(sentences)), f"Officials quoted {name} at length.")
    per_paragraph = max(1, len(sentences) // rng.randint(8, 16))
    paragraphs = [
        " ".join(sentences[start : start + per_paragraph])
        for start in range(0, len(sentences), per_paragraph)
    ]
    headline_words = [draw() for _ in range(rng.randint(5, 10))]
    if name and rng.random() < 0.5:
        headline_words.insert(0, name)
    headline = " ".join(headline_words)
    headline = headline[0].upper() + headline[1:] + f" ({number})"
    dateline = rng.choice(DATELINES)
    year = rng.randint(2015, 2025)
    source = rng.choice(SOURCES)
    lines = [headline, f"({dateline}) -- {paragraphs[0]}", *paragraphs[1:]]
    lines.append(f"Copyright © {year}, {source}. All rights reserved.")
    return "\n".join(lines) + "\n"


def generate(out: Path, *, count: int, seed: int) -> None:
    """Write ``count`` articles under ``out``, a thousand to a folder."""
    rng = random.Random(seed)
    draw = zipf_sampler(rng, vocabulary(rng, 20_000))
    for number in range(count):
        folder = out / f"{number // 1000:04}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{number:07}.txt").write_text(article(rng, draw, number), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    arguments = parser.parse_args()
    generate(arguments.out, count=arguments.count, seed=arguments.seed)


if __name__ == "__main__":
    main()
