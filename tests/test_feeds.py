"""Feeds: ``/v1/articles.atom``, ``/v1/search.atom`` and their ``.feed.json``, or ``Accept``.

Every Atom document fetched is validated against RFC 4287's RELAX NG schema (Appendix B) and read
by feedparser, which must find nothing wrong (``bozo``); every JSON Feed against a JSON Schema of
version 1.1. The entries must be the JSON endpoints' own, in the same order.
"""

from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import feedparser
import jsonschema
import orjson
import pytest
import rnc2rng
from fastapi.testclient import TestClient
from lxml import etree

from app.api.feeds import (
    NEVER,
    Entry,
    Feed,
    FeedFormat,
    atom_document,
    feed_resource,
    json_feed_document,
    xml_text,
)
from app.api.negotiation import preferred_feed
from tests.conftest import SEEDS, Ingest
from tests.factories import ArticleText, generated_article

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE_TITLE = "Fish & chips <b>prices</b> rise ]]> <!-- x"
HOSTILE_BODY = "Shops said the cost of <script>alert(1)</script> cod & haddock rose."


@cache
def atom_schema() -> etree.RelaxNG:
    """RFC 4287's schema in RELAX NG's XML syntax."""
    # rnc2rng declares the empty namespace's prefix (`local`), which XML forbids; the grammar
    # itself names the empty namespace as ns="".
    grammar = rnc2rng.dumps(rnc2rng.load(str(FIXTURES / "atom.rnc")))
    return etree.RelaxNG(etree.fromstring(grammar.replace('xmlns:local=""', "").encode()))


@cache
def json_feed_schema() -> dict[str, Any]:
    schema: dict[str, Any] = orjson.loads((FIXTURES / "jsonfeed-1.1.schema.json").read_bytes())
    return schema


def valid_atom(body: bytes) -> tuple[etree._Element, Any]:
    """The document's root and feedparser's reading of it, once both found it valid."""
    root = etree.fromstring(body)
    schema = atom_schema()
    assert schema.validate(root), schema.error_log
    # RFC 4287's two rules that its schema leaves to Schematron.
    entries = root.findall(f"{ATOM}entry")
    if root.find(f"{ATOM}author") is None:
        assert all(entry.find(f"{ATOM}author") is not None for entry in entries)
    for entry in entries:
        rels = [link.get("rel", "alternate") for link in entry.findall(f"{ATOM}link")]
        assert "alternate" in rels or entry.find(f"{ATOM}content") is not None
    parsed = feedparser.parse(body)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return root, parsed


def valid_json_feed(body: bytes) -> dict[str, Any]:
    document: dict[str, Any] = orjson.loads(body)
    jsonschema.validate(document, json_feed_schema())
    return document


def atom(client: TestClient, path: str, **params: Any) -> tuple[etree._Element, Any]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/atom+xml"
    return valid_atom(response.content)


