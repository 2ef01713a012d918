"""The parts of the search page written many times over, a timeline's bars and their table and a
facet's values, made as HTML here rather than in the template.

Jinja2 escapes and yields each value of a template on its own: for a sidebar of fifty links and a
chart of a hundred bars that was most of the template's time (``bench/page.py``). Here each part
is one string, its texts escaped with ``markupsafe.escape`` as the template's would be (the
values of facets are the articles', untrusted), its counts written as the templates write them
(``number``). The templates call these as functions (``rendering.py`` lends them).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from markupsafe import Markup, escape

from app.api.pages.chart import HEIGHT, Chart


@dataclass(frozen=True, slots=True)
class FacetValue:
    """A value of a facet in the sidebar: its count, whether the page filters by it, and the
    page it leads to (None for the articles without a value)."""

    value: str | None
    count: int
    href: str | None
    chosen: bool


def number(count: int) -> str:
    """A count with its thousands apart, as the page writes every count: ``12,345``."""
    return f"{count:,}"


def chart_bars(chart: Chart) -> Markup:
    """The chart's bars in SVG: each a link narrowing the dates to its bucket, named for screen
    readers and with a tooltip, over a full-height target that is easier to hit."""
    drawn = []
    for bar in chart.bars:
        label = escape(bar.label)
        count = number(bar.count)
        drawn.append(
            f'<a href="{escape(bar.href)}" aria-label="{label}: {count} '
            f'article{"" if bar.count == 1 else "s"}"><title>{label}: {count}</title>'
            f'<rect class="hit" x="{bar.x}" y="0" width="{bar.width}" height="{HEIGHT:g}"></rect>'
            f'<rect class="bar" x="{bar.x}" y="{bar.y}" width="{bar.width}" '
            f'height="{bar.height}"></rect></a>'
        )
    return _made_here(drawn)


def chart_rows(chart: Chart) -> Markup:
    """The chart's counts as the rows of a table, a bucket a row."""
    return _made_here(
        f"<tr><td>{escape(bar.label)}</td><td>{number(bar.count)}</td></tr>" for bar in chart.bars
    )


def facet_items(values: list[FacetValue]) -> Markup:
    """A facet's values as list items: each a link adding it to the filters, or taking it out
    when chosen, with its count; the articles without a value counted as "(none)"."""
    items = []
    for item in values:
        if item.href is None:
            shown = '<span class="none">(none)</span>'
        elif item.chosen:
            shown = (
                f'<a href="{escape(item.href)}" aria-current="true" title="Remove this filter">'
                f"{escape(item.value)}</a>"
            )
        else:
            shown = f'<a href="{escape(item.href)}">{escape(item.value)}</a>'
        chosen = ' class="chosen"' if item.chosen else ""
        items.append(f'<li{chosen}>{shown} <span class="count">{number(item.count)}</span></li>')
    return _made_here(items)


def _made_here(lines: Iterable[str]) -> Markup:
    """``lines`` of HTML made in this module, as the template writes them: unescaped, since
    every text in them went through ``escape`` as it was put in."""
    return Markup("\n".join(lines))  # noqa: S704
