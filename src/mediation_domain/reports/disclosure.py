"""The partners' view: counts 1 to 4 hidden, and whatever would give one away hidden too.

Partners get the whole service by month, and neighbourhoods and domains by calendar
quarter: at the service's pace (some 60 requests a month over 6 neighbourhoods and 5
domains), a neighbourhood's or domain's month holds a handful of cases, its quarter tens.
Each quarter is published once it is over, as one system: its three months of the
whole service and its quarterly figures by neighbourhood, domain and both, suppressed
together. Any partner report is a sum of those figures, so reports of any periods (whole
quarters) can be differenced into nothing they do not show. The activities' figures follow
the same rules, each family of them with its own `Scheme` of tables and sums.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict, deque
from collections.abc import Mapping

import attrs

from mediation_domain.reports.facts import FLOWS, INSTITUTIONS, STOCKS

SMALL_COUNT = 5
# What partners get per neighbourhood or domain; the breakdowns (by referral source, who
# withdrew, outcome, session kind, age) they get for the whole service only: split that
# fine, nearly every count would be small. Neither are closures split into withdrawals
# and resolutions there (a neighbourhood's few withdrawals a quarter would be hidden, and
# its closures with them: closed = withdrawn + resolved), nor refusals given: a few a
# quarter, spread over a few neighbourhoods, "< 5" each, that a known total splits into
# ones (4 = 1 + 1 + 1 + 1, each part published as non-zero).
_SERVICE_ONLY = {"withdrawn", "resolved", "refused"}
MAIN = tuple(name for name in FLOWS if "." not in name and name not in _SERVICE_ONLY)
# Open cases are the service's own: month after month, open(M) = open(M-1) + requests(M)
# - closures(M), which would let a partner subtract a hidden request or closure back out.
# The cases involving each kind of institution: the whole service's, by quarter only (a
# kind's few a month would be "< 5"); part of no sum, so hidden only where 1 to 4.
PARTNERS = FLOWS
_MONTHLY = tuple(name for name in FLOWS if name not in INSTITUTIONS)


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


PLACES = ("neighbourhood", "domain")
# Each count that is the sum of others, in every table: requests = the referrals, etc.
_PARTS: dict[str, tuple[str, ...]] = {
    "requests": tuple(n for n in FLOWS if n.startswith("referral.")),
    "withdrawn": tuple(n for n in FLOWS if n.startswith("withdrawn.")),
    "resolved": tuple(n for n in FLOWS if n.startswith("resolved.")),
    "closed": ("withdrawn", "resolved"),
    "sessions": tuple(n for n in FLOWS if n.startswith("sessions.")),
    "open": STOCKS[1:],
}
_UNBOUNDED = math.inf  # a secondary count's: no narrowing an infinite bound by steps
_VISITS = 6  # visits per sum: more narrows ranges, never pinned more (measured)
# A published figure: (table, its key, month or quarter, indicator), e.g.
# ((), (), "2026-03", "requests") or (("neighbourhood",), ("Beaulieu",), "2026-Q1", "requests").
Node = tuple[tuple[str, ...], tuple[str, ...], str, str]
# A published figure and the published figures it is the sum of.
Relation = tuple[Node, list[Node]]
Bounds = tuple[float, float]  # the least and the most a reader can work a figure out to be


@attrs.frozen
class Scheme:
    """What one family of figures publishes, and how its counts add up.

    A grid's key is one value of each of `dims` (its places), then the month. The tables
    are the whole service, each place and (with two) both. A partner gets the whole
    service's counts `service` by month and `service_quarterly` by quarter, and the other
    tables' `quarterly` by quarter. `parts`: each count that is the sum of others.
    """

    dims: tuple[str, ...]
    service: tuple[str, ...]
    quarterly: tuple[str, ...]
    parts: Mapping[str, tuple[str, ...]]
    service_quarterly: tuple[str, ...] = ()

    @property
    def tables(self) -> tuple[tuple[str, ...], ...]:
        """The whole service, each place alone, then every place together."""
        singles = tuple((dim,) for dim in self.dims)
        return ((), *singles, *((self.dims,) if len(self.dims) > 1 else ()))

    def counts(self, table: tuple[str, ...]) -> tuple[str, ...]:
        """The counts partners get in `table`: by month for the service, else by quarter."""
        return self.quarterly if table else self.service or self.service_quarterly

    def by_quarter(self, table: tuple[str, ...]) -> tuple[str, ...]:
        """The counts of `table` by quarter (the service's: some are its months' sums)."""
        return self.quarterly if table else (*self.quarterly, *self.service_quarterly)


CASES = Scheme(PLACES, _MONTHLY, MAIN, _PARTS, INSTITUTIONS)


def partners_counts(table: tuple[str, ...]) -> tuple[str, ...]:
    """The counts partners get in `table` by month (the whole service's), else by quarter."""
    return CASES.counts(table)


def quarter_of(month: str) -> str:
    """The calendar quarter of a month: 2026-05 is 2026-Q2."""
    year, number = month.split("-")
    return f"{year}-Q{(int(number) - 1) // 3 + 1}"


def months_of(quarter: str) -> list[str]:
    """The three months of a quarter: 2026-Q2 is 2026-04 to 2026-06."""
    year, number = quarter.split("-Q")
    first = 3 * (int(number) - 1) + 1
    return [f"{year}-{month:02d}" for month in range(first, first + 3)]


def publish(
    grid: Mapping[tuple[str, ...], Mapping[str, int]], *, exact: bool, scheme: Scheme = CASES
) -> dict[Node, Shown]:
    """The published figures: exact, every table by month; or as a partner may receive them.

    A partner's: the whole service by month, the other tables by quarter (its label,
    2026-Q1, in the month's place), each quarter suppressed as one system. `grid`'s keys
    are the places of `scheme` then the month (cases: neighbourhood, domain, month).
    """
    values = _tables(grid, scheme)
    if exact:
        return {node: Shown(v, v) for node, v in values.items() if v}
    by_quarter: dict[str, Counter[Node]] = defaultdict(Counter)
    for (table, key, month, name), value in values.items():
        quarter = quarter_of(month)
        if not value:
            continue
        if not table and name in scheme.service:
            by_quarter[quarter][table, key, month, name] = value
        if name in scheme.by_quarter(table):  # the quarter's (the service's: maybe a sum)
            by_quarter[quarter][table, key, quarter, name] += value
    return {  # the service's quarter is left out where it is the sum of its months
        node: shown
        for quarter, nodes in by_quarter.items()
        for node, shown in _suppressed(nodes, scheme).items()
        if node[0] or node[2] != quarter or node[3] not in scheme.service
    }


def _tables(grid: Mapping[tuple[str, ...], Mapping[str, int]], scheme: Scheme) -> Counter[Node]:
    """The grid added up into the scheme's tables, month by month."""
    values: Counter[Node] = Counter()
    for (*places, month), counts in grid.items():
        named = dict(zip(scheme.dims, places, strict=True))
        for table in scheme.tables:
            key = tuple(named[d] for d in table)
            for name, count in counts.items():
                values[table, key, month, name] += count
    return values


def _relations(values: Mapping[Node, int], scheme: Scheme) -> list[Relation]:
    """Each published figure that is the sum of others (zeros left out: they are known)."""
    return _finer(values) + _breakdowns(values, scheme) + _quarters(values)


def _quarters(values: Mapping[Node, int]) -> list[Relation]:
    """The whole service's quarter as the sum of its months, where both are figures.

    (A count the service gets by quarter only has no months: no such sum.)
    """
    found = []
    for node in values:
        table, key, slot, name = node
        if table or "-Q" not in slot:
            continue
        months = [(table, key, m, name) for m in months_of(slot) if (table, key, m, name) in values]
        if months:
            found.append((node, months))
    return found


def _finer(values: Mapping[Node, int]) -> list[Relation]:
    """Each figure as the sum of a finer table's: a table adds up into each coarser one."""
    by_parent: dict[tuple[Node, tuple[str, ...]], list[Node]] = defaultdict(list)
    for node in values:
        table, key, month, name = node
        for drop in range(len(table)):  # into each coarser table, separately
            parent = (table[:drop] + table[drop + 1 :], key[:drop] + key[drop + 1 :], month, name)
            by_parent[parent, table].append(node)
    return [(parent, children) for (parent, _), children in by_parent.items()]


def _breakdowns(values: Mapping[Node, int], scheme: Scheme) -> list[Relation]:
    """Each whole as the sum of its parts, where the parts are published.

    Partners get the breakdowns for the whole service only (absent there, a part is a zero).
    """
    found = []
    for node in values:
        table, key, month, name = node
        parts = scheme.parts.get(name)
        whole_service_month = not table and "-Q" not in month  # breakdowns: monthly only
        by_quarter = all(p in scheme.by_quarter(table) for p in parts or ())
        if parts is not None and (whole_service_month or by_quarter):
            found.append(
                (node, [(table, key, month, p) for p in parts if (table, key, month, p) in values])
            )
    return found


def _suppressed(values: Mapping[Node, int], scheme: Scheme) -> dict[Node, Shown]:
    """One quarter's figures with 1 to 4 hidden, and more hidden until none can be worked out.

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
    relations = _relations(values, scheme)
    involving: dict[Node, list[Relation]] = defaultdict(list)
    for relation in relations:
        for node in (relation[0], *relation[1]):
            involving[node].append(relation)
    bounds = _bounds(values, small, hidden, relations)
    # Each round hides one figure more, never one hidden already: the rounds come to an end.
    while choice := _to_hide(values, small, hidden, bounds, involving):
        hidden.add(choice)
        bounds = _bounds(values, small, hidden, relations)
    return _as_shown(values, small, hidden, bounds)


def _to_hide(
    values: Mapping[Node, int],
    small: set[Node],
    hidden: set[Node],
    bounds: Mapping[Node, Bounds],
    involving: Mapping[Node, list[Relation]],
) -> Node | None:
    """The next figure to hide: beside the first small count a reader can pin to one value."""
    pinned = sorted(n for n in small if bounds[n][0] == bounds[n][1])
    return next((c for n in pinned if (c := _beside(n, values, small, hidden, involving))), None)


def _as_shown(
    values: Mapping[Node, int], small: set[Node], hidden: set[Node], bounds: Mapping[Node, Bounds]
) -> dict[Node, Shown]:
    """The figures as a partner reads them: "< 5", a hidden one's bounds, or exact."""
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
    involving: Mapping[Node, list[Relation]],
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
    relations: list[Relation],
) -> dict[Node, Bounds]:
    """What a reader can work out of each hidden figure from the published ones."""
    bounds = {n: _told(n, v, small, hidden) for n, v in values.items()}
    masked = small | hidden
    _narrow(bounds, [r for r in relations if not masked.isdisjoint((r[0], *r[1]))])
    return {n: bounds[n] for n in masked}