def json_feed(client: TestClient, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(path, params=params)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/feed+json"
    return valid_json_feed(response.content)


def text_of(element: etree._Element, name: str) -> str:
    found = element.find(f"{ATOM}{name}")
    assert found is not None, name
    return found.text or ""


def links(element: etree._Element) -> dict[tuple[str, str], str]:
    return {
        (link.get("rel", "alternate"), link.get("type", "")): link.get("href", "")
        for link in element.findall(f"{ATOM}link")
    }


def moment(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture
def corpus(ingest: Ingest, tmp_path: Path) -> None:
    """The seed, a dozen articles on harbour works over several years, and one whose headline
    and body hold markup."""
    for number in range(12):
        generated_article(number).write(tmp_path, f"report-{number}.txt")
    ArticleText(title=HOSTILE_TITLE, paragraphs=[f"Harbour fish prices: {HOSTILE_BODY}"]).write(
        tmp_path, "hostile.txt"
    )
    report = ingest(SEEDS, tmp_path)
    assert report.ok


def test_search_feed_holds_the_searchs_hits_newest_first(client: TestClient, corpus: None) -> None:
    hits = client.get("/v1/search", params={"q": "harbour", "sort": "newest", "limit": 100}).json()
    root, parsed = atom(client, "/v1/search.atom", q="harbour", limit=100)
    entries = root.findall(f"{ATOM}entry")
    assert [text_of(entry, "id") for entry in entries] == [hit["url"] for hit in hits["items"]]
    assert [entry.id for entry in parsed.entries] == [hit["url"] for hit in hits["items"]]
    assert len(entries) == 13
    years = [hit["year"] for hit in hits["items"]]
    assert years == sorted(years, reverse=True)
    for entry, hit in zip(entries, hits["items"], strict=True):
        summary = entry.find(f"{ATOM}summary")
        assert summary is not None
        assert summary.get("type") == "html"
        assert summary.text == hit["highlight"]["snippet"]
        assert "<mark>" in (summary.text or "")
        assert text_of(entry, "title") == hit["title"]
        assert links(entry)[("alternate", "application/json")] == hit["url"]
        assert links(entry)[("alternate", "text/plain")] == hit["url"] + "/raw"


def test_entry_and_feed_times_are_the_articles(client: TestClient, corpus: None) -> None:
    root, parsed = atom(client, "/v1/articles.atom", limit=5)
    entries = root.findall(f"{ATOM}entry")
    updated = []
    for entry in entries:
        article = client.get(text_of(entry, "id")).json()
        stored = moment(article["updated_at"]).replace(microsecond=0)
        assert moment(text_of(entry, "updated")) == stored
        assert text_of(entry, "updated").endswith("Z")
        updated.append(stored)
    assert moment(text_of(root, "updated")) == max(updated)
    assert parsed.feed.updated_parsed is not None


def test_the_article_text_is_escaped_once(client: TestClient, corpus: None) -> None:
    hits = client.get("/v1/search", params={"q": "haddock"}).json()["items"]
    [hit] = hits
    response = client.get("/v1/search.atom", params={"q": "haddock"})
    root, parsed = valid_atom(response.content)
    [entry] = root.findall(f"{ATOM}entry")
    assert text_of(entry, "title") == HOSTILE_TITLE  # plain text, as the article has it
    summary = text_of(entry, "summary")
    assert summary == hit["highlight"]["snippet"]
    assert "&lt;script&gt;" in summary  # the article's markup is text in the HTML
    assert "<script" not in summary
    assert not root.xpath("//*[local-name() = 'script' or local-name() = 'b']")
    assert b"<script" not in response.content
    assert parsed.entries[0].title == HOSTILE_TITLE
    document = json_feed(client, "/v1/search.feed.json", q="haddock")
    assert document["items"][0]["title"] == HOSTILE_TITLE
    assert document["items"][0]["content_html"] == hit["highlight"]["snippet"]


def test_list_feed_summarises_by_the_lede_with_the_lists_filters(
    client: TestClient, corpus: None
) -> None:
    listed = client.get("/v1/articles", params={"source": "Reuters", "limit": 100}).json()
    root, _ = atom(client, "/v1/articles.atom", source="Reuters", limit=100)
    entries = root.findall(f"{ATOM}entry")
    assert [text_of(entry, "id") for entry in entries] == [item["url"] for item in listed["items"]]
    assert entries
    for entry, item in zip(entries, listed["items"], strict=True):
        summary = entry.find(f"{ATOM}summary")
        assert summary is not None
        assert summary.get("type") == "text"
        assert summary.text == item["lede"]
    assert text_of(root, "title") == "Byline articles (source=Reuters)"


@pytest.mark.parametrize("path", ["/v1/articles.atom", "/v1/search.atom"])
def test_atom_pages_link_to_the_next_and_to_themselves(
    client: TestClient, corpus: None, path: str
) -> None:
    seen: list[str] = []
    url: str | None = f"http://testserver{path}?q=harbour&limit=5"
    pages = 0
    while url is not None:
        response = client.get(url)
        root, _ = valid_atom(response.content)
        found = links(root)
        assert found[("self", "application/atom+xml")] == url
        assert text_of(root, "id") == f"http://testserver{path}?q=harbour&limit=5"
        json_url = found[("alternate", "application/json")]
        assert urlsplit(json_url).path == feed_resource(path)
        seen += [text_of(entry, "id") for entry in root.findall(f"{ATOM}entry")]
        url = found.get(("next", "application/atom+xml"))
        if url is not None:
            assert response.headers["link"] == f'<{url}>; rel="next"'
        pages += 1
    total = 14 if path.startswith("/v1/articles") else 13  # the list takes no `q`: all of them
    assert len(seen) == len(set(seen)) == total
    assert pages == -(-total // 5)


def test_json_feed_is_the_same_page(client: TestClient, corpus: None) -> None:
    root, _ = atom(client, "/v1/search.atom", q="harbour", limit=4)
    document = json_feed(client, "/v1/search.feed.json", q="harbour", limit=4)
    assert document["version"] == "https://jsonfeed.org/version/1.1"
    assert document["title"] == text_of(root, "title") == "Byline search: harbour"
    assert document["feed_url"] == "http://testserver/v1/search.feed.json?q=harbour&limit=4"
    assert dict(parse_qsl(urlsplit(document["home_page_url"]).query)) == {
        "q": "harbour",
        "limit": "4",
        "sort": "newest",
    }
    assert urlsplit(document["next_url"]).path == "/v1/search.feed.json"
    entries = root.findall(f"{ATOM}entry")
    assert [item["id"] for item in document["items"]] == [text_of(e, "id") for e in entries]
    for item, entry in zip(document["items"], entries, strict=True):
        assert item["date_modified"] == text_of(entry, "updated")
        assert item["content_html"] == text_of(entry, "summary")
        assert item["_byline"]["raw_url"] == item["url"] + "/raw"
    listed = json_feed(client, "/v1/articles.feed.json", limit=3)
    assert all("content_text" in item for item in listed["items"])


def test_an_empty_feed_is_dated_by_the_stores_last_change(client: TestClient, corpus: None) -> None:
    root, parsed = atom(client, "/v1/search.atom", q="zeppelin")
    assert root.findall(f"{ATOM}entry") == []
    updated = moment(text_of(root, "updated"))
    assert NEVER < updated <= datetime.now(UTC)
    assert parsed.entries == []
    assert valid_json_feed(client.get("/v1/search.feed.json?q=zeppelin").content)["items"] == []


def test_an_empty_store_gives_a_valid_feed(client: TestClient) -> None:
    root, _ = atom(client, "/v1/articles.atom")
    assert moment(text_of(root, "updated")) == NEVER


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("q=+", 400),  # a blank query
        ("q=harbour&limit=0", 422),
        ("q=harbour&facets=colour", 400),
        ("q=harbour&sort=sideways", 422),
        ("q=harbour&cursor=nonsense", 400),
        ("", 422),  # no `q`
    ],
)
@pytest.mark.parametrize("suffix", [".atom", ".feed.json"])
def test_bad_parameters_are_the_json_searchs_problems(
    client: TestClient, corpus: None, query: str, status: int, suffix: str
) -> None:
    expected = client.get(f"/v1/search?{query}")
    response = client.get(f"/v1/search{suffix}?{query}")
    assert response.status_code == expected.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["instance"] == f"/v1/search{suffix}"
    assert {**problem, "instance": None} == {**expected.json(), "instance": None}


@pytest.mark.parametrize("query", ["limit=101", "year=abc", "facets=colour", "sort=relevance"])
def test_bad_parameters_are_the_lists_problems(client: TestClient, query: str) -> None:
    expected = client.get(f"/v1/articles?{query}")
    response = client.get(f"/v1/articles.atom?{query}")
    assert 400 <= response.status_code == expected.status_code < 500
    assert {**response.json(), "instance": None} == {**expected.json(), "instance": None}


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/atom+xml", FeedFormat.ATOM),
        ("application/feed+json", FeedFormat.JSON_FEED),
        ("application/atom+xml, application/rss+xml;q=0.9, */*;q=0.8", FeedFormat.ATOM),
        ("application/json", None),
        ("*/*", None),
        ("", None),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", None),
        ("application/atom+xml;q=0.5, application/json", None),
        ("application/json;q=0.5, application/feed+json", FeedFormat.JSON_FEED),
        ("application/atom+xml, application/json", None),  # a tie is JSON's
        ("application/atom+xml;q=0.2, application/feed+json;q=0.4", FeedFormat.JSON_FEED),
        ("application/atom+xml;q=oops", None),
        ("APPLICATION/ATOM+XML", FeedFormat.ATOM),
    ],
)
def test_preferred_feed(accept: str, expected: FeedFormat | None) -> None:
    assert preferred_feed(accept) is expected


