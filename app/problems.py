"""The problems Byline answers, as exceptions any part may raise: each knows its HTTP status,
its RFC 9457 type (``/problems/{slug}``) and what it means.

This module sits at the bottom of the house beside ``app.settings``: the store, search and the
API raise these; the API (``app/api/errors.py``) turns them into ``application/problem+json``.
"""

from http import HTTPStatus
from typing import ClassVar


class ProblemError(Exception):
    """An expected failure that carries its own HTTP status and problem type."""

    status: ClassVar[HTTPStatus] = HTTPStatus.BAD_REQUEST
    slug: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"
    description: ClassVar[str] = "The request cannot be answered as it is."

    def __init__(self, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.headers = headers


class InvalidParameter(ProblemError):
    status = HTTPStatus.BAD_REQUEST
    slug = "invalid-parameter"
    title = "Invalid parameter"
    description = (
        "A parameter is well-formed but cannot be used, such as a blank query or a stale cursor."
    )


class UnknownHost(ProblemError):
    status = HTTPStatus.BAD_REQUEST
    slug = "unknown-host"
    title = "Unknown host"
    description = (
        "The request's `Host` is not one this server answers for (the `allowed_hosts` setting): "
        "its links would point elsewhere."
    )


class CrossOriginRefused(ProblemError):
    status = HTTPStatus.BAD_REQUEST
    slug = "cross-origin-refused"
    title = "Cross-origin request refused"
    description = (
        "A browser asked (a CORS preflight) whether a page of another origin may call the API, "
        "and this server does not allow that origin or method (the `cors_origins` setting)."
    )


# RFC 6750 §3: how a client learns what to send; the realm names the API.
AUTHENTICATE = 'Bearer realm="byline"'
# How a request sends an API key, as every message that asks for one says it.
SENDING_A_KEY = "`Authorization: Bearer KEY` or `X-API-Key: KEY`"


class ApiKeyRequired(ProblemError):
    status = HTTPStatus.UNAUTHORIZED
    slug = "api-key-required"
    title = "API key required"
    description = (
        "This server answers `/v1` only with an API key (the `api_keys` setting): send it as "
        f"{SENDING_A_KEY}. Its operator makes keys with `byline keys create`."
    )

    def __init__(self, detail: str) -> None:
        super().__init__(detail, headers={"WWW-Authenticate": AUTHENTICATE})


class InvalidApiKey(ProblemError):
    status = HTTPStatus.UNAUTHORIZED
    slug = "invalid-api-key"
    title = "Invalid API key"
    description = (
        "The API key sent is no key of this server: not of the form `byl_` and 43 characters, "
        "unknown, or revoked (`detail` says which). Ask its operator for a key."
    )

    def __init__(self, detail: str) -> None:
        authenticate = f'{AUTHENTICATE}, error="invalid_token"'
        super().__init__(detail, headers={"WWW-Authenticate": authenticate})


class InsufficientScope(ProblemError):
    status = HTTPStatus.FORBIDDEN
    slug = "insufficient-scope"
    title = "Insufficient scope"
    description = (
        "The API key is valid but may not do this: changing what the server holds needs a key "
        "of scope `admin` (`byline keys create NAME --scope admin`)."
    )

    def __init__(self, detail: str, *, needed: str) -> None:
        authenticate = f'{AUTHENTICATE}, error="insufficient_scope", scope="{needed}"'
        super().__init__(detail, headers={"WWW-Authenticate": authenticate})


class InvalidContentLength(ProblemError):
    status = HTTPStatus.BAD_REQUEST
    slug = "invalid-content-length"
    title = "Invalid Content-Length"
    description = (
        "The request's `Content-Length` is not one decimal number of bytes (or it is sent twice "
        "with different values): the server cannot tell where its body ends."
    )


class BodyTooLarge(ProblemError):
    status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    slug = "body-too-large"
    title = "Request body too large"
    description = (
        "The request's body is larger than this server takes (the `max_body_bytes` setting), as "
        "its `Content-Length` says or as it was read: nothing of it was used."
    )


class NotFound(ProblemError):
    status = HTTPStatus.NOT_FOUND
    slug = "not-found"
    title = "Not found"
    description = "Nothing exists at this address: no such article, or no such route."


class NotReady(ProblemError):
    status = HTTPStatus.SERVICE_UNAVAILABLE
    slug = "not-ready"
    title = "Not ready"
    description = (
        "The store cannot serve yet: unreachable, not migrated to head, or no search index."
    )


class RateLimited(ProblemError):
    status = HTTPStatus.TOO_MANY_REQUESTS
    slug = "rate-limited"
    title = "Too many requests"
    description = (
        "The client (its API key, or its address when it sends none) made more requests than its"
        " rate allows (the `rate_limit` setting, or the key's own rate). `Retry-After` says when"
        " to try again; the `RateLimit` header of every answer says how many remain."
    )


class SearchTimeout(ProblemError):
    status = HTTPStatus.SERVICE_UNAVAILABLE
    slug = "search-timeout"
    title = "Search stopped"
    description = (
        "A search or related-articles request was stopped: it needed more than the server's time"
        " budget (`BYLINE_REQUEST_TIMEOUT`), or its client went away. `Retry-After` says when to"
        " try again; a narrower query costs less."
    )

    def __init__(self, detail: str, *, retry_after: int, client_gone: bool = False) -> None:
        super().__init__(detail, headers={"Retry-After": str(retry_after)})
        self.client_gone = client_gone  # stopped for its own client: no answer for another


class ValidationFailed(ProblemError):
    status = HTTPStatus(422)
    slug = "validation-error"
    title = "Validation error"
    description = "A parameter has the wrong type or is out of range; `errors` lists each one."


PROBLEM_TYPES: dict[str, type[ProblemError]] = {
    kind.slug: kind
    for kind in (
        ApiKeyRequired,
        BodyTooLarge,
        CrossOriginRefused,
        InsufficientScope,
        InvalidApiKey,
        InvalidContentLength,
        InvalidParameter,
        NotFound,
        NotReady,
        RateLimited,
        SearchTimeout,
        UnknownHost,
        ValidationFailed,
    )
}


def problem_type_uri(kind: type[ProblemError]) -> str:
    """The URI that names (and documents) a problem type."""
    return f"/problems/{kind.slug}"
