"""An orientation: a person put in touch with a partner service for an access-to-rights need.

The person may stay anonymous; when named, the name is sealed for the person (their own
pseudonymous id, bound to this orientation's id), never stored in clear. What the person
agreed to share with the partner is recorded with it; a follow-up date says when the
mediator checks what became of it, and each follow-up records an outcome.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from mediation_domain.activities.base import Activity
from mediation_domain.activity_values import (
    FINAL_OUTCOMES,
    AccessNeed,
    OrientationOutcome,
    PartnerKind,
    SharedItem,
)
from mediation_domain.privacy import Sealed
from mediation_domain.values import MediatorId, PartyId, ReasonCode

PERSON_NAME = "person-name"  # the field a person's name is sealed in


class Orientation(Activity):
    """A person oriented to a partner, followed up until an outcome settles it."""

    class Oriented(Aggregate.Created):
        """A mediator oriented a person to a partner service."""

        class_version = 1
        by: MediatorId  # the mediator who oriented the person, and follows it up
        need: AccessNeed
        partner: PartnerKind
        neighbourhood: str
        oriented_on: date
        follow_up_on: date
        person: PartyId | None  # None: the person stayed anonymous
        name: Sealed | None
        shared: tuple[SharedItem, ...]  # what the person agreed the partner may receive
        case: UUID | None  # the case it came from, if any

    class FollowedUp(Activity.Event):
        """The mediator checked what became of the orientation."""

        class_version = 1
        followed_up_on: date
        outcome: OrientationOutcome
        next_follow_up_on: date | None  # due when the outcome is still in progress

        def apply(self, orientation: Orientation) -> None:
            """Remember the outcome and the next follow-up, if any."""
            orientation.outcome = self.outcome
            orientation.last_contact_on = self.followed_up_on
            orientation.follow_up_on = self.next_follow_up_on

    class PersonErased(Activity.Event):
        """The person's key was deleted: their name can no longer be opened."""

        class_version = 1
        subject: str
        reason: ReasonCode

        def apply(self, orientation: Orientation) -> None:
            """Remember that the subject's values are gone."""
            orientation.erased.add(self.subject)

    def __init__(  # noqa: PLR0913, PLR0917 - the Oriented event's fields, as eventsourcing passes them
        self,
        by: MediatorId,
        need: AccessNeed,
        partner: PartnerKind,
        neighbourhood: str,
        oriented_on: date,
        follow_up_on: date,
        person: PartyId | None,
        name: Sealed | None,
        shared: Sequence[SharedItem],
        case: UUID | None,
    ) -> None:
        self.by = by
        self.need = need
        self.partner = partner
        self.neighbourhood = neighbourhood
        self.oriented_on = oriented_on
        self.follow_up_on: date | None = follow_up_on
        self.person = person
        self.name = name
        self.shared = tuple(shared)
        self.case = case
        self.outcome: OrientationOutcome | None = None
        self.last_contact_on = oriented_on
        self.erased: set[str] = set()

    @classmethod
    def orient(cls, *, orientation_id: UUID, **facts: Any) -> Orientation:  # noqa: ANN401 - the event's fields
        """Record an orientation, or raise the first rule it breaks."""
        return cls._opened(cls.Oriented, orientation_id, **facts)

    @property
    def settled(self) -> bool:
        """True once a follow-up found a final outcome: nothing more is followed up."""
        return self.outcome in FINAL_OUTCOMES

    @property
    def subjects(self) -> tuple[str, ...]:
        """Whose personal data the orientation holds: the person's, when named."""
        return () if self.person is None else (self.person.value,)

    def follow_up(self, on: date, outcome: OrientationOutcome, next_on: date | None = None) -> None:
        """Record a follow-up and its outcome (with the next date while in progress)."""
        self._record(self.FollowedUp, followed_up_on=on, outcome=outcome, next_follow_up_on=next_on)

    def erase(self, subject: str, reason: ReasonCode) -> None:
        """Record that `subject`'s personal data was erased; recorded once per subject."""
        if subject not in self.erased:
            self._record(self.PersonErased, subject=subject, reason=reason)
