"""The shapes the API returns: article summaries and details, pages, search hits, stats,
revisions, changes and saved searches, each with its documented example; and the one body it
takes, a saved search's."""

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, StringConstraints, field_validator
from pydantic_core import PydanticCustomError
from sqlmodel import Field, SQLModel

from app.api import examples
from app.api.dependencies import QUERY_HELP, SearchQuery
from app.problems import InvalidParameter
from app.search.language import parse_query
from app.search.query_tree import Column
from app.store.filters import NO_NUL, ArticleFilters
from app.store.models import ArticleBase, ChangeKind, IngestRun


class ArticleKey(SQLModel):
    """The two stable ways to name an article."""

    id: int = Field(description="Stable numeric id.")
    slug: str = Field(description="Stable readable id, from the headline.")


class ArticleSummary(ArticleBase, ArticleKey):
    """An article in a list: enough to show it and a link to the whole of it."""

    model_config = {"json_schema_extra": {"examples": [examples.ARTICLE_SUMMARY]}}

    url: str = Field(description="Where the full article is.")


class ArticleDetail(ArticleSummary):
    """The whole article as parsed, with links to the text as received."""

    model_config = {"json_schema_extra": {"examples": [examples.ARTICLE_DETAIL]}}

    paragraphs: list[str] = Field(description="The body, one string a paragraph, dateline removed.")
    copyright: str | None = Field(description="The copyright line, as written.")
    dateline_date: str | None = Field(description="A date the dateline gives, as written.")
    web_url: str | None = Field(description="The article's own address, from an export's `url`.")
    tags: list[str] = Field(description="From front matter or an export's tags.")
    labels: list[str] = Field(
        description="A wire service's markers of the story's state, taken out of its headline: "
        "`corrected`, `refile`, `repeat`, `update 2`."
    )
    content_hash: str = Field(description="sha256 of the text as received.")
    raw_url: str = Field(description="The text as received, as text/plain.")
    ingested_at: datetime
    updated_at: datetime


class FacetValue(SQLModel):
    """One value of a facet and how many results have it."""

    model_config = {"json_schema_extra": {"examples": [{"value": "ABC Audio", "count": 1}]}}

    value: str | int | None = Field(description="The value; null counts results without one.")
    count: int


Facets = dict[str, list[FacetValue]]
FACETS_DESCRIPTION = (
    "Asked for with `facets`: per field, its most frequent values (at most 50) over all results, "
    "not just this page."
)


class ArticlePage(SQLModel):
    """A page of articles and how to get the next one."""

    model_config = {"json_schema_extra": {"examples": [examples.ARTICLE_PAGE]}}

    items: list[ArticleSummary]
    total: int = Field(description="Articles matching the filters, on all pages.")
    limit: int = Field(description="The most items a page holds.")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page; null on the last page."
    )
    next: str | None = Field(description="URL of the next page; also in the `Link` header.")
    facets: Facets | None = Field(default=None, description=FACETS_DESCRIPTION)


class Highlight(SQLModel):
    """Where a hit matched, as HTML: the article's text is escaped and matches are in <mark>."""

    model_config = {"json_schema_extra": {"examples": [examples.HIGHLIGHT]}}

    title: str = Field(description="The headline with its matches marked.")
    snippet: str = Field(
        description="An excerpt of the best-matching paragraph; the lede when only the headline "
        "matched."
    )
    paragraph: int | None = Field(
        description="Index in `paragraphs` of the paragraph the snippet is from."
    )


class SearchHit(ArticleSummary):
    """An article that matched a search."""

    model_config = {"json_schema_extra": {"examples": [examples.SEARCH_HIT]}}

    score: float = Field(
        description="BM25 relevance; higher is better. Comparable within a query. Hits holding "
        "the query's words as typed score 0 or more; hits matching only through a name variant "
        "come after them, with scores below 0."
    )
    highlight: Highlight
    matched_variants: list[str] = Field(
        description="The name variants added to the query (`query.expanded`, not prefix "
        "completions) that this article holds; empty when it holds none."
    )


