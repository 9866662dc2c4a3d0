"""The activities' figures of a report: presence, watch reports, orientations, actions.

Each family's counts (`activity_facts`) are published as the cases' are (`disclosure`):
exact, by month; or for partners by quarter (the whole service too), each quarter
suppressed as one system: counts 1 to 4 shown as "< 5", and whatever would give one away
hidden too. Every row is a sum of those published figures. The hours of presence, not a
count of anyone, are given exactly, at the same granularity. The median delay of watch
reports is given to partners where at least 5 reports were closed and the row's count
(its closed reports where given, else its reports) is shown as 5 or more, as the cases'
measures are.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from mediation_domain.ports import Condition
from mediation_domain.reports.activity_facts import (
    FAMILIES,
    PRESENCE,
    WATCH,
    Family,
    Tally,
    conditions,
    tally,
)
from mediation_domain.reports.disclosure import SMALL_COUNT, Node, Shown, publish, quarter_of
from mediation_domain.reports.period import Period

# Reads the activity index: the documents of the activities meeting every condition.
Select = Callable[[Sequence[Condition]], Iterable[Mapping[str, Any]]]
HOURS, BUS_HOURS, DELAY = "hours", "hours.bus", "answer_days.median"


@attrs.frozen
class ActivityRow:
    """One line of a section: its key, its counts as shown, its figures that are not counts.

    The key is a code of the section's rows, a month, or "" for the whole period.
    """

    key: str
    counts: dict[str, Shown]
    measures: dict[str, float | None]


@attrs.frozen
class Section:
    """A family's figures: its rows over the period, the whole period, the service by slot.

    Rows are given where they show anything, in the order of their vocabulary; slots are
    the period's months, or a partner's quarters.
    """

    family: Family
    rows: tuple[ActivityRow, ...]
    total: ActivityRow
    slots: tuple[ActivityRow, ...]

    @property
    def name(self) -> str:
        """The section's code: presence, watch, orientations, actions."""
        return self.family.name


@attrs.frozen
class Hours:
    """Hours of presence by neighbourhood and month (a partner's: by quarter).

    Rounds on a bus count under the neighbourhood they served; `bus` gives those hours
    again, by month, as a line of their own (a part of the total, not added to it).
    Kept in whole seconds, so that every total is the same however it is added up.
    """

    slots: tuple[str, ...]
    places: tuple[str, ...]
    cells: Mapping[tuple[str, str], int]  # (neighbourhood, slot): seconds
    bus: Mapping[str, int]  # by slot: seconds

    def cell(self, place: str, slot: str) -> float:
        """`place`'s hours in `slot`."""
        return _hours_of(self.cells.get((place, slot), 0))

    def slot_total(self, slot: str) -> float:
        """Every neighbourhood's hours in `slot`."""
        return _hours_of(sum(self.cells.get((p, slot), 0) for p in self.places))

    def place_total(self, place: str) -> float:
        """`place`'s hours over the period."""
        return _hours_of(sum(self.cells.get((place, s), 0) for s in self.slots))

    def bus_hours(self, slot: str | None = None) -> float:
        """The hours on buses in `slot` (None: over the period)."""
        return _hours_of(sum(self.bus.values()) if slot is None else self.bus.get(slot, 0))

    def total(self) -> float:
        """Every hour of presence over the period."""
        return _hours_of(sum(self.cells.values()))


def _hours_of(seconds: int) -> float:
    """Seconds as hours, to the tenth."""
    return round(seconds / 3600, 1)


@attrs.frozen
class ActivityFigures:
    """The activities' figures over a period, exact or as a partner may receive them."""

    exact: bool
    sections: tuple[Section, ...]
    hours: Hours

    @classmethod
    def of(cls, select: Select, period: Period, *, exact: bool = False) -> ActivityFigures:
        """Count the activities `select` finds in the index over `period`.

        It is asked only for the activities dated in the period, family by family.
        """
        tallies = {f: tally(f, select(conditions(f, period)), period) for f in FAMILIES}
        sections = tuple(_section(f, found, period, exact=exact) for f, found in tallies.items())
        return cls(exact, sections, _hours(tallies[PRESENCE], period, exact=exact))

    def section(self, name: str) -> Section:
        """The section named `name`."""
        return next(section for section in self.sections if section.name == name)

    @property
    def empty(self) -> bool:
        """True when no activity is counted in the period."""
        return not any(section.rows for section in self.sections)


