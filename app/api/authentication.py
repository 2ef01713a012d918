"""Who is calling: the API keys of ``/v1`` (the ``api_keys`` setting) and how a request sends
one, the short-lived cache of the keys verified, and the guard of the routes that need a key's
scope.

Keys are checked by a middleware (``Admission``, app/api/admission.py), not a dependency:
``KeptAnswers`` answers kept answers before FastAPI routes a request, so a dependency
would never see those requests. The key verified is put at ``scope["state"]["api_key"]`` (an
``app.store.api_keys.ApiKey``), where the guard and the rate limits read it.

A verdict on a key (the key, or why it is refused) is kept ``KEY_CACHE_SECONDS`` in each
process: a client sending the same key again costs a dictionary lookup, not a read of the store,
and a key revoked (``byline keys revoke``) is refused by every worker and replica within that
time (plus a read replica's lag).
"""

import time
from collections.abc import Callable
from typing import Annotated, Literal

from fastapi import Request, Security
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import Scope

from app.api.metrics import METRICS_PATH
from app.problems import (
    SENDING_A_KEY,
    ApiKeyRequired,
    InsufficientScope,
    InvalidApiKey,
    NotReady,
    ProblemError,
)
from app.store.api_keys import ApiKey, KeyScope, check_key_form, verify_api_key
from app.store.readers.base import Reader

ApiKeysMode = Literal["off", "optional", "required"]

KEY_CACHE_SECONDS = 5.0
# Keys are the client's to choose: the verdicts kept are bounded.
KEY_CACHE_ENTRIES = 4096
GUARDED_PREFIX = "/v1"
MISSING_KEY = f"This server answers /v1 only with an API key: send it as {SENDING_A_KEY}."

# The schemes the OpenAPI document declares (/docs' Authorize button): either header will do.
BEARER_SCHEME = "BearerKey"
HEADER_SCHEME = "ApiKeyHeader"
bearer_key = HTTPBearer(
    scheme_name=BEARER_SCHEME,
    description="An API key (`byline keys create`) as `Authorization: Bearer KEY`.",
    auto_error=False,
)
header_key = APIKeyHeader(
    name="X-API-Key",
    scheme_name=HEADER_SCHEME,
    description="An API key (`byline keys create`) as `X-API-Key: KEY`.",
    auto_error=False,
)


def guarded(path: str) -> bool:
    """Whether a request to ``path`` (as the routes match it) needs a key: ``/v1`` and below, and
    ``/metrics`` (an admin key's, as Meilisearch's and Typesense's metrics need their master
    key); the probes, the docs, the OpenAPI document and the problem types stay open."""
    return path in (GUARDED_PREFIX, METRICS_PATH) or path.startswith(GUARDED_PREFIX + "/")


class KeyCheck:
    """The verdicts on the keys requests send (``Authorization: Bearer KEY`` or ``X-API-Key``):
    ``Admission`` (app/api/admission.py) asks for the key of each ``/v1`` request, and with
    ``required`` refuses a request without one."""

    def __init__(self, *, required: bool, clock: Callable[[], float] = time.monotonic) -> None:
        self.required = required
        self.clock = clock
        self.verdicts: dict[str, tuple[float, ApiKey | InvalidApiKey]] = {}

    def kept(self, sent: str) -> ApiKey | None:
        """The key ``sent``, as the verdict kept on it tells; None when none is kept. Not a
        coroutine: most requests end here, and making and awaiting one costs more than this."""
        kept = self.verdicts.get(sent)  # only keys of the right form are kept
        if kept is None or kept[0] <= self.clock():
            return None
        if isinstance(kept[1], InvalidApiKey):
            # A refusal of its own each time: one raised again would gather every request's
            # frames in its traceback for as long as it is kept.
            raise InvalidApiKey(kept[1].detail)
        return kept[1]

    async def verified(self, scope: Scope, sent: str) -> ApiKey:
        """The key ``sent``, verified now (and the verdict kept)."""
        check_key_form(sent)
        until = self.clock() + KEY_CACHE_SECONDS  # from before the read, as the store was then
        reader: Reader = scope["app"].state.reader
        verdict = await _verdict(reader, sent)
        self._keep(sent, until, verdict)
        if isinstance(verdict, InvalidApiKey):
            raise verdict
        return verdict

    def _keep(self, key: str, until: float, verdict: ApiKey | InvalidApiKey) -> None:
        if len(self.verdicts) >= KEY_CACHE_ENTRIES:
            now = self.clock()
            self.verdicts = {k: v for k, v in self.verdicts.items() if v[0] > now}
            if len(self.verdicts) >= KEY_CACHE_ENTRIES:
                self.verdicts.clear()
        self.verdicts[key] = (until, verdict)


async def _verdict(reader: Reader, key: str) -> ApiKey | InvalidApiKey:
    """The key, or why it is refused; a store that cannot be read is a 503, never a 500."""
    try:
        return await reader.call(verify_api_key, reader.rows, key=key)
    except InvalidApiKey as refused:
        return refused
    except ProblemError:
        raise
    except Exception as error:
        raise NotReady(
            f"The store could not be read to check the API key ({type(error).__name__}); try again."
        ) from None


def sent_key(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The key the headers send (``InvalidApiKey`` when they send two, or an ``Authorization``
    of another scheme and no ``X-API-Key``); None when they send none."""
    sent = other_scheme = None
    for name, value in headers:
        if name == b"x-api-key":
            key = value.decode("latin-1").strip()
        elif name == b"authorization":
            scheme, _, credentials = value.decode("latin-1").strip().partition(" ")
            if scheme.lower() != "bearer":
                other_scheme = scheme[:20]
                continue
            key = credentials.strip()
        else:
            continue
        if sent is not None and key != sent:
            raise InvalidApiKey(
                f"The request sends more than one API key: send one, as {SENDING_A_KEY}."
            )
        sent = key
    if sent is None and other_scheme is not None:
        raise InvalidApiKey(
            f"`Authorization: {other_scheme} …` is not how a key is sent: send {SENDING_A_KEY}."
        )
    return sent


def require_scope(needed: KeyScope) -> Callable[..., ApiKey | None]:
    """A route dependency: the request's key, which must grant ``needed`` (``admin`` grants
    ``read``); ``401`` without a key and ``403`` with a key of a lesser scope. With the
    ``api_keys`` setting ``off`` nothing is checked. Guards ``/v1`` routes (where the
    middleware verifies keys); the OpenAPI document shows their schemes."""

    def key_with_scope(
        request: Request,
        _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(bearer_key)],
        _header: Annotated[str | None, Security(header_key)],
    ) -> ApiKey | None:
        key: ApiKey | None = request.scope.get("state", {}).get("api_key")
        if request.app.state.api_keys == "off":
            return key
        if key is None:
            raise ApiKeyRequired(
                f"This needs an API key of scope {needed.value!r}: send it as {SENDING_A_KEY}."
            )
        if not key.scope.grants(needed):
            raise scope_refused(key, needed)
        return key

    return key_with_scope


def scope_refused(key: ApiKey, needed: KeyScope) -> InsufficientScope:
    """The 403 of ``key`` on a route that needs ``needed``."""
    return InsufficientScope(
        f"The API key {key.name!r} has the scope {key.scope.value!r}; this needs {needed.value!r}.",
        needed=needed.value,
    )
