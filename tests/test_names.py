"""Name variants and corrections, drawn from the corpus's own vocabulary."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.models import Article
from app.names import name_key
from tests.conftest import Ingest
from tests.factories import ArticleText

STORIES = {
    "zelenskyy": ("Zelenskyy meets allies", "President Volodymyr Zelenskyy spoke in Kyiv."),
    "zelenskiy": ("Zelenskiy visits the front", "Zelenskiy thanked the soldiers."),
    "zelenskyi": ("Talks with Zelenskyi", "Officials met Zelenskyi on Friday."),
    "qaddafi": ("Qaddafi's son on trial", "The court heard that Qaddafi's son denied it."),
    "gadhafi": ("Gadhafi era files opened", "Archives from the Gadhafi era were opened."),
    "qaida": ("Al-Qaida claims attack", "The group al-Qaida said it was behind the attack."),
    "qaeda": ("Al Qaeda leader killed", "Officials said the al Qaeda leader died."),
    "barcelona": ("Barcelona win the derby", "Barcelona beat their rivals two nil."),
    "lead": ("Team takes the lead", "They led at half time and kept the lead."),
    "tchaikovsky": ("Tchaikovsky gala", "The orchestra played Tchaikovsky."),
    "tschaikowsky": ("Tschaikowsky in Wien", "Ein Abend mit Tschaikowsky."),
}


@pytest.fixture
def ids(ingest: Ingest, tmp_path: Path) -> dict[str, int]:
    for name, (title, paragraph) in STORIES.items():
        ArticleText(title=title, paragraphs=[paragraph]).write(tmp_path, f"{name}.txt")
    assert ingest(tmp_path).ok
    with Session(ingest.engine) as session:
        rows = session.exec(select(Article)).all()
        return {Path(row.source_path).stem: row.id for row in rows}  # type: ignore[misc]


def search(client: TestClient, q: str, **params: Any) -> dict[str, Any]:
    response = client.get("/v1/search", params={"q": q, **params})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def found(client: TestClient, q: str, **params: Any) -> set[int]:
    return {item["id"] for item in search(client, q, **params)["items"]}


@pytest.mark.parametrize(
    ("spellings", "key"),
    [
        (["Zelensky", "Zelenskyy", "Zelenskiy", "Zelenskyi"], "slnsk"),
        (["Gaddafi", "Qaddafi", "Gadhafi", "Kadhafi"], "kdf"),
        (["Qaeda", "Qaida"], "kd"),
        (["Osama", "Usama"], "sm"),
        (["Tchaikovsky", "Tschaikowsky", "Chaikovsky"], "9kvsk"),
    ],
)
def test_spellings_of_a_name_share_a_key(spellings: list[str], key: str) -> None:
    assert {name_key(spelling) for spelling in spellings} == {key}


@pytest.mark.parametrize("word", ["abc", "2025", "Зеленский", "mid-way"])
def test_no_key_for_what_is_not_a_latin_word(word: str) -> None:
    assert name_key(word) is None


@pytest.mark.parametrize(
    ("q", "names"),
    [
        ("Zelensky", {"zelenskyy", "zelenskiy", "zelenskyi"}),
        ("Zelenskyy", {"zelenskyy", "zelenskiy", "zelenskyi"}),
        ("Zelenskiy", {"zelenskyy", "zelenskiy", "zelenskyi"}),
        ("Gaddafi", {"qaddafi", "gadhafi"}),
        ("Qaddafi", {"qaddafi", "gadhafi"}),
        ("Qaeda", {"qaida", "qaeda"}),
        ("al-Qaida", {"qaida", "qaeda"}),
        ("Chaikovsky", {"tchaikovsky", "tschaikowsky"}),
    ],
)
def test_variants_of_a_name_find_each_other(
    client: TestClient, ids: dict[str, int], q: str, names: set[str]
) -> None:
    assert found(client, q) == {ids[name] for name in names}


def test_the_response_shows_the_variants_added(client: TestClient, ids: dict[str, int]) -> None:
    body = search(client, "Zelensky")
    assert body["query"]["expanded"] == {"Zelensky": ["Zelenskiy", "Zelenskyi", "Zelenskyy"]}
    [hit] = [item for item in body["items"] if item["id"] == ids["zelenskiy"]]
    assert "<mark>Zelenskiy</mark>" in hit["highlight"]["title"]


def test_fuzzy_false_turns_variants_off(client: TestClient, ids: dict[str, int]) -> None:
    body = search(client, "Zelenskiy", fuzzy="false")
    assert body["query"]["expanded"] == {}
    assert {item["id"] for item in body["items"]} == {ids["zelenskiy"]}


def test_ordinary_words_are_not_expanded(client: TestClient, ids: dict[str, int]) -> None:
    body = search(client, "lead")
    assert body["query"]["expanded"] == {}
    assert found(client, "lead") == {ids["lead"]}


def test_did_you_mean_corrects_a_word_the_corpus_lacks(
    client: TestClient, ids: dict[str, int]
) -> None:
    body = search(client, "Barcelna derby", fuzzy="false")
    assert body["total"] == 0
    assert body["did_you_mean"] == "Barcelona derby"
    assert found(client, body["did_you_mean"]) == {ids["barcelona"]}


def test_no_suggestion_when_every_word_is_known(client: TestClient, ids: dict[str, int]) -> None:
    assert search(client, "Barcelona")["did_you_mean"] is None
    assert search(client, "Barcelona Gadhafi")["did_you_mean"] is None


def test_variants_follow_ingestion(
    client: TestClient, ids: dict[str, int], ingest: Ingest, tmp_path: Path
) -> None:
    assert search(client, "Saakashvili")["total"] == 0
    ArticleText(title="Saakashvili returns", paragraphs=["Saakashvili spoke."]).write(
        tmp_path / "more", "s.txt"
    )
    ArticleText(title="Saakaschwili interview", paragraphs=["Saakaschwili smiled."]).write(
        tmp_path / "more", "t.txt"
    )
    ingest(tmp_path / "more")
    assert search(client, "Saakashvili")["total"] == 2
