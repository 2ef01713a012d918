"""Search: everything the API asks of full text, behind one package.

``schema`` says what the engine's index holds and how text becomes terms; ``index`` keeps the
index following the store's changes (catch-ups, rebuilds) and ``follower`` does it from a
server's thread; ``render`` turns the query language into the engine's queries and defines
ranking; ``engine`` answers a search from the index in steps: ``hits`` (a hit, its scores),
``relevance_order`` (a query's hits by relevance, exact across ties), ``relevance_pages`` and
``ordered_pages`` (a page by relevance, or newest or oldest first), ``page_cursor`` (the next
page's cursor), ``facets`` and ``matches`` (the page's hits as the response shows them);
``snippets`` and ``highlight`` make the hits' marked headline and snippet; ``grams`` cuts text
written without spaces; ``vocabulary`` reads the index's own words (counts, prefixes, name keys)
for ``name_keys`` (the transliteration rules and similarity keys), ``written_forms`` (how the
corpus writes a word), ``name_variants``, ``completions`` (of ``prefix*``) and ``corrections``
(did-you-mean); ``related`` finds the articles that share an article's distinctive words;
``arrivals`` tells which of some articles match a query.
"""

from app.search.engine import search_index

__all__ = ["search_index"]
