"""The ``byline`` command and what only a command needs (its progress bars, its allocator).

The CLI is a top floor, beside the API: it may import every other part (it serves the API,
ingests, rebuilds the index); nothing imports it.
"""
