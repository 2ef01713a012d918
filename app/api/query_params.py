"""Query strings read straight into a pydantic model, documented as FastAPI would document it.

FastAPI reads a query-parameter model (``Annotated[Model, Query()]``) by inspecting every field's
annotation again on every request; on the article list that cost more than the page's queries
(profile in bench/RESULTS.md). ``QueryModel(Model)`` is a dependency that validates the query
string with the model's own pydantic validator instead, raising the same
``RequestValidationError`` (so errors are the same problem+json), and ``openapi_extra`` holds
the parameters exactly as FastAPI generates them for ``Annotated[Model, Query()]``.
"""

from typing import Annotated, Any, Generic, TypeVar, get_origin

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)

# Component schemas the generated parameters refer to (an enum, say); app/api/app.py adds them.
SCHEMAS: dict[str, Any] = {}


class QueryModel(Generic[M]):
    """A dependency that reads the query string into ``model``."""

    def __init__(self, model: type[M]) -> None:
        self.model = model
        self.lists = {
            name
            for name, field in model.model_fields.items()
            if get_origin(field.annotation) is list
        }
        self.openapi_extra = {"parameters": _documented_parameters(model)}

    async def __call__(self, request: Request) -> M:
        values: dict[str, Any] = {}
        params = request.query_params
        for name in self.model.model_fields:
            if name in self.lists:
                found = params.getlist(name)
                if found:
                    values[name] = found
            elif name in params:
                values[name] = params[name]
        try:
            return self.model.model_validate(values)
        except ValidationError as error:
            errors = [
                {**item, "loc": ("query", *item["loc"])}
                for item in error.errors(include_url=False, include_context=False)
            ]
            raise RequestValidationError(errors) from None


def _documented_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The OpenAPI parameters FastAPI itself generates for ``Annotated[model, Query()]``."""

    async def shadow(params: Annotated[model, Query()]) -> None:  # type: ignore[valid-type]
        """Never served: only documented."""

    router = APIRouter()
    router.add_api_route("/", shadow, methods=["GET"])
    schema = get_openapi(title="", version="", routes=router.routes)
    for name, component in schema.get("components", {}).get("schemas", {}).items():
        if name not in ("HTTPValidationError", "ValidationError"):
            SCHEMAS[name] = component
    parameters: list[dict[str, Any]] = schema["paths"]["/"]["get"]["parameters"]
    return sorted(parameters, key=lambda parameter: not parameter.get("required"))  # q first
