"""Request-scoped dependencies, as ``Annotated`` aliases the routes declare."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlmodel import Session

from app.errors import InvalidParameter
from app.store import ArticleFilters, Facet


def get_session(request: Request) -> Iterator[Session]:
    """A read session on the app's engine, closed when the response is sent."""
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
FiltersDep = Annotated[ArticleFilters, Query()]
Limit = Annotated[int, Query(ge=1, le=100, description="Items per page, 1 to 100.", examples=[20])]
CursorParam = Annotated[
    str | None,
    Query(
        max_length=500,
        description="Opaque position from `next_cursor` of the previous page.",
        examples=["WyJuZXdlc3QiLFsyMDI1LDFdXQ"],
    ),
]


def requested_facets(
    facets: Annotated[
        list[str],
        Query(
            description="Count results by these fields (comma-separated): "
            + ", ".join(facet.value for facet in Facet),
            examples=["source,dateline,year"],
        ),
    ] = [],  # noqa: B006  (FastAPI copies defaults)
) -> list[Facet]:
    """The facets asked for, from ``facets=source,year`` or repeated ``facets`` parameters."""
    names = [name.strip() for value in facets for name in value.split(",") if name.strip()]
    known = {facet.value: facet for facet in Facet}
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InvalidParameter(f"Unknown facet {unknown[0]!r}: facets are {', '.join(known)}.")
    return [known[name] for name in names]


FacetsDep = Annotated[list[Facet], Depends(requested_facets)]
