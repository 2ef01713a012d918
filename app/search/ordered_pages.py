"""A search's pages newest or oldest first: ordered by a key of year and id that the index
holds (``schema.sort_key``), so that no page repeats or skips a hit, at the same cost at any
depth."""

from collections.abc import Sequence
from typing import Any

import tantivy

from app.search import render
from app.search.hits import Hit, proximity_scores, tier_scores
from app.search.schema import SCHEMA, sort_key
from app.store.filters import SearchSort


def in_order(
    searcher: tantivy.Searcher,
    tiers: list[tantivy.Query],
    near: Sequence[tantivy.Query],
    sort: SearchSort,
    key: list[Any] | None,
    limit: int,
) -> tuple[list[Hit], list[Any] | None]:
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
    scores = tier_scores(searcher, tiers, field, keys)
    extra = proximity_scores(searcher, ids, near) if near and ids else {}
    hits = [
        Hit(tier, score + extra.get(id, 0.0), 0, id)
        for id in ids
        for tier, score in [scores.get(id, (0, 0.0))]
    ]
    if len(hits) <= limit:
        return hits, None
    year = years[limit - 1]
    last = sort_key(int(year) if year is not None else None, ids[limit - 1], newest=newest)
    return hits[:limit], [last]
