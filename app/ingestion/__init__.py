"""Ingestion: article files in, stored articles out.

The walk finds the files, ``formats`` reads each into articles (``parsed``; ``wire`` for the
conventions of wire copy, with the gazetteer of ``places`` for datelines), and ``ingest`` writes
them to the store, one savepoint a file, with a report of every file. It imports the store,
never search or the API: the search index follows the store's numbered changes on its own.
"""
