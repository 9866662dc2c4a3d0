"""Rules of the parties: who requests a mediation, who joins it, who declares consent."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Protocol
from uuid import UUID

from mediation_domain.errors import ConsentError, InvalidInputError, NeutralityError
from mediation_domain.rules.base import CaseState, Violation, consent_is_live, listed_parties
from mediation_domain.values import PartyId


class HasParties(Protocol):
    """A Requested event."""

    @property
    def parties(self) -> Sequence[Any]:
        """The parties (each with an `id`)."""
        ...


def request_has_parties(_: None, event: HasParties) -> Violation | None:
    """A mediation is requested between at least one party and the service."""
    if not event.parties:
        return Violation(
            "request-has-parties", "a mediation needs at least one party", InvalidInputError
        )
    ids = [party.id for party in event.parties]
    if len(set(ids)) != len(ids):
        message = f"each party appears once; repeated ids in {[str(i) for i in ids]}"
        return Violation("request-has-parties", message, InvalidInputError)
    return None


def _reads_as_a_case_id(party_ids: Iterable[Any]) -> Violation | None:
    """Confidentiality: a party id spelled as a case id would share that case's key."""
    for party_id in party_ids:
        try:
            UUID(str(party_id))
        except ValueError:
            continue
        message = f"invalid party id {party_id!s}: it reads as a case id; choose another"
        return Violation("party-id-is-not-a-case-id", message, InvalidInputError)
    return None


def requested_party_ids_are_not_case_ids(_: None, event: HasParties) -> Violation | None:
    """Each party's personal values are sealed under a key of its own, never a case's."""
    return _reads_as_a_case_id(party.id for party in event.parties)


class HasParty(Protocol):
    """A PartyJoined event."""

    @property
    def party(self) -> Any:  # noqa: ANN401 - a Party value
        """The joining party (with an `id`)."""
        ...


def joining_party_is_new(case: CaseState, event: HasParty) -> Violation | None:
    """A party joins a case once."""
    if event.party.id in case.party_ids:
        message = f"party {event.party.id} is already a party of the case"
        return Violation("joining-party-is-new", message, InvalidInputError)
    return None


def joining_party_id_is_not_a_case_id(_: CaseState, event: HasParty) -> Violation | None:
    """As for a request: the joining party gets a key of its own."""
    return _reads_as_a_case_id([event.party.id])


def joining_party_is_not_the_mediator(case: CaseState, event: HasParty) -> Violation | None:
    """The mediator is a third party: never one of the parties."""
    if case.mediator is not None and event.party.id.value == case.mediator.value:
        message = f"{event.party.id} is the case's mediator and cannot also be a party"
        return Violation("mediator-is-not-a-party", message, NeutralityError)
    return None


# Consent ---------------------------------------------------------------------------------


class NamesAParty(Protocol):
    """A consent event."""

    @property
    def party(self) -> PartyId:
        """The party declaring."""
        ...


def declaring_party_belongs_to_case(case: CaseState, event: NamesAParty) -> Violation | None:
    """Only the parties of a case declare consent on it."""
    if event.party not in case.party_ids:
        message = f"{event.party} is not a party of this case ({listed_parties(case)})"
        return Violation("party-belongs-to-case", message, InvalidInputError)
    return None


def refusal_is_not_a_withdrawal(case: CaseState, event: NamesAParty) -> Violation | None:
    """A party whose consent is live withdraws it; a refusal answers a request for consent."""
    if consent_is_live(case, event.party):
        message = f"{event.party} has consented: record a withdrawal of consent, not a refusal"
        return Violation("refusal-is-not-a-withdrawal", message, ConsentError)
    return None
