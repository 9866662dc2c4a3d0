"""A year of routine cases ending now, so that the demo's activity report has something to show."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from mediation_domain import Mediations

_DOMAIN_WEIGHTS = {
    "public-space-and-housing": 9,
    "access-to-rights": 6,
    "public-transport": 4,
    "schools-and-youth": 4,
    "residents-participation": 2,
}
PLACE_WEIGHTS = {  # where the service's work comes from, by neighbourhood
    "Beaulieu": 5,
    "Bel-Air": 3,
    "Bellejouanne": 4,
    "Couronneries": 7,
    "Saint-Éloi": 5,
    "Trois-Cités": 7,
}
_REFERRALS = ("resident", "landlord", "school", "transport-operator", "city", "partner")
_OUTCOMES = (
    ("agreement",) * 5 + ("partial-agreement",) * 2 + ("no-agreement", "oriented-to-partner")
)
_CASES_PER_MONTH = 60
_SEED = 2026  # the same year of stories on every first run
Step = tuple[datetime, int, Callable[[], None]]  # when, a tie-breaker, the command


def record_year(app: Mediations, end: datetime | None = None) -> int:
    """Record a year of generated routine cases ending `end` (now); returns how many.

    Each case is a plausible story: a request, a mediator a few days later, consents
    (sometimes a refusal), sessions over some weeks, then a resolution or a withdrawal;
    the latest cases are still open. Commands run in time order through the public API,
    with the application's clock set to when each happened. Names are fictitious.
    """
    end = end or datetime.now(UTC)
    chance = random.Random(_SEED)  # noqa: S311 - a simulation, not a secret
    steps: list[Step] = []
    start = end - timedelta(days=365)
    count = _CASES_PER_MONTH * 12
    for number in range(count):
        opened = start + timedelta(days=365 * number / count, hours=chance.uniform(8, 10))
        steps += _story(app, chance, number, opened, end)
    run_in_time_order(app, steps)
    return count


def run_in_time_order(app: Mediations, steps: list[Step]) -> None:
    """Run the steps in time order, the application's clock set to when each happens."""
    clock_before = app.clock
    try:
        for moment, _, command in sorted(steps, key=lambda step: (step[0], step[1])):
            app.clock = lambda moment=moment: moment
            command()
    finally:
        app.clock = clock_before


def resident(number: int, side: str) -> str:
    """A fictitious resident's name: the year's parties, and the persons oriented, are named so."""
    return f"Habitant {number}-{side}"


_NOT_TAKEN_UP, _REFUSED, _MEDIATOR_WITHDRAWS = 0.06, 0.1, 0.08


def _plan(chance: random.Random, mediator: str) -> list[tuple[float, str, dict[str, Any]]]:
    """What happens to a case after its request: (days later, command, its fields)."""
    days = chance.uniform
    if chance.random() < _NOT_TAKEN_UP:
        return [(days(5, 20), "withdraw", {"by": "service", "reason": "no-longer-needed"})]
    plan: list[tuple[float, str, dict[str, Any]]] = [
        (days(0.5, 4), "assign_mediator", {"mediator": mediator}),
        (days(1, 6), "give_consent", {"party": 0}),
    ]
    if chance.random() < _REFUSED:
        return [
            *plan,
            (days(1, 8), "refuse_consent", {"party": 1}),
            (days(1, 10), "withdraw", {"by": "party", "reason": "consent-refused"}),
        ]
    plan.append((days(1, 8), "give_consent", {"party": 1}))
    sessions = chance.choice((1, 1, 2, 2, 2, 3, 4))
    plan += [(days(3, 20), "hold_session", {"kind": "joint-session"}) for _ in range(sessions)]
    ending: tuple[str, dict[str, Any]]
    if chance.random() < _MEDIATOR_WITHDRAWS:
        ending = ("withdraw", {"by": "mediator", "reason": "conflict-of-interest"})
    else:
        ending = ("resolve", {"outcome": chance.choice(_OUTCOMES)})
    return [*plan, (days(2, 15), *ending)]


# An institution that refers a case is its second party, through a representative (taken
# by the case's number, not by chance: the year's other draws stay as they were).
_INSTITUTIONS = {
    "landlord": ("landlord", ("Ekidom", "Habitat de la Vienne")),
    "school": ("school", ("Collège Jules Verne", "École Jacques Brel", "Lycée Victor Hugo")),
    "transport-operator": ("transport-operator", ("Vitalis",)),
    "city": ("city-service", ("Ville de Poitiers, tranquillité publique",)),
}


def institution(referral: str, number: int) -> tuple[str, str] | None:
    """The institution a case referred by `referral` involves, as (kind, name); None else."""
    found = _INSTITUTIONS.get(referral)
    if found is None:
        return None
    kind, names = found
    return kind, names[number % len(names)]


def _story(
    app: Mediations, chance: random.Random, number: int, opened: datetime, end: datetime
) -> list[Step]:
    """The commands of one generated case, each with when it happens (none after `end`)."""
    case: dict[str, Any] = {}
    domain = chance.choices(list(_DOMAIN_WEIGHTS), weights=list(_DOMAIN_WEIGHTS.values()))[0]
    place = chance.choices(list(PLACE_WEIGHTS), weights=list(PLACE_WEIGHTS.values()))[0]
    referral = chance.choice(_REFERRALS)

    parties = [f"p-year-{number:04d}-{side}" for side in "ab"]  # named: no read to learn them

    def request() -> None:
        case["id"] = app.request_mediation(
            domain=domain,
            neighbourhood=place,
            referral=referral,
            parties=[resident(number, "A"), resident(number, "B")],
            party_ids=parties,
            institutions=[None, institution(referral, number)],
        )

    def command(name: str, fields: dict[str, Any]) -> Callable[[], None]:
        def run() -> None:
            chosen = dict(fields)
            if "party" in chosen:
                chosen["party"] = parties[chosen["party"]]
            if name == "hold_session":
                chosen["attendees"] = parties
            getattr(app, name)(case["id"], **chosen)

        return run

    steps: list[Step] = [(opened, number, request)]
    when = opened
    for days, name, fields in _plan(chance, f"med-{number % 5 + 1}"):
        when += timedelta(days=days, minutes=chance.uniform(0, 600))
        if when >= end:
            break
        steps.append((when, number, command(name, fields)))
    return steps
