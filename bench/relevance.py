"""Measure a running Byline's search against relevance judgments: precision at 1 and at 5.

    .venv/bin/python bench/relevance.py --url http://127.0.0.1:8000 --judgments FILE

The judgments file holds one JSON object a line (blank lines and lines opening with `#` are
skipped), articles named by their `slug`:

    {"query": "Tokyo", "params": {"year": "1987"}, "first": [...], "top5": [...],
     "not_top": [...], "k": 3, "did_you_mean": "government"}

- `query`: the `q` sent; `params`: other search parameters (filters, `search_in`), optional;
- `first`: the articles any of which may come first (the query counts towards P@1 when set);
- `top5`: the articles that must all be among the first five;
- `not_top`: articles that must not be among the first `k` (default 5);
- `did_you_mean`: the suggestion the response must carry.

The relevant articles of a query are `first` and `top5` together. P@1 is the share of queries
with a `first` whose first hit is one of them; P@5 is, over queries with relevant articles, the
mean share of the first five hits that are relevant, out of the most that could be
(min(5, relevant)). A query passes when its first hit, its top five, its excluded articles and
its suggestion are all as judged; every query that does not is listed with the reason.
"""

import argparse
import json
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_LIMIT = 100
"""The most hits one search page returns."""

Search = Callable[[dict[str, Any]], dict[str, Any]]
"""Sends search parameters, gives the response's JSON body."""


@dataclass(frozen=True)
class Judgment:
    """What the reader wants from one query."""

    query: str
    params: dict[str, Any] = field(default_factory=dict)
    first: tuple[str, ...] = ()
    top5: tuple[str, ...] = ()
    not_top: tuple[str, ...] = ()
    k: int = 5
    did_you_mean: str | None = None

    @property
    def relevant(self) -> set[str]:
        return {*self.first, *self.top5}

    @property
    def label(self) -> str:
        extra = "".join(f" {name}={value}" for name, value in self.params.items())
        return f"{self.query}{extra}"


@dataclass(frozen=True)
class Outcome:
    """How one query fared: its hits' slugs, its precisions and what went wrong."""

    judgment: Judgment
    slugs: list[str]
    at_1: float | None
    at_5: float | None
    misses: list[str]


def read_judgments(path: Path) -> list[Judgment]:
    """The judgments in ``path``; a line that is no judgment raises ``ValueError`` naming it."""
    judgments = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            raw = json.loads(line)
            judgment = Judgment(
                query=raw.pop("query"),
                params=raw.pop("params", {}),
                first=tuple(raw.pop("first", ())),
                top5=tuple(raw.pop("top5", ())),
                not_top=tuple(raw.pop("not_top", ())),
                k=int(raw.pop("k", 5)),
                did_you_mean=raw.pop("did_you_mean", None),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"{path}:{number}: not a judgment ({error!r})") from error
        if raw:
            raise ValueError(f"{path}:{number}: unknown keys {sorted(raw)}")
        if not 1 <= judgment.k <= MAX_LIMIT:
            raise ValueError(f"{path}:{number}: k must be 1-{MAX_LIMIT}, the most a page holds")
        judgments.append(judgment)
    return judgments


def judge(judgment: Judgment, body: dict[str, Any]) -> Outcome:
    """Compare one search response with its judgment."""
    slugs = [item["slug"] for item in body["items"]]
    top5 = slugs[:5]
    misses = []
    at_1 = None
    if judgment.first:
        at_1 = float(bool(slugs) and slugs[0] in judgment.first)
        if not at_1:
            misses.append(f"#1 is {slugs[0] if slugs else 'nothing'}")
    at_5 = None
    if judgment.relevant:
        found = sum(slug in judgment.relevant for slug in top5)
        at_5 = found / min(5, len(judgment.relevant))
    misses += [f"{slug} not in the top 5" for slug in judgment.top5 if slug not in top5]
    misses += [
        f"{slug} at #{slugs.index(slug) + 1}, not wanted in the top {judgment.k}"
        for slug in judgment.not_top
        if slug in slugs[: judgment.k]
    ]
    if judgment.did_you_mean is not None and body.get("did_you_mean") != judgment.did_you_mean:
        misses.append(
            f"did_you_mean is {body.get('did_you_mean')!r}, not {judgment.did_you_mean!r}"
        )
    return Outcome(judgment, slugs, at_1, at_5, misses)


def evaluate(judgments: list[Judgment], search: Search) -> list[Outcome]:
    """Run every judged query through ``search``; enough hits are asked for to check ``k``."""
    return [judge(j, search({"q": j.query, "limit": max(20, j.k), **j.params})) for j in judgments]


def mean(values: list[float | None]) -> float:
    counted = [value for value in values if value is not None]
    return sum(counted) / len(counted) if counted else 0.0


def report(outcomes: list[Outcome]) -> str:
    """P@1, P@5, how many queries pass, and each failing query with its reasons."""
    failing = [outcome for outcome in outcomes if outcome.misses]
    lines = [
        f"queries: {len(outcomes)}, passing: {len(outcomes) - len(failing)}",
        f"P@1: {mean([outcome.at_1 for outcome in outcomes]):.3f}",
        f"P@5: {mean([outcome.at_5 for outcome in outcomes]):.3f}",
    ]
    for outcome in failing:
        lines.append(f"MISS {outcome.judgment.label}: {'; '.join(outcome.misses)}")
    return "\n".join(lines)


class SearchRefused(Exception):
    """The server answered a judged query with an error."""


def http_search(url: str) -> Search:
    """A search against the Byline server at ``url``."""

    def search(params: dict[str, Any]) -> dict[str, Any]:
        query = urllib.parse.urlencode(params, doseq=True)
        address = f"{url.rstrip('/')}/v1/search?{query}"
        # main() lets only http:// and https:// URLs through.
        try:
            with urllib.request.urlopen(address, timeout=60) as answer:  # noqa: S310
                body: dict[str, Any] = json.load(answer)
        except urllib.error.HTTPError as error:
            detail = error.read().decode(errors="replace")
            raise SearchRefused(
                f"q={params['q']!r}: {url} answered {error.code}: {detail}"
            ) from error
        return body

    return search


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the Byline server")
    parser.add_argument("--judgments", type=Path, default=Path(__file__).with_suffix(".jsonl"))
    args = parser.parse_args()
    if not args.url.startswith(("http://", "https://")):
        parser.error("--url must be an http:// or https:// URL")
    try:
        judgments = read_judgments(args.judgments)
    except (OSError, ValueError) as error:
        parser.error(str(error))
    try:
        outcomes = evaluate(judgments, http_search(args.url))
    except SearchRefused as error:
        sys.exit(str(error))
    except urllib.error.URLError as error:
        sys.exit(f"{args.url} did not answer: {error.reason}")
    print(report(outcomes))
    sys.exit(1 if any(outcome.misses for outcome in outcomes) else 0)


if __name__ == "__main__":
    main()
