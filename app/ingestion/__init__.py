"""Ingestion: article files in, stored articles out.

A ``run`` walks to the files (``discovery``), reads each that changed (``reading``: ``formats``
reads it into articles, a ``parsed`` value each, ``wire`` for the conventions of wire copy, with
the gazetteer of ``places`` for datelines), writes them to the store (``writer``, with
``article_rows`` and ``slugs``), one savepoint a file, deletes what is gone (``pruning``), and
reports every file (``outcomes``). It imports the store, never search or the API: the search
index follows the store's numbered changes on its own.
"""
