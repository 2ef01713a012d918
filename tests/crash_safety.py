"""The checks that a store is whole, after a crash or with two writers at once."""

from sqlalchemy import Engine, text


def assert_whole(engine: Engine, *, index_pending: bool = False) -> None:
    """Raise unless the store passes its integrity checks and every article is whole: with its
    text, its hash and its entry in the full-text index; and unless the numbered changes agree
    with the articles (each stored article's last change adds or updates it, each other id's
    removes it: no change was committed without its write, nor a write without its change).

    With ``index_pending`` (after a run killed during a first load into an empty SQLite store),
    the index may instead be marked as still to build, which the next run does (migration 0010).
    """
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            # The index column is computed from each row by PostgreSQL itself.
            indexed = "search_vector IS NOT NULL"
        else:
            assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
            pending = connection.execute(text("SELECT count(*) FROM fts_pending")).scalar_one()
            assert pending == 0 or index_pending
            # rank 1: compare the index with the article table itself, not only with itself (a
            # pending index is to be built from the article table, so only its own structure).
            check = "'integrity-check', 0" if pending else "'integrity-check', 1"
            connection.execute(text(f"INSERT INTO article_fts(article_fts, rank) VALUES ({check})"))
            indexed = "1 = 1" if pending else "id IN (SELECT rowid FROM article_fts_docsize)"
        partial = connection.execute(
            text(
                "SELECT count(*) FROM article WHERE body IS NULL OR raw_text = '' "
                f"OR content_hash = '' OR NOT ({indexed})"
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