class QueryUnderstanding(SQLModel):
    """How the query was read: a client can show it back to the user."""

    model_config = {"json_schema_extra": {"examples": [examples.QUERY_UNDERSTANDING]}}

    q: str
    interpreted: str = Field(description="The query as understood, in the query language.")
    words: list[str] = Field(description="Words looked for (`title:` when limited to a field).")
    phrases: list[str] = Field(description="Exact phrases looked for.")
    prefixes: list[str] = Field(description="Word prefixes (`deploy*`) looked for.")
    alternatives: list[list[str]] = Field(
        description="Groups joined by OR: one of each must match."
    )
    excluded: list[str] = Field(description="Words, phrases and groups no hit may contain.")
    search_in: list[str] = Field(description="Fields searched by terms that name none.")
    expanded: dict[str, list[str]] = Field(
        description="What was added to a term: the spellings of a name the corpus holds (not "
        "with `fuzzy=false`), and the corpus words a `prefix*` completes to."
    )
    warnings: list[str] = Field(description="Parts of the query that were ignored, and why.")


class SearchPage(SQLModel):
    """A page of search hits, best first unless another sort was asked for."""

    model_config = {"json_schema_extra": {"examples": [examples.SEARCH_PAGE]}}

    query: QueryUnderstanding
    items: list[SearchHit]
    total: int = Field(description="Articles matching the query and filters, on all pages.")
    limit: int
    next_cursor: str | None
    next: str | None
    facets: Facets | None = Field(default=None, description=FACETS_DESCRIPTION)
    did_you_mean: str | None = Field(
        default=None,
        description="The query's words with each that the corpus holds rarely (or not at all) "
        "replaced by a word one or two edits away that it holds far more often; null when no "
        "word is replaced.",
    )
    did_you_mean_url: str | None = Field(
        default=None,
        description="The search for `did_you_mean`, with this request's other parameters "
        "(from the first page).",
    )


class TimelineBucket(SQLModel):
    """A bucket of a timeline: the articles of a query published in it, and their share of
    all the store's."""

    model_config = {"json_schema_extra": {"examples": [examples.TIMELINE_BUCKET]}}

    start: date = Field(description="Its first day (UTC); a week starts on a Monday.")
    end: date | None = Field(
        description="The day after its last: pass `start` and `end` as `published_after` and "
        "`published_before` to search its articles (null past the year 9999)."
    )
    count: int = Field(description="The articles of the query, with the filters, in it.")
    articles: int = Field(description="All the store's articles in it, no filter applied.")
    share: float = Field(description="`count` divided by `articles` (0 when it has none).")


class TimelineSeries(SQLModel):
    """One query's articles over time."""

    model_config = {"json_schema_extra": {"examples": [examples.TIMELINE_SERIES]}}

    q: str | None = Field(description="The query (null without one: every article).")
    total: int = Field(description="The articles it matches with the filters, dated or not.")
    undated: int = Field(description="Those of them without a publication time (no bucket).")
    buckets: list[TimelineBucket] = Field(
        description="Oldest first, the same buckets for every series: from the first with "
        "articles (or `published_after`'s) to the last (or `published_before`'s), empty "
        "ones included."
    )


class Timeline(SQLModel):
    """How many articles each query matches per day, week, month or year of publication."""

    model_config = {"json_schema_extra": {"examples": [examples.TIMELINE]}}

    interval: str = Field(description="The buckets' length: `day`, `week`, `month` or `year`.")
    series: list[TimelineSeries] = Field(description="One per `q`, in the order given.")


class RelatedHit(ArticleSummary):
    """An article related to another."""

    model_config = {"json_schema_extra": {"examples": [examples.RELATED_HIT]}}

    score: float = Field(description="BM25 over the shared terms; higher is closer.")
    shared_terms: list[str] = Field(description="The distinctive words both articles hold.")


class RelatedPage(SQLModel):
    """The articles closest to one article, closest first."""

    model_config = {"json_schema_extra": {"examples": [examples.RELATED_PAGE]}}

    article: ArticleSummary
    terms: list[str] = Field(
        description="The article's most distinctive words (TF-IDF), which the others share."
    )
    items: list[RelatedHit]


class RunSummary(SQLModel):
    """An ingestion run in brief."""

    model_config = {"json_schema_extra": {"examples": [examples.RUN_SUMMARY]}}

    id: int
    started_at: datetime
    finished_at: datetime | None = Field(description="Null when the run was cut off.")
    paths: list[str]
    counts: dict[str, int] | None