@pytest.mark.parametrize("resource", ["/v1/articles", "/v1/search"])
def test_accept_asks_for_a_feed(client: TestClient, corpus: None, resource: str) -> None:
    query = "q=harbour&limit=3"
    for format in FeedFormat:
        response = client.get(f"{resource}?{query}", headers={"accept": format.media_type})
        assert response.status_code == 200
        assert response.headers["content-type"] == format.media_type
        assert "Accept" in response.headers["vary"]
        location = f"http://testserver{resource}{format.suffix}?{query}"
        assert response.headers["content-location"] == location
        assert response.content == client.get(location).content
    plain = client.get(f"{resource}?{query}", headers={"accept": "text/html, */*;q=0.8"})
    assert plain.headers["content-type"] == "application/json"
    assert "Accept" in plain.headers["vary"]
    assert "content-location" not in plain.headers


def test_feeds_are_tagged_and_revalidated(client: TestClient, corpus: None) -> None:
    tags = set()
    for url, accept in [
        ("/v1/search.atom?q=harbour", "*/*"),
        ("/v1/search.feed.json?q=harbour", "*/*"),
        ("/v1/articles.atom", "*/*"),
        ("/v1/search?q=harbour", "application/atom+xml"),
    ]:
        response = client.get(url, headers={"accept": accept})
        tag = response.headers["etag"]
        again = client.get(url, headers={"accept": accept, "if-none-match": tag})
        assert again.status_code == 304
        tags.add(tag)
    # The JSON search and its feeds are different representations: different tags.
    json_tag = client.get("/v1/search?q=harbour").headers["etag"]
    assert json_tag not in tags
    assert len(tags) == 3  # the Atom search by suffix and by Accept are one representation


