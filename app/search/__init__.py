"""Search: everything the API asks of full text, behind one package.

``schema`` says what the engine's index holds and how text becomes terms; ``fts`` is the
search the store answers itself (SQLite's FTS5, PostgreSQL's ``tsvector``), which the engine
replaces; ``render`` turns the query language into the engine's queries and defines ranking;
``engine`` answers a search from the index (``index`` keeps it up to date with the store);
``snippets`` and ``highlight`` make the hits' marked headline and snippet.
"""

from app.search.engine import search_index
from app.search.fts import fts5_expression, search_articles

__all__ = ["fts5_expression", "search_articles", "search_index"]
