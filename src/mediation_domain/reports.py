"""Activity indicators for funders: pure folds over the event history, no personal data.

Two steps. `CaseFacts` folds a case's events into what the indicators need: where and
when it was requested, and when it was proposed, accepted, refused, held sessions and
closed; nothing personal (consents are kept per party under a key the caller chooses,
and only while the case is open). `Report` then counts those facts over a period, as
they stood at any past moment (`as_of`): every fact carries its time, so a report as of
last March is the same whether computed now or then.

Counts are kept per neighbourhood x domain x calendar month: the grid. Partners get the
grid with counts from 1 to 4 shown as "< 5", and every total derived from the grid as
published (a range where hidden cells add up), never from the exact counts. Whatever
reports a partner combines (adjacent periods, overlapping ones, totals against rows),
they learn nothing the published grid does not show. See docs/reports.md for the limits.
"""

from __future__ import annotations

import bisect
import calendar
import math
import statistics
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import Any

import attrs

from mediation_domain.case import MediationCase
from mediation_domain.errors import InvalidInputError, quoted
from mediation_domain.values import (
    ConsentStatus,
    InterventionDomain,
    Outcome,
    ReferralSource,
    SessionKind,
    WithdrawnBy,
)

SMALL_COUNT = 5
# What one report may ask for: a request for twenty centuries of months by neighbourhood
# and domain took seconds of CPU and megabytes, and held other clients back meanwhile.
MOST_MONTHS = 240  # twenty years
MOST_ROWS = 10_000
DIMENSIONS = ("neighbourhood", "domain", "month")
AGE_BUCKETS = ((30, "0-30d"), (90, "31-90d"), (180, "91-180d"), (math.inf, "181d+"))

# The counted indicators, in report order. Flows count what happened in the period;
# stocks (open cases) count what stood at its end.
FLOWS: tuple[str, ...] = (
    "requests",
    *(f"referral.{source.value}" for source in ReferralSource),
    "proposed",
    "accepted",
    "refused",
    "withdrawn",
    *(f"withdrawn.{by.value}" for by in WithdrawnBy),
    "resolved",
    *(f"resolved.{outcome.value}" for outcome in Outcome),
    "closed",
    "sessions",
    *(f"sessions.{kind.value}" for kind in SessionKind),
)
STOCKS: tuple[str, ...] = ("open", *(f"open.{label}" for _, label in AGE_BUCKETS))
COUNTS = FLOWS + STOCKS
# What partners get per neighbourhood or domain; the breakdowns (by referral source, who
# withdrew, outcome, session kind, age) they get for the whole service only: split that
# fine, nearly every count would be small.
MAIN = tuple(name for name in FLOWS if "." not in name)
# Open cases are the service's own: month after month, open(M) = open(M-1) + requests(M)
# - closures(M), which would let a partner subtract a hidden request or closure back out.
PARTNERS = FLOWS
MEASURES = (
    "sessions_per_closed_case.mean",
    "closure_days.median",
    "closure_days.p90",
    "open_age_days.median",
)


# The fold ------------------------------------------------------------------------------


