"""``python -m app`` is the ``byline`` command."""

from app.cli.commands import main

main()
