"""The references Byline is measured against: the least a Python web route can do.

Served by ``bench/run.py`` with uvicorn, the same way ``byline serve`` runs, on the same
database (``BENCH_DATABASE``, a Byline SQLite file):

- ``starlette_app``: ``GET /fixed``, a fixed JSON body from a bare Starlette route;
- ``fastapi_app``: the same from a bare FastAPI route (the ceiling of any FastAPI route), and
  the plain ways to answer each of Byline's reads: an article by id (``async`` + sqlite3, and
  SQLModel's ``Session.get``), a page of 20 by keyset or by OFFSET, and the top 20 of a word
  from Byline's own search index (Tantivy, BM25) with their headlines.
"""

import os
import sqlite3
from typing import Any

import tantivy
from fastapi import FastAPI, Response
from sqlmodel import Session, create_engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.search import render
from app.search.index import SearchIndex
from app.search.language import parse_query
from app.settings import Settings
from app.store.models import Article

DATABASE = os.environ.get("BENCH_DATABASE", "data/byline.db")
FIXED = {"status": "ok", "service": "byline", "version": 1}
COLUMNS = "id, slug, title, dateline, source, year, body"


def _connect() -> sqlite3.Connection:
    connection = sqlite3.connect(
        f"file:{DATABASE}?mode=ro", uri=True, check_same_thread=False, cached_statements=64
    )
    connection.row_factory = sqlite3.Row
    return connection


async def starlette_fixed(_request: Request) -> JSONResponse:
    return JSONResponse(FIXED)


starlette_app = Starlette(routes=[Route("/fixed", starlette_fixed)])
fastapi_app = FastAPI()
reader = _connect()
# Byline's own index of the same database, where ``byline serve`` keeps it.
index = SearchIndex(Settings(database_url=f"sqlite:///{DATABASE}").index_folder, writer_mb=15)
engine = create_engine(f"sqlite:///{DATABASE}")


@fastapi_app.get("/fixed")
async def fixed() -> dict[str, Any]:
    return FIXED


@fastapi_app.get("/article/{article_id}")
async def article_sqlite3(article_id: int, response: Response) -> dict[str, Any] | None:
    row = reader.execute(f"SELECT {COLUMNS} FROM article WHERE id = ?", (article_id,)).fetchone()
    if row is None:
        response.status_code = 404
        return None
    return dict(row)


@fastapi_app.get("/sqlmodel/article/{article_id}")
def article_sqlmodel(article_id: int, response: Response) -> dict[str, Any] | None:
    with Session(engine) as session:
        article = session.get(Article, article_id)
        if article is None:
            response.status_code = 404
            return None
        return article.model_dump(include={"id", "slug", "title", "dateline", "source", "year"})


@fastapi_app.get("/articles")
async def keyset_page(before: int | None = None, limit: int = 20) -> dict[str, Any]:
    rows = reader.execute(
        "SELECT id, slug, title, dateline, source, year FROM article"
        " WHERE id < ? ORDER BY id DESC LIMIT ?",
        (before if before is not None else 2**63 - 1, limit),
    ).fetchall()
    items = [dict(row) for row in rows]
    return {"items": items, "next": items[-1]["id"] if items else None}


@fastapi_app.get("/articles/offset")
async def offset_page(offset: int = 0, limit: int = 20) -> dict[str, Any]:
    rows = reader.execute(
        "SELECT id, slug, title, dateline, source, year FROM article"
        " ORDER BY id DESC LIMIT ? OFFSET ?",
        (limit, offset),
    ).fetchall()
    return {"items": [dict(row) for row in rows]}


@fastapi_app.get("/search")
async def search(q: str, limit: int = 20) -> dict[str, Any]:
    query = render.ranked(parse_query(q)) or tantivy.Query.empty_query()
    searcher = index.searcher()
    ids = [searcher.doc(address)["id"][0] for _, address in searcher.search(query, limit).hits]
    marks = ",".join("?" * len(ids))
    rows = reader.execute(f"SELECT id, title FROM article WHERE id IN ({marks})", ids).fetchall()
    titles = {row["id"]: row["title"] for row in rows}
    return {"items": [{"id": id, "title": titles.get(id)} for id in ids]}
