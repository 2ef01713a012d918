"""The checks that a store is whole, after a crash or with two writers at once."""

from sqlalchemy import Engine, text


def assert_whole(engine: Engine) -> None:
    """Raise unless the store passes its integrity checks and every article is whole: with its
    text and its hash; and unless the numbered changes agree with the articles (each stored
    article's last change adds or updates it, each other id's removes it: no change was
    committed without its write, nor a write without its change). Whether the search index
    follows is ``tests/index_checks.py``'s to check."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
        partial = connection.execute(
            text(
                "SELECT count(*) FROM article WHERE body IS NULL OR raw_text = '' "
                "OR content_hash = ''"
            )
        ).scalar_one()
        assert partial == 0
        changes = connection.execute(
            text("SELECT article_id, kind FROM article_change ORDER BY number")
        )
        last_kinds = {int(row[0]): str(row[1]) for row in changes}
        present = {id_ for id_, kind in last_kinds.items() if kind != "removed"}
        stored = set(connection.execute(text("SELECT id FROM article")).scalars())
        assert present == stored
