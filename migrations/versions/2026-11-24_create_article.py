"""Create the article table and its full-text index (FTS5 on SQLite, tsvector on PostgreSQL).

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

import string
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# An external-content FTS5 table: it indexes article.title and article.body without a second copy
# of the text, and triggers keep it in step with every insert, update and delete. The porter
# stemmer wraps unicode61 with diacritics removed, so "troops" finds "troop" and "Mélenchon"
# finds "Melenchon" (both ways).
FTS5_SQL = [
    """
    CREATE VIRTUAL TABLE article_fts USING fts5(
        title, body,
        content='article', content_rowid='id',
        tokenize='porter unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER article_fts_after_insert AFTER INSERT ON article BEGIN
        INSERT INTO article_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END
    """,
    """
    CREATE TRIGGER article_fts_after_delete AFTER DELETE ON article BEGIN
        INSERT INTO article_fts(article_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
    END
    """,
    # Only a change to an indexed column touches the index.
    """
    CREATE TRIGGER article_fts_after_update AFTER UPDATE OF title, body ON article BEGIN
        INSERT INTO article_fts(article_fts, rowid, title, body)
        VALUES ('delete', old.id, old.title, old.body);
        INSERT INTO article_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
    END
    """,
    # Rows that existed before the index (none on a fresh store) get indexed too.
    "INSERT INTO article_fts(article_fts) VALUES ('rebuild')",
]

# PostgreSQL's parser keeps URLs, hosts, e-mail addresses, hyphenated words and numbers with
# points whole, and takes "<Acme>" for an XML tag and indexes nothing of it, where FTS5 cuts text
# at every punctuation mark. So that a word is found alike on both stores, ASCII punctuation is
# indexed as spaces (and highlighted as the same text).
INDEXED_TEXT = "translate(COLUMN, '{punctuation}', '{spaces}')".format(
    punctuation=string.punctuation.replace("'", "''"), spaces=" " * len(string.punctuation)
)

# PostgreSQL: a text search configuration that folds accents (unaccent) and stems English words
# (Snowball) without dropping stop words, as FTS5's porter tokenizer keeps them; a weighted
# tsvector (headline A, body B) that PostgreSQL computes itself from each row, and its GIN index.
POSTGRESQL_SQL = [
    # Text compared by code point, as SQLite compares it, whatever the database's collation:
    # titles sort, and facet values break ties, alike on both stores.
    'ALTER TABLE article ALTER COLUMN title TYPE text COLLATE "C"',
    'ALTER TABLE article ALTER COLUMN dateline TYPE varchar(120) COLLATE "C"',
    'ALTER TABLE article ALTER COLUMN source TYPE varchar(200) COLLATE "C"',
    "CREATE EXTENSION IF NOT EXISTS unaccent",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE TEXT SEARCH DICTIONARY byline_stem (TEMPLATE = snowball, LANGUAGE = english)",
    "CREATE TEXT SEARCH CONFIGURATION byline (COPY = english)",
    """
    ALTER TEXT SEARCH CONFIGURATION byline
        ALTER MAPPING FOR asciiword, asciihword, hword_asciipart, word, hword, hword_part
        WITH unaccent, byline_stem
    """,
    f"""
    ALTER TABLE article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('byline', {INDEXED_TEXT.replace("COLUMN", "title")}), 'A')
        || setweight(to_tsvector('byline', {INDEXED_TEXT.replace("COLUMN", "body")}), 'B')
    ) STORED
    """,
    "CREATE INDEX ix_article_search_vector ON article USING gin (search_vector)",
]


def upgrade() -> None:
    op.create_table(
        "article",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("dateline", sa.String(length=120), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("lede", sa.Text(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("word_count", sa.Integer(), nullable=False),
        sa.Column("copyright", sa.Text(), nullable=True),
        sa.Column("raw_text", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("source_path", sa.Text(), nullable=False),
        sa.Column("ingested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("slug"),
        sa.UniqueConstraint("content_hash"),
        sa.UniqueConstraint("source_path"),
    )
    op.create_index("ix_article_year_id", "article", ["year", "id"])
    op.create_index("ix_article_title_id", "article", ["title", "id"])
    if op.get_bind().dialect.name == "sqlite":
        for statement in FTS5_SQL:
            op.execute(statement)
    elif op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL_SQL:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS article_fts")  # its triggers go with the article table
    elif op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_article_search_vector")
        op.execute("ALTER TABLE article DROP COLUMN IF EXISTS search_vector")
        op.execute("DROP TEXT SEARCH CONFIGURATION IF EXISTS byline")
        op.execute("DROP TEXT SEARCH DICTIONARY IF EXISTS byline_stem")
    op.drop_index("ix_article_title_id", table_name="article")
    op.drop_index("ix_article_year_id", table_name="article")
    op.drop_table("article")
