"""The README's picture of the page for people (``docs/page.png``): a real server on a small,
made-up but realistic corpus (a year of wire copy from three agencies), a search with its facets
and timeline chart, photographed by headless Chromium at 1280x900 (``tests/browser.py``).

Remake it with ``.venv/bin/python -m tests.screenshot`` (``-o PATH`` to write elsewhere). The
page is watched as the browser tests watch it: a request leaving loopback, anything its
Content-Security-Policy blocked or a console error stops the script before it writes.
"""

import argparse
import json
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

from tests.browser import CHROMIUM, NO_CHROMIUM, chromium, watched_page
from tests.live import ROOT, live_server

OUTPUT = ROOT / "docs" / "page.png"
VIEWPORT = {"width": 1280, "height": 900}
# Newest first: a year of one name in the news, as an editor would look back on it.
SEARCH = "/?q=Macron&sort=newest&interval=month"

SOURCES = [
    ("Reuters", ["Ana Ruiz", "Tom Hale", "Oleh Marchenko"]),
    ("AFP", ["Claire Dubois", "Ben Cole"]),
    ("AP", ["Maria Rossi", "James Okafor"]),
]
# Each story: its headline, dateline and first paragraph ({day} is its weekday), and its tags.
STORIES = [
    (
        "Macron meets Scholz in Berlin on defence spending",
        "BERLIN",
        "President Emmanuel Macron met Chancellor Olaf Scholz in Berlin on {day} to discuss"
        " a joint European defence fund.",
        ["France", "Germany", "Defence"],
    ),
    (
        "Macron defends pension reform as unions plan strikes",
        "PARIS",
        "President Emmanuel Macron defended his pension reform on {day} as unions called a"
        " national strike for the following week.",
        ["France", "Pensions"],
    ),
    (
        "Zelenskyy and Macron discuss air defence for Kyiv",
        "KYIV",
        "Ukrainian President Volodymyr Zelenskyy and Macron discussed air defence systems and"
        " grain exports in Kyiv on {day}.",
        ["Ukraine", "France", "Defence"],
    ),
    (
        "Macron names a new prime minister after weeks of talks",
        "PARIS",
        "President Emmanuel Macron named a new prime minister on {day}, ending weeks of talks"
        " between the parties.",
        ["France", "Government"],
    ),
    (
        "EU leaders back Macron plan for common borrowing",
        "BRUSSELS",
        "European Union leaders meeting in Brussels on {day} backed a plan championed by"
        " Macron to borrow jointly for defence.",
        ["EU", "France", "Defence"],
    ),
    (
        "Farmers block roads near Paris as Macron promises aid",
        "PARIS",
        "Farmers blocked motorways around Paris on {day} as President Macron promised new"
        " aid and fewer rules.",
        ["France", "Agriculture"],
    ),
    (
        "Macron and Meloni agree on migration patrols",
        "ROME",
        "Macron and Italian Prime Minister Giorgia Meloni agreed in Rome on {day} to run joint"
        " patrols in the Mediterranean.",
        ["France", "Italy", "Migration"],
    ),
    (
        "Macron visits Airbus plant in Toulouse to tout jobs",
        "TOULOUSE",
        "President Emmanuel Macron visited the Airbus plant in Toulouse on {day} and promised"
        " support for the aircraft industry's suppliers.",
        ["France", "Industry"],
    ),
]
# How many Macron stories each month of 2024 has: the chart's shape.
PER_MONTH = [3, 5, 2, 4, 6, 9, 7, 3, 2, 4, 3, 2]
# Stories without the query's word, so that the facets and the list hold more than the search.
OTHER_STORIES = [
    ("Storm closes the harbour at Marseille", "MARSEILLE", ["France", "Weather"]),
    ("Rhine barges halted by low water", "DUISBURG", ["Germany", "Shipping"]),
    ("Grain ships leave Odesa under escort", "ODESA", ["Ukraine", "Shipping"]),
]


def corpus() -> list[dict[str, Any]]:
    """The articles: dated through 2024, their sources, authors and stories taken in turn."""
    articles: list[dict[str, Any]] = []
    number = 0
    for month, count in enumerate(PER_MONTH, start=1):
        for index in range(count):
            headline, dateline, lede, tags = STORIES[number % len(STORIES)]
            source, authors = SOURCES[number % len(SOURCES)]
            day = 2 + (index * 27) // count
            weekday = date(2024, month, day).strftime("%A")
            articles.append(
                {
                    "title": headline,
                    "source": source,
                    "author": [authors[number % len(authors)]],
                    "tags": tags,
                    "date": f"2024-{month:02d}-{day:02d}T{8 + index % 9:02d}:30:00Z",
                    "body": f"{dateline} ({source}) - {lede.format(day=weekday)}\n\n"
                    "Officials said more talks would follow in the coming weeks.",
                }
            )
            number += 1
    for month, (headline, dateline, tags) in enumerate(OTHER_STORIES, start=2):
        articles.append(
            {
                "title": headline,
                "source": "Reuters",
                "author": ["Tom Hale"],
                "tags": tags,
                "date": f"2024-{month * 3:02d}-11T09:00:00Z",
                "body": f"{dateline} (Reuters) - {headline}, officials said on Tuesday.",
            }
        )
    return articles


def photograph(output: Path) -> None:
    """Serve the corpus, open the search and save the visible page as ``output``."""
    with tempfile.TemporaryDirectory(prefix="byline-screenshot-") as folder:
        seeds = Path(folder) / "articles"
        seeds.mkdir()
        lines = [json.dumps(article) for article in corpus()]
        (seeds / "news.jsonl").write_text("\n".join(lines), encoding="utf-8")
        database = f"sqlite:///{Path(folder) / 'byline.db'}"
        with (
            live_server(database, BYLINE_SEEDS_DIR=str(seeds)) as base,
            chromium() as browser,
            watched_page(browser, viewport=VIEWPORT) as page,
        ):
            page.goto(f"{base}{SEARCH}")
            output.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(output))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-o", "--output", type=Path, default=OUTPUT, help=f"default: {OUTPUT}")
    arguments = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(NO_CHROMIUM)
    photograph(arguments.output)
    print(f"{arguments.output}: {arguments.output.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
