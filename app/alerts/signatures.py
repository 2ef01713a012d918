"""Webhook signatures, as the Standard Webhooks specification has them (the scheme of Svix,
and libraries for most languages verify it): a secret ``whsec_`` + base64 of 32 random bytes,
and with each delivery the headers ``webhook-id`` (the delivery's id, the same on every
retry), ``webhook-timestamp`` (Unix seconds of the attempt) and ``webhook-signature``
(``v1,`` + base64 of the HMAC-SHA256, keyed with the secret's bytes, of ``id.timestamp.body``).

A receiver computes the same HMAC over the body as received, compares in constant time, and
refuses a timestamp more than a few minutes from its clock (a replayed delivery); the README
has the snippet.
"""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 (what a secret starts with, not one)
SECRET_BYTES = 32
# A receiver should refuse a delivery signed longer ago than this (seconds): replays.
TOLERANCE_S = 300


def new_secret() -> str:
    """A new webhook secret, shown once when the search is saved."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def signature(secret: str, delivery_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header of ``body`` sent as ``delivery_id`` at ``timestamp``."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{delivery_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, delivery_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The headers that sign a delivery."""
    return {
        "webhook-id": delivery_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, delivery_id, timestamp, body),
    }
