"""Every error as RFC 9457 ``application/problem+json``: our exceptions and the handlers for all."""

import logging
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

if TYPE_CHECKING:  # FastAPI is imported by the app, not by the CLI's ingest (memory, start time)
    from fastapi import FastAPI

from app.api import examples

PROBLEM_MEDIA_TYPE = "application/problem+json"
logger = logging.getLogger("byline")


class FieldError(BaseModel):
    """One invalid input of a request."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"location": "query", "name": "limit", "detail": "Input should be at most 100"}
            ]
        }
    )

    location: str = Field(description="Where the input was: query, path, header or body.")
    name: str = Field(description="The parameter, or a dotted path into the body.")
    detail: str = Field(description="What is wrong with it.")


class Problem(BaseModel):
    """An RFC 9457 problem detail, the body of every error response."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.PROBLEM]})

    type: str = Field(
        default="about:blank", description="URI of the problem type; GET it for its description."
    )
    title: str = Field(description="Short summary of the problem type.")
    status: int = Field(description="The HTTP status code.")
    detail: str = Field(description="What went wrong with this request, for a human.")
    instance: str | None = Field(default=None, description="The path of the request.")
    errors: list[FieldError] | None = Field(
        default=None, description="The invalid inputs, for a validation problem."
    )


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
    for kind in (InvalidParameter, NotFound, NotReady, SearchTimeout, UnknownHost, ValidationFailed)
}


def problem_type_uri(kind: type[ProblemError]) -> str:
    """The URI that names (and documents) a problem type."""
    return f"/problems/{kind.slug}"


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    """Render a problem with its media type."""
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def problem_responses(
    *kinds: type[ProblemError], validated: bool = True
) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` declaring the problems a route answers (422 when it has inputs)."""
    every: tuple[type[ProblemError], ...] = (*kinds, ValidationFailed) if validated else kinds
    return {
        int(kind.status): {
            "description": kind.description,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for kind in every
    }


def problem_schemas() -> dict[str, Any]:
    """JSON schemas of ``Problem`` and what it refers to, for the OpenAPI components."""
    _, schemas = models_json_schema(
        [(Problem, "serialization")], ref_template="#/components/schemas/{model}"
    )
    definitions: dict[str, Any] = schemas["$defs"]
    return definitions


async def _handle_problem_error(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, ProblemError)
    return problem_response(
        Problem(
            type=problem_type_uri(type(error)),
            title=error.title,
            status=error.status,
            detail=error.detail,
            instance=request.url.path,
        ),
        headers=error.headers,
    )


async def _handle_http_exception(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    status = HTTPStatus(error.status_code)
    detail = error.detail if error.detail != status.phrase else None
    if status == HTTPStatus.NOT_FOUND and detail is None:
        return await _handle_problem_error(
            request, NotFound(f"No route matches {request.method} {request.url.path}.")
        )
    headers = dict(error.headers) if error.headers else {}
    if status == HTTPStatus.METHOD_NOT_ALLOWED:
        detail = detail or f"{request.method} is not allowed on {request.url.path}."
        headers = {
            name: _with_head(value) if name.lower() == "allow" else value
            for name, value in headers.items()
        }
    return problem_response(
        Problem(
            title=status.phrase,
            status=status,
            detail=detail or status.description,
            instance=request.url.path,
        ),
        headers=headers or None,
    )


def _with_head(allow: str) -> str:
    """An ``Allow`` value with HEAD beside GET: app.api.middleware.HeadAsGet answers it for every
    GET route, which the router does not know."""
    methods = [method.strip() for method in allow.split(",") if method.strip()]
    if "GET" in methods and "HEAD" not in methods:
        methods.insert(methods.index("GET") + 1, "HEAD")
    return ", ".join(methods)


async def _handle_validation_error(request: Request, error: Exception) -> JSONResponse:
    from fastapi.exceptions import RequestValidationError  # noqa: PLC0415

    assert isinstance(error, RequestValidationError)
    field_errors = [_field_error(item) for item in error.errors()]
    summary = "; ".join(f"{item.name}: {item.detail}" for item in field_errors)
    return problem_response(
        Problem(
            type=problem_type_uri(ValidationFailed),
            title=ValidationFailed.title,
            status=ValidationFailed.status,
            detail=f"Invalid request: {summary}",
            instance=request.url.path,
            errors=field_errors,
        )
    )


def _field_error(item: Any) -> FieldError:
    location, *path = [str(part) for part in item.get("loc", ())] or ["request"]
    if location in ("query", "header", "path", "cookie"):
        # A parameter is named by its name alone: a repeated one's position (`year.0`) is
        # pydantic's, not a name the client sent.
        path = path[:1]
    return FieldError(location=location, name=".".join(path) or location, detail=item["msg"])


async def _handle_unexpected(request: Request, error: Exception) -> JSONResponse:
    logger.exception("unexpected error on %s %s", request.method, request.url.path)
    status = HTTPStatus.INTERNAL_SERVER_ERROR
    return problem_response(
        Problem(
            title=status.phrase,
            status=status,
            detail="The server failed to answer; the error is in its log.",
            instance=request.url.path,
        )
    )


def install_problem_handlers(app: "FastAPI") -> None:
    """Route every error the app can raise to a problem+json response."""
    app.add_exception_handler(ProblemError, _handle_problem_error)
    app.add_exception_handler(StarletteHTTPException, _handle_http_exception)
    from fastapi.exceptions import RequestValidationError  # noqa: PLC0415

    app.add_exception_handler(RequestValidationError, _handle_validation_error)
    app.add_exception_handler(Exception, _handle_unexpected)