def test_openapi_documents_the_feeds_media_types(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    for resource in ("/v1/articles", "/v1/search"):
        parameters = {p["name"] for p in paths[resource]["get"]["parameters"]}
        for format in FeedFormat:
            operation = paths[resource + format.suffix]["get"]
            assert list(operation["responses"]["200"]["content"]) == [format.media_type]
            assert {p["name"] for p in operation["parameters"]} == parameters
            assert operation["tags"] == ["feeds"]
    sort = {p["name"]: p for p in paths["/v1/search.atom"]["get"]["parameters"]}["sort"]
    assert sort["schema"]["default"] == "newest"


def entry(**fields: Any) -> Entry:
    values: dict[str, Any] = {
        "id": 1,
        "url": "http://example.org/v1/articles/a",
        "raw_url": "http://example.org/v1/articles/a/raw",
        "web_url": None,
        "title": "A",
        "authors": [],
        "updated": datetime(2025, 3, 1, 12, 30, 15, 999_999, tzinfo=UTC),
        "published": None,
    }
    return Entry(**{**values, **fields})


def feed(*entries: Entry) -> Feed:
    return Feed(
        id="http://example.org/v1/articles.atom",
        title="Byline articles",
        self_url="http://example.org/v1/articles.atom",
        json_url="http://example.org/v1/articles?sort=newest",
        next_url=None,
        entries=list(entries),
    )


def test_text_xml_cannot_hold_is_dropped() -> None:
    hostile = "bell\x07 form\x0cfeed \ud800 nul\x00 fine\tend\U0001f600"
    assert xml_text(hostile) == "bell formfeed  nul fine\tend\U0001f600"
    document = atom_document(
        feed(entry(title=hostile, summary_text=hostile, authors=[hostile], web_url="http://x/\x0b"))
    )
    _, parsed = valid_atom(document)
    assert parsed.entries[0].title == xml_text(hostile)


def test_authors_and_published_times() -> None:
    published = datetime(2024, 12, 31, 23, 0, tzinfo=UTC)
    document = atom_document(
        feed(
            entry(authors=["Ann Reporter", "Bo Writer"], published=published),
            entry(id=2, url="http://example.org/v1/articles/b", web_url="https://news.example/b"),
        )
    )
    root, parsed = valid_atom(document)
    first, _ = root.findall(f"{ATOM}entry")
    assert [text_of(a, "name") for a in first.findall(f"{ATOM}author")] == [
        "Ann Reporter",
        "Bo Writer",
    ]
    assert text_of(first, "published") == "2024-12-31T23:00:00Z"
    assert text_of(first, "updated") == "2025-03-01T12:30:15Z"
    # The second has no author: the feed names one (RFC 4287 §4.1.1).
    assert text_of(root.find(f"{ATOM}author"), "name") == "Byline"  # type: ignore[arg-type]
    assert parsed.entries[1].link == "https://news.example/b"  # a reader opens the web page
    items = valid_json_feed(json_feed_document(feed(entry(published=published))))["items"]
    assert items[0]["date_published"] == "2024-12-31T23:00:00Z"
    assert parsed.entries[0].published_parsed is not None
