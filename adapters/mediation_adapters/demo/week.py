"""A realistic week of social mediation in Poitiers, recorded through the public API.

Names are fictitious. The demo also shows the deontology at work: the commands a
mediator might try and that the rules refuse are attempted, and the refusals reported.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from mediation_domain import MediationError, Mediations


@dataclass
class DemoRun:
    """What a demo run recorded and which attempts the rules refused."""

    cases: list[UUID] = field(default_factory=list)
    refusals: list[tuple[str, MediationError]] = field(default_factory=list)
    erased: list[str] = field(default_factory=list)


class _Script:
    """Helpers that keep each scenario to the facts of the story."""

    def __init__(self, app: Mediations, run: DemoRun) -> None:
        self.app = app
        self.run = run

    def open(
        self, domain: str, neighbourhood: str, referral: str, summary: str, *parties: str
    ) -> tuple[UUID, list[str]]:
        case_id = self.app.request_mediation(
            domain=domain,
            neighbourhood=neighbourhood,
            referral=referral,
            parties=list(parties),
            summary=summary,
        )
        self.run.cases.append(case_id)
        return case_id, [party.id for party in self.app.get_case(case_id).parties]

    def consent(self, case_id: UUID, *party_ids: str) -> None:
        for party in party_ids:
            self.app.give_consent(case_id, party=party)

    def attempt(self, what: str, command: Callable[[], None]) -> None:
        """Try a command the rules must refuse, and keep the refusal to show it."""
        try:
            command()
        except MediationError as refusal:
            self.run.refusals.append((what, refusal))
        else:  # pragma: no cover - would mean a rule is missing
            message = f"the rules accepted: {what}"
            raise AssertionError(message)


def _play(s: _Script) -> None:  # noqa: PLR0915 - one story after another
    app = s.app

    # Couronneries: noise at night between neighbours, settled in a joint session.
    case, (a, b) = s.open(
        "public-space-and-housing",
        "Couronneries",
        "landlord",
        "Bruit nocturne entre deux logements",
        "Mme Lefèvre",
        "M. Diallo",
    )
    app.assign_mediator(case, mediator="med-amina")
    s.consent(case, a)
    app.hold_session(case, kind="individual-interview", attendees=[a])
    s.attempt(
        "a joint session before M. Diallo consents",
        lambda: app.hold_session(case, kind="joint-session", attendees=[a, b]),
    )
    s.consent(case, b)
    app.hold_session(case, kind="individual-interview", attendees=[b])
    app.hold_session(
        case,
        kind="joint-session",
        attendees=[a, b],
        notes="Accord : plus de bruit après 22 h ; le bailleur pose des joints aux portes.",
    )
    app.resolve(case, outcome="agreement")

    # Trois-Cités: a resident lost in a benefits file, oriented to the social centre.
    case, (a,) = s.open(
        "access-to-rights",
        "Trois-Cités",
        "partner",
        "Dossier d'aide au logement bloqué",
        "Mme Nguyễn",
    )
    app.assign_mediator(case, mediator="med-yanis")
    s.consent(case, a)
    app.hold_session(case, kind="individual-interview", attendees=[a])
    app.resolve(case, outcome="oriented-to-partner")

    # Beaulieu: a bus driver and a group of teenagers; one party refuses, the case is withdrawn.
    case, (a, b) = s.open(
        "public-transport",
        "Beaulieu",
        "transport-operator",
        "Altercation à l'arrêt Beaulieu-Centre",
        "Chauffeur Vitalis",
        "Groupe de jeunes (représentant)",
    )
    app.assign_mediator(case, mediator="med-amina")
    s.consent(case, a)
    app.refuse_consent(case, party=b)
    s.attempt(
        "resolving a case where no session was held",
        lambda: app.resolve(case, outcome="no-agreement"),
    )
    app.withdraw(case, by="party", reason="consent-refused")
    s.attempt(
        "recording a session on a withdrawn case",
        lambda: app.hold_session(case, kind="individual-interview", attendees=[a]),
    )

    # Bel-Air: parents and a school; the first mediator withdraws (a tie came to light).
    case, (a, b) = s.open(
        "schools-and-youth",
        "Bel-Air",
        "school",
        "Tensions entre une famille et le collège",
        "Mme Benali",
        "Principal adjoint",
    )
    app.assign_mediator(case, mediator="med-louis")
    s.consent(case, a, b)
    app.withdraw_mediator(case, mediator="med-louis", reason="conflict-of-interest")
    s.attempt(
        "a session while no mediator is assigned",
        lambda: app.hold_session(case, kind="joint-session", attendees=[a, b]),
    )
    app.assign_mediator(case, mediator="med-yanis")
    app.hold_session(case, kind="joint-session", attendees=[a, b])
    app.resolve(case, outcome="partial-agreement")

    # Saint-Éloi: residents and the city about a shared garden.
    case, (a, b) = s.open(
        "residents-participation",
        "Saint-Éloi",
        "city",
        "Projet de jardin partagé contesté",
        "Collectif des Rosiers",
        "Service espaces verts",
    )
    app.assign_mediator(case, mediator="med-louis")
    s.consent(case, a, b)
    app.hold_session(case, kind="joint-session", attendees=[a, b])
    app.resolve(case, outcome="agreement")

    # Bellejouanne: gatherings in a stairwell; a resident consents, then withdraws.
    case, (a, b) = s.open(
        "public-space-and-housing",
        "Bellejouanne",
        "mediator-on-patrol",
        "Rassemblements dans une cage d'escalier",
        "M. Petit",
        "Amicale des locataires",
    )
    app.assign_mediator(case, mediator="med-amina")
    s.consent(case, a, b)
    app.hold_session(case, kind="individual-interview", attendees=[a])
    app.withdraw_consent(case, party=a)
    s.attempt(
        "an interview with a party who withdrew consent",
        lambda: app.hold_session(case, kind="individual-interview", attendees=[a]),
    )
    app.withdraw(case, by="service", reason="consent-withdrawn")

    # Beaulieu: the only available mediator knows a party; both parties waive in writing.
    case, (a, b) = s.open(
        "access-to-rights",
        "Beaulieu",
        "city",
        "Litige sur une facture d'eau",
        "Mme Moreau",
        "Bailleur social",
    )
    s.attempt(
        "assigning a mediator with an unwaived tie",
        lambda: app.assign_mediator(case, mediator="med-louis", ties=[a]),
    )
    app.assign_mediator(case, mediator="med-louis", ties=[a], waived_by=[a, b])
    s.consent(case, a, b)
    app.hold_session(case, kind="joint-session", attendees=[a, b])
    app.resolve(case, outcome="no-agreement")

    # Saint-Éloi: a third neighbour joins; the joint session waits for their consent.
    case, (a, b) = s.open(
        "public-space-and-housing",
        "Saint-Éloi",
        "resident",
        "Stationnement gênant devant un garage",
        "M. Rousseau",
        "Mme Okafor",
    )
    app.assign_mediator(case, mediator="med-yanis")
    s.consent(case, a, b)
    c = app.join_party(case, name="M. Šimek", contact="06 12 34 56 78")
    s.attempt(
        "a joint session before the new party consents",
        lambda: app.hold_session(case, kind="joint-session", attendees=[a, b]),
    )
    s.consent(case, c)
    app.hold_session(case, kind="joint-session", attendees=[a, b, c])
    app.resolve(case, outcome="agreement")

    # Couronneries: youth and a sports club, in mediation now.
    case, (a, b) = s.open(
        "schools-and-youth",
        "Couronneries",
        "partner",
        "Accès au city-stade contesté",
        "Jeunes du quartier (porte-parole)",
        "Club de football",
    )
    app.assign_mediator(case, mediator="med-amina")
    s.consent(case, a)
    app.hold_session(case, kind="individual-interview", attendees=[a])

    # Trois-Cités: just requested, waiting for a mediator.
    s.open(
        "public-transport",
        "Trois-Cités",
        "resident",
        "Sentiment d'insécurité sur la ligne 1",
        "Mme Fontaine",
    )

    # GDPR: M. Diallo (the first case, resolved) asks for his personal data to be erased.
    # His key is deleted; the case, its facts and its statistics stay.
    diallo = app.get_case(s.run.cases[0]).parties[1].id
    app.erase_subject(diallo, reason="data-subject-request")
    s.run.erased.append(diallo)


def record_demo(app: Mediations) -> DemoRun:
    """Record the demo's cases in `app`; return what was recorded and refused."""
    run = DemoRun()
    _play(_Script(app, run))
    return run


