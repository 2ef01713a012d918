"""Search answered by the engine's index: matching, ranking, paging, facets and the hits'
highlights.

The index finds and orders; the store, the source of truth, gives each hit of the page its
summary and text (highlights are marked on them with the index's analyzers). Only the page's
hits are read and marked.

Paging. A cursor carries the sort key of the last hit served and the number of the last store
change the index had applied when the first page was served (``change``); every later page
leaves out the articles indexed by a later change: one added, or changed, while a reader
pages is on none of the pages after the first (a changed one not yet served is left out).
``newest`` and ``oldest`` order by a key of year and id: no page repeats or skips a hit. By
relevance the key is the score, the year and the id; the engine scores with the corpus's
statistics of now, which added articles move, so the next page starts after the last hit
served as it scores now (``_anchored``): a shift that moves every score alike neither repeats
nor skips a hit, one that reorders hits of nearly equal scores across a page's end can. With
a second phase of ranking (``render.proximity``), the best hits of the first are ordered by
both phases' scores, the rest by the first's; the cursor keeps that window's edge, so later
pages see the window the first page saw (``_tier_page``).
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import tantivy

from app.problems import InvalidParameter
from app.search import render
from app.search.highlight import Marking, marked, marking_of, window_needles
from app.search.index import SearchIndex
from app.search.language import Column, ParsedQuery, Term, added_terms, map_terms
from app.search.passages import MARKED_WHOLE, body_passage, title_passage
from app.search.schema import ID_BITS, NO_YEAR_OLDEST, SCHEMA, sort_key
from app.search.snippets import (
    CLOSE,
    OPEN,
    SearchMatch,
    balanced,
    best_snippet,
    clipped,
    excerpt,
    lede_snippet,
    marked_html,
)
from app.store.articles import Page
from app.store.cursors import Cursor
from app.store.filters import FACET_VALUES_LIMIT, ArticleFilters, Facet, FacetCounts, SearchSort
from app.store.listing import SUMMARY_SQL, decoded
from app.store.readers.base import Read

# Hits fetched beyond a page by relevance, to see that no tie crosses its end (the engine
# breaks ties of score by its own order, not by year and id).
TIE_MARGIN = 16
# The values a facet counts per segment and in all: a terms aggregation is exact when it sees
# every value of every segment; a corpus with more values than this counts its most frequent
# ones approximately.
FACET_BUCKETS = 20_000
FACET_FIELDS = {Facet.SOURCE: "source_value", Facet.DATELINE: "dateline_value", Facet.YEAR: "year"}
# The relevance cursor: tier, score, recency, id, hits of the tier served, the tier's window
# edge (score, recency, id; id 0: none), change.
RELEVANCE_KEY = (int, float, int, int, int, float, int, int, int)
# The newest and oldest cursors: sort key, change.
ORDER_KEY = (int, int)
NOT_OURS = "The `cursor` is not one this API made."
# The largest id a sort key holds.
MAX_ID = (1 << ID_BITS) - 1
# How deep pages by relevance go: the engine finds a page by relevance among the best hits up
# to it, so a deeper page costs more; past this many hits (Elasticsearch's default window too)
# the newest and oldest orders, whose pages cost the same at any depth, go on.
RELEVANCE_WINDOW = 10_000
DEEPER = (
    f"Pages by relevance reach the best {RELEVANCE_WINDOW:,} hits; to go further, narrow "
    "the search (a filter, a word) or page it with `sort=newest` or `sort=oldest`."
)
# A tie of scores at a page's end longer than this is ordered by a walk in recency order
# (``_tied``) rather than by fetching it whole.
LONG_TIE = 512
# Hits a walk in recency order looks at a step.
WALK_STEP = 256


# A hit's sort key within its tier: score, recency, id.
_Key = tuple[float, int, int]


@dataclass(frozen=True, slots=True)
class _Hit:
    """A hit: its tier (0: matched as typed), score, year (0: none) and id; within a tier,
    the larger (score, year, id) comes first."""

    tier: int
    score: float
    recency: int
    id: int


def search_index(
    read: Read,
    index: SearchIndex,
    *,
    query: ParsedQuery,
    filters: ArticleFilters,
    sort: SearchSort = SearchSort.RELEVANCE,
    limit: int = 20,
    cursor: str | None = None,
    snippet_words: int = 30,
    facets: Sequence[Facet] = (),
    columns: Sequence[Column] = (),
    typed: ParsedQuery | None = None,
) -> Page[SearchMatch]:
    """A page of the articles matching ``query``, best first unless another sort is asked for.

    ``typed`` is the query before name variants were added to it (``query`` with them). By
    relevance, the articles matching ``typed`` come first, then those matching only through a
    variant, each tier ranked as ``render`` defines; each hit lists the variants it holds.
    """
    searcher = index.searcher()
    key = _cursor_key(cursor, sort) if cursor else None
    scored = render.ranked(query, columns=columns)
    if scored is None:  # nothing in the query is indexed: nothing matches
        empty: FacetCounts | None = {facet.value: [] for facet in facets} if facets else None
        return Page(items=[], total=0, next_cursor=None, facets=empty)
    applied = index.applied_change(searcher)
    change = key[-1] if key is not None else applied
    conditions = render.filter_conditions(filters)
    if change < applied:
        # Articles indexed after the first page: left out. Every document of a commit has a
        # change up to the commit's, so the first page needs no such condition (which costs a
        # common word's search four times its own time).
        conditions.append(
            tantivy.Query.range_query(SCHEMA, "change", tantivy.FieldType.Integer, None, change)
        )
    near = render.proximity(query, columns=columns)
    variants = added_terms(query, typed)
    tiers = _tiers(render.filtered(scored, conditions), typed, variants, columns)
    if sort == SearchSort.RELEVANCE:
        hits, next_key, sizes = _by_relevance(searcher, tiers, near, key, limit)
    else:
        sizes = [match_count(searcher, tier) for tier in tiers]
        hits, next_key = _in_order(searcher, tiers, near, sort, key, limit)
    total = sum(sizes)
    counts = _facet_counts(searcher, render.filtered(scored, conditions), facets, total)
    next_cursor = Cursor(sort, [*next_key, change]).encode() if next_key is not None else None
    items = _matches(
        read,
        searcher,
        hits,
        query=query,
        columns=columns,
        variants=variants,
        snippet_words=snippet_words,
    )
    return Page(items=items, total=total, next_cursor=next_cursor, facets=counts)


def _cursor_key(cursor: str, sort: SearchSort) -> list[Any]:
    """The sort key and change a cursor holds; ``InvalidParameter`` when this engine made no
    such cursor."""
    if sort == SearchSort.RELEVANCE:
        key = Cursor.decode(cursor, sort=sort, key_types=RELEVANCE_KEY).key
        # tier, recency, id, served, the edge's recency and id, change
        whole = (key[0], *key[2:5], *key[6:])
    else:
        key = Cursor.decode(cursor, sort=sort, key_types=ORDER_KEY).key
        whole = tuple(key)
    # Every number this engine puts in a cursor is a count, a year, an id or a key of them:
    # none is negative, none is missing, and a count never reaches a billion hits.
    scores = (key[1], key[5]) if sort == SearchSort.RELEVANCE else (key[1],)
    if any(value is None or value < 0 for value in whole) or None in scores:
        raise InvalidParameter(NOT_OURS)
    if sort == SearchSort.RELEVANCE and key[0] > 1:
        raise InvalidParameter(NOT_OURS)
    if sort == SearchSort.RELEVANCE and key[4] >= RELEVANCE_WINDOW:
        raise InvalidParameter(DEEPER)
    if sort != SearchSort.RELEVANCE and key[0] > sort_key(NO_YEAR_OLDEST, MAX_ID, newest=False):
        raise InvalidParameter(NOT_OURS)
    return key


def match_count(searcher: tantivy.Searcher, query: tantivy.Query) -> int:
    """How many documents match ``query``, counted exactly."""
    # The bindings' stubs leave out the count their search result has.
    return int(searcher.search(query, 1, count=True).count)  # type: ignore[attr-defined]


def _tiers(
    scored: tantivy.Query,
    typed: ParsedQuery | None,
    variants: list[Term],
    columns: Sequence[Column],
) -> list[tantivy.Query]:
    """The query as tiers, each ranked after the one before: one tier without variants; else
    the articles matching the query as typed, then those matching only through a variant."""
    if not variants or typed is None:
        return [scored]
    condition = render.matching(typed, columns=columns)
    if condition is None:  # the query as typed matches nothing: every hit is a variant's
        return [tantivy.Query.empty_query(), scored]
    return [
        render.filtered(scored, [condition]),
        tantivy.Query.boolean_query([(render.Must, scored), (render.MustNot, condition)]),
    ]


def _by_relevance(
    searcher: tantivy.Searcher,
    tiers: list[tantivy.Query],
    near: Sequence[tantivy.Query],
    key: list[Any] | None,
    limit: int,
) -> tuple[list[_Hit], list[Any] | None, list[int]]:
    """The next ``limit`` hits by relevance after the cursor's ``key``, the key of the page's
    last when more follow, and how many hits each tier has; ``near`` is the second phase of
    ranking (``render.proximity``), if the query has one."""
    first_tier, after, served = (key[0], (key[1], key[2], key[3]), key[4]) if key else (0, None, 0)
    edge: _Key | None = (key[5], key[6], key[7]) if key and key[7] > 0 else None
    if first_tier >= len(tiers):
        raise InvalidParameter(NOT_OURS)  # a tier of variants, where the query has none
    # Each tier counted in the search of its best hits (as many as the page, and the window
    # of the second phase, need when no tie crosses their end): one pass over its matches.
    window = _window_reach(edge) if near else 0
    best = max(served, window) + limit + 1 + TIE_MARGIN
    counted = [searcher.search(tier, best, count=True) for tier in tiers]
    sizes = [int(result.count) for result in counted]  # type: ignore[attr-defined]
    hits: list[_Hit] = []
    in_tier_before: dict[int, int] = {}
    edges: dict[int, _Key | None] = {}
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
    after: _Key | None,
    edge: _Key | None,
    skip: int,
    wanted: int,
    size: int,
    fetched_first: list[tuple[Any, tantivy.DocAddress]],
) -> tuple[list[_Hit], _Key | None]:
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
    line = _key(ahead[-1]) if edge is None else _anchored(searcher, query, *edge)
    window = [hit for hit in ahead if _key(hit) >= line]
    in_window = after is None or after >= line or any(hit.id == after[2] for hit in window)
    page: list[_Hit] = []
    if in_window and window:
        rescored = _rescored(searcher, window, near)
        if after is not None:
            # Where the cursor's hit scores now, as in ``_anchored``.
            now = next((hit for hit in rescored if hit.id == after[2]), None)
            start = _key(now) if now is not None else after
            rescored = [hit for hit in rescored if _key(hit) < start]
        page = rescored[:wanted]
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


def _window_reach(edge: _Key | None) -> int:
    """How many of a tier's best hits hold its window: the window itself on its first page;
    later, twice as many, among which the hits down to its edge as they score now (articles
    changed meanwhile move a few across it)."""
    return render.PROXIMITY_WINDOW if edge is None else 2 * render.PROXIMITY_WINDOW


def _key(hit: _Hit) -> _Key:
    """A hit's place within its tier: the larger comes first."""
    return (hit.score, hit.recency, hit.id)


