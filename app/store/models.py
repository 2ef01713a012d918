"""The article model family: the stored table and the shapes the API returns."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from sqlalchemy import JSON, BigInteger, DateTime, Index, Integer, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlmodel import Column, Field, SQLModel

from app.api import examples


def utc_now() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def in_utc(value: datetime) -> datetime:
    """``value`` in UTC, a time without a zone taken as UTC (``OverflowError`` when UTC cannot
    hold it: ``9999-12-31T23:59:59-00:01``)."""
    return value.astimezone(UTC) if value.tzinfo is not None else value.replace(tzinfo=UTC)


# A response's ``lede`` holds at most this many characters: a summary stays small whatever the
# article's size (a list of 100 summaries is at most about 100 KB of ledes).
LEDE_LIMIT = 1_000


def bounded_lede(lede: str | None) -> str | None:
    """The lede as responses give it: cut at a word to ``LEDE_LIMIT`` characters with an
    ellipsis when longer."""
    if lede is None or len(lede) <= LEDE_LIMIT:
        return lede
    cut = lede[: LEDE_LIMIT - 1]
    space = cut.rfind(" ")
    # A text without spaces near the end (a very long word, a URL) is cut where it is.
    if space > LEDE_LIMIT // 2:
        cut = cut[:space]
    return cut.rstrip() + "…"


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite drops the zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC)
            if dialect.name == "sqlite":
                value = value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        # PostgreSQL answers in its session's time zone: say it in UTC, as SQLite does.
        return in_utc(value)


class ArticleBase(SQLModel):
    """Fields shared by the stored article and every public shape of it."""

    title: str = Field(sa_type=Text, description="The headline.")
    dateline: str | None = Field(
        default=None, max_length=120, description="Where the story was filed, upper case."
    )
    source: str | None = Field(
        default=None, max_length=200, description="Who holds the rights, from the copyright line."
    )
    year: int | None = Field(default=None, description="Year of the copyright line.")
    authors: list[str] = Field(
        default_factory=list,
        sa_column=Column(JSON, nullable=False),
        description="From a `By NAME` line under the headline, or an export's author field.",
    )
    published_at: datetime | None = Field(
        default=None,
        sa_column=Column(UTCDateTime(), nullable=True, index=True),
        description="When it was published, where the file says (front matter, JSON field).",
    )
    lede: str | None = Field(
        default=None,
        sa_type=Text,
        description="The first paragraph; in responses, when longer than 1,000 characters, cut "
        "at a word to at most 1,000 characters ending in `…`.",
    )
    word_count: int = Field(description="Words in the body.")


class Article(ArticleBase, table=True):
    """One stored article: the parsed fields, the text as received and where it came from."""

    __tablename__ = "article"
    __table_args__ = (
        Index("ix_article_year_id", "year", "id"),
        Index("ix_article_title_id", "title", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(max_length=120, unique=True)
    # The paragraphs, one per line: a paragraph never holds a newline.
    body: str = Field(sa_type=Text)
    copyright: str | None = Field(default=None, sa_type=Text)
    dateline_date: str | None = Field(default=None, max_length=40)
    web_url: str | None = Field(default=None, sa_type=Text)
    tags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    labels: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    raw_text: str = Field(sa_type=Text)
    content_hash: str = Field(max_length=64, unique=True)
    source_path: str = Field(sa_type=Text, unique=True)
    ingested_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False)
    )
    updated_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False)
    )

    @property
    def paragraphs(self) -> list[str]:
        """The body as a list of paragraphs."""
        return self.body.split("\n") if self.body else []


class SourceFile(SQLModel, table=True):
    """A file ingested whole without a failure: what it looked like, to skip it when unchanged."""

    __tablename__ = "source_file"

    path: str = Field(primary_key=True, sa_type=Text)
    size: int = Field(sa_type=BigInteger)
    mtime_ns: int = Field(sa_type=BigInteger)
    sha256: str = Field(max_length=64)
    articles: int = Field(description="How many articles the file gave.")


class ArticleRevision(SQLModel, table=True):
    """An earlier version of an article, kept when its file changed."""

    __tablename__ = "article_revision"

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True, ondelete="CASCADE")
    title: str = Field(sa_type=Text)
    dateline: str | None = Field(default=None, max_length=120)
    source: str | None = Field(default=None, max_length=200)
    year: int | None = None
    body: str = Field(sa_type=Text)
    raw_text: str = Field(sa_type=Text)
    content_hash: str = Field(max_length=64)
    ingested_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    replaced_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False)
    )


class IngestRun(SQLModel, table=True):
    """One ingestion: when, on what, and its report (no ``finished_at``: it was cut off)."""

    __tablename__ = "ingest_run"

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False)
    )
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    paths: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    report: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class ChangeKind(StrEnum):
    """What a change did to its article."""

    ADDED = "added"
    UPDATED = "updated"
    REMOVED = "removed"


class ArticleChange(SQLModel, table=True):
    """One change to the articles, numbered in the order of the commits (migration 0014).

    Triggers on the article table write these rows in the transaction of the write itself; no
    code of the app inserts one. ``article_id`` has no foreign key: a removal keeps the id of
    the article it removed.
    """

    __tablename__ = "article_change"
    __table_args__ = {"sqlite_autoincrement": True}  # a number is never given twice

    number: int | None = Field(
        default=None,
        primary_key=True,
        sa_type=BigInteger().with_variant(Integer(), "sqlite"),  # SQLite's rowid is an INTEGER
    )
    article_id: int
    kind: str = Field(max_length=7)  # a ChangeKind
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


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
