"""A realistic week of social mediation in Poitiers, recorded through the public API.

Names are fictitious. The demo also shows the deontology at work: the commands a
mediator might try and that the rules refuse are attempted, and the refusals reported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
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


def _noise_at_night_in_couronneries(s: _Script) -> None:
    """Couronneries: noise at night between neighbours, settled in a joint session."""
    app = s.app
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


def _benefits_file_in_trois_cites(s: _Script) -> None:
    """Trois-Cités: a resident lost in a benefits file, oriented to the social centre."""
    app = s.app
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


def _bus_stop_incident_in_beaulieu(s: _Script) -> None:
    """Beaulieu: a bus driver and a group of teenagers; one party refuses, the case is withdrawn."""
    app = s.app
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


def _family_and_school_in_bel_air(s: _Script) -> None:
    """Bel-Air: parents and a school; the first mediator withdraws (a tie came to light)."""
    app = s.app
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


def _shared_garden_in_saint_eloi(s: _Script) -> None:
    """Saint-Éloi: residents and the city about a shared garden."""
    app = s.app
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


def _stairwell_gatherings_in_bellejouanne(s: _Script) -> None:
    """Bellejouanne: gatherings in a stairwell; a resident consents, then withdraws."""
    app = s.app
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


def _water_bill_in_beaulieu(s: _Script) -> None:
    """Beaulieu: the only available mediator knows a party; both parties waive in writing."""
    app = s.app
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


def _parking_in_saint_eloi(s: _Script) -> None:
    """Saint-Éloi: a third neighbour joins; the joint session waits for their consent."""
    app = s.app
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


def _city_stadium_in_couronneries(s: _Script) -> None:
    """Couronneries: youth and a sports club, in mediation now."""
    app = s.app
    case, (a, _) = s.open(
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


def _bus_line_in_trois_cites(s: _Script) -> None:
    """Trois-Cités: just requested, waiting for a mediator."""
    s.open(
        "public-transport",
        "Trois-Cités",
        "resident",
        "Sentiment d'insécurité sur la ligne 1",
        "Mme Fontaine",
    )


def _diallo_asks_to_be_erased(s: _Script) -> None:
    """GDPR: M. Diallo (the first case, resolved) asks for his personal data to be erased.

    His key is deleted; the case, its facts and its statistics stay.
    """
    diallo = s.app.get_case(s.run.cases[0]).parties[1].id
    s.app.erase_subject(diallo, reason="data-subject-request")
    s.run.erased.append(diallo)


_WEEK = (  # in this order: the erasure is of a party of the first case
    _noise_at_night_in_couronneries,
    _benefits_file_in_trois_cites,
    _bus_stop_incident_in_beaulieu,
    _family_and_school_in_bel_air,
    _shared_garden_in_saint_eloi,
    _stairwell_gatherings_in_bellejouanne,
    _water_bill_in_beaulieu,
    _parking_in_saint_eloi,
    _city_stadium_in_couronneries,
    _bus_line_in_trois_cites,
    _diallo_asks_to_be_erased,
)


def record_demo(app: Mediations) -> DemoRun:
    """Record the demo's week of stories in `app`; return what was recorded and refused."""
    run = DemoRun()
    script = _Script(app, run)
    for story in _WEEK:
        story(script)
    return run
