"""What an activity of the index counts in a report: its family, its row, its counts.

Four families, each counted on a grid of its own (one vocabulary x month): rounds by
neighbourhood, watch reports by partner kind, orientations by need, collective actions by
kind. A round and an action count in the month they took place. A watch report and an
orientation count in the month they were made, with where they stood at the report's
as-of: closed or still open (and for how long), the outcome the latest follow-up found.
Only what is dated in the period is read from the index (`conditions`), and only what is
dated by the as-of counts: the index knows the dates mediators gave, not when they were
recorded.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

import attrs

from mediation_domain.activity_values import (
    AccessNeed,
    ActionKind,
    ContactKind,
    OrientationOutcome,
    PartnerKind,
)
from mediation_domain.ports import Condition
from mediation_domain.reports.disclosure import Scheme
from mediation_domain.reports.period import Period

CONTACTS = tuple(f"contacts.{kind.value}" for kind in ContactKind)
AWAITING = "awaiting-follow-up"  # an orientation no follow-up has reached yet
OUTCOMES = (*(outcome.value for outcome in OrientationOutcome), AWAITING)
LONG_OPEN_DAYS = 30  # a watch report open longer than this waits too long for its answer
OPEN_AGES = ("open.0-30d", "open.31d+")
_WATCH = ("reported", "closed", "open", *OPEN_AGES)
_ORIENTATIONS = ("oriented", *OUTCOMES)
_ACTIONS = ("actions", "attendance")


@attrs.frozen(eq=False)  # one of FAMILIES, compared by identity
class Family:
    """One kind of activity as the report counts it: its section, its index kind, its sums.

    `scheme.dims` names the rows' vocabulary; `order` lists its codes in report order
    (None: alphabetical, for the service's own neighbourhoods).
    """

    name: str
    kind: str
    scheme: Scheme
    order: tuple[str, ...] | None

    @property
    def dim(self) -> str:
        """The vocabulary of the section's rows."""
        return self.scheme.dims[0]

    @property
    def names(self) -> tuple[str, ...]:
        """Every count of the family, in report order."""
        return self.scheme.service_quarterly


def _by_quarter(
    dim: str, every: tuple[str, ...], by_row: tuple[str, ...], parts: Mapping[str, tuple[str, ...]]
) -> Scheme:
    """Rows of `dim`: a partner gets `every` count of the service, `by_row` of each row."""
    return Scheme((dim,), (), by_row, parts, every)


def _codes(vocabulary: Iterable[Any]) -> tuple[str, ...]:
    return tuple(code.value for code in vocabulary)


# A partner gets each family by quarter (the whole service too, not by month: split by
# month, a breakdown's few a month hid the counts beside them), and the breakdowns for
# the whole service only: per row, what would split it into small parts is left out
# (watch reports closed or waiting, per partner kind: one small, the other hidden too).
PRESENCE = Family(
    "presence",
    "round",
    _by_quarter(
        "neighbourhood",
        ("rounds", "contacts", *CONTACTS),
        ("rounds", "contacts"),
        {"contacts": CONTACTS},
    ),
    None,
)
WATCH = Family(
    "watch",
    "watch",
    _by_quarter(
        "partner", _WATCH, ("reported",), {"reported": ("closed", "open"), "open": OPEN_AGES}
    ),
    _codes(PartnerKind),
)
ORIENTATIONS = Family(
    "orientations",
    "orientation",
    _by_quarter("need", _ORIENTATIONS, ("oriented",), {"oriented": OUTCOMES}),
    _codes(AccessNeed),
)
ACTIONS = Family(
    "actions", "action", _by_quarter("action", _ACTIONS, _ACTIONS, {}), _codes(ActionKind)
)
FAMILIES = (PRESENCE, WATCH, ORIENTATIONS, ACTIONS)


@attrs.define
class Tally:
    """A family's counts over a period by (row, month), and its figures that are not counts.

    `days`: a closed watch report's days from report to answer; `seconds`: rounds' time
    present, and `bus` that of them on a bus (whole seconds: added up in any order, the
    same total).
    """

    counts: defaultdict[tuple[str, ...], Counter[str]] = attrs.Factory(lambda: defaultdict(Counter))
    days: defaultdict[tuple[str, str], list[float]] = attrs.Factory(lambda: defaultdict(list))
    seconds: Counter[tuple[str, str]] = attrs.Factory(Counter)
    bus: Counter[tuple[str, str]] = attrs.Factory(Counter)


@attrs.frozen
class _Cut:
    """The days a report counts: the period's, up to the day of its as-of."""

    start: date
    last: date  # the period's end, or the as-of's day when earlier
    today: date  # the as-of's day, where open reports' ages and outcomes are read
    period: Period

    @classmethod
    def of(cls, period: Period) -> _Cut:
        today = period.as_of.astimezone(period.zone).date()
        return cls(period.start, min(period.end, today), today, period)

    def month(self, day: date) -> str | None:
        """The month `day` counts in, None outside the period (or after the as-of)."""
        return f"{day:%Y-%m}" if self.start <= day <= self.last else None


def conditions(family: Family, period: Period) -> list[Condition]:
    """What to ask the activity index for: the family's activities dated in the period.

    A round's day in the index is its start's on the recording machine's clock, which may
    be another zone's: a day more is read on each side, and `tally` keeps the period's.
    """
    cut = _Cut.of(period)
    margin = timedelta(days=1 if family.kind == "round" else 0)
    return [
        Condition("kind", "=", family.kind),
        Condition("on", ">=", (cut.start - margin).isoformat()),
        Condition("on", "<=", (cut.last + margin).isoformat()),
    ]


def tally(family: Family, documents: Iterable[Mapping[str, Any]], period: Period) -> Tally:
    """Count the family's `documents` (the index's) over `period`, as they stood at its as-of."""
    cut, found = _Cut.of(period), Tally()
    count = _COUNTERS[family.kind]
    for document in documents:
        count(document, cut, found)
    return found


def _round(doc: Mapping[str, Any], cut: _Cut, found: Tally) -> None:
    started = datetime.fromisoformat(doc["started_at"])
    ended = datetime.fromisoformat(doc["ended_at"])
    month = cut.month(started.astimezone(cut.period.zone).date())
    if month is None or started > cut.period.as_of:
        return
    cell = doc["neighbourhood"], month
    contacts = {f"contacts.{kind}": n for kind, n in doc["contacts"].items() if n}
    found.counts[cell].update({"rounds": 1, "contacts": sum(contacts.values()), **contacts})
    seconds = round((ended - started).total_seconds())
    found.seconds[cell] += seconds
    if doc.get("bus_line"):
        found.bus[cell] += seconds


def _watch(doc: Mapping[str, Any], cut: _Cut, found: Tally) -> None:
    reported = date.fromisoformat(doc["on"])
    month = cut.month(reported)
    if month is None:
        return
    cell = doc["partner"], month
    closed = _day(doc.get("closed_on"))
    if closed is not None and closed <= cut.today:
        found.counts[cell].update(("reported", "closed"))
        found.days[cell].append(float((closed - reported).days))
        return
    age = "open.0-30d" if (cut.today - reported).days <= LONG_OPEN_DAYS else "open.31d+"
    found.counts[cell].update(("reported", "open", age))


def _orientation(doc: Mapping[str, Any], cut: _Cut, found: Tally) -> None:
    month = cut.month(date.fromisoformat(doc["on"]))
    if month is not None:
        found.counts[doc["need"], month].update(("oriented", outcome_at(doc, cut.today)))


def outcome_at(doc: Mapping[str, Any], today: date) -> str:
    """The outcome an orientation's latest follow-up by `today` found (AWAITING: none yet).

    The index keeps the latest follow-up only. One after `today` hides what stood then:
    with no follow-up before it, none; with some, in progress (only in progress goes on).
    Whether the first came before `today` is not known: it is counted as if it had.
    """
    last = _day(doc.get("last_contact_on"))
    follow_ups = int(doc.get("follow_ups") or 0)
    if not follow_ups or doc.get("outcome") is None:
        return AWAITING
    if last is not None and last <= today:
        return str(doc["outcome"])
    return AWAITING if follow_ups == 1 else OrientationOutcome.IN_PROGRESS.value


def _action(doc: Mapping[str, Any], cut: _Cut, found: Tally) -> None:
    month = cut.month(date.fromisoformat(doc["on"]))
    if month is not None:
        found.counts[doc["action"], month].update(
            {"actions": 1, "attendance": int(doc["attendance"])}
        )


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


_COUNTERS: dict[str, Callable[[Mapping[str, Any], _Cut, Tally], None]] = {
    "round": _round,
    "watch": _watch,
    "orientation": _orientation,
    "action": _action,
}