def _told(node: Node, value: int, small: set[Node], hidden: set[Node]) -> Bounds:
    """What the published figure says: "< 5", 5 or more (hidden beside one), or the count."""
    if node in small:
        return 1, SMALL_COUNT - 1
    if node in hidden:
        return SMALL_COUNT, _UNBOUNDED
    return value, value


def _narrow(bounds: dict[Node, Bounds], sums: list[Relation]) -> None:
    """Narrow `bounds` through `sums` as a reader would, sum after sum, till none moves.

    A sum is looked at again only when one of its figures has narrowed; and narrowing by
    small steps could go on and on: a reader would stop too, and so does the budget.
    """
    involving: dict[Node, list[int]] = defaultdict(list)
    for index, (parent, children) in enumerate(sums):
        for node in (parent, *children):
            involving[node].append(index)
    queue, queued = deque(range(len(sums))), set(range(len(sums)))
    budget = _VISITS * len(sums)
    while queue and budget:
        budget -= 1
        index = queue.popleft()
        queued.discard(index)
        for node in _narrow_sum(bounds, *sums[index]):
            for other in involving[node]:
                if other not in queued:
                    queue.append(other)
                    queued.add(other)


def _narrow_sum(bounds: dict[Node, Bounds], parent: Node, children: list[Node]) -> list[Node]:
    """Narrow one sum's figures, in place; those that moved.

    The whole lies between its parts' lowest and highest total, each part between the whole
    less the other parts' highest and the whole less their lowest.
    """
    moved = []
    total_low = sum(bounds[c][0] for c in children)
    total_high = sum(bounds[c][1] for c in children)
    whole = (max(bounds[parent][0], total_low), min(bounds[parent][1], total_high))
    if whole != bounds[parent]:
        bounds[parent] = whole
        moved.append(parent)
    low, high = whole
    for child in children:
        child_low, child_high = bounds[child]
        new = (
            max(child_low, low - (total_high - child_high)),
            min(child_high, high - (total_low - child_low)),
        )
        if new != bounds[child]:
            total_low += new[0] - child_low
            total_high += new[1] - child_high
            bounds[child] = new
            moved.append(child)
    return moved
