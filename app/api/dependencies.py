"""Request-scoped dependencies, as ``Annotated`` aliases the routes declare."""

from collections.abc import Iterator
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from pydantic import Field, WithJsonSchema
from sqlmodel import Session

from app.api.query_params import QueryModel
from app.problems import InvalidParameter
from app.search.query_tree import Column
from app.store.filters import ArticleFilters, Facet, ListSort, SearchSort
from app.store.readers.base import Reader

T = TypeVar("T")


def get_session(request: Request) -> Iterator[Session]:
    """A read session on the app's engine, closed when the response is sent."""
    with Session(request.app.state.engine) as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def reader(request: Request) -> Reader:
    """The app's plain read path (app/store/readers/)."""
    store: Reader = request.app.state.reader
    return store


def _names(values: list[str], *, known: dict[str, T], what: str) -> list[T]:
    """Comma-separated or repeated names, each one of ``known``; a 400 names the first unknown."""
    names = [name.strip() for value in values for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise InvalidParameter(f"Unknown {what} {unknown[0]!r}: use {', '.join(known)}.")
    return list(dict.fromkeys(known[name] for name in names))


def _one_of(names: list[str]) -> Any:
    """A name the OpenAPI document lists the allowed values of (commas are read too)."""
    return Annotated[str, WithJsonSchema({"type": "string", "enum": names})]


def _cursor(example: str) -> Any:
    """The ``cursor`` parameter, with an example made for the query's default sort."""
    return Field(
        default=None,
        max_length=500,
        description="Opaque position from `next_cursor` of the previous page (with the same "
        "`sort`).",
        examples=[example],
    )


# A cursor of the ``newest`` sort, for the docs: ["newest", [2025, 1]].
NEWEST_CURSOR = "WyJuZXdlc3QiLFsyMDI1LDFdXQ"


class PageQuery(ArticleFilters):
    """What the list and search take alike: filters, facets and a page."""

    facets: list[_one_of([facet.value for facet in Facet])] = Field(  # type: ignore[valid-type]
        default=[],
        description="Count results by these fields: repeat the parameter, or separate the "
        "names with commas.",
        examples=[["source", "dateline", "year"]],
    )
    limit: int = Field(
        default=20, ge=1, le=100, description="Items per page, 1 to 100.", examples=[20]
    )
    cursor: str | None = None

    def facet_list(self) -> list[Facet]:
        """The facets asked for; a 400 names the first unknown one."""
        return _names(self.facets, known={facet.value: facet for facet in Facet}, what="facet")


class ListQuery(PageQuery):
    """The query string of the article list."""

    sort: ListSort = Field(
        default=ListSort.NEWEST,
        description="`newest` (by year, then latest added), `oldest` or `title`.",
        examples=["newest"],
    )
    cursor: str | None = _cursor(NEWEST_CURSOR)


list_query = QueryModel(ListQuery)
ListQueryDep = Annotated[ListQuery, Depends(list_query)]

QUERY_HELP = (
    'Words (all must match), "exact phrases", `a OR b`, `-excluded`, `prefix*`, parentheses, '
    "`title:` or `body:` before a word, phrase or group. Matching ignores case and accents and "
    "stems English words. Anything else is searched as text."
)


class SearchQuery(PageQuery):
    """The query string of a search."""

    q: str = Field(max_length=500, description=QUERY_HELP, examples=["Macron troops"])
    search_in: list[_one_of([column.value for column in Column])] = Field(  # type: ignore[valid-type]
        default=[],
        description="Look for words without a `title:` or `body:` of their own only in "
        "these fields (repeat the parameter, or separate them with commas). Default: both.",
        examples=[["title"]],
    )
    sort: SearchSort = Field(
        default=SearchSort.RELEVANCE,
        description="`relevance` (best first), `newest` or `oldest`.",
        examples=["relevance"],
    )
    # ["relevance", [score, recency, id]]
    cursor: str | None = _cursor("WyJyZWxldmFuY2UiLFstNC44NDc1NmUtMDYsMjAyNSwxXV0")
    fuzzy: bool = Field(
        default=True,
        description="Add the spelling variants of names that the corpus holds "
        "(`Zelensky` also finds `Zelenskyy`); `did_you_mean` is offered either way.",
        examples=[True],
    )
    snippet_words: int = Field(
        default=30,
        ge=5,
        le=100,
        description="How many words a snippet holds at most.",
        examples=[30],
    )

    def columns(self) -> list[Column]:
        """The columns of ``search_in``; a 400 names the first unknown one."""
        return _names(
            self.search_in, known={column.value: column for column in Column}, what="field"
        )


search_query = QueryModel(SearchQuery)

# A name of ``search_in`` for the other routes that search (the timeline).
ColumnName = _one_of([column.value for column in Column])


def columns_of(search_in: list[str]) -> list[Column]:
    """The columns ``search_in`` names; a 400 names the first unknown one."""
    return _names(search_in, known={column.value: column for column in Column}, what="field")


SearchQueryDep = Annotated[SearchQuery, Depends(search_query)]


class SearchFeedQuery(SearchQuery):
    """The query string of a search's feed: a search's, newest first unless ``sort`` says."""

    sort: SearchSort = Field(
        default=SearchSort.NEWEST,
        description=SearchQuery.model_fields["sort"].description,
        examples=["newest"],
    )
    cursor: str | None = _cursor(NEWEST_CURSOR)


search_feed_query = QueryModel(SearchFeedQuery)
SearchFeedQueryDep = Annotated[SearchFeedQuery, Depends(search_feed_query)]
