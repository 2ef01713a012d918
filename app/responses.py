"""JSON responses for the hot read paths, serialized by orjson in the response model's shape.

Routes that return these skip FastAPI's second pass over the value (validation against the
``response_model`` and ``jsonable_encoder``), which costs more than the query behind a page.
``shaped`` lays a row out in the model's field order, so the JSON is what FastAPI would have
sent; ``tests/test_fast_paths.py`` checks each response against its model.
"""

from functools import cache
from typing import Any

import orjson
from pydantic import BaseModel
from starlette.responses import Response


def shaped(row: dict[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """The row's values in the order of the model's fields (a missing field is a bug: KeyError)."""
    return {name: row[name] for name in _fields(model)}


@cache
def _fields(model: type[BaseModel]) -> tuple[str, ...]:
    return tuple(model.model_fields)


def facet_content(
    counts: dict[str, list[tuple[str | int | None, int]]] | None,
) -> dict[str, list[dict[str, Any]]] | None:
    """Facet counts in the shape of ``Facets``."""
    if counts is None:
        return None
    return {
        name: [{"value": value, "count": count} for value, count in values]
        for name, values in counts.items()
    }


class JSONResponse(Response):
    """Made empty so that headers (``Link``) can be set first; ``with_content`` fills it."""

    media_type = "application/json"

    def __init__(self) -> None:
        super().__init__()

    def with_content(self, content: dict[str, Any]) -> "JSONResponse":
        return self.with_body(orjson.dumps(content, option=orjson.OPT_UTC_Z))

    def with_body(self, body: bytes, link: str | None = None) -> "JSONResponse":
        """The response with a body made before (a cached one) and its ``Link`` header."""
        self.body = body
        self.headers["content-length"] = str(len(body))
        if link is not None:
            self.headers["link"] = link
        return self
