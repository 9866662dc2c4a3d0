"""What every activity aggregate shares: creation and commands checked by the rules first.

An activity (a round, a watch report, an orientation, a collective action) is recorded in
the same log as cases, its rules in the same catalogue (`mediation_domain.rules`), so the
auditor's replay holds its history to them as it holds a case's. As for cases, an event's
`apply` never checks anything: it also runs when a stored history is replayed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Self
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from mediation_domain import rules
from mediation_domain.clock import now


class Activity(Aggregate):
    """An aggregate of the activities: built and changed only through the rules."""

    class Event(Aggregate.Event):
        """Base of an activity's events: each applies itself, without checking."""

    @classmethod
    def _create(cls, *_: object, **__: object) -> Self:
        """Refuse eventsourcing's constructor path: it would skip the rules."""
        message = (
            f"a {cls.__name__} is created by its class's recording command, which checks the rules"
        )
        raise TypeError(message)

    @classmethod
    def _opened(
        cls,
        created: Callable[..., Aggregate.Created],
        activity_id: UUID,
        **fields: Any,  # noqa: ANN401 - the event's fields
    ) -> Self:
        """Build the activity from its first event, or raise the first rule it breaks."""
        event = created(
            originator_topic=get_topic(cls),
            originator_id=activity_id,
            originator_version=cls.INITIAL_VERSION,
            timestamp=now(),
            **fields,
        )
        rules.enforce(None, event)
        activity = event.mutate(None)
        if activity is None:  # pragma: no cover - a Created event always builds its aggregate
            msg = f"{type(event).__name__} did not create a {cls.__name__}"
            raise TypeError(msg)
        activity.pending_events.append(event)
        return activity

    def check(self, event_class: Callable[..., Activity.Event], **fields: Any) -> None:  # noqa: ANN401
        """Raise the first rule recording this event would break, without recording it."""
        rules.enforce(self, self._event(event_class, **fields))

    def _record(self, event_class: Callable[..., Activity.Event], **fields: Any) -> None:  # noqa: ANN401
        event = self._event(event_class, **fields)
        rules.enforce(self, event)
        event.mutate(self)
        self.pending_events.append(event)

    def _event(self, event_class: Callable[..., Activity.Event], **fields: Any) -> Activity.Event:  # noqa: ANN401
        return event_class(
            originator_id=self.id,
            originator_version=self.version + 1,
            timestamp=max(now(), self.modified_on),  # time order is a rule, as for cases
            **fields,
        )
