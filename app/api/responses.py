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


def json_body(content: dict[str, Any]) -> bytes:
    """``content`` as JSON, times in UTC with a ``Z`` as pydantic writes them."""
    return orjson.dumps(content, option=orjson.OPT_UTC_Z)


class PageResponse(Response):
    """A body made before (orjson, a feed's, or a cached one); with the URL of the next page,
    also the ``Link: <...>; rel="next"`` header. Subclasses name the media type."""

    def __init__(self, body: bytes, *, next_url: str | None = None) -> None:
        super().__init__(body)
        if next_url is not None:
            self.headers["link"] = f'<{next_url}>; rel="next"'


class JSONResponse(PageResponse):
    """A JSON body made before."""

    media_type = "application/json"
