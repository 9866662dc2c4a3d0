"""Erasure and retention: a data subject's personal data erased for good, on request or in time."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import attrs
from eventsourcing.persistence import Recording

from mediation_domain.application.archiving import last_contact_of, period_of
from mediation_domain.case import MediationCase, stamped_by
from mediation_domain.errors import ConcurrencyError, InvalidInputError, quoted
from mediation_domain.ports import Condition
from mediation_domain.privacy import LEGACY_CLEAR, RetentionPeriod, Sealer, SubjectNotFoundError
from mediation_domain.projections.case_index import CaseIndex, IndexedCase
from mediation_domain.values import CaseStatus, PartyId, ReasonCode

if TYPE_CHECKING:
    from mediation_domain.projections.activity_index import ActivityIndex

_ERASE_TRIES = 3
_READ = 500  # cases read from the index, and loaded, at a time


@attrs.frozen
class Erasure:
    """What erasing a data subject did: the cases concerned and whether the key was live."""

    subject: str
    cases: tuple[UUID, ...]
    key_deleted: bool
    recorded: int
    # Values of the subject that release 0.1 stored unencrypted: deleting a key cannot
    # erase them; only copying the store (`mediation copy`) and destroying the old one can.
    in_clear: int = 0
    # False while the deleted key's old bytes may linger in the store's files (a reader
    # elsewhere held SQLite's log): `Sealer.purge()`, or erasing again, retries.
    purged: bool = True
    # The orientations that named the subject (a person oriented to a partner).
    orientations: tuple[UUID, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, as the CLI's --json and the HTTP API give it."""
        return {
            "subject": self.subject,
            "cases": [str(case) for case in self.cases],
            "key_deleted": self.key_deleted,
            "recorded": self.recorded,
            "in_clear": self.in_clear,
            "purge": "done" if self.purged else "pending",
            "orientations": [str(orientation) for orientation in self.orientations],
        }


@attrs.frozen
class RetentionDue:
    """A closed case past the retention period, and whose personal data is erased with it.

    A party who also appears in a case not yet due keeps their data (listed as `kept`).
    """

    case_id: UUID  # the case, or the orientation (`kind`)
    status: CaseStatus | None  # None for an orientation
    last_contact: datetime
    subjects: tuple[str, ...]
    kept: tuple[str, ...]
    in_clear: int = 0  # values of `subjects` stored in clear by release 0.1 (see Erasure)
    kind: str = "case"  # or "orientation": a person oriented, named


