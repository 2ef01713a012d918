"""A search's pages by relevance: tier after tier, each ranked as ``render`` defines, the page
after a cursor's hit as the hits score now.

The engine scores with the corpus's statistics of now, which added articles move, so the next
page starts after the last hit served as it scores now (``_anchored``): a shift that moves every
score alike neither repeats nor skips a hit, one that reorders hits of nearly equal scores
across a page's end can. With a second phase of ranking (``render.proximity``), the best hits of
the first are ordered by both phases' scores, the rest by the first's; the cursor keeps that
window's edge, so later pages see the window the first page saw (``_tier_page``).
"""

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import tantivy

from app.problems import InvalidParameter
from app.search import render
from app.search.hits import Hit, HitKey, hit_key, proximity_scores
from app.search.page_cursor import NOT_OURS
from app.search.relevance_order import best_first, with_margin
from app.search.schema import SCHEMA


def by_relevance(
    searcher: tantivy.Searcher,
    tiers: list[tantivy.Query],
    near: Sequence[tantivy.Query],
    key: list[Any] | None,
    limit: int,
) -> tuple[list[Hit], list[Any] | None, list[int]]:
    """The next ``limit`` hits by relevance after the cursor's ``key``, the key of the page's
    last when more follow, and how many hits each tier has; ``near`` is the second phase of
    ranking (``render.proximity``), if the query has one."""
    first_tier, after, served = (key[0], (key[1], key[2], key[3]), key[4]) if key else (0, None, 0)
    edge: HitKey | None = (key[5], key[6], key[7]) if key and key[7] > 0 else None
    if first_tier >= len(tiers):
        raise InvalidParameter(NOT_OURS)  # a tier of variants, where the query has none
    # Each tier counted in the search of its best hits (as many as the page, and the window
    # of the second phase, need when no tie crosses their end): one pass over its matches.
    window = _window_reach(edge) if near else 0
    best = with_margin(max(served, window) + limit + 1)
    counted = [searcher.search(tier, best, count=True) for tier in tiers]
    sizes = [int(result.count) for result in counted]  # type: ignore[attr-defined]
    hits: list[Hit] = []
    in_tier_before: dict[int, int] = {}
    edges: dict[int, HitKey | None] = {}
    for tier in range(first_tier, len(tiers)):
        first = tier == first_tier
        skip = min(served, sizes[tier]) if first else 0
        in_tier_before[tier] = skip
        found, edges[tier] = _tier_page(
            searcher,
            tiers[tier],
            tier,
            near,
            after=after if first else None,
            edge=edge if first else None,
            skip=skip,
            wanted=limit + 1 - len(hits),
            size=sizes[tier],
            fetched_first=counted[tier].hits,
        )
        hits += found
        if len(hits) > limit:
            break
    if len(hits) <= limit:
        return hits, None, sizes
    hits = hits[:limit]
    last = hits[-1]
    position = in_tier_before[last.tier] + sum(1 for hit in hits if hit.tier == last.tier)
    last_edge = edges.get(last.tier) or (0.0, 0, 0)
    return hits, [last.tier, last.score, last.recency, last.id, position, *last_edge], sizes