# A year of routine activity, so that the activity report has something to show ----------

_DOMAIN_WEIGHTS = {
    "public-space-and-housing": 9,
    "access-to-rights": 6,
    "public-transport": 4,
    "schools-and-youth": 4,
    "residents-participation": 2,
}
_PLACE_WEIGHTS = {
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


def record_year(app: Mediations) -> int:
    """Record a year of generated routine cases ending now; returns how many.

    Each case is a plausible story: a request, a mediator a few days later, consents
    (sometimes a refusal), sessions over some weeks, then a resolution or a withdrawal;
    the latest cases are still open. Commands run in time order through the public API,
    with the application's clock set to when each happened. Names are fictitious.
    """
    end = datetime.now(UTC)
    chance = random.Random(_SEED)  # noqa: S311 - a simulation, not a secret
    steps: list[tuple[datetime, int, Callable[[], None]]] = []
    start = end - timedelta(days=365)
    count = _CASES_PER_MONTH * 12
    for number in range(count):
        opened = start + timedelta(days=365 * number / count, hours=chance.uniform(8, 10))
        steps += _story(app, chance, number, opened, end)
    steps.sort(key=lambda step: (step[0], step[1]))
    clock_before = app.clock
    try:
        for moment, _, command in steps:
            app.clock = lambda moment=moment: moment
            command()
    finally:
        app.clock = clock_before
    return count


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


def _story(
    app: Mediations, chance: random.Random, number: int, opened: datetime, end: datetime
) -> list[tuple[datetime, int, Callable[[], None]]]:
    """The commands of one generated case, each with when it happens (none after `end`)."""
    case: dict[str, Any] = {}
    domain = chance.choices(list(_DOMAIN_WEIGHTS), weights=list(_DOMAIN_WEIGHTS.values()))[0]
    place = chance.choices(list(_PLACE_WEIGHTS), weights=list(_PLACE_WEIGHTS.values()))[0]
    referral = chance.choice(_REFERRALS)

    parties = [f"p-year-{number:04d}-{side}" for side in "ab"]  # named: no read to learn them

    def request() -> None:
        case["id"] = app.request_mediation(
            domain=domain,
            neighbourhood=place,
            referral=referral,
            parties=[f"Habitant {number}-A", f"Habitant {number}-B"],
            party_ids=parties,
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

    steps: list[tuple[datetime, int, Callable[[], None]]] = [(opened, number, request)]
    when = opened
    for days, name, fields in _plan(chance, f"med-{number % 5 + 1}"):
        when += timedelta(days=days, minutes=chance.uniform(0, 600))
        if when >= end:
            break
        steps.append((when, number, command(name, fields)))
    return steps
