"""A report's activities: the tables every format shows, their JSON and their HTML.

`activity_tables` lays the figures out once (titles, headers, rows of figures), in the
report's language; the table and CSV renderers (`text`) and the page (`activity_html`)
format the cells, JSON (`activities_json`) carries the codes. A section with nothing in
the period is left out; a report with no activity at all says so in one line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import attrs

from mediation_adapters.formats.report.html_parts import small_print, titled_table, unbroken
from mediation_adapters.formats.report.labels import Labels
from mediation_domain.reports import ActivityFigures, ActivityRow, Hours, Report, Section, Shown

Figure = Shown | float | None
_T = TypeVar("_T")
# The columns of each section's table: its counts and measures, in order.
_COLUMNS = {
    "presence": ("rounds", "hours", "hours.bus", "contacts"),
    "watch": ("reported", "closed", "answer_days.median", "open", "open.31d+"),
    "orientations": (
        "oriented",
        *("right-opened", "in-progress", "not-reached", "lost-contact", "awaiting-follow-up"),
    ),
    "actions": ("actions", "attendance"),
}
_NOTES = ("presence", "watch", "orientations")  # the sections with a note under their title


@attrs.frozen
class ActivityTable:
    """One table of the activities: its name (HTML id activity-<name>), title and rows.

    `hides`: whether a partner's may hide a figure (the hours, counting no one, never do):
    only then is it followed by what "< 5" is.
    """

    name: str
    title: str
    note: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, tuple[Figure, ...]], ...]  # a row's name, then its figures
    hides: bool = True

    def body(self, cell: Callable[[Figure], _T]) -> list[list[str | _T]]:
        """The rows, each figure as `cell` writes it."""
        return [[name, *map(cell, figures)] for name, figures in self.rows]


def activity_heading(report: Report, labels: Labels) -> list[str]:
    """The activities' title, and a line saying there were none (none at all: no report)."""
    if report.activities is None:
        return []
    if report.activities.empty:
        return [labels["activities"], labels["activities.none"]]
    return [labels["activities"]]


def activity_tables(report: Report, labels: Labels) -> list[ActivityTable]:
    """The activities' tables, in report order: presence, hours, contacts, then the rest."""
    figures = report.activities
    if figures is None:
        return []
    period = report.period
    as_of = period.as_of.astimezone(period.zone).strftime("%Y-%m-%d")
    tables = []
    for section in figures.sections:
        if not section.rows:
            continue
        tables.append(_section(section, labels, as_of))
        if section.name == "presence":
            tables += [
                _hours(figures.hours, labels, exact=figures.exact),
                _contacts(section, labels),
            ]
    return tables


def _section(section: Section, labels: Labels, as_of: str) -> ActivityTable:
    name, dim = section.name, section.family.dim
    columns = _COLUMNS[name]
    note = labels[f"{name}.note"].format(as_of=as_of) if name in _NOTES else ""

    def figures(row: ActivityRow) -> tuple[Figure, ...]:
        return tuple(row.counts[c] if c in row.counts else row.measures.get(c) for c in columns)

    rows = [(labels.value(dim, row.key), figures(row)) for row in section.rows]
    rows.append((labels["activities.row"], figures(section.total)))
    header = (labels[f"{name}.{dim}"], *(labels[f"{name}.{c}"] for c in columns))
    return ActivityTable(name, labels[name], note, header, tuple(rows))


def _hours(hours: Hours, labels: Labels, *, exact: bool) -> ActivityTable:
    """Hours by month (a partner's: by quarter), a column per neighbourhood, buses apart."""
    slot = "month" if exact else "quarter"

    def named(key: str) -> str:
        return labels.value("month", key) if exact else labels.quarter(key)

    rows: list[tuple[str, tuple[Figure, ...]]] = [
        (
            named(key),
            (
                *(hours.cell(p, key) for p in hours.places),
                hours.bus_hours(key),
                hours.slot_total(key),
            ),
        )
        for key in hours.slots
    ]
    every = (*(hours.place_total(p) for p in hours.places), hours.bus_hours(), hours.total())
    rows.append((labels["activities.row"], every))
    header = (
        labels[f"hours.slot.{slot}"],
        *hours.places,
        labels["hours.bus"],
        labels["hours.total"],
    )
    return ActivityTable("hours", labels[f"hours.{slot}"], "", header, tuple(rows), hides=False)


def _contacts(section: Section, labels: Labels) -> ActivityTable:
    """The whole period's contacts by kind (a partner gets them for the whole service only)."""
    kinds = [name for name in section.family.names if name.startswith("contacts.")]
    rows = [(labels[kind], (section.total.counts[kind],)) for kind in kinds]
    rows.append((labels["activities.row"], (section.total.counts["contacts"],)))
    header = (labels["contacts.kind"], labels["contacts.count"])
    return ActivityTable("contacts", labels["contacts"], "", header, tuple(rows))


def figure_text(labels: Labels) -> Callable[[Figure], str]:
    """How a table or a page writes a figure: a count as shown, a number, "—" for none."""

    def text(figure: Figure) -> str:
        return labels.count(figure) if isinstance(figure, Shown) else labels.number(figure)

    return text


# JSON -----------------------------------------------------------------------------------


def activities_json(figures: ActivityFigures) -> dict[str, Any]:
    """The activities as JSON: each section's rows, total and service by slot; the hours.

    Slots are months, or a partner's quarters (`by`); hours are by neighbourhood and slot.
    """
    by = "month" if figures.exact else "quarter"
    found: dict[str, Any] = {
        section.name: {
            "rows": [{section.family.dim: row.key} | _row_json(row) for row in section.rows],
            "total": _row_json(section.total),
            "by": by,
            "slots": [{by: row.key} | _row_json(row) for row in section.slots],
        }
        for section in figures.sections
    }
    hours = figures.hours
    found["presence"]["hours"] = {
        "by": by,
        "neighbourhoods": [
            {"neighbourhood": p, "hours": {s: hours.cell(p, s) for s in hours.slots}}
            for p in hours.places
        ],
        "bus": {s: hours.bus_hours(s) for s in hours.slots},
        "total": {s: hours.slot_total(s) for s in hours.slots},
    }
    return found


def _row_json(row: ActivityRow) -> dict[str, Any]:
    return {
        "counts": {name: shown.to_json() for name, shown in row.counts.items()},
        "measures": row.measures,
    }


# HTML -----------------------------------------------------------------------------------


def activity_html(report: Report, labels: Labels) -> list[str]:
    """The page's activities: one section, a table each (with the small print, partners')."""
    heading = activity_heading(report, labels)
    if not heading:
        return []
    title, *lines = heading
    small = "" if report.exact else small_print(labels, "activities.legend")
    parts = [f'<section id="activities"><h2>{unbroken(title)}</h2>']
    parts += [f'<p class="note">{unbroken(line)}</p>' for line in lines]
    for table in activity_tables(report, labels):
        body = (list(table.header), table.body(figure_text(labels)))
        name = f"activity-{table.name}"
        parts.append(titled_table(name, table.title, body, 1, "", level=3, note=table.note))
        parts += [small] if table.hides else []
    return [*parts, "</section>"]
