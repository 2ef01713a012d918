"""API keys: making one, telling a key's form, verifying one, listing and revoking them.

A key is ``byl_`` and 43 characters of ``secrets.token_urlsafe`` (256 random bits). The store
keeps its SHA-256 digest, never the key: a key that random needs no slow, salted hash (as
GitHub's tokens), and a digest is looked up by its unique index in one seek. The first 12
characters (``byl_`` and 8) are kept as they are, to tell keys apart in a list and to revoke one.
"""

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlmodel import Session, col, or_, select

from app.problems import InvalidApiKey, InvalidParameter, NotFound
from app.store.models import ApiKeyRecord
from app.store.readers.base import Read
from app.store.times import utc_now

KEY_START = "byl_"
KEY_SECRET_BYTES = 32  # token_urlsafe writes them as 43 characters
KEY_FORM = re.compile(r"byl_[A-Za-z0-9_-]{43}")
KEY_LENGTH = len(KEY_START) + 43
PREFIX_LENGTH = len(KEY_START) + 8
NAME_FORM = re.compile(r"[\w.@-]{1,64}")


class KeyScope(StrEnum):
    """What a key may do: ``read`` the API, or also change what it holds (``admin``)."""

    READ = "read"
    ADMIN = "admin"

    def grants(self, needed: "KeyScope") -> bool:
        """Whether a key of this scope may do what ``needed`` allows (admin may read)."""
        return self is KeyScope.ADMIN or needed is KeyScope.READ


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A verified key, as a request holds it (``scope["state"]["api_key"]``)."""

    id: int
    name: str
    scope: KeyScope
    rate_per_minute: int | None


def key_digest(key: str) -> str:
    """The SHA-256 digest the store keeps of ``key``, in hexadecimal."""
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def check_key_form(key: str) -> None:
    """Raise ``InvalidApiKey`` unless ``key`` has the form of a key (it may still be unknown)."""
    if not KEY_FORM.fullmatch(key):
        # The key is not repeated: it may be a secret of something else sent here by mistake.
        raise InvalidApiKey(
            f"The API key is malformed: a key is {KEY_START!r} and 43 letters, digits, '-' or "
            f"'_' ({KEY_LENGTH} characters), as `byline keys create` prints it."
        )


# Verifying reads one row by the digest's unique index, through a reader's plain ``?`` query.
_BY_DIGEST = "SELECT id, name, scope, rate_per_minute, revoked_at FROM api_key WHERE digest = ?"


def verify_api_key(read: Read, *, key: str) -> ApiKey:
    """The key ``key`` is, read with ``read``; ``InvalidApiKey`` when it is malformed, unknown
    or revoked."""
    check_key_form(key)
    rows = read(_BY_DIGEST, (key_digest(key),))
    if not rows:
        raise InvalidApiKey(f"The API key {key[:PREFIX_LENGTH]}… is not one of this server's.")
    row = rows[0]
    if row["revoked_at"] is not None:
        # Only who holds the whole key learns this, and it tells them to ask for a new one.
        raise InvalidApiKey(
            f"The API key {key[:PREFIX_LENGTH]}… ({row['name']}) was revoked; ask for a new one."
        )
    return ApiKey(
        id=row["id"],
        name=row["name"],
        scope=KeyScope(row["scope"]),
        rate_per_minute=row["rate_per_minute"],
    )


def create_api_key(
    session: Session, *, name: str, scope: KeyScope, rate_per_minute: int | None = None
) -> tuple[str, ApiKeyRecord]:
    """A new key named ``name`` and its stored record; the key itself is never stored.

    ``InvalidParameter`` when the name is not a name or a key not revoked has it already. Run
    on a writer's session: its write lock keeps two commands from giving the same name at once.
    """
    if not NAME_FORM.fullmatch(name) or name.startswith(KEY_START):
        raise InvalidParameter(
            f"{name!r} is no key name: give 1 to 64 letters, digits, '.', '@', '-' or '_', "
            f"not starting with {KEY_START!r}."
        )
    if rate_per_minute is not None and rate_per_minute < 1:
        raise InvalidParameter("A rate is at least 1 request a minute.")
    if _active(session, name_or_prefix=name):
        raise InvalidParameter(
            f"A key named {name!r} exists and is not revoked: revoke it first, or give "
            "another name."
        )
    while True:
        key = KEY_START + secrets.token_urlsafe(KEY_SECRET_BYTES)
        taken = session.exec(
            select(ApiKeyRecord.id).where(ApiKeyRecord.prefix == key[:PREFIX_LENGTH])
        ).first()
        if KEY_FORM.fullmatch(key) and taken is None:
            break
    record = ApiKeyRecord(
        name=name,
        prefix=key[:PREFIX_LENGTH],
        digest=key_digest(key),
        scope=scope.value,
        rate_per_minute=rate_per_minute,
    )
    session.add(record)
    session.flush()
    return key, record


def list_api_keys(session: Session) -> Sequence[ApiKeyRecord]:
    """Every key, revoked ones too, oldest first."""
    return session.exec(select(ApiKeyRecord).order_by(col(ApiKeyRecord.id))).all()


def revoke_api_key(session: Session, *, name_or_prefix: str) -> ApiKeyRecord:
    """Revoke the key not yet revoked that has this name or prefix; ``NotFound`` when none has."""
    found = _active(session, name_or_prefix=name_or_prefix)
    if found is None:
        raise NotFound(
            f"No key in use (not revoked) is named {name_or_prefix!r} or has that prefix: "
            "`byline keys list` shows them."
        )
    found.revoked_at = utc_now()
    session.add(found)
    session.flush()
    return found


def _active(session: Session, *, name_or_prefix: str) -> ApiKeyRecord | None:
    """The key not revoked named ``name_or_prefix`` or whose prefix it is (names never start
    as keys do, so the two cannot be confused)."""
    return session.exec(
        select(ApiKeyRecord).where(
            or_(ApiKeyRecord.name == name_or_prefix, ApiKeyRecord.prefix == name_or_prefix),
            col(ApiKeyRecord.revoked_at).is_(None),
        )
    ).first()
