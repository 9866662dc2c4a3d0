"""Rules of the mediator: neutrality and independence at assignment, and withdrawal."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from mediation_domain.errors import InvalidInputError, LifecycleError, NeutralityError
from mediation_domain.rules.base import CaseState, Violation, listed_parties
from mediation_domain.values import MediatorId, PartyId


class Assignment(Protocol):
    """A MediatorAssigned event: the mediator and their declaration of independence."""

    @property
    def mediator(self) -> MediatorId:
        """The mediator."""
        ...

    @property
    def declared_ties(self) -> Sequence[PartyId]:
        """Parties the mediator declared a tie with (family, neighbour, colleague, ...)."""
        ...

    @property
    def ties_waived_by(self) -> Sequence[PartyId]:
        """Parties who waived the declared ties in writing."""
        ...


def one_mediator_at_a_time(case: CaseState, _: Assignment) -> Violation | None:
    """A new mediator is assigned only once the previous one withdrew."""
    if case.mediator is not None:
        message = f"mediator {case.mediator} is assigned; record their withdrawal first"
        return Violation("one-mediator-at-a-time", message, LifecycleError)
    return None


def mediator_is_not_a_party(case: CaseState, event: Assignment) -> Violation | None:
    """The mediator is a third party: never one of the parties."""
    if any(event.mediator.value == party.value for party in case.party_ids):
        message = f"{event.mediator} is a party of the case and cannot mediate it"
        return Violation("mediator-is-not-a-party", message, NeutralityError)
    return None


def declaration_names_parties(case: CaseState, event: Assignment) -> Violation | None:
    """Ties and waivers name parties of the case."""
    strangers = [
        p for p in (*event.declared_ties, *event.ties_waived_by) if p not in case.party_ids
    ]
    if strangers:
        message = (
            f"the declaration names {strangers[0]}, not a party of this case"
            f" ({listed_parties(case)})"
        )
        return Violation("declaration-names-parties", message, InvalidInputError)
    return None


def ties_are_waived_by_every_party(case: CaseState, event: Assignment) -> Violation | None:
    """A declared tie blocks the assignment unless every party waived it in writing."""
    if not event.declared_ties:
        return None
    missing = sorted(str(p) for p in set(case.party_ids) - set(event.ties_waived_by))
    if missing:
        message = (
            f"{event.mediator} declared a tie with {event.declared_ties[0]}; "
            f"every party must waive it in writing (missing: {', '.join(missing)})"
        )
        return Violation("ties-are-waived-by-every-party", message, NeutralityError)
    return None


class NamesAMediator(Protocol):
    """A MediatorWithdrew event."""

    @property
    def mediator(self) -> MediatorId:
        """The withdrawing mediator."""
        ...


def withdrawing_mediator_is_assigned(case: CaseState, event: NamesAMediator) -> Violation | None:
    """Only the mediator assigned now withdraws."""
    if case.mediator != event.mediator:
        current = case.mediator or "no one"
        message = f"{event.mediator} is not the assigned mediator ({current} is)"
        return Violation("withdrawing-mediator-is-assigned", message, LifecycleError)
    return None