@attrs.define
class CaseFacts:
    """What the indicators need of one case; every milestone carries its time."""

    requested_at: datetime
    neighbourhood: str
    domain: InterventionDomain
    referral: ReferralSource
    proposed_at: datetime | None = None  # first mediator assigned
    accepted_at: datetime | None = None  # first moment every party's consent was live
    refused_at: datetime | None = None  # first refusal
    sessions: list[tuple[datetime, SessionKind]] = attrs.Factory(list)
    closed_at: datetime | None = None
    withdrawn_by: WithdrawnBy | None = None
    outcome: Outcome | None = None
    consents: dict[str, ConsentStatus] = attrs.Factory(dict)  # by party key, while open

    def to_json(self) -> dict[str, Any]:
        """A JSON object that `from_json` reads back equal."""
        return {
            "requested_at": self.requested_at.isoformat(),
            "neighbourhood": self.neighbourhood,
            "domain": self.domain.value,
            "referral": self.referral.value,
            "proposed_at": _iso(self.proposed_at),
            "accepted_at": _iso(self.accepted_at),
            "refused_at": _iso(self.refused_at),
            "sessions": [[at.isoformat(), kind.value] for at, kind in self.sessions],
            "closed_at": _iso(self.closed_at),
            "withdrawn_by": self.withdrawn_by.value if self.withdrawn_by else None,
            "outcome": self.outcome.value if self.outcome else None,
            "consents": {key: status.value for key, status in self.consents.items()},
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CaseFacts:
        """The facts `to_json` wrote."""
        return cls(
            requested_at=datetime.fromisoformat(data["requested_at"]),
            neighbourhood=data["neighbourhood"],
            domain=InterventionDomain(data["domain"]),
            referral=ReferralSource(data["referral"]),
            proposed_at=_time(data["proposed_at"]),
            accepted_at=_time(data["accepted_at"]),
            refused_at=_time(data["refused_at"]),
            sessions=[(datetime.fromisoformat(at), SessionKind(k)) for at, k in data["sessions"]],
            closed_at=_time(data["closed_at"]),
            withdrawn_by=WithdrawnBy(data["withdrawn_by"]) if data["withdrawn_by"] else None,
            outcome=Outcome(data["outcome"]) if data["outcome"] else None,
            consents={key: ConsentStatus(value) for key, value in data["consents"].items()},
        )


PartyKey = Callable[[str], str]


def fold(facts: dict[str, CaseFacts], event: object, party_key: PartyKey = str) -> str | None:
    """Apply one stored event to the facts of its case; returns the case's key if changed.

    `facts` maps str(case id) to its facts: it must hold the event's case unless the event
    is the request. `party_key` names a party in the consents (the projection hashes ids).
    """
    name = type(event).__name__
    case = str(event.originator_id)  # type: ignore[attr-defined]
    at: datetime = event.timestamp  # type: ignore[attr-defined]
    if isinstance(event, MediationCase.Requested):
        facts[case] = CaseFacts(
            requested_at=at,
            neighbourhood=event.neighbourhood,
            domain=event.domain,
            referral=event.referral,
            consents={party_key(p.id.value): ConsentStatus.PENDING for p in event.parties},
        )
        return case
    step = _STEPS.get(name)
    if step is None:  # an erasure, or a mediator stepping down: not counted
        return None
    found = facts.get(case)
    if found is None:
        message = f"the report's facts have no case {case}: rebuild them"
        raise InvalidInputError(message)
    step(found, event, at, party_key)
    return case


def facts_of(events: Iterable[object], party_key: PartyKey = str) -> dict[str, CaseFacts]:
    """Fold a whole history (in recorded order) into the facts of every case."""
    facts: dict[str, CaseFacts] = {}
    for event in events:
        fold(facts, event, party_key)
    return facts


def _joined(case: CaseFacts, event: Any, _: datetime, key: PartyKey) -> None:  # noqa: ANN401
    if case.closed_at is None:
        case.consents[key(event.party.id.value)] = ConsentStatus.PENDING


def _assigned(case: CaseFacts, _: object, at: datetime, __: PartyKey) -> None:
    if case.proposed_at is None:
        case.proposed_at = at


def _consent(status: ConsentStatus) -> Callable[[CaseFacts, Any, datetime, PartyKey], None]:
    def step(case: CaseFacts, event: Any, at: datetime, key: PartyKey) -> None:  # noqa: ANN401
        if case.closed_at is not None:
            return
        case.consents[key(event.party.value)] = status
        if status is ConsentStatus.REFUSED and case.refused_at is None:
            case.refused_at = at
        given = all(s is ConsentStatus.GIVEN for s in case.consents.values())
        if status is ConsentStatus.GIVEN and given and case.accepted_at is None:
            case.accepted_at = at

    return step


def _session(case: CaseFacts, event: Any, at: datetime, _: PartyKey) -> None:  # noqa: ANN401
    case.sessions.append((at, event.kind))


def _withdrawn(case: CaseFacts, event: Any, at: datetime, _: PartyKey) -> None:  # noqa: ANN401
    case.closed_at, case.withdrawn_by = at, event.by
    case.consents.clear()  # no longer needed: the view keeps no party longer than it must


def _resolved(case: CaseFacts, event: Any, at: datetime, _: PartyKey) -> None:  # noqa: ANN401
    case.closed_at, case.outcome = at, event.outcome
    case.consents.clear()


_STEPS: dict[str, Callable[[CaseFacts, Any, datetime, PartyKey], None]] = {
    "PartyJoined": _joined,
    "MediatorAssigned": _assigned,
    "ConsentGiven": _consent(ConsentStatus.GIVEN),
    "ConsentWithdrawn": _consent(ConsentStatus.WITHDRAWN),
    "ConsentRefused": _consent(ConsentStatus.REFUSED),
    "SessionHeld": _session,
    "Withdrawn": _withdrawn,
    "Resolved": _resolved,
}


# The period -----------------------------------------------------------------------------


@attrs.frozen
class Period:
    """Days `start` to `end` (inclusive, in `zone`), as the history stood at `as_of`."""

    start: date
    end: date
    as_of: datetime
    zone: tzinfo = UTC

    def __attrs_post_init__(self) -> None:
        if self.end < self.start:
            message = f"the period ends ({self.end}) before it starts ({self.start})"
            raise InvalidInputError(message)
        if self.as_of.tzinfo is None:
            object.__setattr__(self, "as_of", self.as_of.replace(tzinfo=UTC))

    @classmethod
    def of(
        cls,
        start: str | date | None,
        end: str | date | None,
        *,
        as_of: datetime,
        zone: tzinfo = UTC,
        whole_months: bool = False,
    ) -> Period:
        """The period from texts such as 2026-01 or 2026-01-15 (None: this year so far).

        With `whole_months` (partners' reports), the period must be whole calendar months
        that were over at `as_of`; with no end given it ends with the last such month.
        """
        moment = as_of if as_of.tzinfo else as_of.replace(tzinfo=UTC)
        try:
            today = moment.astimezone(zone).date()
            last = _day(end, last=True) if end is not None else None
            if last is None:
                last = today.replace(day=1) - timedelta(days=1) if whole_months else today
            first = _day(start, last=False) if start is not None else last.replace(month=1, day=1)
            period = cls(first, last, moment, zone)
            if whole_months:
                period.check_whole_months()
        except InvalidInputError:
            raise
        except (OverflowError, ValueError):  # the calendar's own ends (year 1, year 9999)
            message = (
                f"the period {start or 'January'} to {end or 'now'} as of {moment:%Y-%m-%d} is "
                "out of range"
            )
            raise InvalidInputError(message) from None
        return period

    def check_whole_months(self) -> None:
        """Refuse a period that is not whole calendar months, all over at `as_of`."""
        last_day = calendar.monthrange(self.end.year, self.end.month)[1]
        if self.start.day != 1 or self.end.day != last_day:
            message = (
                f"a partner's report covers whole calendar months, not {self.start} to "
                f"{self.end}: give months, e.g. --from {self.start:%Y-%m} --to {self.end:%Y-%m}"
            )
            raise InvalidInputError(message)
        # Over once its next midnight has come (an as-of day's last instant counts as it).
        if self.end >= (self.as_of + timedelta(microseconds=1)).astimezone(self.zone).date():
            message = (
                f"{self.end:%Y-%m} is not over at {self.as_of.isoformat(timespec='seconds')}: "
                "a partner's report ends with a finished month"
            )
            raise InvalidInputError(message)

    @property
    def month_count(self) -> int:
        """How many calendar months the period touches."""
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def check_size(self) -> None:
        """Refuse a period over MOST_MONTHS months."""
        if self.month_count > MOST_MONTHS:
            message = (
                f"a report covers at most {MOST_MONTHS} months ({MOST_MONTHS // 12} years), "
                f"not {self.month_count}: ask for a shorter period"
            )
            raise InvalidInputError(message)

    @property
    def months(self) -> list[str]:
        """The period's months (YYYY-MM) that had begun at `as_of`."""
        found, month = [], self.start.replace(day=1)
        while month <= self.end and self._midnight(month) <= self.as_of:
            found.append(f"{month:%Y-%m}")
            month = _next_month(month)
        return found

    def _midnight(self, day: date) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=self.zone)

    def until(self, month: str) -> datetime:
        """The first moment not counted in `month`'s stock: its end, or just after as_of."""
        year, number = (int(part) for part in month.split("-"))
        end = min(_next_month(date(year, number, 1)) - timedelta(days=1), self.end)
        return min(self._midnight(end + timedelta(days=1)), self.as_of + timedelta(microseconds=1))


