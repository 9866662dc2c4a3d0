"""A report as text: a table to read, JSON to process, CSV for a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
import textwrap
from collections.abc import Callable, Sequence
from typing import Any

from mediation_adapters.formats.report.activities import (
    activities_json,
    activity_heading,
    activity_tables,
    figure_text,
)
from mediation_adapters.formats.report.labels import EN_DASH, Labels
from mediation_domain.reports import (
    COUNTS,
    INSTITUTIONS,
    MEASURES,
    SMALL_COUNT,
    Report,
    Row,
    Shown,
    dimensions,
)
from mediation_domain.values import InterventionDomain

CSV_DELIMITERS = {"fr": ";", "en": ","}
BYTE_ORDER_MARK = "\ufeff"
DEFAULT_BY = ("neighbourhood", "domain", "month")
# The rows of the detail table: the main counts (every count is in JSON and CSV).
_ROW_COUNTS = ("requests", "proposed", "accepted", "refused", "withdrawn", "resolved", "open")
# What a partner's detail shows: the service's months, and the places' quarters.
_SERVICE_COUNTS = ("requests", "proposed", "accepted", "refused", "withdrawn", "resolved", "closed")
_PLACE_COUNTS = ("requests", "proposed", "accepted", "closed", "sessions")
_PARTNER_TABLES = (("month",), ("neighbourhood",), ("domain",))
_WIDTH = 100  # a note's lines, at most: a page's width


# JSON -----------------------------------------------------------------------------------


def as_json(report: Report, by: Sequence[str] = DEFAULT_BY) -> dict[str, Any]:
    """The report as a JSON object: stable codes, counts as numbers or "< 5" / "12-20"."""
    by = dimensions(by)
    period = report.period
    return {
        "period": {
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "as_of": period.as_of.isoformat(),
            "time_zone": str(period.zone),
        },
        "suppressed_below": None if report.exact else SMALL_COUNT,
        "by": list(by),
        "total": _row_json(report.total(), ()),
        "rows": [_row_json(row, tuple(by)) for row in report.rows(by)],
        "charts": {dim: _series(report, dim) for dim in ("neighbourhood", "domain", "month")},
    } | ({} if report.activities is None else {"activities": activities_json(report.activities)})


def _row_json(row: Row, by: tuple[str, ...]) -> dict[str, Any]:
    return dict(zip(by, row.key, strict=True)) | {
        "counts": {name: row.counts[name].to_json() for name in COUNTS if name in row.counts},
        "measures": row.measures,
    }


def _series(report: Report, dim: str) -> list[dict[str, Any]]:
    """One chart's points: every neighbourhood, domain or month of the period, zeros too."""
    found = {row.key[0]: row.counts for row in report.rows([dim])}
    if dim == "month":
        keys = report.period.months
    elif dim == "domain":
        keys = [domain.value for domain in InterventionDomain]
    else:
        keys = sorted(found)
    charted = ("requests", "closed")
    nothing = dict.fromkeys(charted, Shown(0, 0))  # a key with no activity in the period
    return [
        {dim: key, **{name: found.get(key, nothing)[name].to_json() for name in charted}}
        for key in keys
    ]


def render_json(report: Report, _: Labels, by: Sequence[str]) -> str:
    """The report as a JSON document (the same in every language)."""
    return json.dumps(as_json(report, by), ensure_ascii=False, indent=2) + "\n"


# CSV and table --------------------------------------------------------------------------


def render_csv(report: Report, labels: Labels, by: Sequence[str]) -> str:
    """The rows for a spreadsheet, as the file's language writes them.

    French separates with semicolons (its decimal mark is the comma, as French spreadsheets
    expect), English with commas; the UTF-8 byte order mark tells spreadsheets the encoding.
    """
    out = io.StringIO()
    out.write(BYTE_ORDER_MARK)
    writer = csv.writer(out, delimiter=CSV_DELIMITERS[labels.lang], lineterminator="\n")
    writer.writerow([*(labels[d] for d in by), *map(labels.column, (*COUNTS, *MEASURES))])
    for row in report.rows(by):
        key = [labels.value(d, v) for d, v in zip(by, row.key, strict=True)]
        writer.writerow([*key, *_csv_figures(row, labels)])
    whole = [labels["total"], *[""] * (len(by) - 1)] if by else []  # under the first grouping
    writer.writerow([*whole, *_csv_figures(report.total(), labels)])
    return out.getvalue()


def render_activities_csv(report: Report, labels: Labels) -> str:
    """The activities' tables for a spreadsheet, in a file of their own (as `render_csv`).

    A CSV file holds the cases' table alone, which programs and spreadsheets read as one;
    this one holds the activities' tables, each under its title and a blank line before.
    """
    out = io.StringIO()
    out.write(BYTE_ORDER_MARK)
    writer = csv.writer(out, delimiter=CSV_DELIMITERS[labels.lang], lineterminator="\n")
    heading = activity_heading(report, labels)
    writer.writerows([line] for line in heading)
    legend = [] if report.exact else [[labels["activities.legend"]]]
    for table in activity_tables(report, labels):
        note = [[table.note]] if table.note else []
        writer.writerows([[], [table.title], *note, table.header])
        writer.writerows([*table.body(_csv_cell(labels)), *(legend if table.hides else [])])
    return out.getvalue()


def _csv_cell(labels: Labels) -> Callable[[Shown | float | None], int | str]:
    """How the file writes an activity's figure: a count as a spreadsheet takes it, a number."""

    def cell(figure: Shown | float | None) -> int | str:
        if isinstance(figure, Shown):
            return _csv_count(figure)
        return "" if figure is None else labels.number(figure)

    return cell


