"""Feed documents: a page of articles as Atom (RFC 4287) or JSON Feed 1.1, from one ``Feed``.

The XML is made by the standard library's ``ElementTree``, which escapes text and attributes;
article text is the corpus's, never trusted: characters XML 1.0 cannot hold are dropped before
it is written. JSON Feed goes out through the API's JSON encoder (``json_body``).
"""

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from app import __version__
from app.api.responses import PageResponse, json_body

ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"

# Before any change to the store there is no newest entry nor change to date an empty feed by.
NEVER = datetime(1970, 1, 1, tzinfo=UTC)

# What XML 1.0 can hold (its Char production): the rest is dropped from the corpus's text.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class FeedFormat(StrEnum):
    """A feed's format: the suffix of its path and its media type."""

    ATOM = "atom"
    JSON_FEED = "feed.json"

    @property
    def media_type(self) -> str:
        return "application/atom+xml" if self is FeedFormat.ATOM else "application/feed+json"

    @property
    def shown(self) -> str:
        """The format's name for people."""
        return "Atom" if self is FeedFormat.ATOM else "JSON Feed"

    @property
    def operation_suffix(self) -> str:
        """What the operation ids of its routes end with: ``search_articles_atom``."""
        return "atom" if self is FeedFormat.ATOM else "json_feed"

    @property
    def suffix(self) -> str:
        """What a resource's path ends with to ask for the feed: ``/v1/search.atom``."""
        return "." + self.value


def feed_resource(path: str) -> str:
    """The path of the list or search that ``path`` is a feed of (``/v1/search.atom``:
    ``/v1/search``); any other path as it is."""
    for format in FeedFormat:
        if path.endswith(format.suffix):
            return path.removesuffix(format.suffix)
    return path


class AtomResponse(PageResponse):
    """An Atom feed document."""

    media_type = FeedFormat.ATOM.media_type


class JSONFeedResponse(PageResponse):
    """A JSON Feed document."""

    media_type = FeedFormat.JSON_FEED.media_type


RESPONSE_CLASSES: dict[FeedFormat, type[PageResponse]] = {
    FeedFormat.ATOM: AtomResponse,
    FeedFormat.JSON_FEED: JSONFeedResponse,
}


@dataclass(frozen=True, slots=True)
class Entry:
    """One article of a feed, as both formats give it."""

    id: int
    url: str  # the article's API URL: also the entry's id, stable while the article is
    raw_url: str
    web_url: str | None  # where the article is published, when the store knows (http(s) only)
    title: str
    authors: list[str]
    updated: datetime  # when the store last changed the article
    published: datetime | None
    summary_html: str | None = None  # the highlighted snippet of a search hit, HTML
    summary_text: str | None = None  # the lede of a listed article, plain text


@dataclass(frozen=True, slots=True)
class Feed:
    """A page of a list or search as a feed: what it is, where it is and its entries."""

    id: str  # the URL of its first page: the same for every page and every time
    title: str
    self_url: str
    json_url: str  # the same list or search as the API's own JSON
    next_url: str | None
    entries: list[Entry]
    # When an empty feed last changed: the store's last change.
    empty_updated: datetime = field(default=NEVER)

    @property
    def updated(self) -> datetime:
        """The newest entry's ``updated`` (RFC 4287 §4.2.15)."""
        return max((entry.updated for entry in self.entries), default=self.empty_updated)


def rfc3339(moment: datetime) -> str:
    """A time as RFC 3339 writes it, in UTC with a ``Z``."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def xml_text(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold."""
    return _NOT_XML.sub("", text)


def atom_document(feed: Feed) -> bytes:
    """The feed as an Atom feed document, UTF-8."""
    # The namespace as the root's default, names unqualified: ElementTree's own namespace
    # handling would qualify every attribute too (or take a process-wide prefix registry).
    root = ET.Element("feed", {"xmlns": ATOM_NAMESPACE})
    _add(root, "id", feed.id)
    _add(root, "title", feed.title)
    _add(root, "updated", rfc3339(feed.updated))
    _link(root, "self", feed.self_url, FeedFormat.ATOM.media_type)
    _link(root, "alternate", feed.json_url, "application/json")
    if feed.next_url is not None:
        _link(root, "next", feed.next_url, FeedFormat.ATOM.media_type)  # RFC 5005 §3
    if any(not entry.authors for entry in feed.entries):  # RFC 4287 §4.1.1: theirs, then
        _add(ET.SubElement(root, "author"), "name", "Byline")
    _add(root, "generator", "Byline", version=__version__)
    for entry in feed.entries:
        element = ET.SubElement(root, "entry")
        _add(element, "id", entry.url)
        _add(element, "title", entry.title)
        _add(element, "updated", rfc3339(entry.updated))
        if entry.published is not None:
            _add(element, "published", rfc3339(entry.published))
        for name in entry.authors:
            _add(ET.SubElement(element, "author"), "name", name)
        # A reader opens the first alternate it can show: the published page, else the text.
        if entry.web_url is not None:
            _link(element, "alternate", entry.web_url, "text/html")
        _link(element, "alternate", entry.raw_url, "text/plain")
        _link(element, "alternate", entry.url, "application/json")
        if entry.summary_html:
            _add(element, "summary", entry.summary_html, type="html")
        elif entry.summary_text:
            _add(element, "summary", entry.summary_text, type="text")
    ET.indent(root)
    body: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return body


def json_feed_document(feed: Feed) -> bytes:
    """The feed as a JSON Feed 1.1 document."""
    items = []
    for entry in feed.entries:
        item: dict[str, object] = {"id": entry.url, "url": entry.url, "title": entry.title}
        if entry.web_url is not None:
            item["external_url"] = entry.web_url
        if entry.summary_html is not None:
            item["content_html"] = entry.summary_html
        else:
            item["content_text"] = entry.summary_text or ""
        if entry.published is not None:
            item["date_published"] = rfc3339(entry.published)
        item["date_modified"] = rfc3339(entry.updated)
        if entry.authors:
            item["authors"] = [{"name": name} for name in entry.authors]
        # An extension (JSON Feed 1.1, "Extensions"): what the format has no field for.
        item["_byline"] = {"article_id": entry.id, "raw_url": entry.raw_url}
        items.append(item)
    content: dict[str, object] = {
        "version": JSON_FEED_VERSION,
        "title": feed.title,
        "home_page_url": feed.json_url,
        "feed_url": feed.self_url,
    }
    if feed.next_url is not None:
        content["next_url"] = feed.next_url
    content["items"] = items
    return json_body(content)


def _add(parent: ET.Element, name: str, text: str, **attributes: str) -> None:
    element = ET.SubElement(parent, name, attributes)
    element.text = xml_text(text)


def _link(parent: ET.Element, rel: str, href: str, media_type: str) -> None:
    ET.SubElement(parent, "link", {"rel": rel, "type": media_type, "href": xml_text(href)})
