"""Counting the facts over a period on the grid: the counts, the measures and the `Report`."""

from __future__ import annotations

import bisect
import math
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import attrs

from mediation_domain.errors import InvalidInputError, quoted
from mediation_domain.reports.activity_figures import ActivityFigures, Select
from mediation_domain.reports.disclosure import (
    PLACES,
    SMALL_COUNT,
    Node,
    Shown,
    partners_counts,
    publish,
    quarter_of,
)
from mediation_domain.reports.facts import (
    AGE_BUCKETS,
    COUNTS,
    DIMENSIONS,
    INSTITUTIONS,
    STOCKS,
    CaseFacts,
    Key,
)
from mediation_domain.reports.period import Period
from mediation_domain.values import InterventionDomain

MOST_ROWS = 10_000
MEASURES = (
    "sessions_per_closed_case.mean",
    "closure_days.median",
    "closure_days.p90",
    "open_age_days.median",
)


@attrs.define
class _Cell:
    counts: Counter[str] = attrs.Factory(Counter)
    closure_days: list[float] = attrs.Factory(list)
    sessions_of_closed: list[int] = attrs.Factory(list)
    open_ages: list[float] = attrs.Factory(list)


@attrs.frozen
class Row:
    """One line of a report: its key (one value per grouping) and what it counts."""

    key: tuple[str, ...]
    counts: dict[str, Shown]
    measures: dict[str, float | None]


@attrs.frozen
class Report:
    """Indicators over a period, counted on the neighbourhood x domain x month grid.

    `published` holds the figures of the four tables a report shows: the whole service,
    each neighbourhood, each domain, each neighbourhood x domain; by month (exact), or for
    partners the whole service by month (but for its cases involving each kind of
    institution, by quarter) and the others by quarter. Any row of any report
    is a sum of those figures (flows) or the last month's (stocks), so reports of
    different periods agree and cannot be differenced into more. `activities`: the figures
    of the work beside cases, under the same rules (None when not asked for).
    """

    period: Period
    cells: Mapping[Key, _Cell]
    exact: bool
    published: Mapping[Node, Shown]
    activities: ActivityFigures | None = None

    @classmethod
    def of(
        cls,
        facts: Iterable[CaseFacts],
        period: Period,
        *,
        exact: bool = False,
        activities: Select | None = None,
    ) -> Report:
        """Count `facts` over `period`; `exact=False` is what a partner may receive.

        `activities` reads the activity index (`ActivityIndex.select`): with it, the report
        counts the activities too.
        """
        period.check_size()
        if not exact:
            period.check_whole_quarters()
        cells: dict[Key, _Cell] = defaultdict(_Cell)
        ends = [(month, period.until(month)) for month in period.months]
        for case in facts:
            _count(case, period, ends, cells)
        grid: dict[tuple[str, ...], Counter[str]] = {k: c.counts for k, c in cells.items()}
        figures = (
            None if activities is None else ActivityFigures.of(activities, period, exact=exact)
        )
        return cls(period, dict(cells), exact, publish(grid, exact=exact), figures)

    def rows(self, by: Sequence[str]) -> list[Row]:
        """The indicators grouped by `by` (a subset of DIMENSIONS), in a stable order."""
        dims = dimensions(by)
        table = tuple(d for d in PLACES if d in dims)
        if table and "month" in dims and not self.exact:
            message = (
                "a partner's report gives neighbourhoods and domains by quarter, over the "
                "whole period: group by month alone, or by neighbourhood and domain"
            )
            raise InvalidInputError(message)
        groups: dict[tuple[str, ...], list[Key]] = defaultdict(list)
        for key in self.cells:
            groups[tuple(key[DIMENSIONS.index(d)] for d in dims)].append(key)
        if len(groups) > MOST_ROWS:
            message = (
                f"this report would have {len(groups)} rows, over {MOST_ROWS}: group by fewer "
                "of neighbourhood, domain and month, or ask for a shorter period"
            )
            raise InvalidInputError(message)
        rows = []
        for values in sorted(groups, key=_order(dims)):
            named = dict(zip(dims, values, strict=True))
            place = tuple(named[d] for d in table)
            months = [named["month"]] if "month" in dims else self.period.months
            rows.append(self._row(values, groups[values], (table, place), months))
        return rows

    def total(self) -> Row:
        """The whole period."""
        return self._row((), list(self.cells), ((), ()), self.period.months)

    def _row(
        self,
        key: tuple[str, ...],
        cells: list[Key],
        place: tuple[tuple[str, ...], tuple[str, ...]],
        months: list[str],
    ) -> Row:
        """The row `key` of `cells`: counts from the published figures, measures from the cells."""
        counts = self._counts(place, months, whole=months == self.period.months)
        return Row(key, counts, self._measures(cells, months[-1:], counts.get("closed")))

    def _counts(
        self, place: tuple[tuple[str, ...], tuple[str, ...]], months: list[str], *, whole: bool
    ) -> dict[str, Shown]:
        """`place`'s published figures (`place`: a table, a key in it).

        Flows added up over `months`; stocks as they stood at the end of the last one. A
        partner's are by quarter (the period is whole quarters), but the whole service's
        by month; those it gets by quarter only (institutions), over the `whole` period.
        """
        slots = dict.fromkeys(COUNTS, months)
        if not self.exact:
            quarters = list(dict.fromkeys(quarter_of(m) for m in months))
            slots = dict.fromkeys(partners_counts(place[0]), quarters if place[0] else months)
            if not place[0] and whole:
                slots |= dict.fromkeys(INSTITUTIONS, quarters)
        return {
            name: _sum(
                self.published.get((*place, slot, name))
                for slot in (chosen[-1:] if name in STOCKS else chosen)
            )
            for name, chosen in slots.items()
        }

    def _measures(
        self, cells: list[Key], last: list[str], closed: Shown | None
    ) -> dict[str, float | None]:
        """The measures over `cells`; open cases' age as it stood at the end of `last` (or none).

        A partner gets the measures of closed cases only where the row's closures are shown
        as 5 or more: shown where a range could be below 5, their presence would tell.
        """
        known = self.exact or (closed is not None and closed.low >= SMALL_COUNT)
        closure = [d for c in cells for d in self.cells[c].closure_days] if known else []
        sessions = [n for c in cells for n in self.cells[c].sessions_of_closed] if known else []
        ages = [a for c in cells if c[2] in last for a in self.cells[c].open_ages]
        return {
            "sessions_per_closed_case.mean": self._measure(sessions, statistics.fmean),
            "closure_days.median": self._measure(closure, statistics.median),
            "closure_days.p90": self._measure(closure, _p90),
            "open_age_days.median": self._measure(ages, statistics.median) if self.exact else None,
        }

    def _measure(
        self, values: Sequence[float], summary: Callable[[Sequence[float]], float]
    ) -> float | None:
        if not values or (not self.exact and len(values) < SMALL_COUNT):
            return None
        return round(float(summary(values)), 1)


