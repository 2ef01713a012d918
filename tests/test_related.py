"""Related articles: shared distinctive words and names, with the words that tie them."""

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.store.models import Article
from tests.conftest import Ingest
from tests.factories import ArticleText, generated_article


@pytest.fixture
def ids(ingest: Ingest, tmp_path: Path) -> dict[str, int]:
    for number in range(30):
        generated_article(number).write(tmp_path, f"filler-{number:02}.txt")
    stories = {
        "volcano": ArticleText(
            title="Volcano erupts near Grindavik",
            paragraphs=["Lava from the volcano reached the edge of Grindavik on Sunday."],
        ),
        "volcano_followup": ArticleText(
            title="Grindavik residents return after volcano calms",
            paragraphs=["The volcano near Grindavik has calmed, scientists said."],
        ),
        "lava_only": ArticleText(
            title="Lava flows studied",
            paragraphs=["Scientists studied how lava cools in the ocean."],
        ),
    }
    for name, article in stories.items():
        article.write(tmp_path, f"{name}.txt")
    assert ingest(tmp_path).ok
    with Session(ingest.engine) as session:
        rows = session.exec(select(Article)).all()
        return {Path(row.source_path).stem: row.id for row in rows}  # type: ignore[misc]


def test_related_ranks_the_story_sharing_most_distinctive_words_first(
    client: TestClient, ids: dict[str, int]
) -> None:
    response = client.get(f"/v1/articles/{ids['volcano']}/related")
    assert response.status_code == 200
    body = response.json()
    assert body["article"]["id"] == ids["volcano"]
    assert {"volcano", "grindavik"} <= set(body["terms"])
    related = [item["id"] for item in body["items"]]
    assert related[0] == ids["volcano_followup"]
    assert ids["volcano"] not in related
    first = body["items"][0]
    assert {"volcano", "grindavik"} <= set(first["shared_terms"])
    assert first["score"] > 0
    if ids["lava_only"] in related:
        assert related.index(ids["lava_only"]) > 0


def test_a_word_in_every_article_is_no_distinctive_term(
    client: TestClient, ingest: Ingest, tmp_path: Path
) -> None:
    # "communique" is in every article, three times in the first: it weighs less than the
    # words the first shares with one other article only, however often it is said.
    shared = (
        "Halvorsen Tromsdalen Kvaloya Ringvassoy Senja Lyngen Balsfjord Malangen Kafjord "
        "Skjervoy Nordreisa Storfjord"
    )
    ArticleText(
        title="Fjord ferry plan",
        paragraphs=[f"{shared}. The communique, the communique and the communique."],
    ).write(tmp_path, "first.txt")
    ArticleText(title="Ferry timetable", paragraphs=[f"{shared} in the communique."]).write(
        tmp_path, "second.txt"
    )
    for number in range(20):
        ArticleText(
            title=f"Unrelated notice {number}",
            paragraphs=[f"Filler text number {number} with a communique."],
        ).write(tmp_path, f"filler-{number:02}.txt")
    assert ingest(tmp_path).ok
    with Session(ingest.engine) as session:
        first = next(
            row.id for row in session.exec(select(Article)) if row.source_path.endswith("first.txt")
        )
    body = client.get(f"/v1/articles/{first}/related").json()
    assert "communique" not in body["terms"]
    assert len(body["terms"]) == 10
    assert set(body["terms"]) <= {word.lower() for word in shared.split()} | {"ferry"}
    assert body["items"][0]["title"] == "Ferry timetable"


def test_a_word_in_one_headline_and_another_body_ties_the_two(
    client: TestClient, ingest: Ingest, tmp_path: Path
) -> None:
    ArticleText(title="Skerries flooded", paragraphs=["Storm surge hit the coast."]).write(
        tmp_path, "a.txt"
    )
    ArticleText(title="Harbour closed", paragraphs=["The skerries were cut off."]).write(
        tmp_path, "b.txt"
    )
    assert ingest(tmp_path).ok
    body = client.get("/v1/articles/1/related").json()
    assert body["terms"] == ["skerries"]
    assert [item["shared_terms"] for item in body["items"]] == [["skerries"]]


def test_related_by_slug_and_limit(client: TestClient, ids: dict[str, int]) -> None:
    slug = client.get(f"/v1/articles/{ids['volcano']}").json()["slug"]
    body = client.get(f"/v1/articles/{slug}/related", params={"limit": 1}).json()
    assert len(body["items"]) == 1


def test_an_article_with_nothing_in_common_has_no_related(
    client: TestClient, ingest: Ingest, tmp_path: Path
) -> None:
    ArticleText(title="Solitary piece", paragraphs=["Nothing here repeats."]).write(
        tmp_path, "a.txt"
    )
    ingest(tmp_path)
    body = client.get("/v1/articles/1/related").json()
    assert body["items"] == []


def test_related_of_an_unknown_article_is_404(client: TestClient) -> None:
    assert client.get("/v1/articles/999/related").status_code == 404
