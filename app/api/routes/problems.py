"""``/problems/{type}``: what each problem ``type`` of this API means (RFC 9457 §3.1.1)."""

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict

from app.api import examples
from app.api.errors import problem_responses
from app.problems import PROBLEM_TYPES, NotFound, problem_type_uri

router = APIRouter(prefix="/problems", tags=["problems"])


class ProblemType(BaseModel):
    """The documentation of one problem type."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "type": examples.PROBLEM["type"],
                    "title": examples.PROBLEM["title"],
                    "status": examples.PROBLEM["status"],
                    "description": NotFound.description,
                }
            ]
        }
    )

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
def describe_problem(
    slug: Annotated[
        str, Path(max_length=100, description="The last part of a `type`.", examples=["not-found"])
    ],
) -> ProblemType:
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
