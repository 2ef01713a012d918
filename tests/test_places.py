"""The gazetteer the dateline parser asks about places with no date or agency
(app/ingestion/places.py)."""

from importlib import resources
from pathlib import Path

import pytest

from app.ingestion.places import PLACES_FILE, build, is_place


def test_the_shipped_list_is_what_the_pinned_gazetteer_gives(tmp_path: Path) -> None:
    rebuilt = tmp_path / "places.txt.gz"
    build(rebuilt)
    shipped = resources.files("app.ingestion").joinpath(PLACES_FILE).read_bytes()
    assert rebuilt.read_bytes() == shipped, (
        "run `python -m app.ingestion.places` and commit the file"
    )


@pytest.mark.parametrize(
    "name",
    ["WASHINGTON", "New York", "KIEV", "Kyiv", "BOMBAY", "ZÜRICH", "zurich", "SAO PAULO", "Texas"],
)
def test_cities_countries_states_and_their_old_names_are_places(name: str) -> None:
    assert is_place(name)


@pytest.mark.parametrize(
    "name", ["STOCKS", "EXCLUSIVE", "ANALYSIS", "FACTBOX", "MARKETS", "NATO", "US RETAIL SALES"]
)
def test_slugs_and_labels_are_no_places(name: str) -> None:
    assert not is_place(name)