class IndexStats(SQLModel):
    """The search index of the server process that answered: how far it follows the store."""

    model_config = {"json_schema_extra": {"examples": [examples.INDEX_STATS]}}

    applied_change: int = Field(
        description="The number of the last change to the articles the index has applied (0: "
        "none yet). The index follows the store about a second behind, at most."
    )
    lag: int = Field(
        description="How many changes to the articles the store has committed that the index "
        "has not applied yet."
    )
    documents: int = Field(description="The articles the index holds.")
    size_bytes: int = Field(description="The bytes the index's folder takes on disk.")


class Stats(SQLModel):
    """How much the store holds, the last ingestion, the last change to the articles and how
    far the search index has followed them."""

    model_config = {"json_schema_extra": {"examples": [examples.STATS]}}

    articles: int
    last_run: RunSummary | None
    search_index: Literal["complete", "pending"] = Field(
        description="`complete` when this process's search index holds every change to the"
        " articles, `pending` while it has some yet to apply (`index.lag`): an article is listed"
        " as soon as its batch commits, and found by search once the index has applied it."
    )
    last_change: int = Field(
        description="The number of the latest change to the articles, 0 before the first: every"
        " article added, updated or removed takes the next number, and numbers are committed in"
        " their order, so a change numbered below one seen here never appears later."
    )
    index: IndexStats


def run_summary(run: IngestRun) -> RunSummary:
    """A stored run as the API and the CLI show it."""
    assert run.id is not None
    counts = run.report.get("counts") if run.report else None
    return RunSummary(
        id=run.id,
        started_at=run.started_at,
        finished_at=run.finished_at,
        paths=run.paths,
        counts=counts,
    )


class Revision(SQLModel):
    """One version of an article and what changed from the version before it."""

    model_config = {"json_schema_extra": {"examples": [examples.REVISION]}}

    revision: int = Field(description="1 for the first version; the highest is the current one.")
    current: bool
    title: str
    content_hash: str
    valid_from: datetime = Field(description="When this version was ingested.")
    valid_until: datetime | None = Field(description="When a newer version replaced it.")
    changed: list[str] = Field(description="Fields that differ from the previous version.")
    paragraphs_added: int
    paragraphs_removed: int


class RevisionList(SQLModel):
    """Every version of an article, oldest first."""

    model_config = {"json_schema_extra": {"examples": [examples.REVISION_LIST]}}

    article: ArticleSummary
    revisions: list[Revision]


class Change(SQLModel):
    """One numbered change to the articles, with the article as it is now."""

    model_config = {"json_schema_extra": {"examples": [examples.CHANGE]}}

    number: int = Field(
        description="The change's number: every change takes the next one, and numbers are "
        "committed in their order."
    )
    kind: ChangeKind = Field(description="What the change did to the article.")
    at: datetime = Field(description="When the change was committed.")
    article_id: int = Field(description="The article's id (also that of a removed article).")
    article: ArticleSummary | None = Field(
        description="The article as it is now (an article changed several times shows its "
        "latest state with each of its changes); null when it was removed by this change or "
        "since, as only its id is then known."
    )
    cursor: str = Field(description="Pass as `since` for the changes after this one.")


class ChangePage(SQLModel):
    """Changes after a point, oldest first, and where to resume."""

    model_config = {"json_schema_extra": {"examples": [examples.CHANGE_PAGE]}}

    items: list[Change]
    limit: int = Field(description="The most items a page holds.")
    next_cursor: str = Field(
        description="Pass as `since` to resume after this page: the cursor of its last change, "
        "or the `since` given when no change came after it (never null, so a client polls "
        "with it)."
    )
    next: str | None = Field(
        description="URL of the next page while more changes are already waiting (also in "
        "the `Link` header); null once this page reaches the store's last change."
    )


