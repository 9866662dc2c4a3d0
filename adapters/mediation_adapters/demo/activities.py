"""A year, or a week, of the team's work beside cases in Poitiers, recorded through the public API.

Proximity rounds on foot in each neighbourhood and on bus lines, situations reported to
partners and their answers, persons oriented to partner services and their follow-ups,
collective actions. Values are drawn from a seeded generator; commands run in time order
with the application's clock set to when each happened, so that every event is recorded
after what it reports. Names are fictitious, and sealed as any oriented person's name.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from mediation_adapters.demo.year import PLACE_WEIGHTS, Step, resident, run_in_time_order
from mediation_domain import CaseView, Mediations, Outcome
from mediation_domain.privacy import ERASED, SEALED

_POITIERS = ZoneInfo("Europe/Paris")  # the days and hours of the work are Poitiers'
_SEED = 2027  # plus the store's size: a first run draws alike each time, a later run anew
_SUNDAY = 6  # date.weekday(): the service's day off
_TEAM = ("med-1", "med-2", "med-3", "med-4", "med-5", "med-amina", "med-louis", "med-yanis")
_BUS_LINES = {"1": "Couronneries", "2A": "Beaulieu", "3": "Trois-Cités", "11": "Bel-Air"}
_SEASON = {7: 0.75, 8: 0.3, 12: 0.8}  # summer and Christmas holidays: less of everything
_ROUND_STARTS = (9.5, 10, 14, 14.5, 15, 16, 17)  # hours, Poitiers time
_WATCH = {  # kind: its weight, then the partners it goes to, by weight
    "damaged-equipment": (6, {"landlord": 5, "city-service": 3, "transport-operator": 1}),
    "cleanliness": (5, {"city-service": 3, "landlord": 2}),
    "nuisance": (3, {"landlord": 3, "city-service": 2}),
    "safety-hazard": (2, {"city-service": 2, "landlord": 2, "transport-operator": 1}),
    "person-in-difficulty": (2, {"social-service": 3, "health-service": 1}),
}
_WATCH_DOMAIN = {  # the domain of a report, by the partner it goes to
    "transport-operator": "public-transport",
    "social-service": "access-to-rights",
    "health-service": "access-to-rights",
}
_ANSWERS = {"fixed": 9, "planned": 6, "redirected": 2, "declined": 2}
_NEEDS = {  # need: its weight, then the partners a person is oriented to for it
    "benefits": (6, ("benefits-office", "benefits-office", "social-service")),
    "housing": (5, ("landlord", "social-service")),
    "administrative": (5, ("city-service", "association", "legal-access-point")),
    "digital": (4, ("association", "city-service")),
    "health": (2, ("health-service", "benefits-office")),
    "employment": (2, ("employment-service",)),
    "energy": (2, ("social-service", "association")),
    "legal": (1, ("legal-access-point",)),
    "education": (1, ("school",)),
}
_CASE_NEEDS = {  # the needs a case oriented to a partner leads to, by the case's domain
    "access-to-rights": ("benefits", "housing", "administrative", "digital"),
    "public-space-and-housing": ("housing", "housing", "energy"),
    "public-transport": ("administrative", "digital"),
    "schools-and-youth": ("education", "employment"),
    "residents-participation": ("administrative", "housing"),
}
_OUTCOMES = (  # by follow-up: the first, the second, the third (which settles it)
    {"right-opened": 45, "in-progress": 40, "not-reached": 7, "lost-contact": 8},
    {"right-opened": 70, "in-progress": 15, "not-reached": 5, "lost-contact": 10},
    {"right-opened": 78, "not-reached": 8, "lost-contact": 14},
)
_LATE = (0, 0, 0, 1, 1, 2, 3, 8, 15)  # days a follow-up comes after its date: now and then late
_ACTIONS = {  # kind: weight, domains, attendance (fewest, most)
    "residents-meeting": (4, ("residents-participation", "public-space-and-housing"), (10, 60)),
    "workshop": (3, ("access-to-rights", "schools-and-youth"), (5, 15)),
    "consultation": (2, ("residents-participation",), (15, 60)),
    "school-action": (3, ("schools-and-youth",), (12, 30)),
}
_ACTION_PARTNERS = {  # the partners that may take part in each kind of action
    "residents-meeting": ("landlord", "city-service", "association"),
    "workshop": ("association", "social-service", "benefits-office"),
    "consultation": ("city-service", "landlord"),
    "school-action": ("school", "association"),
}


def record_activities(
    app: Mediations,
    cases: Sequence[CaseView] = (),
    *,
    days: int,
    end: datetime | None = None,
) -> Counter[str]:
    """Record the team's activities over the `days` ending `end` (now); returns what was done.

    Each week: 2 to 4 rounds on foot in each neighbourhood and a few on bus lines; a few
    watch reports, which partners acknowledge within days and answer within weeks (some
    never); several orientations, followed up after 2 to 3 weeks until settled; now and
    then a collective action. Of `cases`, those resolved as oriented to a partner within
    the period orient their first party. What falls after `end` is left to happen: the
    latest reports stay open, the latest orientations await their follow-up.

    The counter's keys: round, bus-round, watch, acknowledged, closed, orientation,
    named, from-case, follow-up, action.
    """
    end = end or datetime.now(UTC)
    position = app.recorder.max_notification_id() or 0
    plan = _Plan(app, random.Random(_SEED + position), end - timedelta(days=days), end)  # noqa: S311 - a simulation
    plan.persons = position  # names numbered from here are new to the store
    first = _day_of(plan.start)
    week_of_work: list[date] = []  # the last is the period's last week
    for week in range(0, days, 7):
        workdays = [first + timedelta(days=week + day) for day in range(min(7, days - week))]
        week_of_work = [day for day in workdays if day.weekday() != _SUNDAY]
        _rounds(plan, week_of_work)
        _watch_reports(plan, week_of_work)
        _orientations(plan, week_of_work)
        _actions(plan, week_of_work)
    for view in cases:
        if view.outcome is Outcome.ORIENTED_TO_PARTNER and view.updated_at >= plan.start:
            _oriented_from(plan, view)
    if week_of_work:  # what earlier runs left open
        _carried_over(plan, week_of_work)
    run_in_time_order(app, plan.steps)
    return plan.done


class _Plan:
    """The steps to run, each counted under its labels once it ran."""

    def __init__(
        self, app: Mediations, chance: random.Random, start: datetime, end: datetime
    ) -> None:
        self.app = app
        self.chance = chance
        self.start = start
        self.end = end
        self.steps: list[Step] = []
        self.done: Counter[str] = Counter()
        self.persons = 0  # the number of the last name given, each person a name of their own
        self.hosts = itertools.cycle(PLACE_WEIGHTS)  # collective actions go round the places

    def at(self, moment: datetime, labels: Sequence[str], command: Callable[[], Any]) -> bool:
        """Plan `command` for `moment`; False (nothing planned) when outside the period."""
        if not self.start <= moment <= self.end:
            return False

        def counted() -> None:
            command()
            self.done.update(labels)

        self.steps.append((moment, len(self.steps), counted))
        return True

    def pick(self, weights: dict[str, Any]) -> str:
        """A key of `weights`, drawn by its weight (the first of a tuple's values)."""
        keys = list(weights)
        values = [w[0] if isinstance(w, tuple) else w for w in weights.values()]
        return self.chance.choices(keys, weights=values)[0]

    def some(self, days: Sequence[date], low: int, high: int, *, twice: bool = False) -> list[date]:
        """From `low` to `high` of `days` (a day `twice` or more), fewer in the holidays."""
        wanted = self.chance.randint(low, high) if days else 0
        chosen = (
            self.chance.choices(days, k=wanted)
            if twice
            else self.chance.sample(days, min(wanted, len(days)))
        )
        return sorted(day for day in chosen if self.chance.random() < _SEASON.get(day.month, 1))

    def name(self) -> str:
        """A fresh fictitious name, as the demo's parties have."""
        self.persons += 1
        return resident(self.persons, "O")

    def team(self, low: int, high: int) -> list[str]:
        """A few of the team's mediators."""
        return self.chance.sample(_TEAM, self.chance.randint(low, high))


def _at(day: date, hour: float) -> datetime:
    """`hour` o'clock (9.5 is half past nine) on `day`, Poitiers time."""
    return datetime(day.year, day.month, day.day, tzinfo=_POITIERS) + timedelta(hours=hour)


def _day_of(moment: datetime) -> date:
    return moment.astimezone(_POITIERS).date()


# Rounds ------------------------------------------------------------------------------------


def _rounds(plan: _Plan, week: Sequence[date]) -> None:
    """2 to 4 rounds on foot in each neighbourhood, and a few on bus lines."""
    for place in PLACE_WEIGHTS:
        for day in plan.some(week, 2, 4):
            _round(plan, day, place, None)
    for day in plan.some(week, 2, 4):
        line = plan.chance.choice(list(_BUS_LINES))
        _round(plan, day, _BUS_LINES[line], line)


def _round(plan: _Plan, day: date, place: str, line: str | None) -> None:
    """A round of 1.5 to 3 hours, recorded once back at the office."""
    some = plan.chance.randint
    started = _at(day, plan.chance.choice(_ROUND_STARTS))
    ended = started + timedelta(minutes=5 * some(18, 36))
    contacts = {
        "greeting": some(12, 35),  # mostly: presence, and questions answered
        "information": some(4, 12),
        "listening": some(0, 5),
        "defusing": some(0, 2),
        "rule-reminder": some(1, 6) if line else some(0, 2),
        "orientation": some(0, 2),
    }
    observed = (
        {"public-transport": some(1, 4)}
        if line
        else {"public-space-and-housing": some(0, 4), "schools-and-youth": some(0, 1)}
    )
    observed["access-to-rights"] = some(0, 1)
    fields: dict[str, Any] = {
        "neighbourhood": place,
        "bus_line": line,
        "started_at": started,
        "ended_at": ended,
        "team": plan.team(2, 3),
        "contacts": {kind: n for kind, n in contacts.items() if n},
        "observed": {domain: n for domain, n in observed.items() if n},
    }
    recorded = ended + timedelta(minutes=some(10, 90))
    plan.at(recorded, ("bus-round" if line else "round",), partial(plan.app.record_round, **fields))


# Watch reports ------------------------------------------------------------------------------


def _watch_reports(plan: _Plan, week: Sequence[date]) -> None:
    """A few reports a week: most acknowledged within days and answered within weeks."""
    for day in plan.some(week, 2, 5):
        _watch_report(plan, day)


def _watch_report(plan: _Plan, day: date) -> None:
    chance = plan.chance
    kind = plan.pick(_WATCH)
    partner = plan.pick(_WATCH[kind][1])
    fields: dict[str, Any] = {
        "kind": kind,
        "domain": _WATCH_DOMAIN.get(partner, "public-space-and-housing"),
        "neighbourhood": plan.pick(PLACE_WEIGHTS),
        "partner": partner,
        "reported_on": day,
    }
    report: dict[str, UUID] = {}

    def reported() -> None:
        report["id"] = plan.app.report_watch(**fields)

    if not plan.at(_at(day, chance.uniform(9, 18)), ("watch",), reported):
        return
    if chance.random() < 0.85:  # noqa: PLR2004 - most partners acknowledge
        acknowledged = day + timedelta(days=chance.randint(1, 6))
        if not plan.at(
            _at(acknowledged, chance.uniform(9, 17)),
            ("acknowledged",),
            lambda: plan.app.acknowledge_watch(report["id"], on=acknowledged),
        ):
            return
        if chance.random() < 0.15:  # noqa: PLR2004 - acknowledged, then left waiting
            return
        closed, answer = acknowledged + timedelta(days=chance.randint(5, 40)), plan.pick(_ANSWERS)
    elif chance.random() < 0.5:  # noqa: PLR2004 - the service gives up waiting
        closed, answer = day + timedelta(days=chance.randint(30, 60)), "no-answer"
    else:
        return
    plan.at(
        _at(closed, chance.uniform(9, 17)),
        ("closed",),
        lambda: plan.app.close_watch(report["id"], answer=answer, on=closed),
    )


# Orientations -------------------------------------------------------------------------------


def _orientations(plan: _Plan, week: Sequence[date]) -> None:
    """Several a week, met on a round or at the office: anonymous, or named."""
    for day in plan.some(week, 3, 7, twice=True):
        need = plan.pick(_NEEDS)
        named = plan.chance.random() < 0.45  # noqa: PLR2004 - most stay anonymous
        _orient(
            plan,
            _at(day, plan.chance.uniform(9, 18)),
            {
                "by": plan.chance.choice(_TEAM),
                "need": need,
                "partner": plan.chance.choice(_NEEDS[need][1]),
                "neighbourhood": plan.pick(PLACE_WEIGHTS),
                "name": plan.name() if named else "",
            },
        )


def _oriented_from(plan: _Plan, case: CaseView) -> None:
    """The case's first party (unless erased), oriented by its mediator after the resolution."""
    name = next((p.name for p in case.parties if p.name not in {ERASED, SEALED}), "")
    need = plan.chance.choice(_CASE_NEEDS[case.domain.value])
    moment = min(case.updated_at + timedelta(minutes=plan.chance.uniform(20, 180)), plan.end)
    fields: dict[str, Any] = {
        "by": case.mediator or plan.chance.choice(_TEAM),
        "need": need,
        "partner": plan.chance.choice(_NEEDS[need][1]),
        "neighbourhood": case.neighbourhood,
        "name": name,
        "case_id": case.case_id,
    }
    _orient(plan, moment, fields)


def _orient(plan: _Plan, moment: datetime, fields: dict[str, Any]) -> None:
    """Orient a person, then follow it up 2 to 3 weeks later, and again while in progress.

    The person agrees to share their situation, and when named their name and contact.
    """
    chance, day = plan.chance, _day_of(moment)
    due = day + timedelta(days=chance.randint(14, 21))
    shared = ["situation", *(["name", "contact"] if fields["name"] else [])]
    shared += ["documents"] if chance.random() < 0.3 else []  # noqa: PLR2004
    made: dict[str, UUID] = {}

    def oriented() -> None:
        made["id"] = plan.app.orient(oriented_on=day, follow_up_on=due, shared=shared, **fields)

    labels = ["orientation", *(["named"] if fields["name"] else [])]
    labels += ["from-case"] if fields.get("case_id") else []
    if plan.at(moment, labels, oriented):
        _follow_ups(plan, made, due, _OUTCOMES)


def _follow_ups(
    plan: _Plan, made: dict[str, UUID], due: date, stages: Sequence[dict[str, int]]
) -> None:
    """Follow up the orientation `made` from `due` on, until an outcome settles it."""
    for outcomes in stages:
        on = due + timedelta(days=plan.chance.choice(_LATE))
        outcome = plan.pick(outcomes)
        then = (
            on + timedelta(days=plan.chance.randint(14, 21)) if outcome == "in-progress" else None
        )

        def followed(on: date = on, outcome: str = outcome, then: date | None = then) -> None:
            plan.app.follow_up(made["id"], outcome=outcome, on=on, next_on=then)

        if not plan.at(_at(on, plan.chance.uniform(9, 18)), ("follow-up",), followed) or not then:
            return
        due = then


def _carried_over(plan: _Plan, week: Sequence[date]) -> None:
    """What the team does this week of what earlier runs recorded.

    The orientations whose follow-up is due, and some answers to the reports still open.
    """
    for doc in plan.app.orientations_due(_day_of(plan.end)):
        due = max(date.fromisoformat(doc["due"]), week[0])
        _follow_ups(plan, {"id": UUID(doc["id"])}, due, _OUTCOMES[min(doc["follow_ups"], 2) :])
    for doc in plan.app.open_watch_reports():
        day = max(plan.chance.choice(week), date.fromisoformat(doc["acknowledged_on"] or doc["on"]))
        moment, report = _at(day, plan.chance.uniform(9, 17)), UUID(doc["id"])
        if plan.chance.random() < 0.6:  # noqa: PLR2004 - most wait another week
            continue
        if doc["status"] == "reported":
            plan.at(moment, ("acknowledged",), partial(plan.app.acknowledge_watch, report, on=day))
        else:
            answer = partial(plan.app.close_watch, report, answer=plan.pick(_ANSWERS), on=day)
            plan.at(moment, ("closed",), answer)


# Collective actions -------------------------------------------------------------------------


def _actions(plan: _Plan, week: Sequence[date]) -> None:
    """Now and then (2 to 4 a month): a meeting, a workshop, a consultation, a school action."""
    for day in plan.some(week, 0, plan.chance.choice((1, 2, 2))):
        kind = plan.pick(_ACTIONS)
        if kind == "school-action" and day.month in {7, 8}:  # schools are closed
            kind = "workshop"
        _, domains, (fewest, most) = _ACTIONS[kind]
        partners = _ACTION_PARTNERS[kind]
        held = _at(day, 18 if kind in {"residents-meeting", "consultation"} else 14)
        fields: dict[str, Any] = {
            "kind": kind,
            "domain": plan.chance.choice(domains),
            "neighbourhood": next(plan.hosts),
            "attendance": plan.chance.randint(fewest, most),
            "held_on": day,
            "partners": plan.chance.sample(partners, plan.chance.randint(1, len(partners))),
            "team": plan.team(1, 3),
        }
        recorded = held + timedelta(hours=plan.chance.uniform(2.5, 4))
        plan.at(recorded, ("action",), partial(plan.app.record_action, **fields))
