"""The stored tables: articles, their source files and revisions, ingestion runs, the
numbered changes, the API keys and the saved searches. The shapes the API returns are in
``app/api/schemas.py``.
"""

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Index, Integer, Text
from sqlmodel import Column, Field, SQLModel

from app.store.times import UTCDateTime, utc_now


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
    parser: int = Field(
        default=0,
        sa_column_kwargs={"server_default": "0"},
        description="The version of the parser that read it (app/ingestion/parsed.py).",
    )


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
    __table_args__ = (
        # An article's changes by number: the change stream asks when each was last removed.
        Index("ix_article_change_article_id_number", "article_id", "number"),
        {"sqlite_autoincrement": True},  # a number is never given twice
    )

    number: int | None = Field(
        default=None,
        primary_key=True,
        sa_type=BigInteger().with_variant(Integer(), "sqlite"),  # SQLite's rowid is an INTEGER
    )
    article_id: int
    kind: str = Field(max_length=7)  # a ChangeKind
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class ApiKeyRecord(SQLModel, table=True):
    """An API key as stored: its SHA-256 digest (never the key), the prefix shown to tell it
    apart, what it may do and how often (``app/store/api_keys.py``)."""

    __tablename__ = "api_key"

    id: int | None = Field(default=None, primary_key=True)
    # Unique among the keys not revoked: a name can be given again once its key is revoked.
    name: str = Field(max_length=64, index=True)
    prefix: str = Field(max_length=16, unique=True)
    digest: str = Field(max_length=64, unique=True)
    scope: str = Field(max_length=8)  # an app.store.api_keys.KeyScope
    rate_per_minute: int | None = None
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False)
    )
    revoked_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )


class SavedSearchRecord(SQLModel, table=True):
    """A saved search as stored: its query and filters, and the point of the change stream it
    was saved at, which its matches start after (``app/store/saved_searches.py``)."""

    __tablename__ = "saved_search"
    # An id is never given twice (SQLite would give a deleted search's id to the next one): a
    # round of matching tells the searches it matched by id.
    __table_args__ = {"sqlite_autoincrement": True}

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    q: str = Field(sa_type=Text)
    # The search's other parameters as /v1/search takes them, those left at their defaults out.
    filters: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # The number of the store's last change when it was saved, and that point as a change
    # cursor (the stream checks a cursor's time as well as its number).
    last_change: int = Field(sa_type=BigInteger().with_variant(Integer(), "sqlite"))
    start_cursor: str = Field(max_length=200)
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False)
    )
    # The API's base URL it was saved through: what its webhooks' article URLs start with.
    base_url: str | None = Field(default=None, max_length=2000)
    # Where its matches are POSTed, signed with the secret (app/alerts/webhooks.py); none: kept
    # to be read only.
    webhook_url: str | None = Field(default=None, max_length=2000)
    webhook_secret: str | None = Field(default=None, max_length=100)


class SavedSearchProgress(SQLModel, table=True):
    """How far matching on arrival has come (one row): every saved search was matched against
    the articles of every change up to ``matched_change`` (``app/store/arrival_matches.py``)."""

    __tablename__ = "saved_search_progress"

    id: int | None = Field(default=None, primary_key=True)
    matched_change: int = Field(sa_type=BigInteger().with_variant(Integer(), "sqlite"))


class SavedSearchMatch(SQLModel, table=True):
    """A change whose article a saved search matched when the change arrived."""

    __tablename__ = "saved_search_match"

    saved_search_id: int = Field(
        foreign_key="saved_search.id", primary_key=True, ondelete="CASCADE"
    )
    change_number: int = Field(
        primary_key=True, sa_type=BigInteger().with_variant(Integer(), "sqlite")
    )
    article_id: int


class DeliveryState(StrEnum):
    """Where a webhook delivery stands."""

    PENDING = "pending"  # to be sent, or sent again at ``next_attempt_at``
    DELIVERED = "delivered"  # a 2xx came back
    FAILED = "failed"  # every attempt failed: kept, and sent again only when asked


class WebhookDelivery(SQLModel, table=True):
    """One POST of a saved search's matches to its webhook (the matches of one batch of
    changes), its payload as made when they arrived, and every attempt's outcome."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (
        Index("ix_webhook_delivery_saved_search_id", "saved_search_id", "id"),
        Index("ix_webhook_delivery_due", "state", "next_attempt_at"),
        # Never given twice: the id is the `webhook-id` receivers drop repeats by.
        {"sqlite_autoincrement": True},
    )

    id: int | None = Field(default=None, primary_key=True)
    saved_search_id: int = Field(foreign_key="saved_search.id", ondelete="CASCADE")
    first_change: int = Field(sa_type=BigInteger().with_variant(Integer(), "sqlite"))
    last_change: int = Field(sa_type=BigInteger().with_variant(Integer(), "sqlite"))
    matches: int
    payload: str = Field(sa_type=Text)  # the JSON body, as signed and sent
    state: str = Field(max_length=10)  # a DeliveryState
    # Each attempt: when, how long, the status answered or the error met.
    attempts: list[dict[str, Any]] = Field(
        default_factory=list, sa_column=Column(JSON, nullable=False)
    )
    created_at: datetime = Field(
        default_factory=utc_now, sa_column=Column(UTCDateTime(), nullable=False)
    )
    next_attempt_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    # A sender holds a delivery until then: another process leaves it alone meanwhile.
    leased_until: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
    finished_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True)
    )