def _day(text: str | date, *, last: bool) -> date:
    if isinstance(text, date):
        return text
    value = str(text).strip()
    try:
        if len(value) == len("2026-01"):
            first = date.fromisoformat(f"{value}-01")
            days = calendar.monthrange(first.year, first.month)[1]
            return first.replace(day=days) if last else first
        return date.fromisoformat(value)
    except ValueError:
        message = f"invalid date {quoted(text)}: expected YYYY-MM or YYYY-MM-DD"
        raise InvalidInputError(message) from None


def _next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


# Counting -------------------------------------------------------------------------------

Key = tuple[str, str, str]  # neighbourhood, domain code, month


@attrs.define
class _Cell:
    counts: Counter[str] = attrs.Factory(Counter)
    closure_days: list[float] = attrs.Factory(list)
    sessions_of_closed: list[int] = attrs.Factory(list)
    open_ages: list[float] = attrs.Factory(list)


@attrs.frozen
class Shown:
    """A count as a reader sees it: exact (low == high), or between low and high.

    `high` is None when a reader could work out no upper bound.
    """

    low: int
    high: int | None

    @property
    def exact(self) -> bool:
        """True when the count is known."""
        return self.low == self.high

    def __str__(self) -> str:
        if self.exact:
            return str(self.low)
        if self.high is None:
            return f">= {self.low}"
        if self.high < SMALL_COUNT:
            return f"< {SMALL_COUNT}"
        return f"{self.low}-{self.high}"

    def __add__(self, other: Shown) -> Shown:
        high = None if self.high is None or other.high is None else self.high + other.high
        return Shown(self.low + other.low, high)

    def to_json(self) -> int | str:
        """The number when exact, else the text ("< 5", "12-20", ">= 5")."""
        return self.low if self.exact else str(self)


