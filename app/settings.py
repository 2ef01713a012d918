"""Byline's settings, from the environment (prefix ``BYLINE_``) or an optional ``.env`` file."""

import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from app.problems import SENDING_A_KEY

# The stores Byline runs on, by SQLAlchemy driver name (``postgresql`` alone is psycopg's).
STORE_DRIVERS = frozenset({"sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg"})
if TYPE_CHECKING:  # limits is imported when a rate is set: the CLI's commands start sooner
    from limits import RateLimitItem

# The stores of rate limits' counters, by URL scheme.
RATE_LIMIT_STORES = frozenset({"memory", "redis", "rediss", "redis+unix"})
STORE_URL_FORMS = (
    "give sqlite:///relative/path.db, sqlite:////absolute/path.db or "
    "postgresql+psycopg://user:password@host:5432/database"
)


class Settings(BaseSettings):
    """Every setting Byline reads; the README lists them with their defaults."""

    model_config = SettingsConfigDict(env_prefix="BYLINE_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///data/byline.db",
        description="SQLAlchemy URL of the store; a relative SQLite path is taken from the "
        "working directory and its folder is created.",
    )
    database_read_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL the API reads from, such as a PostgreSQL read replica of "
        "`database_url` (default: `database_url`). Ingestion and migrations always write to "
        "`database_url`.",
    )
    pool_size: int = Field(
        default=5,
        ge=1,
        le=100,
        description="PostgreSQL: connections each server process keeps open per engine.",
    )
    max_overflow: int = Field(
        default=10,
        ge=0,
        le=100,
        description="PostgreSQL: connections a server process may open beyond `pool_size` "
        "under a burst.",
    )
    index_path: Path | None = Field(
        default=None,
        description="Folder of the search index, which follows the store and can be deleted "
        "at any time (the next start rebuilds it). Default: beside a SQLite store's file, its "
        "name with `.index` in place of its suffix; for PostgreSQL, `data/` and the database's "
        "name with `.index` (`data/byline.index`).",
    )
    index_writer_mb: int = Field(
        default=64,
        ge=15,
        le=4000,
        description="Megabytes the search index's writer holds before it writes them to disk: "
        "bounds the memory of an ingestion, a rebuild or a catch-up (15 at least).",
    )
    seeds_dir: Path = Field(
        default=Path("seeds"), description="Folder that `serve` ingests at start."
    )
    ingest_on_start: bool = Field(default=True, description="Whether `serve` ingests `seeds_dir`.")
    host: str = Field(default="127.0.0.1", description="Address `serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `serve` listens on.")
    workers: int = Field(default=1, ge=1, le=64, description="Server processes `serve` starts.")
    log_level: str = Field(default="info", description="Log level of the server.")
    search_cache: int = Field(
        default=1024,
        ge=0,
        le=1_000_000,
        description="Search responses and pages of articles each server process keeps until the "
        "store changes, 32 MB of them at most (0: none).",
    )

    article_cache_mb: int = Field(
        default=16,
        ge=0,
        le=4096,
        description="Megabytes of whole answers (articles, pages of the list, the change "
        "stream) each server process keeps until the store changes (0: none).",
    )

    cache_max_age: int = Field(
        default=0,
        ge=0,
        le=31_536_000,
        description="Seconds browsers and shared caches may reuse an answer read from the store "
        "before asking again (`Cache-Control: max-age`); 0: they ask each time, and an unchanged "
        "answer is a 304 without a body (its `ETag`).",
    )

    compression: bool = Field(
        default=True,
        description="Whether answers of `compression_min_bytes` or more are compressed (zstd, "
        "brotli or gzip) for clients whose `Accept-Encoding` asks for it.",
    )
    compression_min_bytes: int = Field(
        default=1024,
        ge=0,
        le=2**30,
        description="Bytes an answer's body must have to be compressed: below, the saving is "
        "smaller than the work.",
    )
    compression_cache_mb: int = Field(
        default=16,
        ge=0,
        le=4096,
        description="Megabytes of compressed bodies (with their plain ones) each server process "
        "keeps, so that a kept answer is compressed once per coding (0: none).",
    )

    cors_origins: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="Origins whose web pages may call the API from a browser (CORS), comma "
        "separated, such as `https://app.example.org`; `*` for any. Default: none.",
    )

    @field_validator("cors_origins")
    @classmethod
    def _origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            parts = urlsplit(origin)
            whole = parts.scheme in ("http", "https") and parts.netloc and parts.path in ("", "/")
            if origin != "*" and not (whole and not parts.query and not parts.fragment):
                raise ValueError(
                    f"{origin!r} is no origin: write a scheme and host (and port), such as "
                    "https://app.example.org or http://localhost:3000, with no path, or *"
                )
        return [origin.rstrip("/") for origin in value]

    api_keys: Literal["off", "optional", "required"] = Field(
        default="off",
        description="Whether `/v1` asks for an API key (`byline keys create`), sent as "
        f"{SENDING_A_KEY}: `off` (none is checked), `optional` "
        "(a key sent must be valid; without one a client may read) or `required`. Routes that "
        "change the store need an `admin` key unless `off`.",
    )

    request_timeout: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        description="Seconds a search or related-articles request may work; past them, or when "
        "its client goes away, the work stops and the answer is 503 `search-timeout` with "
        "`Retry-After`.",
    )

    rate_limit: str = Field(
        default="",
        description="Requests each client may make, such as `600/minute` or `10/second` "
        "(the `limits` library's notation): per API key, or per client address for a request "
        "without one; a key's own rate overrides it. `/healthz` and `/readyz` are never "
        "limited. Default: empty, no limit.",
    )
    rate_limit_storage: str = Field(
        default="memory://",
        description="Where the rate limits' counters live: `memory://` (each server process its "
        "own), or Redis, `redis://host:6379/0` (`rediss://` with TLS), shared by every worker "
        "and replica that names it.",
    )

    @field_validator("rate_limit")
    @classmethod
    def _rate(cls, value: str) -> str:
        value = value.strip()
        if value:
            from limits import parse_many  # noqa: PLC0415

            try:
                rates = parse_many(value)
            except ValueError:
                rates = []
            if len(rates) != 1 or rates[0].amount < 1:
                raise ValueError(
                    f"{value!r} is no rate: write a number of requests (1 or more) per unit of "
                    "time, such as 600/minute, 10/second or 5000 per hour (empty: no limit)"
                )
        return value

    @field_validator("rate_limit_storage")
    @classmethod
    def _rate_storage(cls, value: str) -> str:
        scheme = urlsplit(value).scheme
        if scheme not in RATE_LIMIT_STORES:
            shown = re.sub(r"(?<=://)[^/]*@", "***@", value)  # credentials stay out of logs
            raise ValueError(
                f"{shown!r} names no store for rate limits: give memory:// or a Redis URL, "
                "such as redis://127.0.0.1:6379/0 (rediss:// with TLS, redis+unix:///path)"
            )
        return value

    public_url: str | None = Field(
        default=None,
        description="The address clients reach the API at, such as `https://news.example.org/api`"
        ": every link in a response (`url`, `next`, `Link`) starts with it. Unset: links are "
        "made from the request's `Host` (one of `allowed_hosts`) and scheme.",
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default=["localhost", "127.0.0.1", "::1"],
        description="Host names the API answers for, comma-separated (`*.example.org` for its "
        "subdomains, `*` for any); a request naming another `Host` gets a 400. The host of "
        "`public_url` is always allowed.",
    )
    forwarded_allow_ips: str = Field(
        default="127.0.0.1,::1",
        description="Addresses of the reverse proxies whose `X-Forwarded-For` and "
        "`X-Forwarded-Proto` are trusted (comma-separated, CIDR ranges too; `*`: any).",
    )
    max_header_bytes: int = Field(
        default=64 * 1024,
        ge=1024,
        le=1024 * 1024,
        description="Bytes a request's line and headers may take (more: a 414 or 431).",
    )
    max_body_bytes: int = Field(
        default=2**20,
        ge=0,
        le=2**30,
        description="Bytes a request's body may take, as its `Content-Length` says or as it is "
        "read (more: a 413).",
    )
    header_timeout: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description="Seconds a client has to send a request's line and headers once it "
        "connects or starts a request (later: a 408 and the connection is closed).",
    )

    webhook_hosts: Annotated[list[str], NoDecode] = Field(
        default=[],
        description="Hosts saved searches' webhooks may be sent to, comma-separated: names, "
        "`*.example.org` for its subdomains, addresses and networks (`10.0.0.0/8`); a listed "
        "one may be internal. Unset: any host whose addresses are all public (never loopback, "
        "private, link-local or reserved ones: no request forged to the inside).",
    )
    webhook_timeout: float = Field(
        default=10.0,
        gt=0,
        le=120,
        description="Seconds a webhook's receiver has to answer (later: the attempt failed).",
    )
    webhook_retry_seconds: float = Field(
        default=30.0,
        gt=0,
        le=3600,
        description="Seconds before a failed webhook delivery's first retry; each retry waits "
        "twice as long as the one before, up to an hour.",
    )
    webhook_attempts: int = Field(
        default=24,
        ge=1,
        le=100,
        description="Attempts a webhook delivery gets before it is marked failed (24, with the "
        "defaults: about 17 hours of retries).",
    )

    metrics: bool = Field(
        default=True,
        description="Whether `/metrics` answers with the server's Prometheus metrics (requests, "
        "latency, caches, the search index's lag, ingestion runs); off: it is a 404 and "
        "nothing is counted.",
    )
    access_log: Literal["text", "json", "off"] = Field(
        default="text",
        description="The access log on standard output: uvicorn's lines of text, one JSON object "
        "a request, or none.",
    )

    @field_validator("allowed_hosts", "cors_origins", "webhook_hosts", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    @field_validator("database_url", "database_read_url")
    @classmethod
    def _store_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None or (not value and info.field_name == "database_read_url"):
            return None
        try:
            url = make_url(value)
        except ArgumentError:
            shown = re.sub(r"(?<=://)[^/]*@", "***@", value)  # credentials stay out of logs
            raise ValueError(f"{shown!r} is not a URL; {STORE_URL_FORMS}") from None
        if url.drivername not in STORE_DRIVERS:
            shown = url.render_as_string(hide_password=True)
            kind = (
                f"names the driver {url.get_driver_name()!r}, which Byline does not install"
                if url.get_backend_name() in ("sqlite", "postgresql")
                else "is no SQLite or PostgreSQL URL"
            )
            raise ValueError(f"{shown!r} {kind}; {STORE_URL_FORMS}")
        return value

    @field_validator("public_url")
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an absolute http:// or https:// URL")
        if parts.query or parts.fragment:
            raise ValueError(f"{value!r} has a query or a fragment: give the base URL alone")
        return value.rstrip("/") + "/"

    @property
    def hosts(self) -> list[str]:
        """The host names requests may name: ``allowed_hosts`` and the public URL's."""
        public = urlsplit(self.public_url).hostname if self.public_url else None
        return [*self.allowed_hosts, *([public] if public else [])]

    @property
    def index_folder(self) -> Path:
        """Where the search index lives: ``index_path``, or beside a SQLite store's file."""
        if self.index_path is not None:
            return self.index_path
        url = make_url(self.database_url)
        if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
            return Path(url.database).with_suffix(".index")
        # One folder a database: an index follows one store.
        name = re.sub(r"[^\w.-]", "_", url.database or "") or "byline"
        return Path("data") / f"{name}.index"

    @property
    def default_rate(self) -> "RateLimitItem | None":
        """The ``rate_limit`` setting as the ``limits`` library holds it; None: no limit."""
        if not self.rate_limit:
            return None
        from limits import parse_many  # noqa: PLC0415

        return parse_many(self.rate_limit)[0]

    @property
    def read_url(self) -> str:
        """Where the API reads from."""
        return self.database_read_url or self.database_url


def get_settings() -> Settings:
    """The settings, read from the environment now."""
    return Settings()
