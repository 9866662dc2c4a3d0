"""A collective action: a residents' meeting, a workshop, a consultation, a school action.

Counts and kinds only: how many attended, which kinds of partner took part; no names.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from mediation_domain.activities.base import Activity
from mediation_domain.activity_values import ActionKind, PartnerKind
from mediation_domain.values import InterventionDomain, MediatorId


class CollectiveAction(Activity):
    """An action led with residents, pupils or partners, recorded once it was held."""

    class ActionHeld(Aggregate.Created):
        """The action took place: kind, domain, place, day, attendance, partners, team."""

        class_version = 1
        kind: ActionKind
        domain: InterventionDomain
        neighbourhood: str
        held_on: date
        attendance: int
        partners: tuple[PartnerKind, ...]
        team: tuple[MediatorId, ...]

    def __init__(  # noqa: PLR0913, PLR0917 - the ActionHeld event's fields, as eventsourcing passes them
        self,
        kind: ActionKind,
        domain: InterventionDomain,
        neighbourhood: str,
        held_on: date,
        attendance: int,
        partners: Sequence[PartnerKind],
        team: Sequence[MediatorId],
    ) -> None:
        self.kind = kind
        self.domain = domain
        self.neighbourhood = neighbourhood
        self.held_on = held_on
        self.attendance = attendance
        self.partners = tuple(partners)
        self.team = tuple(team)

    @classmethod
    def record(cls, *, action_id: UUID, **facts: Any) -> CollectiveAction:  # noqa: ANN401 - the event's fields
        """Record an action held, or raise the first rule it breaks."""
        return cls._opened(cls.ActionHeld, action_id, **facts)