def _csv_figures(row: Row, labels: Labels) -> list[int | str]:
    """A row's counts, then its measures, as a spreadsheet takes them ("" for none)."""
    counts = [_csv_count(row.counts[n]) if n in row.counts else "" for n in COUNTS]
    return counts + [
        "" if row.measures[m] is None else labels.number(row.measures[m]) for m in MEASURES
    ]


def _csv_count(shown: Shown) -> int | str:
    """A count for a spreadsheet: a number, or text it will not take for a date (en dash)."""
    value = shown.to_json()
    return value if isinstance(value, int) else str(value).replace("-", EN_DASH)


def heading(report: Report, labels: Labels) -> list[str]:
    """The title, the period and the view (exact, or the partners')."""
    period = report.period
    when = period.as_of.astimezone(period.zone).strftime("%Y-%m-%d %H:%M")
    lines = [
        labels["title"],
        labels["period"].format(
            start=period.start.isoformat(), end=period.end.isoformat(), as_of=when, zone=period.zone
        ),
    ]
    if report.exact:
        return [*lines, labels["exact"]]
    quarters = period.quarters
    if quarters:
        lines.append(
            labels["quarters"].format(
                count=len(quarters),
                first=labels.quarter(quarters[0]),
                last=labels.quarter(quarters[-1]),
            )
        )
    return [*lines, labels["partner"], labels["legend.small"], labels["legend.range"]]


def indicator_lines(row: Row, labels: Labels) -> list[tuple[str, str]]:
    """Every count then every measure of `row`, as (label, value shown).

    The institutions' counts have a table of their own (`institutions`).
    """
    lines = [
        (labels[name], labels.count(row.counts[name]))
        for name in COUNTS
        if name in row.counts and name not in INSTITUTIONS
    ]
    return lines + [(labels[m], labels.number(row.measures[m])) for m in MEASURES]


def institutions(report: Report, labels: Labels) -> tuple[list[str], list[list[str]]]:
    """The cases involving each kind of institution over the period, the kinds with any.

    A kind known to have none is left out, as the activities' rows are.
    """
    total = report.total().counts
    header = [labels["institution.kind"], labels["institution.cases"]]
    body = [
        [labels.value("partner", name.removeprefix("institution.")), labels.count(total[name])]
        for name in INSTITUTIONS
        if total[name].high != 0
    ]
    return header, body


def render_table(report: Report, labels: Labels, by: Sequence[str]) -> str:
    """The report as text to read: the whole period's indicators, then the detail.

    A partner's also has the service by month and the places by quarter; then the cases
    involving each kind of institution, before the detail. In every table, rows that show
    something come before rows all hidden.
    """
    lines = [*heading(report, labels), "", labels["total"]]
    pairs = indicator_lines(report.total(), labels)
    width = max(len(label) for label, _ in pairs)
    lines += [f"  {label:<{width}}  {value:>9}" for label, value in pairs]
    tables = [] if report.exact else [t for t in _PARTNER_TABLES if t != tuple(by)]
    legend = [] if report.exact else [labels["legend.small"]]  # under each partners' table
    for dims in tables:
        header, body = detail(report, labels, dims)
        lines += ["", labels[f"by.{dims[0]}"], *_columns([header, *body], 1), *legend]
    header, body = institutions(report, labels)
    lines += ["", labels["by.institution"]]
    lines += [*_columns([header, *body], 1), *legend] if body else [labels["institution.none"]]
    if by:
        header, body = detail(report, labels, by)
        lines += ["", labels["rows"], *_columns([header, *body], len(by))]
        if not body:
            lines.append(labels["none"])
        lines += legend
    return "\n".join(lines + _activity_lines(report, labels)) + "\n"


def _activity_lines(report: Report, labels: Labels) -> list[str]:
    """The activities' tables, each under its title (a partner's with what "< 5" is)."""
    heading = activity_heading(report, labels)
    lines = ["", "", *heading] if heading else []
    legend = [] if report.exact else [labels["activities.legend"]]
    for table in activity_tables(report, labels):
        note = textwrap.wrap(table.note, _WIDTH)
        rows = [list(table.header), *table.body(figure_text(labels))]
        lines += ["", table.title, *note, *_columns(rows, 1), *(legend if table.hides else [])]
    return lines


def _columns(rows: list[list[str]], keys: int) -> list[str]:
    """Rows of cells as aligned columns: the first `keys` (the groupings) left, counts right."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.ljust(width) if i < keys else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()
        for cells in rows
    ]


def detail(report: Report, labels: Labels, by: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    """The detail table's header and rows: the groupings, then the main counts as shown."""
    names: tuple[str, ...] = _ROW_COUNTS
    if not report.exact:
        names = _PLACE_COUNTS if set(by) & {"neighbourhood", "domain"} else _SERVICE_COUNTS
    header = [labels[d] for d in by] + [labels[f"short.{c}"] for c in names]
    rows = report.rows(by)
    shows = [any(row.counts[c].exact and row.counts[c].low for c in names) for row in rows]
    body = [
        [labels.value(d, v) for d, v in zip(by, row.key, strict=True)]
        + [labels.count(row.counts[c]) if c in row.counts else "—" for c in names]
        for row, _ in sorted(zip(rows, shows, strict=True), key=lambda pair: not pair[1])
    ]
    return header, body