class Erasing:
    """The erasures of `Mediations`: a data subject on request, closed cases past retention."""

    if TYPE_CHECKING:  # what Mediations provides: sealer, clock, save; and Queries: the reads
        sealer: Sealer
        clock: Callable[[], datetime] | None

        @property
        def case_index(self) -> CaseIndex:
            """The index of the cases (Queries.case_index)."""

        @property
        def activity_index(self) -> ActivityIndex:
            """The index of the activities (Activities.activity_index)."""

        def _load(
            self, case_id: UUID | str, expected_version: int | None = None
        ) -> MediationCase: ...

        def _load_many(self, case_ids: Sequence[UUID]) -> dict[UUID, MediationCase]: ...

        def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:  # noqa: ANN401
            """Record the cases' new events atomically (Mediations.save)."""

        def _erase_person(self, subject: str, reason: ReasonCode) -> tuple[UUID, ...]:
            """Record the erasure on the orientations naming `subject` (Activities)."""

    def erase_subject(self, subject: str, *, reason: str = "data-subject-request") -> Erasure:
        """Erase a data subject (a party id, a case id for its free text, a person oriented).

        Deletes the subject's key, so every value sealed for it becomes unreadable, and
        records PersonalDataErased (no personal data in it) on each case concerned, and
        PersonErased on each orientation naming them. The
        cases still reload and count. Erasing again is harmless; a subject neither a case
        nor the key store knows is a SubjectNotFoundError. Finds the cases through the
        case index and loads only them; a concurrent change to one of them is retried.
        """
        code = ReasonCode(reason)
        who, holding = self._holding(subject)
        plan = {case.id: [who] for case in holding}
        deleted, recorded, in_clear = self._erase([who], plan, code)
        with stamped_by(self.clock):
            oriented = self._erase_person(who, code)
        purged = self.sealer.purge()
        return Erasure(who, tuple(plan), who in deleted, recorded, in_clear, purged, oriented)

    def _holding(self, subject: object) -> tuple[str, list[MediationCase]]:
        """The subject as recorded, and the cases holding it (or its key alone).

        The case index finds the cases: only they are loaded.
        """
        if not isinstance(subject, str) or not subject.strip():
            message = (
                f"invalid data subject {quoted(subject)}: give a party id, a case id or an "
                "oriented person's id"
            )
            raise InvalidInputError(message)
        text = subject.strip()
        spellings = [text]
        with contextlib.suppress(ValueError):
            spellings.append(str(UUID(text)))  # a case id, however it was written
        index = self.case_index.current()
        for who in spellings:
            holding = index.holding(who)
            if holding or self.sealer.knows(who):
                return who, list(self._load_many([UUID(case) for case in holding]).values())
        PartyId(text)  # a malformed id is invalid input, not merely unknown
        message = f"no case nor orientation holds personal data of {text}"
        raise SubjectNotFoundError(message)

    def retention_due(
        self,
        older_than: RetentionPeriod | str,
        *,
        now: datetime | None = None,
        archive_for: RetentionPeriod | str | None = None,
    ) -> list[RetentionDue]:
        """Records with no contact for longer than `older_than` (+ `archive_for`), data left.

        Closed cases (last contact: the case's last recorded event other than an erasure),
        then orientations naming a person (last contact: the orientation or its last
        follow-up). With `archive_for`, what has also spent that long in the archive.
        """
        cutoff = period_of(older_than).before(now or datetime.now(UTC))
        if archive_for is not None:
            cutoff = period_of(archive_for).before(cutoff)
        index = self.case_index.current()
        due: list[RetentionDue] = []
        for found in index.closed_before(cutoff, read=_READ):
            cases = self._load_many([indexed.case_id for indexed in found])
            subjects = sorted({s for case in cases.values() for s in _left(case)})
            holders = index.holders(subjects)  # one read of the index for the whole page
            entries = (_due(cases[i.case_id], i.last_contact, cutoff, holders) for i in found)
            due.extend(entry for entry in entries if entry is not None)
        return due + self._orientations_due(cutoff)

    def _orientations_due(self, cutoff: datetime) -> list[RetentionDue]:
        """Orientations naming a person not erased yet, with no contact since `cutoff`."""
        day = cutoff.date().isoformat()
        where = [Condition("kind", "=", "orientation"), Condition("contact", "<", day)]
        return [
            RetentionDue(
                UUID(doc["id"]),
                None,
                last_contact_of(doc),
                (doc["subject"],),
                (),
                kind="orientation",
            )
            for doc in self.activity_index.select(where)
            if doc.get("subject")
        ]

    def apply_retention(
        self,
        older_than: RetentionPeriod | str,
        *,
        now: datetime | None = None,
        archive_for: RetentionPeriod | str | None = None,
    ) -> list[RetentionDue]:
        """Erase the personal data `retention_due` lists (the facts stay, for statistics).

        The deleted keys' old bytes are purged; when a reader elsewhere held them,
        `sealer.purge()` is False until a later call succeeds.
        """
        due = self.retention_due(older_than, now=now, archive_for=archive_for)
        if due:
            reason = ReasonCode("retention-period")
            plan = {item.case_id: list(item.subjects) for item in due if item.kind == "case"}
            subjects = sorted({subject for item in due for subject in item.subjects})
            self._erase(subjects, plan, reason)
            with stamped_by(self.clock):
                for item in due:
                    if item.kind == "orientation":
                        self._erase_person(item.subjects[0], reason)
            self.sealer.purge()
        return due

    def _erase(
        self, subjects: Sequence[str], plan: dict[UUID, list[str]], reason: ReasonCode
    ) -> tuple[set[str], int, int]:
        """Erase `subjects`, recording it on each case of `plan` for its subjects there.

        Returns the keys deleted now, the cases that recorded it, and the values release
        0.1 stored in clear, which deleting keys cannot reach.

        The keys go first, in one go: that is the erasure. Then each case records it, once
        loaded and in one save; a case changed meanwhile is reloaded and retried, and a
        failure after the keys are gone leaves events that running the erasure again records.
        Its events are stamped by the application's clock, as a command's are.
        """
        with stamped_by(self.clock):
            deleted = self.sealer.forget(subjects)
            for attempt in range(_ERASE_TRIES):
                loaded = [self._load(case_id) for case_id in plan]
                changed = [case for case in loaded if _record_erasure(case, plan[case.id], reason)]
                try:
                    if changed:
                        self.save(*changed)
                except ConcurrencyError:
                    if attempt == _ERASE_TRIES - 1:
                        raise
                    continue
                in_clear = sum(_in_clear(case, plan[case.id]) for case in loaded)
                return deleted, len(changed), in_clear
        raise AssertionError  # pragma: no cover - the loop returns or raises


def _left(case: MediationCase) -> list[str]:
    """The case's data subjects not erased yet."""
    return [s for s in case.subjects if s not in case.erased]


def _due(
    case: MediationCase,
    contact: datetime,
    cutoff: datetime,
    holders: Mapping[str, Sequence[IndexedCase]],
) -> RetentionDue | None:
    """The entry of a case due in `retention_due`'s list: None when nothing is left to erase.

    A case whose data is all erased, or all kept for now (its subjects are all in a case
    not yet due), is not listed. `holders`: the indexed cases holding each subject.
    """
    left = _left(case)
    kept = {
        subject
        for subject in left
        if any(
            other.case_id != case.id and not (other.closed and other.last_contact < cutoff)
            for other in holders[subject]
        )
    }  # a case not yet due also holds them: their data stays for now
    erase = tuple(s for s in left if s not in kept)
    if not erase:
        return None
    kept_here = tuple(s for s in left if s in kept)
    return RetentionDue(case.id, case.status, contact, erase, kept_here, _in_clear(case, erase))


def _record_erasure(case: MediationCase, subjects: Sequence[str], reason: ReasonCode) -> bool:
    """Record on `case` the erasure of `subjects`; False when it had recorded them all."""
    before = case.version
    for subject in subjects:
        case.erase(subject, reason)
    return case.version != before


def _in_clear(case: MediationCase, subjects: Sequence[str]) -> int:
    """How many of the case's values for `subjects` release 0.1 stored in clear."""
    return sum(
        value.scheme == LEGACY_CLEAR and value.subject in subjects
        for _, _, value in case.sealed_values()
    )