def _rescored(
    searcher: tantivy.Searcher, window: list[_Hit], near: Sequence[tantivy.Query]
) -> list[_Hit]:
    """``window``'s hits scored by both phases of ranking, best first."""
    extra = _proximity_scores(searcher, [hit.id for hit in window], near)
    rescored = [replace(hit, score=hit.score + extra.get(hit.id, 0.0)) for hit in window]
    return sorted(rescored, key=_key, reverse=True)


def _proximity_scores(
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


def best_first(
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    tier: int,
    *,
    after: tuple[float, int, int] | None,
    skip: int,
    wanted: int,
    size: int,
    fetched_first: list[tuple[Any, tantivy.DocAddress]] | None = None,
) -> list[_Hit]:
    """The first ``wanted`` hits of ``query`` after ``after`` in relevance order (score, then
    the most recent year, then the highest id), ``skip`` being about how many come before it
    and ``size`` how many match.

    The engine orders by score alone: it fetches the best few beyond the page, which are
    ordered here; the answer is exact when the last hit kept scores above the last fetched (no
    hit left behind can tie into the page) or when every match was fetched; else it fetches
    four times as many, and once the tie is long, the tied hits are taken in recency order
    (``_tied``) instead.
    """
    if size == 0:
        return []
    fetched = min(skip + wanted + TIE_MARGIN, size)
    found = fetched_first if fetched_first is not None and len(fetched_first) >= fetched else None
    while True:
        if found is None:
            found = searcher.search(query, fetched, count=False).hits
        fetched = max(fetched, len(found))  # the best hits fetched first may be more
        addresses = [address for _, address in found]
        keys = sorted(
            (
                (float(score), int(year or 0), int(id or 0))
                for (score, _), year, id in zip(
                    found,
                    searcher.fast_field_values("recency", addresses),
                    searcher.fast_field_values("id", addresses),
                    strict=True,
                )
            ),
            reverse=True,
        )
        if after is not None:
            keys = [key for key in keys if key < after]
        page = keys[:wanted]
        every = len(found) < fetched or fetched == size
        if every or (len(page) == wanted and page[-1][0] > found[-1][0]):
            return [_Hit(tier, *key) for key in page]
        # The page ends in a tie that goes on past what was fetched: the engine's scores are
        # quantised (a field's length is kept in one byte), so a common word's ties run long,
        # and every hit of a prefix scores alike.
        tie = float(found[-1][0])
        # Past the cursor's score the walk may start; above it the hits were served already.
        if fetched * 4 > LONG_TIE and (after is None or tie <= after[0]):
            above = [key for key in page if key[0] > tie]
            return [_Hit(tier, *key) for key in above] + [
                _Hit(tier, *key) for key in _tied(searcher, query, tie, after, wanted - len(above))
            ]
        fetched, found = min(fetched * 4, size), None


def _tied(
    searcher: tantivy.Searcher,
    query: tantivy.Query,
    score: float,
    after: tuple[float, int, int] | None,
    wanted: int,
) -> list[tuple[float, int, int]]:
    """The first ``wanted`` hits of ``query`` scoring ``score``, most recent first (after
    ``after``): a walk through the hits in recency order, scoring each step's, which stops as
    soon as it has them. A tie this long is most often a good share of the hits, so the walk
    is short; each step is four times the last (every step reads all the hits left), so a tie
    that is a small share takes few steps too."""
    upper = None
    if after is not None and after[0] == score:
        upper = sort_key(after[1] or None, after[2], newest=True) - 1
    tied: list[tuple[float, int, int]] = []
    step_size = WALK_STEP
    while len(tied) < wanted:
        walk = query
        if upper is not None:
            beyond = tantivy.Query.range_query(
                SCHEMA, "newest", tantivy.FieldType.Integer, None, upper
            )
            walk = render.filtered(query, [beyond])
        step = searcher.search(
            walk, step_size, count=False, order_by_field="newest", order=tantivy.Order.Desc
        ).hits
        if not step:
            break
        addresses = [address for _, address in step]
        ids = [int(id or 0) for id in searcher.fast_field_values("id", addresses)]
        years = searcher.fast_field_values("recency", addresses)
        keys = [int(key or 0) for key in searcher.fast_field_values("newest", addresses)]
        scored = _scores(searcher, [query], "newest", keys)
        for id, year in zip(ids, years, strict=True):
            if id in scored and scored[id][1] == score:
                tied.append((score, int(year or 0), id))
        last_year = years[-1]
        upper = sort_key(int(last_year) if last_year else None, ids[-1], newest=True) - 1
        if len(step) < step_size:
            break
        step_size *= 4
    return tied[:wanted]


def _in_order(
    searcher: tantivy.Searcher,
    tiers: list[tantivy.Query],
    near: Sequence[tantivy.Query],
    sort: SearchSort,
    key: list[Any] | None,
    limit: int,
) -> tuple[list[_Hit], list[Any] | None]:
    """The next ``limit`` hits newest or oldest first after the cursor's ``key``, and the key
    of the page's last when more follow; their scores are their tier's, both phases' for
    every hit (by relevance, only the window's best hits have the second phase's)."""
    newest = sort == SearchSort.NEWEST
    field = "newest" if newest else "oldest"
    matching = (
        tiers[0]
        if len(tiers) == 1
        else tantivy.Query.boolean_query([(render.Should, tier) for tier in tiers])
    )
    if key is not None:
        # Keys are integers: strictly before or after the cursor's is one more or less.
        lower, upper = (None, key[0] - 1) if newest else (key[0] + 1, None)
        beyond = tantivy.Query.range_query(SCHEMA, field, tantivy.FieldType.Integer, lower, upper)
        matching = render.filtered(matching, [beyond])
    found = searcher.search(
        matching,
        limit + 1,
        count=False,
        order_by_field=field,
        order=tantivy.Order.Desc if newest else tantivy.Order.Asc,
    ).hits
    addresses = [address for _, address in found]
    ids = [int(id or 0) for id in searcher.fast_field_values("id", addresses)]
    years = searcher.fast_field_values("year", addresses)
    keys = [int(key or 0) for key in searcher.fast_field_values(field, addresses)]
    scores = _scores(searcher, tiers, field, keys)
    extra = _proximity_scores(searcher, ids, near) if near and ids else {}
    hits = [
        _Hit(tier, score + extra.get(id, 0.0), 0, id)
        for id in ids
        for tier, score in [scores.get(id, (0, 0.0))]
    ]
    if len(hits) <= limit:
        return hits, None
    year = years[limit - 1]
    last = sort_key(int(year) if year is not None else None, ids[limit - 1], newest=newest)
    return hits[:limit], [last]


def _scores(
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


def _facet_counts(
    searcher: tantivy.Searcher, query: tantivy.Query, facets: Sequence[Facet], total: int
) -> FacetCounts | None:
    """Per facet, its most frequent values over all the matches (count, then value; articles
    without one counted under None), exact: every value of every segment is counted."""
    if not facets:
        return None
    wanted = list(dict.fromkeys(facets))
    aggregations = {
        facet.value: {
            "terms": {
                "field": FACET_FIELDS[facet],
                "size": FACET_BUCKETS,
                "segment_size": FACET_BUCKETS,
            }
        }
        for facet in wanted
    }
    answer = searcher.aggregate(query, aggregations)
    counts: FacetCounts = {}
    for facet in wanted:
        result = answer[facet.value]
        values: list[tuple[str | int | None, int]] = [
            (_facet_value(bucket["key"], facet), int(bucket["doc_count"]))
            for bucket in result["buckets"]
        ]
        # Each article has at most one value: the matches not counted under one have none.
        without = total - sum(count for _, count in values) - int(result["sum_other_doc_count"])
        if without > 0:
            values.append((None, without))
        # As the store orders them: most frequent first, then by value (none before any).
        values.sort(key=lambda entry: (-entry[1], entry[0] is not None, entry[0] or 0))
        counts[facet.value] = values[:FACET_VALUES_LIMIT]
    return counts


def _facet_value(key: Any, facet: Facet) -> str | int:
    return int(key) if facet is Facet.YEAR else str(key)


def _matches(
    read: Read,
    searcher: tantivy.Searcher,
    hits: list[_Hit],
    *,
    query: ParsedQuery,
    columns: Sequence[Column],
    variants: list[Term],
    snippet_words: int,
) -> list[SearchMatch]:
    """The page's hits with their summaries, highlights and the variants each holds; a hit the
    store no longer holds (the index not yet caught up with its removal) is left out."""
    if not hits:
        return []
    ids = [hit.id for hit in hits]
    marks = ", ".join("?" for _ in ids)
    # The summaries and, beside them, the whole bodies to mark, in one read.
    rows = read(f"SELECT {SUMMARY_SQL}, body AS whole_body FROM article WHERE id IN ({marks})", ids)
    articles, bodies = {}, {}
    for row in rows:
        summary = dict(row)
        bodies[row["id"]] = summary.pop("whole_body") or ""
        articles[row["id"]] = decoded(summary)
    holding = _variants_held(searcher, variants, ids, columns)
    scoped = _scoped(query, columns)
    title_marking, body_marking = marking_of(scoped, Column.TITLE), marking_of(scoped, Column.BODY)
    needles = window_needles(_words(query))
    matches = []
    for hit in hits:
        if hit.id not in articles:
            continue
        title, body = articles[hit.id]["title"] or "", bodies[hit.id]
        paragraph, snippet = _snippet(body, body_marking, needles, snippet_words)
        if OPEN not in snippet:
            # The query matched the headline only: the lede says what the story is.
            paragraph, snippet = lede_snippet(articles[hit.id], words=snippet_words)
        score = hit.score if hit.tier == 0 else -1.0 / (1.0 + hit.score)
        matches.append(
            SearchMatch(
                article=articles[hit.id],
                score=float(f"{score:.6g}"),
                title_html=marked_html(_title(title, title_marking)),
                snippet_html=marked_html(snippet),
                snippet_paragraph=paragraph,
                matched_variants=holding.get(hit.id, []),
            )
        )
    return matches


def _scoped(query: ParsedQuery, columns: Sequence[Column]) -> ParsedQuery:
    """The query with ``search_in``'s one column given to each term that names none."""
    if len(set(columns)) != 1:
        return query
    only = columns[0]

    def scope(term: Term) -> Term:
        return term if term.column else Term(term.kind, term.text, only)

    return ParsedQuery(map_terms(query.root, scope), query.warnings)


def _words(query: ParsedQuery) -> list[str]:
    return [term.text for term in query.terms()]


def _title(title: str, marking: Marking) -> str:
    if len(title) <= MARKED_WHOLE:
        return marked(title, marking, start=OPEN, stop=CLOSE)
    window = title_passage(title)
    return clipped(replace(window, text=marked(window.text, marking, start=OPEN, stop=CLOSE)))


def _snippet(
    body: str, marking: Marking, needles: re.Pattern[str] | None, words: int
) -> tuple[int | None, str]:
    """The best paragraph's index and an excerpt of it, marked; a long body is marked on a
    window of its best paragraph only (app/search/passages.py)."""
    if len(body) <= MARKED_WHOLE:
        return best_snippet(marked(body, marking, start=OPEN, stop=CLOSE), words=words)
    window = body_passage(body, needles)
    text = marked(window.text, marking, start=OPEN, stop=CLOSE)
    return window.paragraph, excerpt(
        balanced([text])[0],
        words=words,
        clipped_start=window.clipped_start,
        clipped_end=window.clipped_end,
    )


def _variants_held(
    searcher: tantivy.Searcher, variants: list[Term], ids: list[int], columns: Sequence[Column]
) -> dict[int, list[str]]:
    """For each of ``ids`` that holds any, the ``variants`` it holds, in their order."""
    if not variants:
        return {}
    page = render.among(ids)
    held: dict[int, list[str]] = {}
    for variant in variants:
        condition = render.matching(ParsedQuery(variant), columns=columns)
        if condition is None:
            continue
        found = searcher.search(render.filtered(condition, [page]), len(ids), count=False).hits
        for id in searcher.fast_field_values("id", [address for _, address in found]):
            names = held.setdefault(int(id or 0), [])
            if variant.text not in names:
                names.append(variant.text)
    return held