class SearchFilters(ArticleFilters):
    """A saved search's filters: those of `/v1/search`, and where its words are looked for."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [examples.SAVED_SEARCH_FILTERS]}
    )

    search_in: list[Column] = Field(
        default=[], description=SearchQuery.model_fields["search_in"].description
    )
    fuzzy: bool = Field(default=True, description=SearchQuery.model_fields["fuzzy"].description)


class SavedSearchCreate(SQLModel):
    """A search to save: a name, a query in the language of `/v1/search`, and its filters."""

    model_config = {
        "extra": "forbid",
        "json_schema_extra": {"examples": [examples.SAVED_SEARCH_CREATE]},
    }

    name: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200, pattern=NO_NUL)
    ] = Field(description="What it is for, for people.")
    q: str = Field(max_length=500, description=QUERY_HELP)
    filters: SearchFilters = Field(
        default_factory=SearchFilters, description="Filters, as `/v1/search` takes them."
    )
    webhook_url: str | None = Field(
        default=None,
        max_length=2000,
        description="Where to POST its matches as they arrive, signed (an `http://` or "
        "`https://` URL to a host the server's `webhook_hosts` allows; by default any public "
        "one). Left out: its matches are only kept, to be read.",
        schema_extra={"examples": ["https://hooks.example.org/byline"]},
    )

    @field_validator("q")
    @classmethod
    def searchable(cls, q: str) -> str:
        """A query that `/v1/search` would search: the search's own parser says why not."""
        try:
            parse_query(q)
        except InvalidParameter as refused:
            raise PydanticCustomError("invalid_query", refused.detail) from None
        return q


class SavedSearch(SQLModel):
    """A saved search, where its results and feeds are, and the point it was saved at."""

    model_config = {"json_schema_extra": {"examples": [examples.SAVED_SEARCH]}}

    id: int = Field(description="Stable numeric id.")
    name: str = Field(description="What it is for.")
    q: str = Field(description="The query.")
    filters: SearchFilters = Field(description="The filters.")
    created_at: datetime = Field(description="When it was saved.")
    last_change: int = Field(
        description="The number of the store's last change when it was saved: its matches are "
        "the changes after it."
    )
    url: str = Field(description="Where it is.")
    matches_url: str = Field(
        description="The articles added or updated since it was saved that match it."
    )
    search_url: str = Field(description="The search now, as `/v1/search` answers it.")
    atom_url: str = Field(
        description="The search as an Atom feed, newest first (`/v1/search.atom`)."
    )
    json_feed_url: str = Field(
        description="The search as a JSON Feed, newest first (`/v1/search.feed.json`)."
    )
    webhook_url: str | None = Field(
        description="Where its matches are POSTed: whole in the answer that saved it; "
        "afterwards its scheme and host only, the rest `…` (such a URL often holds a token). "
        "Null: none."
    )
    webhook_secret: str | None = Field(
        description="The secret its webhook's signatures are made with (`whsec_…`), in the "
        "answer that saved it only: keep it then. Null afterwards, and without a webhook."
    )
    deliveries_url: str = Field(description="Its webhook's deliveries and their outcomes.")


class SavedSearchList(SQLModel):
    """Every saved search, oldest first."""

    model_config = {"json_schema_extra": {"examples": [examples.SAVED_SEARCH_LIST]}}

    items: list[SavedSearch]


class DeliveryAttempt(SQLModel):
    """One attempt at a webhook delivery."""

    model_config = {"json_schema_extra": {"examples": [examples.DELIVERY["attempts"][1]]}}

    at: datetime = Field(description="When it was made.")
    duration_ms: float = Field(description="How long it took.")
    status: int | None = Field(description="The receiver's HTTP status; null without one.")
    error: str | None = Field(
        default=None, description="Why it failed (a status other than 2xx, a timeout, ...)."
    )


class Delivery(SQLModel):
    """One POST of a saved search's matches (those of one ingestion batch) to its webhook."""

    model_config = {"json_schema_extra": {"examples": [examples.DELIVERY]}}

    id: int = Field(description="Its id: the `webhook-id` header, the same on every attempt.")
    state: Literal["pending", "delivered", "failed"] = Field(
        description="`pending`: to be sent (again) at `next_attempt_at`; `delivered`: a 2xx "
        "came back; `failed`: every attempt failed."
    )
    matches: int = Field(description="The matches it carries.")
    first_change: int = Field(description="The number of its first match's change.")
    last_change: int = Field(description="The number of its last match's change.")
    created_at: datetime = Field(description="When its matches arrived.")
    next_attempt_at: datetime | None = Field(description="When it is tried next, if pending.")
    finished_at: datetime | None = Field(description="When it was delivered or given up.")
    attempts: list[DeliveryAttempt] = Field(description="Every attempt, oldest first.")


class DeliveryList(SQLModel):
    """A saved search's webhook deliveries, newest first."""

    model_config = {
        "json_schema_extra": {"examples": [{"items": [examples.DELIVERY], "next": None}]}
    }

    items: list[Delivery]
    next: str | None = Field(description="URL of the next (older) page; null on the last.")
