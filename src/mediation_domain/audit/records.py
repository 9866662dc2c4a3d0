"""A stored record, as the audit's chain, leaves and exports read it."""

from __future__ import annotations

from typing import Protocol
from uuid import UUID


class StoredRecord(Protocol):
    """A record of the log (eventsourcing's Notification has these fields)."""

    @property
    def id(self) -> int:
        """Notification id: the record's position in the log."""
        ...

    @property
    def originator_id(self) -> UUID | str:
        """Its aggregate (a case, an activity)."""
        ...

    @property
    def originator_version(self) -> int:
        """The event's number in its aggregate."""
        ...

    @property
    def topic(self) -> str:
        """The event class."""
        ...

    @property
    def state(self) -> bytes:
        """The event as transcoded: the bytes stored, before any store-wide encryption."""
        ...
