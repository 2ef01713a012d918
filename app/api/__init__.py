"""The HTTP API: the app (``app.api.app.create_app``), its routes, request and response
models, errors as problem+json, pagination links, middleware, kept responses and time budgets.

The API is a top floor: it reads the store and asks search; ingestion and the CLI never import
it, except that ``byline serve`` runs it.
"""
