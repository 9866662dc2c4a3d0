"""The intermediate archive: records past their active period, withheld, read with a reason.

As the CNIL frames retention in social support (docs/privacy.md): a case or a named
orientation is in active use for a period from its last contact (2 years by default),
then archived: its personal values are withheld from every view ([archived]) and only a
coordinator reads them, stating a reason, each read recorded in the log (ArchiveRead,
in the audit like any record). After the archive period the data is erased
(`Erasing.apply_retention` with `archive_for`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs
from eventsourcing.application import AggregateNotFoundError

from mediation_domain.application.activity_input import _activity_id
from mediation_domain.archive import ArchivedRecord, archive_id
from mediation_domain.case import stamped_by
from mediation_domain.errors import CaseNotFoundError, InvalidInputError
from mediation_domain.ports import Condition
from mediation_domain.privacy import RetentionPeriod
from mediation_domain.values import ReasonCode

if TYPE_CHECKING:
    from eventsourcing.application import Repository
    from eventsourcing.persistence import Recording

    from mediation_domain.projections.activity_index import ActivityIndex
    from mediation_domain.projections.case_index import CaseIndex

_READ = 500


@attrs.frozen
class ArchiveDue:
    """A record whose active period has ended: a case, or an orientation naming a person."""

    record: UUID
    kind: str
    last_contact: datetime


def period_of(value: RetentionPeriod | str) -> RetentionPeriod:
    """A period given as such or as text (2y, 18m, 6w, 90d)."""
    return value if isinstance(value, RetentionPeriod) else RetentionPeriod.parse(value)


class Archiving:
    """The archive of `Mediations`: what is due, archiving it, and reads of it."""

    if TYPE_CHECKING:  # what Mediations, Queries and Activities provide
        clock: Callable[[], datetime] | None

        @property
        def case_index(self) -> CaseIndex:
            """The index of the cases (Queries)."""

        @property
        def activity_index(self) -> ActivityIndex:
            """The index of the activities (Activities)."""

        @property
        def repository(self) -> Repository[UUID]:
            """The aggregates' repository."""

        def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:  # noqa: ANN401
            """Record the aggregates' new events."""

    def archive_due(
        self, active: RetentionPeriod | str, *, now: datetime | None = None
    ) -> list[ArchiveDue]:
        """Closed cases and named orientations with no contact for `active`, not yet archived.

        Cases whose personal data is all erased, and anonymous orientations, hold nothing
        to withhold: they are not archived.
        """
        cutoff = period_of(active).before(now or datetime.now(UTC))
        index = self.case_index.current()
        found = [
            ArchiveDue(case.case_id, "case", case.last_contact)
            for page in index.closed_before(cutoff, read=_READ)
            for case in page
        ]
        day = cutoff.date().isoformat()
        where = [Condition("kind", "=", "orientation"), Condition("contact", "<", day)]
        found += [
            ArchiveDue(UUID(doc["id"]), "orientation", last_contact_of(doc))
            for doc in self.activity_index.select(where)
            if doc.get("subject") and not doc.get("erased")
        ]
        archived = self.archived([due.record for due in found])
        return [due for due in found if due.record not in archived]

    def apply_archive(
        self, active: RetentionPeriod | str, *, now: datetime | None = None
    ) -> list[ArchiveDue]:
        """Archive what `archive_due` finds; returns it."""
        period = period_of(active)
        due = self.archive_due(period, now=now)
        with stamped_by(self.clock):
            entries = [
                ArchivedRecord.archive(
                    record=item.record,
                    kind=item.kind,
                    last_contact=item.last_contact,
                    active_until=period.after(item.last_contact),
                )
                for item in due
            ]
        for start in range(0, len(entries), _READ):
            self.save(*entries[start : start + _READ])
        return due

    def archived(self, records: Iterable[UUID]) -> set[UUID]:
        """Which of `records` are in the archive (one read of the activity index)."""
        wanted = {str(archive_id(record)): record for record in records}
        return {wanted[key] for key in self.activity_index.get_many(list(wanted))}

    def record_archive_read(
        self, record: UUID | str, *, by: str, reason: str, kind: str | None = None
    ) -> None:
        """Record that `by` (ROLE:IDENTITY) read the archived record, for `reason` (a code).

        With `kind` (case, orientation), only a record of that kind: nothing is recorded
        for an id of another kind.
        """
        code = _reason(reason)
        uuid = _activity_id(record, "record")
        try:
            entry: object = self.repository.get(archive_id(uuid))
        except AggregateNotFoundError:
            entry = None
        if not isinstance(entry, ArchivedRecord) or kind not in {None, entry.kind}:
            message = f"no archived {kind or 'record'} {uuid}: read it as any record"
            raise CaseNotFoundError(message)
        with stamped_by(self.clock):
            entry.read(by, code)
        self.save(entry)


def withheld(app: Archiving, records: Collection[UUID]) -> set[UUID]:
    """The records among `records` whose personal values are withheld (archived)."""
    return app.archived(records) if records else set()


def last_contact_of(orientation: dict[str, Any]) -> datetime:
    """An indexed orientation's last contact, a day, taken as that day's end (UTC).

    Archiving and retention both count from it: the same moment for both.
    """
    day = datetime.fromisoformat(orientation["last_contact_on"])
    return day.replace(hour=23, minute=59, second=59, tzinfo=UTC)


def _reason(text: object) -> ReasonCode:
    if not isinstance(text, str) or not text.strip():
        message = "state why the archived record is read: a reason code, e.g. litigation"
        raise InvalidInputError(message)
    return ReasonCode(text.strip())


__all__ = ["ArchiveDue", "Archiving", "last_contact_of", "period_of", "withheld"]
