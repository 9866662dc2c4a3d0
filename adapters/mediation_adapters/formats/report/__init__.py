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
PARTNERS_BY = ("neighbourhood", "domain")  # a partner gets places by quarter, not by month


def default_by(*, exact: bool) -> tuple[str, ...]:
    """The rows a report has when none are asked for: the view's detail."""
    return DEFAULT_BY if exact else PARTNERS_BY


__all__ = [
    "BYTE_ORDER_MARK",
    "CSV_DELIMITERS",
    "DEFAULT_BY",
    "FORMATS",
    "LANGUAGES",
    "PARTNERS_BY",
    "Labels",
    "as_json",
    "default_by",
    "render",
]


def render(report: Report, fmt: str, *, lang: str = "fr", by: Sequence[str] | None = None) -> str:
    """The report in `fmt` (table, json, csv or html), in `lang` (fr or en).

    Rows by `by`; by default the view's (`default_by`).
    """
    rows = default_by(exact=report.exact) if by is None else by
    return _RENDERERS[fmt](report, Labels(lang), dimensions(rows))
