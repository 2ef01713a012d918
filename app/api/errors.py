"""Every error as RFC 9457 ``application/problem+json``: the problem body, the OpenAPI
responses and schemas of the problem types, and the handlers that answer every error.
"""

import logging
from collections.abc import Sequence
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

if TYPE_CHECKING:  # FastAPI is imported by the app, not by the CLI's ingest (memory, start time)
    from fastapi import FastAPI

from app.api import examples
from app.problems import NotFound, ProblemError, ValidationFailed, problem_type_uri

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


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    """Render a problem with its media type."""
    return JSONResponse(
        problem.model_dump(exclude_none=True),
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def error_response(error: ProblemError, *, instance: str | None = None) -> JSONResponse:
    """The answer to one of our exceptions: its problem document, with its headers."""
    return problem_response(
        Problem(
            type=problem_type_uri(type(error)),
            title=error.title,
            status=error.status,
            detail=error.detail,
            instance=instance,
        ),
        headers=error.headers,
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
    return error_response(error, instance=request.url.path)


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
    """An ``Allow`` value with HEAD beside GET: ``Edge`` (app/api/edge.py) answers it for every
    GET route, which the router does not know."""
    methods = [method.strip() for method in allow.split(",") if method.strip()]
    if "GET" in methods and "HEAD" not in methods:
        methods.insert(methods.index("GET") + 1, "HEAD")
    return ", ".join(methods)


async def _handle_validation_error(request: Request, error: Exception) -> JSONResponse:
    from fastapi.exceptions import RequestValidationError  # noqa: PLC0415

    assert isinstance(error, RequestValidationError)
    field_errors = field_errors_of(error.errors())
    return problem_response(
        Problem(
            type=problem_type_uri(ValidationFailed),
            title=ValidationFailed.title,
            status=ValidationFailed.status,
            detail=validation_detail(field_errors),
            instance=request.url.path,
            errors=field_errors,
        )
    )


def validation_detail(field_errors: list[FieldError]) -> str:
    """The ``detail`` of a request that failed validation: each field named with what is wrong."""
    summary = "; ".join(f"{item.name}: {item.detail}" for item in field_errors)
    return f"Invalid request: {summary}"


def field_errors_of(errors: Sequence[Any]) -> list[FieldError]:
    """Pydantic's errors of a request, each as the problem's ``errors`` name it."""
    return [_field_error(item) for item in errors]


def _field_error(item: Any) -> FieldError:
    location, *path = [str(part) for part in item.get("loc", ())] or ["request"]
    if location in ("query", "header", "path", "cookie"):
        # A parameter is named by its name alone: a repeated one's position (`year.0`) is
        # pydantic's, not a name the client sent.
        path = path[:1]
    return FieldError(location=location, name=".".join(path) or location, detail=item["msg"])


async def unexpected_error_response(request: Request, error: Exception) -> JSONResponse:
    """The 500 problem of an error no handler knows (a bug, a store gone), logged with its
    traceback. ``Edge`` (app/api/edge.py) answers with it from inside the app's middleware, so
    that it goes out as any answer does (with the security headers, CORS, counted); Starlette's
    own handler of ``Exception``, outside every middleware, answers what escapes that."""
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
    app.add_exception_handler(Exception, unexpected_error_response)
