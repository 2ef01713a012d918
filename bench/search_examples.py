"""Run example searches against a live Byline and print what they returned and how long they took.

    python bench/generate.py /tmp/corpus --count 10000
    BYLINE_DATABASE_URL=sqlite:////tmp/corpus.db byline ingest /tmp/corpus
    BYLINE_DATABASE_URL=sqlite:////tmp/corpus.db BYLINE_INGEST_ON_START=false byline serve &
    python bench/search_examples.py http://127.0.0.1:8000

Prints a Markdown table: each query, its total, the top hit, the name variants added, the
suggestion, and the median and worst latency over repeated requests (the whole HTTP round trip).
"""

import argparse
import statistics
import time
from typing import Any

import httpx2

QUERIES: list[dict[str, Any]] = [
    {"q": "minister"},
    {"q": "harbour"},
    {"q": "zephyrine"},
    {"q": '"tidal barrier"'},
    {"q": "tidal barrier"},
    {"q": "harbour minister"},
    {"q": "harbour -minister"},
    {"q": "harbour OR zephyrine"},
    {"q": "(harbour OR zephyrine) -minister"},
    {"q": "harb*"},
    {"q": "Zelensky"},
    {"q": "Zelensky", "fuzzy": "false"},
    {"q": "Gaddafi"},
    {"q": "al-Qaida"},
    {"q": "Tschaikowsky"},
    {"q": "Melenchon"},
    {"q": "Beyonce"},
    {"q": "title:Zelenskyy"},
    {"q": "Zelenskyy", "search_in": "title"},
    {"q": "harbor"},
    {"q": "zephyrin"},
    {"q": "minister", "facets": "source,year"},
    {"q": "minister", "sort": "newest"},
]


def measure(
    client: httpx2.Client, params: dict[str, Any], repeat: int
) -> tuple[dict[str, Any], list[float]]:
    timings = []
    body: dict[str, Any] = {}
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get("/v1/search", params=params)
        timings.append((time.perf_counter() - started) * 1000)
        response.raise_for_status()
        body = response.json()
    return body, timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base", nargs="?", default="http://127.0.0.1:8000")
    parser.add_argument("--repeat", type=int, default=7)
    arguments = parser.parse_args()
    with httpx2.Client(base_url=arguments.base, timeout=60) as client:
        total = client.get("/v1/articles", params={"limit": 1}).json()["total"]
        print(f"{total} articles; latency over {arguments.repeat} requests each\n")
        print("| query | total | top hit | expanded | did_you_mean | median ms | max ms |")
        print("|---|---|---|---|---|---|---|")
        for params in QUERIES:
            body, timings = measure(client, params, arguments.repeat)
            shown = " ".join(f"{k}={v}" for k, v in params.items() if k != "q")
            query = f"`{params['q']}` {shown}".strip()
            top = body["items"][0]["highlight"]["title"] if body["items"] else "—"
            expanded = body["query"]["expanded"] or "—"
            facets = f" facets: {body['facets']['source'][:2]}…" if body.get("facets") else ""
            print(
                f"| {query} | {body['total']} | {top}{facets} | {expanded} | "
                f"{body['did_you_mean'] or '—'} | {statistics.median(timings):.1f} | "
                f"{max(timings):.1f} |"
            )
        first = client.get("/v1/articles", params={"limit": 1, "sort": "oldest"}).json()
        article_id = first["items"][0]["id"]
        started = time.perf_counter()
        related = client.get(f"/v1/articles/{article_id}/related").json()
        elapsed = (time.perf_counter() - started) * 1000
        print(
            f"\nrelated to article {article_id}: terms {related['terms']}; "
            f"{len(related['items'])} articles, the first sharing "
            f"{related['items'][0]['shared_terms'] if related['items'] else []}; {elapsed:.1f} ms"
        )


if __name__ == "__main__":
    main()