@attrs.frozen
class Row:
    """One line of a report: its key (one value per grouping) and what it counts."""

    key: tuple[str, ...]
    counts: dict[str, Shown]
    measures: dict[str, float | None]


@attrs.frozen
class Report:
    """Indicators over a period, counted on the neighbourhood x domain x month grid.

    `published` holds, for every month, the figures of the four tables a report shows:
    the whole service, each neighbourhood, each domain, each neighbourhood x domain. Any
    row of any report is a sum of those monthly figures (flows) or the last month's
    (stocks), so reports of different periods agree and cannot be differenced into more.
    """

    period: Period
    cells: Mapping[Key, _Cell]
    exact: bool
    published: Mapping[Node, Shown]

    @classmethod
    def of(cls, facts: Iterable[CaseFacts], period: Period, *, exact: bool = False) -> Report:
        """Count `facts` over `period`; `exact=False` is what a partner may receive."""
        if not exact:
            period.check_whole_months()
        period.check_size()
        cells: dict[Key, _Cell] = defaultdict(_Cell)
        ends = [(month, period.until(month)) for month in period.months]
        for case in facts:
            _count(case, period, ends, cells)
        return cls(period, dict(cells), exact, _publish(cells, exact=exact))

    def rows(self, by: Sequence[str]) -> list[Row]:
        """The indicators grouped by `by` (a subset of DIMENSIONS), in a stable order."""
        dims = dimensions(by)
        table = tuple(d for d in _PLACES if d in dims)
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
        """Flows added up over `months`; stocks as they stood at the end of the last one."""
        last = months[-1:] if months else []
        names = COUNTS if self.exact else MAIN if place[0] else PARTNERS
        counts = {
            name: _sum(
                self.published.get((*place, m, name)) for m in (last if name in STOCKS else months)
            )
            for name in names
        }
        stock = [cell for cell in cells if [cell[2]] == last]
        closure = [d for c in cells for d in self.cells[c].closure_days]
        sessions = [n for c in cells for n in self.cells[c].sessions_of_closed]
        ages = [a for c in stock for a in self.cells[c].open_ages]
        measures = {
            "sessions_per_closed_case.mean": self._measure(sessions, statistics.fmean),
            "closure_days.median": self._measure(closure, statistics.median),
            "closure_days.p90": self._measure(closure, _p90),
            "open_age_days.median": self._measure(ages, statistics.median) if self.exact else None,
        }
        return Row(key, counts, measures)

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


