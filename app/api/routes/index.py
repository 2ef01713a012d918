"""``/v1``: where a program starts, the API's entry points (a person starts at ``/``, the page of
``app/api/routes/pages.py``)."""

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from app.api import examples
from app.api.links import base_url

router = APIRouter()

API_INDEX_NAME = "api_index"


class EntryPoint(BaseModel):
    """One operation of the API."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [examples.API_INDEX["entry_points"][0]]}
    )

    name: str = Field(description="The operation's id in the OpenAPI document.")
    method: str = Field(
        description="Its HTTP method (`GET`, or `POST` and `DELETE` for what changes the store)."
    )
    summary: str = Field(description="What it answers.")
    href: str = Field(
        description="Its absolute URL; a path parameter is a `{name}` to fill in (RFC 6570)."
    )


class ApiIndex(BaseModel):
    """The API's entry points and where it is described."""

    model_config = ConfigDict(json_schema_extra={"examples": [examples.API_INDEX]})

    entry_points: list[EntryPoint] = Field(
        description="Every operation, in the order of the OpenAPI document."
    )
    openapi: str = Field(description="The OpenAPI document.")
    docs: str = Field(description="The interactive documentation (Swagger UI).")
    redoc: str = Field(description="The reference documentation (ReDoc).")


@router.get(
    "/v1",
    response_model=ApiIndex,
    name=API_INDEX_NAME,
    summary="List the API's entry points",
    tags=["index"],
)
def api_index(request: Request) -> ApiIndex:
    """Every operation of this API with its absolute URL, and the links to its documentation."""
    base = base_url(request)
    document = request.app.openapi()  # what is documented is what is listed
    return ApiIndex(
        entry_points=[
            EntryPoint(
                name=operation["operationId"],
                method=method.upper(),
                summary=operation["summary"],
                href=base + path[1:],
            )
            for path, operations in document["paths"].items()
            for method, operation in operations.items()
            if operation["operationId"] != API_INDEX_NAME
        ],
        openapi=base + request.app.openapi_url[1:],
        docs=f"{base}docs",
        redoc=f"{base}redoc",
    )
