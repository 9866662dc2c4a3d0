"""Rules of a session: a mediator, attendees who are parties, live consent, a plausible date."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Protocol

from mediation_domain.errors import ConsentError, InvalidInputError, NeutralityError
from mediation_domain.rules.base import (
    CaseState,
    HasEventTime,
    Violation,
    consent_is_live,
    listed_parties,
)
from mediation_domain.values import ConsentStatus, PartyId, SessionKind

# A session may carry tomorrow's date: the recording clock is UTC, the service's is local.
CLOCK_TOLERANCE = timedelta(days=1)


class Session(HasEventTime, Protocol):
    """A SessionHeld event."""

    @property
    def kind(self) -> SessionKind:
        """Individual interview or joint session."""
        ...

    @property
    def attendees(self) -> Sequence[PartyId]:
        """The parties present."""
        ...

    @property
    def held_on(self) -> date:
        """The day the session was held."""
        ...


def session_has_a_mediator(case: CaseState, _: Session) -> Violation | None:
    """A session is held by an assigned, neutral mediator."""
    if case.mediator is None:
        message = "no mediator is assigned: a session needs an independent third party"
        return Violation("session-has-a-mediator", message, NeutralityError)
    return None


def attendees_are_parties(case: CaseState, event: Session) -> Violation | None:
    """Attendees are parties of the case, each counted once."""
    if len(set(event.attendees)) != len(event.attendees):
        return Violation("attendees-are-parties", "an attendee is listed twice", InvalidInputError)
    strangers = [p for p in event.attendees if p not in case.party_ids]
    if strangers:
        message = f"{strangers[0]} is not a party of this case ({listed_parties(case)})"
        return Violation("attendees-are-parties", message, InvalidInputError)
    return None


def session_kind_fits_attendees(_: CaseState, event: Session) -> Violation | None:
    """An individual interview has one attendee; a joint session brings at least two."""
    count = len(event.attendees)
    if event.kind is SessionKind.INDIVIDUAL_INTERVIEW and count != 1:
        message = f"an individual interview has exactly one attendee, not {count}"
        return Violation("session-kind-fits-attendees", message, InvalidInputError)
    if event.kind is SessionKind.JOINT_SESSION and count < 2:  # noqa: PLR2004
        message = f"a joint session brings at least two parties together, not {count}"
        return Violation("session-kind-fits-attendees", message, InvalidInputError)
    return None


def attendees_consent(case: CaseState, event: Session) -> Violation | None:
    """Every attendee has live consent: no one is mediated without agreeing to it."""
    for party in event.attendees:
        if party in case.party_ids and not consent_is_live(case, party):
            status = case.consents.get(party, ConsentStatus.PENDING).value
            message = f"{party} has no live consent (consent {status})"
            return Violation("attendees-consent", message, ConsentError)
    return None


def joint_session_has_every_partys_consent(case: CaseState, event: Session) -> Violation | None:
    """A joint session needs every party's live consent, attending or not."""
    if event.kind is not SessionKind.JOINT_SESSION:
        return None
    missing = sorted(str(p) for p in case.party_ids if not consent_is_live(case, p))
    if missing:
        message = (
            f"a joint session needs every party's live consent (missing: {', '.join(missing)})"
        )
        return Violation("joint-session-has-every-partys-consent", message, ConsentError)
    return None


def session_date_is_plausible(case: CaseState, event: Session) -> Violation | None:
    """A session is recorded after it was held, and not before the mediation was requested."""
    latest = (event.timestamp + CLOCK_TOLERANCE).date()
    if event.held_on > latest:
        message = f"the session date {event.held_on} is in the future"
        return Violation("session-date-is-plausible", message, InvalidInputError)
    if event.held_on < case.requested_on:
        message = f"the session date {event.held_on} is before the request ({case.requested_on})"
        return Violation("session-date-is-plausible", message, InvalidInputError)
    return None
