"""What search hits look like whatever answers the search: the hit, and its marked headline
and snippet (match markers, the best paragraph, an excerpt of it, HTML with ``<mark>``)."""

import html
from dataclasses import dataclass
from typing import Any

from app.search.passages import Passage

# Characters no article holds (control characters are never stored) mark the matches until the
# text is HTML-escaped; only then do they become <mark> tags.
OPEN, CLOSE = "\x02", "\x03"


@dataclass(frozen=True, slots=True)
class SearchMatch:
    """An article that matched, its relevance and its highlighted text."""

    article: dict[str, Any]
    score: float
    title_html: str
    snippet_html: str
    snippet_paragraph: int | None
    matched_variants: list[str]


def lede_snippet(article: dict[str, Any], *, words: int) -> tuple[int | None, str]:
    """The snippet of a hit whose body the query did not match: about ``words`` words of the
    article's lede (its first paragraph with text), and that paragraph's index."""
    lede = article.get("lede")
    if not lede:
        return None, ""
    return 0, excerpt(lede, words=words)


def clipped(passage: Passage) -> str:
    """A marked window with an ellipsis where its text goes on."""
    text = balanced([passage.text])[0]
    return ("… " if passage.clipped_start else "") + text + (" …" if passage.clipped_end else "")


def marked_html(text: str) -> str:
    """HTML-escape highlighted text, then turn the match markers into ``<mark>`` tags."""
    return html.escape(text, quote=False).replace(OPEN, "<mark>").replace(CLOSE, "</mark>")


def best_snippet(body: str, *, words: int) -> tuple[int | None, str]:
    """``(paragraph index, excerpt)``: about ``words`` words of the paragraph with most matches."""
    paragraphs = balanced(body.split("\n")) if body else []
    if not paragraphs:
        return None, ""
    index = max(range(len(paragraphs)), key=lambda i: (paragraphs[i].count(OPEN), -i))
    return index, excerpt(paragraphs[index], words=words)


def excerpt(
    paragraph: str, *, words: int, clipped_start: bool = False, clipped_end: bool = False
) -> str:
    """About ``words`` words of a marked paragraph from a little before its first match; an
    ellipsis where the paragraph (or the text it was cut from, ``clipped_*``) goes on."""
    tokens = paragraph.split()
    first_match = next((i for i, token in enumerate(tokens) if OPEN in token), 0)
    start = max(0, min(first_match - words // 4, len(tokens) - words))
    end = min(len(tokens), start + words)
    excerpt = " ".join(tokens[start:end])
    if is_open_at(tokens, start):
        excerpt = OPEN + excerpt
    if is_open_at(tokens, end):
        excerpt += CLOSE
    prefix = "… " if start > 0 or clipped_start else ""
    suffix = " …" if end < len(tokens) or clipped_end else ""
    return f"{prefix}{excerpt}{suffix}"


def balanced(paragraphs: list[str]) -> list[str]:
    """Close a mark at the end of its paragraph and reopen it in the next (a phrase may span)."""
    balanced, open_mark = [], False
    for paragraph in paragraphs:
        text = OPEN + paragraph if open_mark else paragraph
        open_mark = text.rfind(OPEN) > text.rfind(CLOSE)
        balanced.append(text + CLOSE if open_mark else text)
    return balanced


def is_open_at(tokens: list[str], position: int) -> bool:
    """Whether a mark opened before ``tokens[position]`` is still open there."""
    before = "".join(tokens[:position])
    return before.count(OPEN) > before.count(CLOSE)
