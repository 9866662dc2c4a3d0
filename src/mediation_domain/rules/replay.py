"""The auditor's replay: the catalogue's rules run over a stored history, every finding kept."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

import attrs
from eventsourcing.domain import OriginatorIDError, OriginatorVersionError

from mediation_domain.errors import LifecycleError
from mediation_domain.rules.base import Violation
from mediation_domain.rules.catalogue import (
    CREATING,
    RULES,
    belongs,
    in_time_order,
    owner_of,
    violations,
)
from mediation_domain.rules.lifecycle import CLOSED, case_is_open
from mediation_domain.values import CaseStatus, PartyId


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
    closed: dict[int, _ClosedCase | _Recorded] = {}
    archived: set[int] = set()  # records in the intermediate archive: no longer followed up
    for position, event in history:
        case_id = event.originator_id
        key = case_id.int  # hashing the int is native; hashing a UUID runs Python code
        late = _after_archiving(archived, key, event)
        if late is not None:
            yield Finding(position, case_id, event.originator_version, late)
        ended = closed.get(key)
        if ended is not None:
            for violation in ended.after(event):
                yield Finding(position, case_id, event.originator_version, violation)
            continue
        case = cases.get(key)
        name = type(event).__name__
        for violation in violations(case, event):
            yield Finding(position, case_id, event.originator_version, violation)
        if (case is None) != (name in CREATING) or (case is not None and not belongs(case, event)):
            continue
        try:
            case = event.mutate(case)
        except (OriginatorIDError, OriginatorVersionError):
            message = f"version {event.originator_version} does not follow the case's last event"
            violation = Violation("event-in-sequence", message, LifecycleError)
            yield Finding(position, case_id, event.originator_version, violation)
            continue
        if name in _CLOSING and case.status in CLOSED:
            parties = " ".join(party.value for party in case.party_ids)  # ids have no space
            closed[key] = _ClosedCase(case.status, case.version, parties, case.modified_on)
            cases.pop(key, None)
        elif name in _RECORDED_ONCE:
            closed[key] = _Recorded(case.version, case.modified_on)
        else:
            cases[key] = case


def _after_archiving(archived: set[int], key: int, event: Replayable) -> Violation | None:
    """Remember what is archived; a follow-up of an archived orientation breaks a rule.

    The command refuses it (Activities.follow_up reads the archive entry); the rule spans
    two records, so the replay holds it here rather than in the per-record catalogue.
    """
    name = type(event).__name__
    if name == "RecordArchived":
        archived.add(event.record.int)  # type: ignore[attr-defined]
    elif name == "FollowedUp" and key in archived:
        message = (
            "a follow-up recorded on an orientation in the archive: it is no longer followed up"
        )
        return Violation("archived-records-are-not-followed-up", message, LifecycleError)
    return None


_CLOSING = frozenset({"Withdrawn", "Resolved"})
_ALLOWED_WHEN_CLOSED = frozenset(
    name
    for name, rules in RULES.items()
    if case_is_open not in rules and name not in CREATING and owner_of(name) == "MediationCase"
)
# Activities recorded in one event: kept as their version and time only, like a closed case.
_RECORDED_ONCE = frozenset({"RoundRecorded", "ActionHeld"})


@attrs.define
class _Recorded:
    """What the review keeps of a round or an action: nothing is recorded on it afterwards."""

    version: int
    modified_on: datetime

    def after(self, event: Replayable) -> list[Violation]:
        """Any event after a round or an action is out of sequence."""
        name = type(event).__name__
        message = f"{name} recorded on an activity recorded once, which has no further event"
        return [Violation("event-in-sequence", message, LifecycleError)]


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
        late = in_time_order(self.modified_on, event)
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
