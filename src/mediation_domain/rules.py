"""The deontology as pure functions over (case state, proposed event), for commands and audits.

A command runs `violations(case, event)` before recording `event` and raises the first one;
an auditor runs `review(history)` over stored events and sees every one. The rules read
the state through `CaseState` and events by their fields, so they import nothing but values.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any, Protocol
from uuid import UUID

import attrs
from eventsourcing.domain import OriginatorIDError, OriginatorVersionError

from mediation_domain.errors import (
    CaseClosedError,
    ConsentError,
    InvalidInputError,
    LifecycleError,
    MediationError,
    NeutralityError,
)
from mediation_domain.values import CaseStatus, ConsentStatus, MediatorId, PartyId, SessionKind

# A session may carry tomorrow's date: the recording clock is UTC, the service's is local.
CLOCK_TOLERANCE = timedelta(days=1)


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


def _parties(case: CaseState) -> str:
    """The case's party ids, for a message (pseudonymous: safe in logs)."""
    return "parties: " + ", ".join(str(p) for p in case.party_ids)


def _live(case: CaseState, party: PartyId) -> bool:
    return case.consents.get(party) is ConsentStatus.GIVEN


# Lifecycle -------------------------------------------------------------------------------

_CLOSED = frozenset({CaseStatus.WITHDRAWN, CaseStatus.RESOLVED})


class HasStatus(Protocol):
    """Enough of a case to tell whether it is closed."""

    @property
    def status(self) -> CaseStatus:
        """Where the case stands."""
        ...


def case_is_open(case: HasStatus, _: object) -> Violation | None:
    """Nothing is recorded after the case was withdrawn or resolved."""
    if case.status in _CLOSED:
        message = f"the case is {case.status.value}: nothing more can be recorded on it"
        return Violation("case-is-open", message, CaseClosedError)
    return None


def resolution_follows_a_session(case: CaseState, _: object) -> Violation | None:
    """A mediation is resolved only after at least one session was held."""
    if case.session_count == 0:
        message = "a case is resolved only after at least one session was held"
        return Violation("resolution-follows-a-session", message, LifecycleError)
    return None


# Parties ---------------------------------------------------------------------------------


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
        message = f"{event.party} is not a party of this case ({_parties(case)})"
        return Violation("party-belongs-to-case", message, InvalidInputError)
    return None


def refusal_is_not_a_withdrawal(case: CaseState, event: NamesAParty) -> Violation | None:
    """A party whose consent is live withdraws it; a refusal answers a request for consent."""
    if _live(case, event.party):
        message = f"{event.party} has consented: record a withdrawal of consent, not a refusal"
        return Violation("refusal-is-not-a-withdrawal", message, ConsentError)
    return None


# Neutrality and independence ---------------------------------------------------------------


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
            f"the declaration names {strangers[0]}, not a party of this case ({_parties(case)})"
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


# Sessions ----------------------------------------------------------------------------------


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
        message = f"{strangers[0]} is not a party of this case ({_parties(case)})"
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
        if party in case.party_ids and not _live(case, party):
            status = case.consents.get(party, ConsentStatus.PENDING).value
            message = f"{party} has no live consent (consent {status})"
            return Violation("attendees-consent", message, ConsentError)
    return None


def joint_session_has_every_partys_consent(case: CaseState, event: Session) -> Violation | None:
    """A joint session needs every party's live consent, attending or not."""
    if event.kind is not SessionKind.JOINT_SESSION:
        return None
    missing = sorted(str(p) for p in case.party_ids if not _live(case, p))
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


# Erasure ---------------------------------------------------------------------------------


class Erasure(Protocol):
    """An erasure names its data subject."""

    @property
    def subject(self) -> str:
        """The case id or a party id."""
        ...


def erased_subject_belongs_to_case(case: CaseState, event: Erasure) -> Violation | None:
    """Only the case's own data subjects are erased on it."""
    if event.subject not in case.subjects:
        message = f"{event.subject} is neither this case nor one of its {_parties(case)}"
        return Violation("erased-subject-belongs-to-case", message, InvalidInputError)
    return None


# The catalogue: which rules guard which event ----------------------------------------------

RULES: Mapping[str, tuple[Rule, ...]] = {
    "Requested": (request_has_parties, requested_party_ids_are_not_case_ids),
    "PartyJoined": (
        case_is_open,
        joining_party_is_new,
        joining_party_is_not_the_mediator,
        joining_party_id_is_not_a_case_id,
    ),
    "MediatorAssigned": (
        case_is_open,
        one_mediator_at_a_time,
        declaration_names_parties,
        mediator_is_not_a_party,
        ties_are_waived_by_every_party,
    ),
    "MediatorWithdrew": (case_is_open, withdrawing_mediator_is_assigned),
    "ConsentGiven": (case_is_open, declaring_party_belongs_to_case),
    "ConsentWithdrawn": (case_is_open, declaring_party_belongs_to_case),
    "ConsentRefused": (case_is_open, declaring_party_belongs_to_case, refusal_is_not_a_withdrawal),
    "SessionHeld": (
        case_is_open,
        session_has_a_mediator,
        attendees_are_parties,
        session_kind_fits_attendees,
        attendees_consent,
        joint_session_has_every_partys_consent,
        session_date_is_plausible,
    ),
    "Withdrawn": (case_is_open,),
    "Resolved": (case_is_open, resolution_follows_a_session),
    # Erasure is a right that outlives the mediation: allowed on a closed case.
    "PersonalDataErased": (erased_subject_belongs_to_case,),
}


