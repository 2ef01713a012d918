"""``/problems/{type}``: what each problem ``type`` of this API means (RFC 9457 §3.1.1)."""

from fastapi import APIRouter
from pydantic import BaseModel

from app.errors import PROBLEM_TYPES, NotFound, problem_responses, problem_type_uri

router = APIRouter(prefix="/problems", tags=["problems"])


class ProblemType(BaseModel):
    """The documentation of one problem type."""

    type: str
    title: str
    status: int
    description: str


@router.get(
    "/{slug}",
    response_model=ProblemType,
    summary="Describe a problem type",
    responses=problem_responses(NotFound),
)
def describe_problem(slug: str) -> ProblemType:
    """What a problem `type` of this API means and when it is answered."""
    kind = PROBLEM_TYPES.get(slug)
    if kind is None:
        raise NotFound(f"No problem type is called {slug!r}.")
    return ProblemType(
        type=problem_type_uri(kind),
        title=kind.title,
        status=kind.status,
        description=kind.description,
    )
