"""Build article files the way real corpora hold them, for tests."""

from dataclasses import dataclass, field
from pathlib import Path

from app.ingestion.parsed import ParsedArticle
from app.ingestion.wire.parse import parse_article


@dataclass
class ArticleText:
    """The parts of an article file; ``render`` writes them in the seed format."""

    title: str = "Council approves new budget for city libraries"
    paragraphs: list[str] = field(
        default_factory=lambda: [
            "The city council voted on Tuesday to approve a new budget for public libraries.",
            "Officials said the money would extend opening hours across the city.",
        ]
    )
    dateline: str | None = "LONDON"
    copyright: str | None = "Copyright © 2025, ABC Audio. All rights reserved."

    def render(self) -> str:
        paragraphs = list(self.paragraphs)
        if self.dateline and paragraphs:
            paragraphs[0] = f"({self.dateline}) -- {paragraphs[0]}"
        lines = [self.title, *paragraphs]
        if self.copyright:
            lines.append(self.copyright)
        return "\n".join(lines) + "\n"

    def parsed(self) -> ParsedArticle:
        return parse_article(self.render())

    def write(self, folder: Path, name: str) -> Path:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.render(), encoding="utf-8")
        return path


def generated_article(number: int) -> ArticleText:
    """A distinct, deterministic article; sources, datelines and years cycle."""
    places = ["LONDON", "PARIS", "KYIV", "WASHINGTON", "NAIROBI"]
    sources = ["ABC Audio", "Reuters", "The Associated Press"]
    return ArticleText(
        title=f"Report number {number} on harbour works",
        paragraphs=[
            f"The harbour authority published report {number} about dredging and repairs.",
            f"Engineers said phase {number % 7} would finish before the winter storms.",
        ],
        dateline=places[number % len(places)],
        copyright=f"Copyright © {2018 + number % 8}, {sources[number % len(sources)]}. "
        "All rights reserved.",
    )
