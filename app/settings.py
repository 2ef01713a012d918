"""Byline's settings, from the environment (prefix ``BYLINE_``) or an optional ``.env`` file."""

import re
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

# The stores Byline runs on, by SQLAlchemy driver name (``postgresql`` alone is psycopg's).
STORE_DRIVERS = frozenset({"sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg"})
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
        description="Megabytes of article bodies (`/v1/articles/{ref}`) each server process "
        "keeps until the store changes (0: none).",
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

    request_timeout: float = Field(
        default=10.0,
        gt=0,
        le=3600,
        description="Seconds a search or related-articles request may work; past them, or when "
        "its client goes away, the work stops and the answer is 503 `search-timeout` with "
        "`Retry-After`.",
    )

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
    header_timeout: float = Field(
        default=10.0,
        gt=0,
        le=600,
        description="Seconds a client has to send a request's line and headers once it "
        "connects or starts a request (later: a 408 and the connection is closed).",
    )

    @field_validator("allowed_hosts", "cors_origins", mode="before")
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
    def read_url(self) -> str:
        """Where the API reads from."""
        return self.database_read_url or self.database_url


def get_settings() -> Settings:
    """The settings, read from the environment now."""
    return Settings()