def _slots(period: Period, *, exact: bool) -> list[str]:
    """The columns of a row: the period's months, or a partner's quarters."""
    months = period.months
    return months if exact else list(dict.fromkeys(quarter_of(m) for m in months))


def _section(family: Family, found: Tally, period: Period, *, exact: bool) -> Section:
    published = publish(found.counts, exact=exact, scheme=family.scheme)
    months, slots = period.months, _slots(period, exact=exact)
    counted = sorted({key for key, _ in found.counts} | {key for key, _ in found.seconds})
    order = family.order or tuple(counted)

    def row(key: str, table: tuple[str, ...], asked: list[str]) -> ActivityRow:
        """The row `key` of `table` (the service's: "" or its slot) over the `asked` slots."""
        names = family.names if exact else family.scheme.counts(table)
        counts = {
            name: _sum(published, (table, (key,) if table else (), name), asked) for name in names
        }
        within = [m for m in months if m in asked or quarter_of(m) in asked]
        cells = [(k, m) for k in ([key] if table else counted) for m in within]
        return ActivityRow(key, counts, _measures(family, found, cells, counts, exact=exact))

    rows = (row(key, (family.dim,), slots) for key in order if key in counted)
    service = tuple(row(slot, (), [slot]) for slot in slots)
    return Section(family, tuple(filter(_anything, rows)), row("", (), slots), service)


def _sum(
    published: Mapping[Node, Shown],
    figure: tuple[tuple[str, ...], tuple[str, ...], str],
    slots: list[str],
) -> Shown:
    """A figure (table, key, count) as published, added up over `slots`."""
    table, key, name = figure
    total = Shown(0, 0)
    for slot in slots:
        total += published.get((table, key, slot, name), Shown(0, 0))
    return total


def _measures(
    family: Family,
    found: Tally,
    cells: list[tuple[str, str]],
    counts: Mapping[str, Shown],
    *,
    exact: bool,
) -> dict[str, float | None]:
    """The row's figures that are not counts: hours of presence, watch reports' delay."""
    if family is PRESENCE:
        hours = sum(found.seconds.get(c, 0) for c in cells)
        bus = sum(found.bus.get(c, 0) for c in cells)
        return {HOURS: _hours_of(hours), BUS_HOURS: _hours_of(bus)}
    if family is WATCH:
        days = [d for c in cells for d in found.days.get(c, ())]
        shown = counts.get("closed", counts["reported"])  # a partner's rows: reports only
        known = exact or (shown.low >= SMALL_COUNT and len(days) >= SMALL_COUNT)
        return {DELAY: round(float(statistics.median(days)), 1) if days and known else None}
    return {}


def _anything(row: ActivityRow) -> bool:
    """True when the row shows an activity: a count not known to be zero, or hours."""
    return any(s.high != 0 for s in row.counts.values()) or bool(row.measures.get(HOURS))


def _hours(found: Tally, period: Period, *, exact: bool) -> Hours:
    """The hours of presence by neighbourhood and slot (month, or a partner's quarter)."""
    slot = (lambda m: m) if exact else quarter_of
    cells: Counter[tuple[str, str]] = Counter()
    bus: Counter[str] = Counter()
    for (place, month), seconds in found.seconds.items():
        cells[place, slot(month)] += seconds
    for (_, month), seconds in found.bus.items():
        bus[slot(month)] += seconds
    places = tuple(sorted({place for place, _ in cells}))
    return Hours(tuple(_slots(period, exact=exact)), places, dict(cells), dict(bus))
