"""The MediationCase aggregate: its commands, and its events, which only mutate state.

Every command builds its event, has `rules.violations` check it against the current state,
and only then applies and records it: a refused command leaves no trace. Event `apply`
bodies never check anything, because they also run when a stored history is replayed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from typing import Any, Self
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from mediation_domain import rules
from mediation_domain.case_forms import CaseSnapshot, upcast_session_held_v1_v2
from mediation_domain.case_values import (
    PARTY_CONTACT,
    PARTY_NAME,
    SUMMARY,
    HeldSession,
    Party,
    personal_values,
    session_notes,
)
from mediation_domain.clock import now, stamped_by
from mediation_domain.privacy import Sealed
from mediation_domain.values import (
    CaseStatus,
    ConsentStatus,
    InterventionDomain,
    MediatorId,
    Outcome,
    PartyId,
    ReasonCode,
    ReferralSource,
    SessionKind,
    WithdrawnBy,
)

__all__ = [
    "PARTY_CONTACT",
    "PARTY_NAME",
    "SUMMARY",
    "HeldSession",
    "MediationCase",
    "Party",
    "now",
    "session_notes",
    "stamped_by",
]


class MediationCase(Aggregate):
    """A social mediation, from its request to its resolution or withdrawal."""

    class Event(Aggregate.Event):
        """Base of the case's events: each applies itself to the case, without checking."""

    class Snapshot(CaseSnapshot):
        """The case at a version, in the forms its events are stored in.

        eventsourcing's snapshot keeps `vars(case)`: dicts keyed by PartyId, a set, status
        codes and HeldSession values, which its JSON transcoder refuses. They are kept as
        lists and codes here, and rebuilt when the snapshot is read. Personal values stay
        sealed, so erasing a subject's key reaches snapshots as it reaches events.

        The stored form is versioned like an event's (tests/fixtures/snapshot-v1.json must
        keep reading): a change to the case's fields bumps `class_version`, with an
        `upcast_v1_v2` of the stored form here, or drops the snapshots (they are a cache).
        """

        class_version = 1

    class Requested(Aggregate.Created):
        """Someone asked the service to mediate; the case opens."""

        class_version = 1
        domain: InterventionDomain
        neighbourhood: str
        referral: ReferralSource
        parties: tuple[Party, ...]
        summary: Sealed

    class PartyJoined(Event):
        """A further party joined; their consent is needed before any session they attend."""

        class_version = 1
        party: Party

        def apply(self, case: MediationCase) -> None:
            """Add the party, with no consent yet."""
            case.parties[self.party.id] = self.party
            case.consents[self.party.id] = ConsentStatus.PENDING

    class MediatorAssigned(Event):
        """A mediator took the case, with their declaration of independence."""

        class_version = 1
        mediator: MediatorId
        declared_ties: tuple[PartyId, ...]
        ties_waived_by: tuple[PartyId, ...]

        def apply(self, case: MediationCase) -> None:
            """The mediator is now assigned."""
            case.mediator = self.mediator

    class MediatorWithdrew(Event):
        """The mediator refused or withdrew; sessions wait for a new assignment."""

        class_version = 1
        mediator: MediatorId
        reason: ReasonCode

        def apply(self, case: MediationCase) -> None:
            """No mediator is assigned any more."""
            case.mediator = None

    class ConsentGiven(Event):
        """A party freely consented to the mediation."""

        class_version = 1
        party: PartyId

        def apply(self, case: MediationCase) -> None:
            """The party's consent is live."""
            case.consents[self.party] = ConsentStatus.GIVEN

    class ConsentWithdrawn(Event):
        """A party revoked their consent; no reason is asked for."""

        class_version = 1
        party: PartyId

        def apply(self, case: MediationCase) -> None:
            """The party's consent is no longer live."""
            case.consents[self.party] = ConsentStatus.WITHDRAWN

    class ConsentRefused(Event):
        """A party declined to take part."""

        class_version = 1
        party: PartyId

        def apply(self, case: MediationCase) -> None:
            """The party has not consented."""
            case.consents[self.party] = ConsentStatus.REFUSED

    class SessionHeld(Event):
        """The mediator held an individual interview or a joint session (notes sealed)."""

        class_version = 2
        kind: SessionKind
        attendees: tuple[PartyId, ...]
        held_on: date
        notes: Sealed | None = None

        upcast_v1_v2 = staticmethod(upcast_session_held_v1_v2)

        def apply(self, case: MediationCase) -> None:
            """Remember the session."""
            case.sessions.append(
                HeldSession(self.kind, tuple(self.attendees), self.held_on, self.notes)
            )

    class Withdrawn(Event):
        """A party, the mediator or the service ended the mediation; the case closes."""

        class_version = 1
        by: WithdrawnBy
        reason: ReasonCode

        def apply(self, case: MediationCase) -> None:
            """Close the case as withdrawn."""
            case.closed_as = CaseStatus.WITHDRAWN
            case.withdrawal = (self.by, self.reason)

    class Resolved(Event):
        """The mediation ended with an outcome; the case closes."""

        class_version = 1
        outcome: Outcome

        def apply(self, case: MediationCase) -> None:
            """Close the case as resolved."""
            case.closed_as = CaseStatus.RESOLVED
            case.outcome = self.outcome

    class PersonalDataErased(Event):
        """A data subject's key was deleted: their sealed values can no longer be opened.

        Carries the subject's pseudonymous id and a reason code, nothing personal. Allowed
        on a closed case: erasure does not reopen it.
        """

        class_version = 1
        subject: str
        reason: ReasonCode

        def apply(self, case: MediationCase) -> None:
            """Remember that the subject's values are gone."""
            case.erased.add(self.subject)

    def __init__(
        self,
        domain: InterventionDomain,
        neighbourhood: str,
        referral: ReferralSource,
        parties: Iterable[Party],
        summary: Sealed,
    ) -> None:
        # Runs as the Requested event's mutation, on every replay: state only, no checks.
        self.domain = domain
        self.neighbourhood = neighbourhood
        self.referral = referral
        self.summary = summary
        self.parties: dict[PartyId, Party] = {party.id: party for party in parties}
        self.consents: dict[PartyId, ConsentStatus] = dict.fromkeys(
            self.parties, ConsentStatus.PENDING
        )
        self.mediator: MediatorId | None = None
        self.sessions: list[HeldSession] = []
        self.outcome: Outcome | None = None
        self.withdrawal: tuple[WithdrawnBy, ReasonCode] | None = None
        self.closed_as: CaseStatus | None = None
        self.erased: set[str] = set()

    # What the rules read (rules.CaseState) ----------------------------------------------

    @property
    def status(self) -> CaseStatus:
        """Where the case stands."""
        if self.closed_as is not None:
            return self.closed_as
        return CaseStatus.IN_MEDIATION if self.mediator else CaseStatus.AWAITING_MEDIATOR

    @property
    def requested_on(self) -> date:
        """The (UTC) day the mediation was requested."""
        return self.created_on.date()

    @property
    def party_ids(self) -> tuple[PartyId, ...]:
        """The parties, in the order they joined."""
        return tuple(self.parties)

    @property
    def subjects(self) -> tuple[str, ...]:
        """Whose personal data the case holds: the case itself (free text) and each party."""
        return (str(self.id), *(party.value for party in self.parties))

    def sealed_values(self) -> list[tuple[str, str, Sealed]]:
        """Every personal value the case holds, as stored: (field, its owner, the value).

        The owner is whose value it must be: the party it describes, or the case for its
        free text. A value sealed for another subject (moved from another party) is not.
        """
        return personal_values(str(self.id), self.summary, self.parties, self.sessions)

    @property
    def session_count(self) -> int:
        """How many sessions were held."""
        return len(self.sessions)

    # Commands -----------------------------------------------------------------------------

    @classmethod
    def _create(cls, *_: object, **__: object) -> Self:
        """Refuse eventsourcing's constructor path: it would skip the rules."""
        message = "a MediationCase is created by MediationCase.request(...), which checks the rules"
        raise TypeError(message)

    @classmethod
    def request(  # noqa: PLR0913 - the Requested event's fields, by name
        cls,
        *,
        case_id: UUID,
        domain: InterventionDomain,
        neighbourhood: str,
        referral: ReferralSource,
        parties: Iterable[Party],
        summary: Sealed,
    ) -> MediationCase:
        """Open a case, or raise the first rule the request breaks."""
        requested_event: Callable[..., MediationCase.Requested] = cls.Requested
        requested = requested_event(
            originator_topic=get_topic(cls),
            originator_id=case_id,
            originator_version=cls.INITIAL_VERSION,
            timestamp=now(),
            domain=domain,
            neighbourhood=neighbourhood,
            referral=referral,
            parties=tuple(parties),
            summary=summary,
        )
        rules.enforce(None, requested)
        case = requested.mutate(None)
        if case is None:  # pragma: no cover - a Created event always builds its aggregate
            raise TypeError("Requested did not create a case")
        case.pending_events.append(requested)
        return case

    def join(self, party: Party) -> None:
        """Add a party to the mediation."""
        self._record(self.PartyJoined, party=party)

    def assign(
        self,
        mediator: MediatorId,
        declared_ties: Iterable[PartyId] = (),
        ties_waived_by: Iterable[PartyId] = (),
    ) -> None:
        """Assign a mediator who declared their ties with the parties (if any)."""
        self._record(
            self.MediatorAssigned,
            mediator=mediator,
            declared_ties=tuple(declared_ties),
            ties_waived_by=tuple(ties_waived_by),
        )

    def mediator_withdraws(self, mediator: MediatorId, reason: ReasonCode) -> None:
        """Record that the assigned mediator refused or withdrew."""
        self._record(self.MediatorWithdrew, mediator=mediator, reason=reason)

    def give_consent(self, party: PartyId) -> None:
        """Record a party's consent; a consent already live is not recorded twice."""
        if not self._consent_already(party, ConsentStatus.GIVEN):
            self._record(self.ConsentGiven, party=party)

    def withdraw_consent(self, party: PartyId) -> None:
        """Record that a party revoked their consent; with no live consent, nothing changes."""
        if not self._consent_already(
            party, ConsentStatus.WITHDRAWN, ConsentStatus.REFUSED, ConsentStatus.PENDING
        ):
            self._record(self.ConsentWithdrawn, party=party)

    def refuse_consent(self, party: PartyId) -> None:
        """Record that a party declined; a refusal already recorded is not recorded twice."""
        if not self._consent_already(party, ConsentStatus.REFUSED):
            self._record(self.ConsentRefused, party=party)

    def hold_session(
        self,
        kind: SessionKind,
        attendees: Iterable[PartyId],
        held_on: date,
        notes: Sealed | None = None,
    ) -> None:
        """Record a session held by the assigned mediator."""
        self._record(
            self.SessionHeld, kind=kind, attendees=tuple(attendees), held_on=held_on, notes=notes
        )

    def withdraw(self, by: WithdrawnBy, reason: ReasonCode) -> None:
        """End the mediation before a resolution."""
        self._record(self.Withdrawn, by=by, reason=reason)

    def resolve(self, outcome: Outcome) -> None:
        """End the mediation with its outcome."""
        self._record(self.Resolved, outcome=outcome)

    def erase(self, subject: str, reason: ReasonCode) -> None:
        """Record that `subject`'s personal data was erased; recorded once per subject."""
        if subject not in self.erased:
            self._record(self.PersonalDataErased, subject=subject, reason=reason)

    def _consent_already(self, party: PartyId, *statuses: ConsentStatus) -> bool:
        """True when recording would change nothing (open case, known party, same status)."""
        return self.closed_as is None and self.consents.get(party) in statuses

    def check(self, event_class: Callable[..., MediationCase.Event], **fields: Any) -> None:  # noqa: ANN401
        """Raise the first rule recording this event would break, without recording it.

        Lets the application refuse a step before it seals anything for it.
        """
        rules.enforce(self, self._event(event_class, **fields))

    def _record(self, event_class: Callable[..., MediationCase.Event], **fields: Any) -> None:  # noqa: ANN401
        event = self._event(event_class, **fields)
        rules.enforce(self, event)
        event.mutate(self)
        self.pending_events.append(event)

    def _event(
        self,
        event_class: Callable[..., MediationCase.Event],
        **fields: Any,  # noqa: ANN401
    ) -> MediationCase.Event:
        return event_class(
            originator_id=self.id,
            originator_version=self.version + 1,
            # Never before the case's last event, were the clock set back (time order is
            # a rule: the replay holds stored histories to it).
            timestamp=max(now(), self.modified_on),
            **fields,
        )
