"""``python -m app`` is the ``byline`` command."""

from app.cli import main

main()
