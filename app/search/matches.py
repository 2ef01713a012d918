"""A page's hits as the response shows them: each hit's summary and text read from the store
(the source of truth), its headline and snippet marked with the index's analyzers, and the
name variants it holds. Only the page's hits are read and marked."""

import re
from collections.abc import Sequence
from dataclasses import replace

import tantivy

from app.search import render
from app.search.highlight import Marking, marked, marking_of, window_needles
from app.search.hits import Hit
from app.search.passages import MARKED_WHOLE, body_passage, title_passage
from app.search.query_tree import Column, ParsedQuery, Term, map_terms
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
from app.store.listing import SUMMARY_SQL, decoded
from app.store.readers.base import Read


def page_matches(
    read: Read,
    searcher: tantivy.Searcher,
    hits: list[Hit],
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
