"""Name variants and corrections, drawn from the corpus's own vocabulary."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from app.search.name_keys import name_key
from app.store.models import Article
from tests.conftest import Ingest
from tests.factories import ArticleText

# Each name stands inside a sentence of the body at least once, where its capital says it is a
# name (a headline's capitals, or a sentence's first word's, say nothing).
STORIES = {
    "zelenskyy": ("Zelenskyy meets allies", "President Volodymyr Zelenskyy spoke in Kyiv."),
    "zelenskiy": ("Zelenskiy visits the front", "The soldiers were thanked by Zelenskiy."),
    "zelenskyi": ("Talks with Zelenskyi", "Officials met Zelenskyi on Friday."),
    "qaddafi": ("Qaddafi's son on trial", "The court heard that Qaddafi's son denied it."),
    "gadhafi": ("Gadhafi era files opened", "Archives from the Gadhafi era were opened."),
    "qaida": ("Al-Qaida claims attack", "The group al-Qaida said it was behind the attack."),
    "qaeda": ("Al Qaeda leader killed", "Officials said the al Qaeda leader died."),
    "barcelona": ("Barcelona win the derby", "On Sunday Barcelona beat their rivals two nil."),
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
    ArticleText(
        title="Saakashvili returns", paragraphs=["Reporters heard Saakashvili speak."]
    ).write(tmp_path / "more", "s.txt")
    ArticleText(
        title="Saakaschwili interview", paragraphs=["Am Montag sprach Saakaschwili."]
    ).write(tmp_path / "more", "t.txt")
    ingest(tmp_path / "more")
    assert search(client, "Saakashvili")["total"] == 2


def write(folder: Path, stories: dict[str, tuple[str, str]]) -> None:
    """Each story's file: its title, and its text's paragraphs (parted by blank lines)."""
    for name, (title, paragraphs) in stories.items():
        ArticleText(title=title, paragraphs=paragraphs.split("\n\n")).write(folder, f"{name}.txt")


@pytest.fixture
def names_corpus(ingest: Ingest, tmp_path: Path) -> dict[str, int]:
    """Names and common words as wire copy writes them: Tokyo far more often than Togo, the
    minister in lower case, a Title-Case line and a line of capitals in a body."""
    stories: dict[str, tuple[str, str]] = {}
    for number in range(12):
        stories[f"tokyo{number}"] = (
            f"Markets report {number}",
            f"Shares fell in Tokyo on day {number}.",
        )
    for number in range(2):
        stories[f"togo{number}"] = (
            f"Africa report {number}",
            f"Elections were held in Togo, round {number}.",
        )
    for number in range(4):
        stories[f"minister{number}"] = (
            f"Cabinet news {number}",
            f"The prime minister said the minister of finance would resign, item {number}.",
        )
    stories["monsters"] = ("Fans cheer", "The crowd saw Monsters win the cup final.")
    stories["walker"] = (
        "Telecoms deal",
        "WALKER TELECOMMUNICATIONS SELLS UNIT\n\nWalker Telecommunications Rebuilds Empire\n\n"
        "Walker shares rose sharply.",
    )
    for number, spelling in enumerate(
        ["Yushchenko", "Yushchenko", "Yushchenko", "Juschtschenko", "Iouchtchenko"]
    ):
        stories[f"yushchenko{number}"] = (
            f"Kiev report {number}",
            f"Voters backed {spelling} again.",
        )
    stories["yanukovych"] = ("Kiev rival", "Voters backed Yanukovych instead.")
    stories["al-qaida"] = ("Claim", "Officials blamed al-Qaida for the attack.")
    stories["el-qaida"] = ("Revendication", "Les autorités accusent el-Qaida de l'attentat.")
    write(tmp_path, stories)
    assert ingest(tmp_path).ok
    with Session(ingest.engine) as session:
        rows = session.exec(select(Article)).all()
        return {Path(row.source_path).stem: row.id for row in rows}  # type: ignore[misc]


def found_stories(client: TestClient, ids: dict[str, int], q: str, **params: Any) -> set[str]:
    names = {id: name for name, id in ids.items()}
    return {names[id] for id in found(client, q, **params)}


def test_a_frequent_name_gains_no_name_a_few_edits_away(
    client: TestClient, names_corpus: dict[str, int]
) -> None:
    body = search(client, "Tokyo")
    assert body["query"]["expanded"] == {}
    assert found_stories(client, names_corpus, "Tokyo") == {f"tokyo{n}" for n in range(12)}


def test_a_rare_spelling_gains_the_name_near_it(
    client: TestClient, names_corpus: dict[str, int]
) -> None:
    assert search(client, "Tokya")["query"]["expanded"] == {"Tokya": ["Tokyo"]}
    assert search(client, "tokya")["query"]["expanded"] == {"tokya": ["Tokyo"]}


def test_a_common_word_gains_no_variants(client: TestClient, names_corpus: dict[str, int]) -> None:
    body = search(client, "minister")
    assert body["query"]["expanded"] == {}
    assert "monsters" not in found_stories(client, names_corpus, "minister")


def test_capitals_in_headline_lines_and_at_sentence_starts_tell_no_name(
    client: TestClient, names_corpus: dict[str, int], ingest: Ingest, tmp_path: Path
) -> None:
    # Walker stands only in a line of capitals, a Title-Case line and first in a sentence.
    assert search(client, "Volker")["query"]["expanded"] == {}
    write(tmp_path / "more", {"walker2": ("Deal done", "Shares of Walker rose again.")})
    ingest(tmp_path / "more")
    assert search(client, "Volker")["query"]["expanded"] == {"Volker": ["Walker"]}


def test_transliterations_of_a_name_find_each_other(
    client: TestClient, names_corpus: dict[str, int]
) -> None:
    every = {f"yushchenko{n}" for n in range(5)}
    body = search(client, "Yuschenko")
    assert body["query"]["expanded"] == {
        "Yuschenko": ["Iouchtchenko", "Juschtschenko", "Yushchenko"]
    }
    assert found_stories(client, names_corpus, "Yuschenko") == every
    # A name the corpus holds often still gains its transliterations, and only those.
    body = search(client, "Yushchenko")
    assert body["query"]["expanded"] == {"Yushchenko": ["Iouchtchenko", "Juschtschenko"]}
    assert found_stories(client, names_corpus, "yushchenko") == every
    assert found_stories(client, names_corpus, "Yuschenko", fuzzy="false") == set()


@pytest.fixture
def spelling_corpus(ingest: Ingest, tmp_path: Path) -> None:
    stories = {
        f"government{number}": (
            f"Budget news {number}",
            f"The government said taxes would rise {number}.",
        )
        for number in range(25)
    }
    for number in range(3):
        stories[f"governmental{number}"] = (
            f"Agency news {number}",
            f"A governmental agency said it would close office {number}.",
        )
    stories["governess"] = ("A novel", "The governess taught the children.")
    stories["typo"] = ("A typo", "The goverment denied it.")
    write(tmp_path, stories)
    assert ingest(tmp_path).ok


def test_did_you_mean_fixes_a_rare_word_that_finds_a_hit(
    client: TestClient, spelling_corpus: None
) -> None:
    body = search(client, "goverment", limit=5, fuzzy="false")
    assert body["total"] >= 1
    assert body["did_you_mean"] == "government"
    assert body["did_you_mean_url"] == (
        "http://testserver/v1/search?q=government&limit=5&fuzzy=false"
    )
    assert search(client, "goverment taxes")["did_you_mean"] == "government taxes"


def test_did_you_mean_prefers_fewer_edits_then_more_articles(
    client: TestClient, spelling_corpus: None
) -> None:
    body = search(client, "governmnet")
    assert body["did_you_mean"] == "government"
    assert search(client, "governmantal")["did_you_mean"] == "governmental"


def test_no_suggestion_for_a_frequent_word(client: TestClient, spelling_corpus: None) -> None:
    body = search(client, "government")
    assert body["did_you_mean"] is None
    assert body["did_you_mean_url"] is None


def test_the_arabic_article_is_al_or_el(client: TestClient, names_corpus: dict[str, int]) -> None:
    assert search(client, "al-Qaida")["query"]["expanded"] == {"al-Qaida": ["el-Qaida"]}
    assert found_stories(client, names_corpus, "al-Qaida") == {"al-qaida", "el-qaida"}
    assert found_stories(client, names_corpus, "El-Qaida") == {"al-qaida", "el-qaida"}


def test_did_you_mean_keeps_the_query_s_operators_and_fields(
    client: TestClient, spelling_corpus: None
) -> None:
    assert search(client, "goverment OR governess")["did_you_mean"] == "(government OR governess)"
    assert search(client, "title:goverment")["did_you_mean"] == "title:government"
    assert search(client, 'goverment -"office 3"')["did_you_mean"] == 'government -"office 3"'


def test_did_you_mean_looks_at_a_bounded_number_of_words(
    client: TestClient, spelling_corpus: None
) -> None:
    words = ["zqxwv", "zqxwy", "zqxwu", "zqxwt", "goverment"]  # rare, with no word near them
    assert search(client, " OR ".join(words))["did_you_mean"] is None
    assert search(client, "goverment OR zqxwv")["did_you_mean"] == "(government OR zqxwv)"