def _tier_page(
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    tier: int,
    near: Sequence[tantivy.Query],
    *,
    after: HitKey | None,
    edge: HitKey | None,
    skip: int,
    wanted: int,
    size: int,
    fetched_first: list[tuple[Any, tantivy.DocAddress]],
) -> tuple[list[Hit], HitKey | None]:
    """The first ``wanted`` hits of a tier after the cursor's ``after``, ``skip`` of its hits
    served before; and the edge of the tier's window (None without a second phase).

    With a second phase, the tier's best ``render.PROXIMITY_WINDOW`` hits of the first come
    first, ordered by both phases' scores, then the rest in the first phase's order. The first
    page's window is kept by its last hit in the first phase's order (``edge``, in the cursor):
    later pages take as the window the hits down to it, as they score now, so an article
    changed or removed meanwhile lets no hit from below into the window (which would put it
    among hits already served). A cursor whose hit is in the window, or scores as high as its
    edge, goes on in the window; another after it.
    """
    if not near:
        anchored = None if after is None else _anchored(searcher, query, *after)
        return best_first(
            searcher,
            query,
            tier,
            after=anchored,
            skip=skip,
            wanted=wanted,
            size=size,
            fetched_first=fetched_first,
        ), None
    if size == 0:
        return [], edge
    window, line = _window(searcher, query, tier, edge, size, fetched_first)
    in_window = after is None or after >= line or any(hit.id == after[2] for hit in window)
    page = _window_page(searcher, window, near, after, wanted) if in_window and window else []
    if len(page) == wanted or len(window) == size:
        return page, line
    # Past the window: after its edge, or after the cursor's hit when it is past it too.
    beyond = line
    if not in_window and after is not None:
        beyond = min(beyond, _anchored(searcher, query, *after))
    return page + best_first(
        searcher,
        query,
        tier,
        after=beyond,
        skip=max(skip, len(window)),
        wanted=wanted - len(page),
        size=size,
        fetched_first=fetched_first,
    ), line


def _window(
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    tier: int,
    edge: HitKey | None,
    size: int,
    fetched_first: list[tuple[Any, tantivy.DocAddress]],
) -> tuple[list[Hit], HitKey]:
    """The tier's window of the second phase, in the first phase's order, and its edge: on the
    first page, its best hits; later, the hits down to the first page's edge as it scores now."""
    ahead = best_first(
        searcher,
        query,
        tier,
        after=None,
        skip=0,
        wanted=min(_window_reach(edge), size),
        size=size,
        fetched_first=fetched_first,
    )
    line = hit_key(ahead[-1]) if edge is None else _anchored(searcher, query, *edge)
    return [hit for hit in ahead if hit_key(hit) >= line], line


def _window_page(
    searcher: tantivy.Searcher,
    window: list[Hit],
    near: Sequence[tantivy.Query],
    after: HitKey | None,
    wanted: int,
) -> list[Hit]:
    """The first ``wanted`` hits of the window by both phases' scores, after the cursor's
    hit."""
    rescored = _rescored(searcher, window, near)
    if after is not None:
        # Where the cursor's hit scores now, as in ``_anchored``.
        now = next((hit for hit in rescored if hit.id == after[2]), None)
        start = hit_key(now) if now is not None else after
        rescored = [hit for hit in rescored if hit_key(hit) < start]
    return rescored[:wanted]


def _window_reach(edge: HitKey | None) -> int:
    """How many of a tier's best hits hold its window: the window itself on its first page;
    later, twice as many, among which the hits down to its edge as they score now (articles
    changed meanwhile move a few across it)."""
    return render.PROXIMITY_WINDOW if edge is None else 2 * render.PROXIMITY_WINDOW


def _rescored(
    searcher: tantivy.Searcher, window: list[Hit], near: Sequence[tantivy.Query]
) -> list[Hit]:
    """``window``'s hits scored by both phases of ranking, best first."""
    extra = proximity_scores(searcher, [hit.id for hit in window], near)
    rescored = [replace(hit, score=hit.score + extra.get(hit.id, 0.0)) for hit in window]
    return sorted(rescored, key=hit_key, reverse=True)


def _anchored(
    searcher: tantivy.Searcher, tier: tantivy.Query, score: float, recency: int, id: int
) -> tuple[float, int, int]:
    """Where the next page starts: after the last hit served, scored now.

    Articles added since the first page are left out, but they change the corpus's statistics
    and with them every score (a word found in more articles weighs less): the last hit's
    score of now places the others as they score now. A hit the index no longer has keeps the
    score it had.
    """
    only = tantivy.Query.term_query(SCHEMA, "id", id)
    found = searcher.search(render.filtered(tier, [only]), 1, count=False).hits
    return (float(found[0][0]) if found else score, recency, id)
