"""What a case contributes to reports: its facts (the fold), the grid and the indicators."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

import attrs

from mediation_domain.activity_values import PartnerKind
from mediation_domain.case import MediationCase
from mediation_domain.case_values import Party
from mediation_domain.errors import InvalidInputError
from mediation_domain.values import (
    ConsentStatus,
    InterventionDomain,
    Outcome,
    ReferralSource,
    SessionKind,
    WithdrawnBy,
)

DIMENSIONS = ("neighbourhood", "domain", "month")
Key = tuple[str, str, str]  # neighbourhood, domain code, month
AGE_BUCKETS = ((30, "0-30d"), (90, "31-90d"), (180, "91-180d"), (math.inf, "181d+"))

# Cases involving an institution of each kind, counted once per kind: in the month the
# case first did (its request naming one, or the first party of that kind joining).
INSTITUTIONS = tuple(f"institution.{kind.value}" for kind in PartnerKind)
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
    *INSTITUTIONS,
)
STOCKS: tuple[str, ...] = ("open", *(f"open.{label}" for _, label in AGE_BUCKETS))
COUNTS = FLOWS + STOCKS


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
    # When a party of each kind of institution first was in the case: its kind, never its name
    institutions: dict[PartnerKind, datetime] = attrs.Factory(dict)

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
            "institutions": {kind.value: at.isoformat() for kind, at in self.institutions.items()},
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
            institutions={
                PartnerKind(kind): datetime.fromisoformat(at)
                for kind, at in data["institutions"].items()
            },
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
        for party in event.parties:
            _involves(facts[case], party, at)
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


def _involves(case: CaseFacts, party: Party, at: datetime) -> None:
    """Note when the case first involved an institution of `party`'s kind (a person: none).

    A party stored before institutions existed reads as a person (`Party.institution` None).
    """
    if party.institution is not None:
        case.institutions.setdefault(party.institution.kind, at)


def _joined(case: CaseFacts, event: Any, at: datetime, key: PartyKey) -> None:  # noqa: ANN401
    if case.closed_at is None:
        case.consents[key(event.party.id.value)] = ConsentStatus.PENDING
    _involves(case, event.party, at)


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


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _time(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
