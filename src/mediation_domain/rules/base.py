"""What every rule shares: a violation, the case state the rules read, helpers for messages."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import date, datetime
from typing import Any, Protocol

import attrs

from mediation_domain.errors import MediationError
from mediation_domain.values import CaseStatus, ConsentStatus, MediatorId, PartyId


@attrs.frozen
class Violation:
    """One broken rule: a stable code, a one-line explanation, the error a command raises."""

    rule: str
    message: str
    error: type[MediationError]

    def to_error(self) -> MediationError:
        """Return the typed error a refused command raises."""
        return self.error(self.message, rule=self.rule)


class CaseState(Protocol):
    """What the rules read of a case."""

    @property
    def status(self) -> CaseStatus:
        """Where the case stands."""
        ...

    @property
    def requested_on(self) -> date:
        """The day the mediation was requested."""
        ...

    @property
    def party_ids(self) -> Collection[PartyId]:
        """The parties of the case."""
        ...

    @property
    def consents(self) -> Mapping[PartyId, ConsentStatus]:
        """Each party's consent, as last declared."""
        ...

    @property
    def mediator(self) -> MediatorId | None:
        """The mediator assigned now, if any."""
        ...

    @property
    def session_count(self) -> int:
        """How many sessions were held."""
        ...

    @property
    def subjects(self) -> Collection[str]:
        """Whose personal data the case holds (the case id and the party ids)."""
        ...

    @property
    def modified_on(self) -> datetime:
        """When the case's last event was recorded."""
        ...


class HasEventTime(Protocol):
    """Every event carries the time it was recorded."""

    @property
    def timestamp(self) -> datetime:
        """When the event was recorded (UTC)."""
        ...


Rule = Callable[[Any, Any], Violation | None]


def listed_parties(case: CaseState) -> str:
    """The case's party ids, for a message (pseudonymous: safe in logs)."""
    return "parties: " + ", ".join(str(p) for p in case.party_ids)


def consent_is_live(case: CaseState, party: PartyId) -> bool:
    """True when `party`'s last declared consent is given."""
    return case.consents.get(party) is ConsentStatus.GIVEN
