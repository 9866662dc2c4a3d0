"""A report as a table, JSON, CSV or one self-contained HTML page with SVG charts.

French by default (the services are French), English on request. Every format shows the
same numbers: the HTML page's charts and tables are drawn from the rows JSON carries.
`labels` holds the wording, `text` the table, JSON and CSV, `html` the page and its charts;
`activities` lays out the activities' tables (rounds, watch, orientations, actions) that
every format adds after the cases' (a CSV file, in a file of their own).
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
    render_activities_csv,
    render_csv,
    render_json,
    render_table,
)
from mediation_domain.errors import InvalidInputError, quoted
from mediation_domain.reports import Report, dimensions

_RENDERERS: dict[str, Callable[[Report, Labels, Sequence[str]], str]] = {
    "table": render_table,
    "json": render_json,
    "csv": render_csv,
    "html": render_html,
}
FORMATS = tuple(_RENDERERS)
# What a CSV file holds (one table, or the activities' tables); the other formats, both.
CSV_TABLES = ("cases", "activities")
PARTNERS_BY = ("neighbourhood", "domain")  # a partner gets places by quarter, not by month


def check_table(fmt: str, table: str) -> None:
    """Refuse a table that is not one of CSV_TABLES, or the activities' alone but as CSV.

    The other formats hold both, the cases' figures then the activities': the activities'
    table asked of them was once ignored without a word.
    """
    if table not in CSV_TABLES:
        message = f"cannot give the table {quoted(table)}: choose among {', '.join(CSV_TABLES)}"
        raise InvalidInputError(message)
    if table == "activities" and fmt != "csv":
        message = (
            f"the activities' tables alone come as csv only: the {fmt} format holds the "
            "cases' figures, then the activities'"
        )
        raise InvalidInputError(message)


def default_by(*, exact: bool) -> tuple[str, ...]:
    """The rows a report has when none are asked for: the view's detail."""
    return DEFAULT_BY if exact else PARTNERS_BY


__all__ = [
    "BYTE_ORDER_MARK",
    "CSV_DELIMITERS",
    "CSV_TABLES",
    "DEFAULT_BY",
    "FORMATS",
    "LANGUAGES",
    "PARTNERS_BY",
    "Labels",
    "as_json",
    "check_table",
    "default_by",
    "render",
]


def render(
    report: Report,
    fmt: str,
    *,
    lang: str = "fr",
    by: Sequence[str] | None = None,
    table: str = "cases",
) -> str:
    """The report in `fmt` (table, json, csv or html), in `lang` (fr or en).

    Rows by `by`; by default the view's (`default_by`). Every format holds the cases'
    figures then the activities', but a CSV file one `table` of CSV_TABLES: the cases'
    (by default) or the activities'.
    """
    rows = default_by(exact=report.exact) if by is None else by
    check_table(fmt, table)
    if table == "activities":
        return render_activities_csv(report, Labels(lang))
    return _RENDERERS[fmt](report, Labels(lang), dimensions(rows))
