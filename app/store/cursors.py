"""Opaque keyset cursors: the sort they belong to and the sort key of the last row served."""

import base64
import binascii
import json
import math
from dataclasses import dataclass
from typing import Any

from app.problems import InvalidParameter

CursorKey = list[Any]


@dataclass(frozen=True, slots=True)
class Cursor:
    """Where the next page starts: after the row whose sort key is ``key``."""

    sort: str
    key: CursorKey

    def encode(self) -> str:
        """The cursor as an opaque URL-safe string."""
        payload = json.dumps([self.sort, self.key], separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(payload).decode().rstrip("=")

    @classmethod
    def decode(cls, token: str, *, sort: str, key_types: tuple[type, ...]) -> "Cursor":
        """Read a cursor made by ``encode`` for ``sort``; raise ``InvalidParameter`` otherwise."""
        try:
            padded = token + "=" * (-len(token) % 4)
            cursor_sort, key = json.loads(base64.urlsafe_b64decode(padded.encode()))
        except (ValueError, TypeError, binascii.Error):
            raise InvalidParameter("The `cursor` is not one this API made.") from None
        if cursor_sort != sort:
            raise InvalidParameter(
                f"The `cursor` belongs to sort `{cursor_sort}`, not `{sort}`: "
                "keep the parameters of the first page when following a cursor."
            )
        if not isinstance(key, list) or len(key) != len(key_types):
            raise InvalidParameter("The `cursor` is not one this API made.")
        if not all(map(_fits, key, key_types)):
            raise InvalidParameter("The `cursor` is not one this API made.")
        return cls(sort, key)


def _fits(value: Any, expected: type) -> bool:
    if value is None:
        return True
    if isinstance(value, bool) or not isinstance(value, expected):
        return False
    if isinstance(value, str):
        return "\x00" not in value  # never in a title this API made a cursor of
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, float):
        return math.isfinite(value)
    return True
