"""The store: the tables, the database's engines and sessions, the reads every caller shares,
the numbered changes, and moving a corpus between stores.

The store is the source of truth and the bottom of the house: it imports nothing of Byline's
but ``app.settings`` and ``app.problems``. Ingestion writes to it, search indexes it, the API
and the CLI read it.
"""
