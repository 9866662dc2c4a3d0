"""Activity counts for funders and partners: pure folds over cases, no personal data.

This first report counts cases by neighbourhood and domain, and where they stand. Counts
below `SMALL_COUNT` are shown as "< 5" in anything a partner receives: a small count in a
small neighbourhood can point to a person.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

import attrs

from mediation_domain.case import MediationCase
from mediation_domain.values import CaseStatus, InterventionDomain

SMALL_COUNT = 5


@attrs.frozen
class ActivityRow:
    """How many cases of one neighbourhood and domain stand where."""

    neighbourhood: str
    domain: InterventionDomain
    counts: dict[CaseStatus, int]

    @property
    def total(self) -> int:
        """Every case of the row."""
        return sum(self.counts.values())


def activity(cases: Iterable[MediationCase]) -> list[ActivityRow]:
    """Cases counted by neighbourhood, domain and status (rows in a stable order)."""
    counted: Counter[tuple[str, InterventionDomain, CaseStatus]] = Counter(
        (case.neighbourhood, case.domain, case.status) for case in cases
    )
    places = sorted({(place, domain) for place, domain, _ in counted}, key=_order)
    return [
        ActivityRow(
            place, domain, {status: counted[place, domain, status] for status in CaseStatus}
        )
        for place, domain in places
    ]


def shown(count: int, *, exact: bool) -> int | str:
    """`count` as a reader may see it: exact, or "< 5" for 1 to 4 when suppressed."""
    if exact or count == 0 or count >= SMALL_COUNT:
        return count
    return f"< {SMALL_COUNT}"


def _order(key: tuple[str, InterventionDomain]) -> tuple[str, int]:
    place, domain = key
    return place, list(InterventionDomain).index(domain)