# Publishing: small counts hidden, and what would give them away hidden too ----------------

_PLACES = ("neighbourhood", "domain")
_TABLES: tuple[tuple[str, ...], ...] = ((), ("neighbourhood",), ("domain",), _PLACES)
# Each count that is the sum of others, in every table: requests = the referrals, etc.
_PARTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("requests", tuple(n for n in FLOWS if n.startswith("referral."))),
    ("withdrawn", tuple(n for n in FLOWS if n.startswith("withdrawn."))),
    ("resolved", tuple(n for n in FLOWS if n.startswith("resolved."))),
    ("closed", ("withdrawn", "resolved")),
    ("sessions", tuple(n for n in FLOWS if n.startswith("sessions."))),
    ("open", STOCKS[1:]),
)
_UNBOUNDED = math.inf  # a secondary count's: no narrowing an infinite bound by steps
_VISITS = 6  # visits per sum: more narrows ranges, never pinned more (measured)
# A published figure: (table, its key, month, indicator), e.g.
# (("neighbourhood",), ("Beaulieu",), "2026-03", "requests").
Node = tuple[tuple[str, ...], tuple[str, ...], str, str]


def _publish(cells: Mapping[Key, _Cell], *, exact: bool) -> dict[Node, Shown]:
    """Every table's monthly figures: exact, or as a partner may receive them."""
    values: dict[Node, int] = Counter()
    for (place, domain, month), cell in cells.items():
        named = {"neighbourhood": place, "domain": domain}
        for table in _TABLES:
            key = tuple(named[d] for d in table)
            for name, count in cell.counts.items():
                values[table, key, month, name] += count
    if exact:
        return {node: Shown(v, v) for node, v in values.items() if v}
    by_month: dict[str, dict[Node, int]] = defaultdict(dict)
    for node, value in values.items():
        if value and node[3] in (MAIN if node[0] else PARTNERS):
            by_month[node[2]][node] = value
    published: dict[Node, Shown] = {}
    for month_values in by_month.values():
        published.update(_suppressed(month_values))
    return published


def _relations(values: Mapping[Node, int]) -> list[tuple[Node, list[Node]]]:
    """Each published figure that is the sum of others (zeros left out: they are known)."""
    by_parent: dict[tuple[Node, tuple[str, ...]], list[Node]] = defaultdict(list)
    for node in values:
        table, key, month, name = node
        for drop in range(len(table)):  # a table adds up into each coarser one, separately
            parent = (table[:drop] + table[drop + 1 :], key[:drop] + key[drop + 1 :], month, name)
            by_parent[parent, table].append(node)
    found = [(parent, children) for (parent, _), children in by_parent.items()]
    for node in values:
        table, key, month, name = node
        for whole, parts in _PARTS:
            # A whole and its parts, where the parts are published: partners get the
            # breakdowns for the whole service only (absent there, a part is a zero).
            if name == whole and (not table or all(p in MAIN for p in parts)):
                children = [
                    (table, key, month, p) for p in parts if (table, key, month, p) in values
                ]
                found.append((node, children))
    return found