def _sum(figures: Iterable[Shown | None]) -> Shown:
    total = Shown(0, 0)
    for figure in figures:
        if figure is not None:
            total += figure
    return total


def _count(
    case: CaseFacts, period: Period, ends: list[tuple[str, datetime]], cells: dict[Key, _Cell]
) -> None:
    zone, as_of = period.zone, period.as_of
    place, domain = case.neighbourhood, case.domain.value
    if case.requested_at > as_of:
        return

    def counted(at: datetime | None) -> _Cell | None:
        if at is None or at > as_of:
            return None
        day = at.astimezone(zone).date()
        if not period.start <= day <= period.end:
            return None
        return cells[place, domain, f"{day:%Y-%m}"]

    milestones = [
        (case.requested_at, ("requests", f"referral.{case.referral.value}")),
        (case.proposed_at, ("proposed",)),
        (case.accepted_at, ("accepted",)),
        (case.refused_at, ("refused",)),
        *((at, ("sessions", f"sessions.{kind.value}")) for at, kind in case.sessions),
        *((at, (f"institution.{kind.value}",)) for kind, at in case.institutions.items()),
    ]
    for at, names in milestones:
        if cell := counted(at):
            cell.counts.update(names)
    if case.closed_at is not None and (cell := counted(case.closed_at)):
        if case.withdrawn_by is not None:
            cell.counts.update(("closed", "withdrawn", f"withdrawn.{case.withdrawn_by.value}"))
        elif case.outcome is not None:
            cell.counts.update(("closed", "resolved", f"resolved.{case.outcome.value}"))
        cell.closure_days.append(_days(case.closed_at - case.requested_at))
        cell.sessions_of_closed.append(sum(at <= case.closed_at for at, _ in case.sessions))
    _count_open(case, ends, cells)


def _count_open(case: CaseFacts, ends: list[tuple[str, datetime]], cells: dict[Key, _Cell]) -> None:
    """Count the case open at the end of each month it was (the last one: at as_of)."""
    first = bisect.bisect_right(ends, case.requested_at, key=lambda end: end[1])
    last = (
        len(ends)
        if case.closed_at is None
        else bisect.bisect_right(ends, case.closed_at, key=lambda end: end[1])
    )
    place, domain = case.neighbourhood, case.domain.value
    for month, until in ends[first:last]:  # requested before `until`, not closed by then
        age = _days(until - case.requested_at)
        cell = cells[place, domain, month]
        cell.counts["open"] += 1
        cell.counts[f"open.{next(label for top, label in AGE_BUCKETS if age <= top)}"] += 1
        cell.open_ages.append(age)


def dimensions(by: Sequence[str]) -> tuple[str, ...]:
    """The groupings asked for, checked, each once and in the order given."""
    dims = tuple(dict.fromkeys(d.strip() for d in by if d.strip()))
    unknown = [d for d in dims if d not in DIMENSIONS]
    if unknown:
        message = f"cannot group by {quoted(unknown[0])}: choose among {', '.join(DIMENSIONS)}"
        raise InvalidInputError(message)
    return dims


def _order(dims: tuple[str, ...]) -> Callable[[tuple[str, ...]], tuple[Any, ...]]:
    domains = [d.value for d in InterventionDomain]

    def key(values: tuple[str, ...]) -> tuple[Any, ...]:
        return tuple(
            domains.index(v) if d == "domain" else v for d, v in zip(dims, values, strict=True)
        )

    return key


def _days(span: timedelta) -> float:
    return span.total_seconds() / 86400


def _p90(values: Sequence[float]) -> float:
    """The 90th percentile, nearest rank: a duration some case actually took."""
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]
