"""Request-scoped dependencies, as ``Annotated`` aliases the routes declare."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Query, Request
from sqlmodel import Session

from app.store import ArticleFilters


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