def violations(case: CaseState | None, event: object) -> list[Violation]:
    """Every rule `event` breaks when recorded on `case` (None before the case exists)."""
    name = type(event).__name__
    if (case is None) != (name == "Requested"):
        where = "before its case was requested" if case is None else "on an existing case"
        return [Violation("event-in-sequence", f"{name} recorded {where}", LifecycleError)]
    found = [] if case is None else [v for v in (_in_time_order(case.modified_on, event),) if v]
    for rule in RULES.get(name, ()):
        violation = rule(case, event)
        if violation is not None:
            found.append(violation)
    return found


def _in_time_order(last: datetime, event: object) -> Violation | None:
    """A case's events are recorded in time order: reports and as-of reads rely on it."""
    at: datetime = event.timestamp  # type: ignore[attr-defined]
    if at < last:
        message = f"recorded at {at.isoformat()}, before the case's last event ({last.isoformat()})"
        return Violation("events-in-time-order", message, LifecycleError)
    return None


class Replayable(Protocol):
    """A stored domain event as the auditor replays it."""

    @property
    def originator_id(self) -> UUID:
        """The case."""
        ...

    @property
    def originator_version(self) -> int:
        """The event's position in its case."""
        ...

    def mutate(self, aggregate: Any) -> Any:  # noqa: ANN401 - eventsourcing's signature
        """Apply the event to the case state (None for the first event)."""
        ...


@attrs.frozen
class Finding:
    """A violation found in a stored history: where, on which case, what."""

    position: int
    case_id: UUID
    version: int
    violation: Violation


def review(history: Iterable[Replayable]) -> Iterator[Finding]:
    """Replay `history` (events of any cases, in recorded order) and yield every violation.

    Cases are rebuilt with the events' own mutations, so a history that broke a rule
    still replays: the auditor sees each violation where it happened, and the next.
    Positions count events from 1; `review_positioned` takes the store's own positions.
    """
    return review_positioned(enumerate(history, start=1))


def review_positioned(history: Iterable[tuple[int, Replayable]]) -> Iterator[Finding]:
    """As `review`, over (position, event) pairs: the notification ids of a stored log.

    Memory grows with the cases still open, not with the history: a closed case is kept
    as its final status only, since anything recorded after it breaks `case-is-open`.
    """
    cases: dict[int, Any] = {}
    closed: dict[int, _ClosedCase] = {}
    for position, event in history:
        case_id = event.originator_id
        key = case_id.int  # hashing the int is native; hashing a UUID runs Python code
        ended = closed.get(key)
        if ended is not None:
            for violation in ended.after(event):
                yield Finding(position, case_id, event.originator_version, violation)
            continue
        case = cases.get(key)
        name = type(event).__name__
        for violation in violations(case, event):
            yield Finding(position, case_id, event.originator_version, violation)
        if (case is None) != (name == "Requested"):
            continue
        try:
            case = event.mutate(case)
        except (OriginatorIDError, OriginatorVersionError):
            message = f"version {event.originator_version} does not follow the case's last event"
            violation = Violation("event-in-sequence", message, LifecycleError)
            yield Finding(position, case_id, event.originator_version, violation)
            continue
        if name in _CLOSING and case.status in _CLOSED:
            parties = " ".join(party.value for party in case.party_ids)  # ids have no space
            closed[key] = _ClosedCase(case.status, case.version, parties, case.modified_on)
            cases.pop(key, None)
        else:
            cases[key] = case


_CLOSING = frozenset({"Withdrawn", "Resolved"})
_ALLOWED_WHEN_CLOSED = frozenset(
    name for name, rules in RULES.items() if case_is_open not in rules and name != "Requested"
)


@attrs.define
class _ClosedCase:
    """What the review keeps of a withdrawn or resolved case.

    Its status and last version (anything but an erasure breaks `case-is-open`), and its
    party ids in one small string, so that an erasure recorded after the closing is held
    to its own rules too.
    """

    status: CaseStatus
    version: int
    parties: str  # the party ids, space-separated (ids have no space)
    modified_on: datetime  # when its last event was recorded

    def after(self, event: Replayable) -> list[Violation]:
        """What an event recorded after the case closed breaks."""
        name = type(event).__name__
        late = _in_time_order(self.modified_on, event)
        if name in _ALLOWED_WHEN_CLOSED:
            state = _Closed(self.status, str(event.originator_id), self.parties.split())
            found = [v for rule in RULES[name] if (v := rule(state, event)) is not None]
        else:
            found = [v for v in (case_is_open(self, event),) if v is not None]
        if event.originator_version != self.version + 1:
            message = f"version {event.originator_version} does not follow the case's last event"
            found.append(Violation("event-in-sequence", message, LifecycleError))
        else:
            self.version += 1
            self.modified_on = event.timestamp  # type: ignore[attr-defined] # as the case does
        return [late, *found] if late else found


@attrs.frozen
class _Closed:
    """A closed case as the rules allowed after its closing read it."""

    status: CaseStatus
    case_id: str
    parties: list[str]

    @property
    def party_ids(self) -> tuple[PartyId, ...]:
        """The case's parties."""
        return tuple(map(PartyId, self.parties))

    @property
    def subjects(self) -> tuple[str, ...]:
        """The case id and the party ids."""
        return (self.case_id, *self.parties)
