"""A report as a table, JSON, CSV or one self-contained HTML page with SVG charts.

French by default (the services are French), English on request. Every format shows the
same numbers: the HTML page's charts and tables are drawn from the rows JSON carries.
`labels` holds the wording, `text` the table, JSON and CSV, `html` the page and its charts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from mediation_adapters.formats.report.html import render_html
from mediation_adapters.formats.report.labels import LANGUAGES, Labels
from mediation_adapters.formats.report.text import (
    BYTE_ORDER_MARK,
    CSV_DELIMITERS,
    DEFAULT_BY,
    as_json,
    render_csv,
    render_json,
    render_table,
)
from mediation_domain.reports import Report, dimensions

_RENDERERS: dict[str, Callable[[Report, Labels, Sequence[str]], str]] = {
    "table": render_table,
    "json": render_json,
    "csv": render_csv,
    "html": render_html,
}
FORMATS = tuple(_RENDERERS)

__all__ = [
    "BYTE_ORDER_MARK",
    "CSV_DELIMITERS",
    "DEFAULT_BY",
    "FORMATS",
    "LANGUAGES",
    "Labels",
    "as_json",
    "render",
]


def render(report: Report, fmt: str, *, lang: str = "fr", by: Sequence[str] = DEFAULT_BY) -> str:
    """The report in `fmt` (table, json, csv or html), in `lang` (fr or en)."""
    return _RENDERERS[fmt](report, Labels(lang), dimensions(by))
