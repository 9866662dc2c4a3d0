"""A proximity round: mediators present on foot in a neighbourhood or on a bus line.

A round holds no personal data: where, when, who of the team, and counts (contacts by
kind, situations observed by domain). It is recorded once, after it ended.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from mediation_domain.activities.base import Activity
from mediation_domain.values import MediatorId


class ProximityRound(Activity):
    """A stretch of presence in a place, with what the team met there."""

    class RoundRecorded(Aggregate.Created):
        """A round that took place: place, times, team, contacts and observations counted."""

        class_version = 1
        neighbourhood: str
        bus_line: str | None  # on a bus of this line, else on foot
        started_at: datetime
        ended_at: datetime
        team: tuple[MediatorId, ...]
        contacts: dict[str, int]  # ContactKind code -> how many
        observed: dict[str, int]  # InterventionDomain code -> situations observed

    def __init__(  # noqa: PLR0913, PLR0917 - the RoundRecorded event's fields, as eventsourcing passes them
        self,
        neighbourhood: str,
        bus_line: str | None,
        started_at: datetime,
        ended_at: datetime,
        team: Sequence[MediatorId],
        contacts: Mapping[str, int],
        observed: Mapping[str, int],
    ) -> None:
        # Runs as the RoundRecorded event's mutation, on every replay: state only.
        self.neighbourhood = neighbourhood
        self.bus_line = bus_line
        self.started_at = started_at
        self.ended_at = ended_at
        self.team = tuple(team)
        self.contacts = dict(contacts)
        self.observed = dict(observed)

    @classmethod
    def record(cls, *, round_id: UUID, **facts: Any) -> ProximityRound:  # noqa: ANN401 - the event's fields
        """Record a round, or raise the first rule it breaks."""
        return cls._opened(cls.RoundRecorded, round_id, **facts)

    @property
    def hours(self) -> float:
        """How long the round lasted, in hours."""
        return (self.ended_at - self.started_at).total_seconds() / 3600
