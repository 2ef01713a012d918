"""Search: everything the API asks of full text, behind one package.

``schema`` says what the engine's index holds and how text becomes terms; ``index`` keeps the
index following the store's changes (catch-ups, rebuilds) and ``follower`` does it from a
server's thread; ``render`` turns the query language into the engine's queries and defines
ranking; ``engine`` answers a search from the index; ``snippets`` and ``highlight`` make the
hits' marked headline and snippet; ``grams`` cuts text written without spaces; ``vocabulary``
reads the index's own words (counts, prefixes, name keys) for name variants and suggestions;
``related`` finds the articles that share an article's distinctive words.
"""

from app.search.engine import search_index

__all__ = ["search_index"]
