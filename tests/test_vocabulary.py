"""The search index's own words: numbers of articles, prefixes, name keys, holders of a word."""

from pathlib import Path

import pytest
import tantivy
from sqlmodel import Session, select

from app.search import vocabulary as vocabulary_module
from app.search.name_keys import name_key
from app.search.schema import name_keys
from app.search.vocabulary import Vocabulary, index_term, stem
from app.search.words import word_spans
from app.store.models import Article
from tests.conftest import Ingest, caught_up
from tests.factories import ArticleText
from tests.index_checks import open_search_index

STORIES = {
    # "Harbour" stands in a headline only, "ferries" in a body only.
    "title_only": ("Harbour reopens after storm", ["Boats came back on Monday."]),
    "body_only": ("Storm damage counted", ["The ferries stayed in port all week."]),
    "both": ("Harbour fees rise", ["The harbour board met Zelenskyy's envoy."]),
    "spelling": ("Envoy visits", ["Crowds cheered Zelenskiy in Lviv."]),
    "lower": ("Cabinet news", ["The minister said the minister would stay."]),
    "compound": ("Claim", ["Officials blamed al-Qaida for the attack."]),
    "apart": ("Al Jazeera report", ["The Qaida cell and al Jazeera were named."]),
    # A stem that the stemmer would shorten again (agre, agr).
    "agreed": ("Deal", ["Both sides agreed."]),
}


@pytest.fixture
def words(ingest: Ingest, tmp_path: Path) -> tuple[Vocabulary, dict[str, int]]:
    for name, (title, paragraphs) in STORIES.items():
        ArticleText(title=title, paragraphs=paragraphs).write(tmp_path / "articles", f"{name}.txt")
    assert ingest(tmp_path / "articles").ok
    index = open_search_index(tmp_path / "index")
    caught_up(index, ingest.engine)
    with Session(ingest.engine) as session:
        rows = session.exec(select(Article)).all()
        ids = {Path(row.source_path).stem: row.id for row in rows}
    return Vocabulary(index), ids  # type: ignore[return-value]


def test_an_article_holds_a_word_in_its_headline_or_its_body(
    words: tuple[Vocabulary, dict[str, int]],
) -> None:
    vocabulary, _ = words
    assert vocabulary.documents("reopens") == 1  # a headline's word only
    assert vocabulary.documents("ferries") == 1  # a body's word only
    assert vocabulary.documents("Harbour") == 2  # in both columns of one article: counted once
    assert vocabulary.documents("HARBOUR", cap=1) == 1
    assert vocabulary.documents("harbour", cap=5) == 2  # below the cap: exact
    assert vocabulary.documents("harbour", cap=0) == 0
    assert vocabulary.documents("ferry") == 0  # the words are not stemmed
    assert vocabulary.documents("nowhere") == 0
    assert vocabulary.documents("...") == 0


class CountingSearches:
    """A searcher that counts the searches asked of it."""

    def __init__(self, searcher: tantivy.Searcher) -> None:
        self.searcher, self.searches = searcher, 0

    def search(self, *args: object, **kwargs: object) -> object:
        self.searches += 1
        return self.searcher.search(*args, **kwargs)  # type: ignore[arg-type]

    def doc_freq(self, field: str, term: str) -> int:
        return self.searcher.doc_freq(field, term)


def test_a_word_held_far_past_a_cap_is_settled_by_the_dictionary(
    words: tuple[Vocabulary, dict[str, int]], monkeypatch: pytest.MonkeyPatch
) -> None:
    vocabulary, _ = words
    counting = CountingSearches(vocabulary.searcher)
    vocabulary.searcher = counting  # type: ignore[assignment]
    monkeypatch.setattr(vocabulary_module, "SURELY_PAST_FLOOR", 2)
    # `harbour`: two articles, each holding it in its headline (and one in its body too)
    assert vocabulary.documents("harbour", cap=1) == 1
    assert counting.searches == 1  # 2 < 4 times 1: counted by a search
    monkeypatch.setattr(vocabulary_module, "SURELY_PAST", 2)
    assert vocabulary.documents("harbour", cap=1) == 1
    assert counting.searches == 1  # 2 is twice 1 and the floor: no search
    monkeypatch.setattr(vocabulary_module, "SURELY_PAST_FLOOR", 3)
    assert vocabulary.documents("harbour", cap=1) == 1
    assert counting.searches == 2  # under the floor: a search again


def test_a_compound_is_held_where_its_parts_stand_in_a_row(
    words: tuple[Vocabulary, dict[str, int]],
) -> None:
    vocabulary, ids = words
    assert vocabulary.documents("al-Qaida") == 1
    assert vocabulary.documents("al Qaida") == 1
    assert vocabulary.articles_holding("al-Qaida", limit=5) == [ids["compound"]]


def test_the_words_that_start_with_a_prefix_come_most_held_first(
    words: tuple[Vocabulary, dict[str, int]],
) -> None:
    vocabulary, _ = words
    assert vocabulary.with_prefix("harb", limit=10) == [("harbour", 2)]
    listed = vocabulary.with_prefix("s", limit=50)
    assert ("storm", 2) in listed
    assert ("stayed", 1) in listed
    held = [documents for _, documents in listed]
    assert held == sorted(held, reverse=True)
    assert len(vocabulary.with_prefix("s", limit=2)) == 2


