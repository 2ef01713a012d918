"""Ranking in tiers: the words as typed before their name variants; which variants a hit holds;
the lede as the snippet of a hit whose body the query does not match."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import Ingest
from tests.factories import ArticleText

FILLER = "Delegates from several countries gathered for a long meeting on trade and aid."


def _long_body(word: str, sentences: int) -> list[str]:
    """Paragraphs of filler with ``word`` once, in the last: BM25 weighs it little."""
    return [FILLER] * sentences + [f"Officials said {word} would be discussed later."]


@pytest.fixture
def corpus(ingest: Ingest, tmp_path: Path) -> dict[str, str]:
    """Three articles holding the typed word ``Zelensky`` once, deep in a long body; two
    holding only the rare variant ``Zelenskyy``, in the headline (BM25 would put them first) and
    inside a sentence of the body (where the corpus shows it is a name)."""
    titles = {}
    for number in range(3):
        title = f"Trade meeting report {number}"
        ArticleText(title=title, paragraphs=_long_body("Zelensky", 20 + number)).write(
            tmp_path, f"typed-{number}.txt"
        )
        titles[title] = "typed"
    for number in range(2):
        title = f"Zelenskyy speaks {number}"
        ArticleText(
            title=title, paragraphs=[f"President Zelenskyy spoke briefly on day {number}."]
        ).write(tmp_path, f"variant-{number}.txt")
        titles[title] = "variant"
    # Enough articles with other words that neither spelling is common.
    for number in range(10):
        ArticleText(
            title=f"Harbour works {number}", paragraphs=[f"Dredging phase {number} began."]
        ).write(tmp_path, f"other-{number}.txt")
    assert ingest(tmp_path).ok
    return titles


def search(client: TestClient, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/search", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def every_page(client: TestClient, **params: Any) -> list[dict[str, Any]]:
    items, cursor = [], None
    while True:
        page = search(client, **params, **({"cursor": cursor} if cursor else {}))
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_the_word_as_typed_comes_before_its_variants(
    backend: str, client: TestClient, corpus: dict[str, str]
) -> None:
    # Both spellings as typed: BM25 alone puts the rare one, in headlines, first.
    both = search(client, q="Zelensky OR Zelenskyy", fuzzy="false")
    assert corpus[both["items"][0]["title"]] == "variant"
    body = search(client, q="Zelensky")
    assert body["query"]["expanded"] == {"Zelensky": ["Zelenskyy"]}
    assert body["total"] == 5
    tiers = [corpus[item["title"]] for item in body["items"]]
    assert tiers == ["typed"] * 3 + ["variant"] * 2
    scores = [item["score"] for item in body["items"]]
    assert scores == sorted(scores, reverse=True)
    assert all(score >= 0 for score in scores[:3])
    assert all(score < 0 for score in scores[3:])


@pytest.mark.parametrize("limit", [1, 2])
def test_tiers_hold_across_pages(
    backend: str, client: TestClient, corpus: dict[str, str], limit: int
) -> None:
    whole = search(client, q="Zelensky")
    paged = every_page(client, q="Zelensky", limit=limit)
    assert [item["id"] for item in paged] == [item["id"] for item in whole["items"]]
    assert [corpus[item["title"]] for item in paged] == ["typed"] * 3 + ["variant"] * 2


def test_filters_and_facets_count_both_tiers(
    backend: str, client: TestClient, corpus: dict[str, str]
) -> None:
    body = search(client, q="Zelensky", source="ABC Audio", facets="source", limit=2)
    assert body["total"] == 5
    assert body["facets"]["source"] == [{"value": "ABC Audio", "count": 5}]
    paged = every_page(client, q="Zelensky", source="ABC Audio", limit=2)
    assert [corpus[item["title"]] for item in paged] == ["typed"] * 3 + ["variant"] * 2


def test_each_hit_lists_the_variants_it_holds(
    backend: str, client: TestClient, corpus: dict[str, str]
) -> None:
    for item in search(client, q="Zelensky")["items"]:
        expected = ["Zelenskyy"] if corpus[item["title"]] == "variant" else []
        assert item["matched_variants"] == expected
    for item in search(client, q="Zelensky", fuzzy="false")["items"]:
        assert item["matched_variants"] == []


def test_a_variant_typed_as_well_is_no_variant(
    backend: str, client: TestClient, corpus: dict[str, str]
) -> None:
    body = search(client, q="Zelensky OR Zelenskyy", fuzzy="false")
    assert all(item["matched_variants"] == [] for item in body["items"])
    assert all(item["score"] > 0 for item in body["items"])


def test_a_headline_only_hit_has_the_lede_as_snippet(
    backend: str, client: TestClient, ingest: Ingest, tmp_path: Path
) -> None:
    """A body too long to mark whole whose later paragraph holds the query's letters inside
    another word (``cocoanuts``): the snippet is still the lede, not that paragraph."""
    lede = "Traders in London said the market rose sharply on Monday."
    long_paragraph = " ".join([FILLER] * 1000)
    ArticleText(
        title="Cocoa prices climb",
        paragraphs=[lede, long_paragraph, "Growers also sold cocoanuts at the port."],
        dateline=None,
    ).write(tmp_path, "cocoa.txt")
    assert ingest(tmp_path).ok
    for params in ({}, {"search_in": "title"}):
        (item,) = search(client, q="cocoa", snippet_words=8, **params)["items"]
        assert item["highlight"]["title"] == "<mark>Cocoa</mark> prices climb"
        assert item["highlight"]["snippet"] == "Traders in London said the market rose sharply …"
        assert item["highlight"]["paragraph"] == 0
