"""The checks that a store is whole, after a crash or with two writers at once."""

from sqlalchemy import Engine, text


def assert_whole(engine: Engine) -> None:
    """Raise unless the store passes its integrity checks and every article is whole: with its
    text, its hash and its entry in the full-text index."""
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            # The index column is computed from each row by PostgreSQL itself.
            indexed = "search_vector IS NOT NULL"
        else:
            assert connection.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
            # rank 1: compare the index with the article table itself, not only with itself.
            connection.execute(
                text("INSERT INTO article_fts(article_fts, rank) VALUES ('integrity-check', 1)")
            )
            indexed = "id IN (SELECT rowid FROM article_fts_docsize)"
        partial = connection.execute(
            text(
                "SELECT count(*) FROM article WHERE body IS NULL OR raw_text = '' "
                f"OR content_hash = '' OR NOT ({indexed})"
            )
        ).scalar_one()
        assert partial == 0