def _suppressed(values: Mapping[Node, int]) -> dict[Node, Shown]:
    """One month's figures with 1 to 4 hidden, and more hidden until none can be worked out.

    A hidden count could be worked out from a total and its other parts (Beaulieu's
    requests less its other referral sources...). Bounds are propagated through every
    such sum, as a reader would; while a hidden count is pinned to one value, the smallest
    figure beside it in one of its sums is hidden too (secondary suppression).
    """
    # The same figures must always give the same choices, whatever order they came in:
    # two reports hiding different cells of one month could be played against each other.
    values = dict(sorted(values.items()))
    small = {node for node, v in values.items() if v < SMALL_COUNT}
    hidden: set[Node] = set()
    relations = _relations(values)
    involving: dict[Node, list[tuple[Node, list[Node]]]] = defaultdict(list)
    for relation in relations:
        for node in (relation[0], *relation[1]):
            involving[node].append(relation)
    bounds = _bounds(values, small, hidden, relations)
    for _ in range(len(values)):
        pinned = sorted(n for n in small if bounds[n][0] == bounds[n][1])
        choice = next(
            (c for n in pinned if (c := _beside(n, values, small, hidden, involving))), None
        )
        if choice is None:
            break
        hidden.add(choice)
        bounds = _bounds(values, small, hidden, relations)
    shown: dict[Node, Shown] = {}
    for node, value in values.items():
        if node in small:
            shown[node] = Shown(1, SMALL_COUNT - 1)
        elif node in hidden:
            low, high = bounds[node]
            shown[node] = Shown(int(low), None if high == _UNBOUNDED else int(high))
        else:
            shown[node] = Shown(value, value)
    return shown


def _beside(
    node: Node,
    values: Mapping[Node, int],
    small: set[Node],
    hidden: set[Node],
    involving: Mapping[Node, list[tuple[Node, list[Node]]]],
) -> Node | None:
    """The published figure to hide next to protect `node`.

    The smallest sharing a sum with it (parts before totals); when every such figure is
    hidden already, the nearest beyond, through the sums of those hidden figures. The whole
    service's figures, the most read, are hidden only when nothing else would do.
    """
    masked = small | hidden
    seen, frontier, totals = {node}, [node], []
    while frontier:
        candidates = []
        reached = []
        for current in frontier:
            for parent, children in involving[current]:
                for member in (*children, parent):
                    if member in seen:
                        continue
                    seen.add(member)
                    if member in masked:
                        reached.append(member)
                    elif not member[0]:  # the whole service's: the last figure to hide
                        totals.append((values[member], member))
                    else:
                        candidates.append((member is parent, values[member], member))
        if candidates:
            return min(candidates)[2]
        frontier = reached
    return min(totals)[1] if totals else None


def _bounds(
    values: Mapping[Node, int],
    small: set[Node],
    hidden: set[Node],
    relations: list[tuple[Node, list[Node]]],
) -> dict[Node, tuple[float, float]]:
    """What a reader can work out of each hidden figure from the published ones."""
    low: dict[Node, float] = {
        n: (1 if n in small else SMALL_COUNT if n in hidden else v) for n, v in values.items()
    }
    high: dict[Node, float] = {
        n: (SMALL_COUNT - 1 if n in small else _UNBOUNDED if n in hidden else v)
        for n, v in values.items()
    }
    masked = small | hidden
    active = [r for r in relations if r[0] in masked or any(c in masked for c in r[1])]
    involving: dict[Node, list[int]] = defaultdict(list)
    for index, (parent, children) in enumerate(active):
        for node in (parent, *children):
            involving[node].append(index)
    queue, queued = deque(range(len(active))), set(range(len(active)))
    budget = _VISITS * len(active)  # narrowing by steps could go on: a reader would stop too
    while queue and budget:
        budget -= 1
        index = queue.popleft()
        queued.discard(index)
        parent, children = active[index]
        moved = []
        total_low = sum(low[c] for c in children)
        total_high = sum(high[c] for c in children)
        new = (max(low[parent], total_low), min(high[parent], total_high))
        if new != (low[parent], high[parent]):
            low[parent], high[parent] = new
            moved.append(parent)
        for child in children:
            new = (
                max(low[child], low[parent] - (total_high - high[child])),
                min(high[child], high[parent] - (total_low - low[child])),
            )
            if new != (low[child], high[child]):
                total_low += new[0] - low[child]
                total_high += new[1] - high[child]
                low[child], high[child] = new
                moved.append(child)
        for node in moved:  # only the sums that hold a narrowed figure are looked at again
            for other in involving[node]:
                if other not in queued:
                    queue.append(other)
                    queued.add(other)
    return {n: (low[n], high[n]) for n in masked}


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


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
