"""A search's hits as the engine finds them: the hit and its place within its tier, and the
counts and scores asked of the engine for a query's matches or for hits already found."""

from collections.abc import Sequence
from dataclasses import dataclass

import tantivy

from app.search import render
from app.search.schema import SCHEMA

# A hit's sort key within its tier: score, recency, id.
HitKey = tuple[float, int, int]


@dataclass(frozen=True, slots=True)
class Hit:
    """A hit: its tier (0: matched as typed), score, year (0: none) and id; within a tier,
    the larger (score, year, id) comes first."""

    tier: int
    score: float
    recency: int
    id: int


def hit_key(hit: Hit) -> HitKey:
    """A hit's place within its tier: the larger comes first."""
    return (hit.score, hit.recency, hit.id)


def match_count(searcher: tantivy.Searcher, query: tantivy.Query) -> int:
    """How many documents match ``query``, counted exactly."""
    # The bindings' stubs leave out the count their search result has.
    return int(searcher.search(query, 1, count=True).count)  # type: ignore[attr-defined]


def tier_scores(
    searcher: tantivy.Searcher, tiers: list[tantivy.Query], field: str, keys: list[int]
) -> dict[int, tuple[int, float]]:
    """The tier and score of each hit whose ``field`` (``newest`` or ``oldest``) key is among
    ``keys``: hits found in that field's order, so every hit between the lowest and the highest
    of them. Asked as that range of keys, which the engine reads from the field's column: ten
    times faster than as the set of their ids."""
    if not keys:
        return {}
    between = tantivy.Query.range_query(
        SCHEMA, field, tantivy.FieldType.Integer, min(keys), max(keys)
    )
    scores: dict[int, tuple[int, float]] = {}
    for tier, query in enumerate(tiers):
        found = searcher.search(render.filtered(query, [between]), len(keys), count=False).hits
        held = searcher.fast_field_values("id", [address for _, address in found])
        for (score, _), id in zip(found, held, strict=True):
            scores.setdefault(int(id or 0), (tier, float(score)))
    return scores


def proximity_scores(
    searcher: tantivy.Searcher, ids: list[int], near: Sequence[tantivy.Query]
) -> dict[int, float]:
    """What the second phase of ranking adds to the score of each of ``ids`` it scores: each
    of its clauses asked of these articles only."""
    only = render.among(ids)
    extra: dict[int, float] = {}
    for clause in near:
        query = tantivy.Query.boolean_query([(render.Must, only), (render.Must, clause)])
        found = searcher.search(query, len(ids), count=False).hits
        held = searcher.fast_field_values("id", [address for _, address in found])
        for (score, _), id in zip(found, held, strict=True):
            extra[int(id or 0)] = extra.get(int(id or 0), 0.0) + float(score)
    return extra