def test_the_spellings_of_a_name_share_its_key(words: tuple[Vocabulary, dict[str, int]]) -> None:
    vocabulary, _ = words
    key = name_key("Zelensky")
    assert key is not None
    assert sorted(vocabulary.of_key(key)) == [("zelenskiy", 1), ("zelenskyy", 1)]
    assert vocabulary.of_key("nokey") == []


def test_a_word_written_only_in_lower_case_is_not_keyed(
    words: tuple[Vocabulary, dict[str, int]],
) -> None:
    vocabulary, _ = words
    key = name_key("minister")
    assert key is not None
    assert vocabulary.documents("minister") == 1
    assert "minister" not in dict(vocabulary.of_key(key))
    # A word written capitalised once (first in a sentence, in a headline) is keyed: whether it is
    # a name is judged from its places in body text.
    assert dict(vocabulary.of_key(name_key("Boats") or "")) == {"boats": 1}


def test_the_articles_holding_a_word_come_lowest_id_first(
    words: tuple[Vocabulary, dict[str, int]],
) -> None:
    vocabulary, ids = words
    both = sorted([ids["title_only"], ids["both"]])
    assert vocabulary.articles_holding("harbour", limit=5) == both
    assert vocabulary.articles_holding("harbour", limit=1) == both[:1]
    assert vocabulary.articles_holding("harbour", limit=5, fields=("body_words",)) == [ids["both"]]
    assert vocabulary.articles_holding("ferri", limit=5, stemmed=True) == [ids["body_only"]]
    assert stem("agreed") == "agre"
    assert vocabulary.articles_holding("agre", limit=5, stemmed=True) == [ids["agreed"]]


def test_a_commit_that_changes_the_articles_is_another_commit(
    words: tuple[Vocabulary, dict[str, int]], ingest: Ingest, tmp_path: Path
) -> None:
    vocabulary, _ = words
    index = open_search_index(Path(vocabulary.commit[0]))
    ArticleText(title="Harbour again", paragraphs=["Nothing new."]).write(
        tmp_path / "more", "a.txt"
    )
    assert ingest(tmp_path / "more").ok
    caught_up(index, ingest.engine)
    again = Vocabulary(index)
    assert again.commit != vocabulary.commit
    assert again.documents("harbour") == 3


def test_a_word_s_terms_are_folded_and_unstemmed_or_stemmed() -> None:
    assert index_term("Zelenskýy") == "zelenskyy"
    assert index_term("ΑΘΉΝΑΣ") == index_term("Αθήνας")
    assert index_term("al-Qaida") is None  # two terms
    assert stem("deployment") == "deploy"


def test_an_article_keys_the_words_it_writes_capitalised() -> None:
    keyed = name_keys("Zelenskyy in Kyiv", "Officials met Zelenskiy; the minister and 2025.")
    assert keyed == {
        "slnsk zelenskyy",
        "slnsk zelenskiy",
        "fkls officials",
        "kv kyiv",
    }


@pytest.mark.parametrize(
    "text",
    [
        "(Reuters) - Zelenskyy's envoy met al-Qaida's Émile O'Brien, Jean-Luc and MacArthur.",
        "«Путин» и Зеленский; Ἀθῆναι; दिल्ली में मोदी; محمّد; Ⓐlpha Ⓑeta",
        "No\u00a0break\u200dJoined\u2028Line\tTab x2Y 2025 ÆSIR İstanbul ǅemal",
    ],
)
def test_name_keys_are_those_of_every_word_the_pattern_cuts(text: str) -> None:
    # Keying reads only the tokens that are not letters and digits alone with the pattern:
    # what it finds is what cutting the whole text finds.
    every_word = {word for word in word_spans_text(text) if word[0].isupper()}
    expected = set().union(*(name_keys(word) for word in every_word)) if every_word else set()
    assert name_keys(text) == expected
    assert name_keys(text, text.lower()) == expected


def word_spans_text(text: str) -> list[str]:
    return [text[start:end] for start, end in word_spans(text)]


def test_words_are_cut_where_the_engine_cuts_them_in_every_script() -> None:
    # Every code point after an "a": the pattern keeps together what the engine's tokenizer
    # keeps together (Devanagari's vowel signs, Arabic's short vowels, circled letters).
    cutter = tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple()).build()
    for first in range(0, 0x110000, 0x10000):  # a text a plane: offsets are found from the start
        codes = range(first, first + 0x10000)
        text = " ".join(f"a{chr(code)}" for code in codes if not 0xD800 <= code < 0xE000)
        engine = [(t.char_offset_from, t.char_offset_to) for t in cutter.pre_tokenize(text).tokens]
        assert word_spans(text) == engine, hex(first)
    # Python's letters alone would cut the short vowels and the circled letter out.
    assert word_spans("مُحَمَّد Ⓐbc, al-Qaida") == [(0, 8), (9, 12), (14, 16), (17, 22)]
