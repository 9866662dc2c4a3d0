"""The partners' view: counts 1 to 4 hidden, and whatever would give one away hidden too."""

from __future__ import annotations

import math
from collections import Counter, defaultdict, deque
from collections.abc import Mapping

import attrs

from mediation_domain.reports.facts import FLOWS, STOCKS, Key

SMALL_COUNT = 5
# What partners get per neighbourhood or domain; the breakdowns (by referral source, who
# withdrew, outcome, session kind, age) they get for the whole service only: split that
# fine, nearly every count would be small.
MAIN = tuple(name for name in FLOWS if "." not in name)
# Open cases are the service's own: month after month, open(M) = open(M-1) + requests(M)
# - closures(M), which would let a partner subtract a hidden request or closure back out.
PARTNERS = FLOWS


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
_TABLES: tuple[tuple[str, ...], ...] = ((), ("neighbourhood",), ("domain",), PLACES)
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


def publish(grid: Mapping[Key, Mapping[str, int]], *, exact: bool) -> dict[Node, Shown]:
    """Every table's monthly figures: exact, or as a partner may receive them."""
    values: dict[Node, int] = Counter()
    for (place, domain, month), counts in grid.items():
        named = {"neighbourhood": place, "domain": domain}
        for table in _TABLES:
            key = tuple(named[d] for d in table)
            for name, count in counts.items():
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
