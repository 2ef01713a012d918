"""The page's templates (``templates/``) and how its values are written: Jinja2 with every value
escaped unless a template says otherwise, which only the search's highlights do (made of escaped
text and ``<mark>``, ``app/search/snippets.py``) and the parts made in ``fragments.py``."""

from datetime import date, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from app.api.pages.chart import MONTHS
from app.api.pages.fragments import chart_bars, chart_rows, facet_items, number
from app.store.times import in_utc

ENVIRONMENT = Environment(
    loader=PackageLoader("app.api.pages", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,  # a name a template misspells fails its test, not the reader
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # the templates ship with the code: never looked at again on disk
)


def day(moment: date | datetime | str | None) -> str:
    """A date as the page writes it, ``6 May 2024`` (a time, or one written in ISO 8601, by its
    day in UTC)."""
    if moment is None:
        return ""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    if isinstance(moment, datetime):
        moment = in_utc(moment).date()
    return f"{moment.day} {MONTHS[moment.month - 1]} {moment.year}"


ENVIRONMENT.filters["day"] = day
ENVIRONMENT.filters["number"] = number
ENVIRONMENT.globals.update(chart_bars=chart_bars, chart_rows=chart_rows, facet_items=facet_items)


def render(template: str, **context: Any) -> bytes:
    """The page ``template`` makes of ``context``, as UTF-8."""
    return ENVIRONMENT.get_template(template).render(**context).encode()
