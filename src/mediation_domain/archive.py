"""The intermediate archive: a record past its active period, and each read of it.

As the CNIL frames retention in social support, a record is in active use for 2 years
from the last contact, then kept in an intermediate archive, readable only by a
coordinator who states a reason, each read itself recorded, then erased. An
`ArchivedRecord` is the archive entry of one record (a case, or an orientation): its id
is derived from the record's, so a record is archived once. It holds no personal data;
the record's sealed values stay where they are, withheld from every view while archived.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate

from mediation_domain.activities.base import Activity
from mediation_domain.values import ReasonCode

_NAMESPACE = UUID("7d6bb8c1-5d1b-4d0e-9a77-0f4c4a9e6a31")  # part of the stored format
ARCHIVED_KINDS = ("case", "orientation")


def archive_id(record: UUID) -> UUID:
    """The id of `record`'s archive entry: the same for the same record, always."""
    return uuid5(_NAMESPACE, str(record))


class ArchivedRecord(Activity):
    """A record moved to the intermediate archive: withheld, read only with a reason."""

    class RecordArchived(Aggregate.Created):
        """The record's active period ended: from now on its personal values are withheld."""

        class_version = 1
        record: UUID
        kind: str  # case or orientation
        last_contact: datetime
        active_until: datetime  # the last contact plus the active period applied

    class ArchiveRead(Activity.Event):
        """A coordinator read the archived record's personal values, for a stated reason."""

        class_version = 1
        by: str  # the reader as ROLE:IDENTITY
        reason: ReasonCode

        def apply(self, entry: ArchivedRecord) -> None:
            """Count the read."""
            entry.reads += 1

    def __init__(
        self, record: UUID, kind: str, last_contact: datetime, active_until: datetime
    ) -> None:
        self.record = record
        self.kind = kind
        self.last_contact = last_contact
        self.active_until = active_until
        self.reads = 0

    @classmethod
    def archive(cls, **facts: Any) -> ArchivedRecord:  # noqa: ANN401 - the event's fields
        """Archive a record, or raise the first rule it breaks."""
        return cls._opened(cls.RecordArchived, archive_id(facts["record"]), **facts)

    def read(self, by: str, reason: ReasonCode) -> None:
        """Record a read of the archived record."""
        self._record(self.ArchiveRead, by=by, reason=reason)
