"""The body a saved search's webhook receives: ``{"event", "saved_search", "items"}``, each item
a change as ``/v1/saved-searches/{id}/matches`` gives it, with the article as a search hit (its
URL, highlights), made when the matches arrive (app/alerts/matching.py calls it) under the base
URL the search was saved through."""

import orjson

from app.api.links import article_url_under, articles_url_at
from app.api.routes.saved_searches import SAVED_SEARCHES_PATH
from app.api.routes.search import search_hit
from app.search.snippets import SearchMatch
from app.store.change_stream import ChangePoint, stream_time
from app.store.changes import Change
from app.store.models import SavedSearchRecord

EVENT = "saved_search.matched"


def delivery_body(search: SavedSearchRecord, matched: list[tuple[Change, SearchMatch]]) -> str:
    """The JSON body of a delivery of ``search``'s ``matched`` changes, oldest first."""
    base = search.base_url or "/"
    articles = articles_url_at(base)
    items = []
    for change, match in matched:
        at = stream_time(change.at)
        items.append(
            {
                "number": change.number,
                "kind": change.kind.value,
                "at": at,
                "article_id": change.article_id,
                "article": search_hit(match, article_url_under(articles, match.article["slug"])),
                "cursor": ChangePoint(change.number, at).cursor(),
            }
        )
    body = {
        "event": EVENT,
        "saved_search": {
            "id": search.id,
            "name": search.name,
            "q": search.q,
            "url": f"{base}{SAVED_SEARCHES_PATH[1:]}/{search.id}",
        },
        "items": items,
    }
    return orjson.dumps(body).decode()
