"""The case index: one row per case, and which data subjects each case holds.

Lists and pages of cases, a mediator's own cases, erasure and retention read it, so they
cost what they find, not the length of the history. It is a `View`: it folds the events
recorded since its position, in the store's projection store (the same database as the
events), and every read catches it up first, so a command followed by a list always sees
the command.

Its rows hold no personal data: a case's id, codes, the neighbourhood's name, the
mediator's id, times, and the pseudonymous ids of its data subjects (the case itself and
its parties). Names and free text stay sealed in the events.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar, TypeVar
from uuid import UUID

import attrs

from mediation_domain.case import MediationCase
from mediation_domain.errors import ConcurrencyError
from mediation_domain.ports import (
    Condition,
    ProjectionState,
    ProjectionTransaction,
    Row,
    SelectAtLogEnd,
)
from mediation_domain.projections.view import View
from mediation_domain.values import CaseStatus

# Raise it when a row's content or the fold change: indexes rebuild themselves.
INDEX_VERSION = 1
CASES = "case_index"
SUBJECTS = "case_subjects"
# A case's row is found by these: the list filters, and `retain_from` for retention.
FIELDS = ("status", "domain", "neighbourhood", "mediator", "retain_from")
_TIME = "%Y-%m-%dT%H:%M:%S.%fZ"  # fixed width, in UTC: times sort as text as they happened
_CLOSING = (MediationCase.Withdrawn, MediationCase.Resolved)
_TRIES = 20  # catch-ups a read tries while rebuilds elsewhere keep emptying the index
_T = TypeVar("_T")
_REBUILT = "the case index was rebuilt again and again meanwhile: try again"


def as_text(moment: datetime) -> str:
    """A time as the index keeps and compares it."""
    return moment.astimezone(UTC).strftime(_TIME)


def _time(text: str) -> datetime:
    return datetime.fromisoformat(text)  # as_text's form, read ten times faster than strptime


@attrs.frozen
class IndexedCase:
    """A case as the index holds it (no personal data).

    `position` is its request's place in the log: cases are listed in that order, and a
    page's cursor is the last one's. `last_contact` is its last event other than an
    erasure. `subjects` are the case and its parties; `erased`, those erased on it.
    """

    case_id: UUID
    position: int
    status: CaseStatus
    domain: str
    neighbourhood: str
    mediator: str | None
    requested: datetime
    last_event: datetime
    last_contact: datetime
    version: int
    subjects: tuple[str, ...]
    erased: tuple[str, ...]

    @property
    def closed(self) -> bool:
        """Whether the case was withdrawn or resolved."""
        return self.status in (CaseStatus.WITHDRAWN, CaseStatus.RESOLVED)

    @property
    def left(self) -> tuple[str, ...]:
        """The case's data subjects not erased yet."""
        return tuple(s for s in self.subjects if s not in self.erased)

    def row(self) -> Row:
        """The row kept for the case."""
        doc = {
            "status": self.status.value,
            "domain": self.domain,
            "neighbourhood": self.neighbourhood,
            "mediator": self.mediator,
            "requested": as_text(self.requested),
            "last_event": as_text(self.last_event),
            "last_contact": as_text(self.last_contact),
            "version": self.version,
            "subjects": list(self.subjects),
            "erased": list(self.erased),
        }
        # Retention looks among closed cases with personal data left, by last contact.
        retain_from = as_text(self.last_contact) if self.closed and self.left else None
        fields = {
            "status": self.status.value,
            "domain": self.domain,
            "neighbourhood": self.neighbourhood,
            "mediator": self.mediator,
            "retain_from": retain_from,
        }
        return Row(json.dumps(doc, separators=(",", ":")), fields, self.position)

    @classmethod
    def of(cls, key: str, row: Row) -> IndexedCase:
        """The case a row holds."""
        doc = json.loads(row.doc)
        return cls(
            case_id=UUID(key),
            position=row.seq,
            status=CaseStatus(doc["status"]),
            domain=doc["domain"],
            neighbourhood=doc["neighbourhood"],
            mediator=doc["mediator"],
            requested=_time(doc["requested"]),
            last_event=_time(doc["last_event"]),
            last_contact=_time(doc["last_contact"]),
            version=doc["version"],
            subjects=tuple(doc["subjects"]),
            erased=tuple(doc["erased"]),
        )

    def after(self, event: MediationCase.Event) -> IndexedCase:
        """The case once `event`, its next, is recorded."""
        changes: dict[str, Any] = {
            "version": event.originator_version,
            "last_event": event.timestamp,
        }
        if isinstance(event, MediationCase.PersonalDataErased):
            changes["erased"] = (*self.erased, event.subject)
        else:
            changes["last_contact"] = event.timestamp
        if isinstance(event, MediationCase.PartyJoined):
            changes["subjects"] = (*self.subjects, event.party.id.value)
        mediator = self.mediator
        if isinstance(event, MediationCase.MediatorAssigned):
            mediator = changes["mediator"] = str(event.mediator)
        elif isinstance(event, MediationCase.MediatorWithdrew):
            mediator = changes["mediator"] = None
        if isinstance(event, _CLOSING):
            changes["status"] = (
                CaseStatus.WITHDRAWN
                if isinstance(event, MediationCase.Withdrawn)
                else CaseStatus.RESOLVED
            )
        elif not self.closed:
            changes["status"] = (
                CaseStatus.IN_MEDIATION if mediator else CaseStatus.AWAITING_MEDIATOR
            )
        return attrs.evolve(self, **changes)


def _requested(event: MediationCase.Requested, position: int) -> IndexedCase:
    case_id = event.originator_id
    return IndexedCase(
        case_id=case_id,
        position=position,
        status=CaseStatus.AWAITING_MEDIATOR,
        domain=event.domain.value,
        neighbourhood=event.neighbourhood,
        mediator=None,
        requested=event.timestamp,
        last_event=event.timestamp,
        last_contact=event.timestamp,
        version=event.originator_version,
        subjects=(str(case_id), *(party.id.value for party in event.parties)),
        erased=(),
    )


def _subject_rows(case: IndexedCase, subjects: Sequence[str]) -> dict[str, Row]:
    """The rows that say `case` holds `subjects` (found by subject, in the case's order)."""
    key = str(case.case_id)
    return {
        f"{subject} {key}": Row(key, {"subject": subject}, case.position) for subject in subjects
    }


def _fold_one(cases: dict[str, IndexedCase], position: int, event: object) -> dict[str, Row]:
    """Fold one event into `cases` (by key); the subject rows it adds."""
    key = str(getattr(event, "originator_id", ""))
    if isinstance(event, MediationCase.Requested):
        case = cases[key] = _requested(event, position)
        return _subject_rows(case, case.subjects)
    if isinstance(event, MediationCase.Event) and key in cases:
        case = cases[key] = cases[key].after(event)
        if isinstance(event, MediationCase.PartyJoined):
            return _subject_rows(case, case.subjects[-1:])
    return {}  # another aggregate's event, or one of a case the index never saw requested


class CaseIndex(View):
    """The index of `app`'s cases, caught up with the log before each read."""

    name = CASES
    version = INDEX_VERSION
    tables: ClassVar[dict[str, tuple[str, ...]]] = {CASES: FIELDS, SUBJECTS: ("subject",)}

    def fold_positioned(
        self, tx: ProjectionTransaction, batch: Sequence[tuple[int, Any]], secret: bytes
    ) -> None:
        """Fold the (position, event) pairs into the rows of the cases they touch."""
        del secret  # the rows hold nothing to hide
        touched = list(dict.fromkeys(str(e.originator_id) for _, e in batch))
        cases = {key: IndexedCase.of(key, row) for key, row in tx.get(CASES, touched).items()}
        subjects: dict[str, Row] = {}
        for position, event in batch:
            subjects.update(_fold_one(cases, position, event))
        tx.put(CASES, {key: case.row() for key, case in cases.items() if key in touched})
        if subjects:
            tx.put(SUBJECTS, subjects)

    # Reads ------------------------------------------------------------------------------------

    def current(self) -> IndexReader:
        """Reads of the index that see everything recorded until now (read your writes).

        Where the log ends is read with the first read (see `IndexReader`).
        """
        return IndexReader(self)

    def log_end(self) -> int:
        """The log's last notification id, 0 for an empty log."""
        return self.app.recorder.max_notification_id() or 0

    def read(self, target: int, reading: Callable[[ProjectionTransaction], _T]) -> _T:
        """`reading` in one transaction of the index, once it has folded up to `target`.

        A rebuild elsewhere may empty the index between a catch-up and a read: the read
        then sees the index behind `target`, catches it up again and reads again.
        """
        for _ in range(_TRIES):
            with self.store.reading(self.name) as tx:
                if self._folded(tx.state(), target):
                    return reading(tx)
            self.refresh()
        return self._read_locked(target, reading)

    def _read_locked(self, target: int, reading: Callable[[ProjectionTransaction], _T]) -> _T:
        """The last resort of a read starved by rebuilds: catch up and read under the lock."""
        with self.store.writing(self.name) as tx:
            self.caught_up_in(tx, target)
            if not self._folded(tx.state(), target):
                raise ConcurrencyError(_REBUILT)
            return reading(tx)

    def select(
        self, target: int | None, where: Sequence[Condition], *, after: int | None, limit: int
    ) -> tuple[int, list[tuple[str, Row]]]:
        """The target, and a page of cases once the index has folded up to it.

        `target` None: the log's end, read with the page where the store can
        (`SelectAtLogEnd`: one statement), else just before.
        """
        store = self._with_log_end
        if store is None:
            target = self.log_end() if target is None else target
            return target, self.read(target, _selecting(CASES, where, after, limit))
        for _ in range(_TRIES):
            state, end, rows = store.select_at_log_end(
                self.name, CASES, where, after=after, limit=limit
            )
            target = end if target is None else target
            if self._folded(state, target):
                return target, rows
            self.refresh()
        target = self.log_end() if target is None else target
        return target, self._read_locked(target, _selecting(CASES, where, after, limit))

    @functools.cached_property
    def _with_log_end(self) -> SelectAtLogEnd | None:
        """The store, if it reads pages with the log's end (checked once: 3 us a page)."""
        return self.store if isinstance(self.store, SelectAtLogEnd) else None

    def _folded(self, state: ProjectionState | None, target: int) -> bool:
        """Whether the index, in `state`, is of this format and has folded up to `target`."""
        return (
            state is not None and state.version == self.version and (state.position or 0) >= target
        )


class IndexReader:
    """Reads of a case index that has folded at least up to a log position, the target.

    The target is where the log ended at the first read: each read of the reader sees
    at least what was recorded until then.
    """

    def __init__(self, index: CaseIndex, target: int | None = None) -> None:
        self._index, self._target = index, target

    @property
    def target(self) -> int:
        """The log position every read sees at least (read from the log on first use)."""
        if self._target is None:
            self._target = self._index.log_end()
        return self._target

    def page(
        self, where: Sequence[Condition], *, after: int | None, limit: int
    ) -> list[IndexedCase]:
        """Up to `limit` cases meeting `where`, in request order, requested after `after`."""
        self._target, rows = self._index.select(self._target, where, after=after, limit=limit)
        return [IndexedCase.of(key, row) for key, row in rows]

    def cases(self, where: Sequence[Condition], *, read: int) -> Iterator[list[IndexedCase]]:
        """Every case meeting `where`, in request order, in lists of `read`."""
        after: int | None = None
        while found := self.page(where, after=after, limit=read):
            yield found
            if len(found) < read:
                return  # a short page is the last: no query for an empty one
            after = found[-1].position

    def holding(self, subject: str, *, read: int = 500) -> list[str]:
        """The ids of the cases holding `subject`'s personal data, in request order."""
        return self._index.read(self.target, lambda tx: _holding(tx, subject, read))

    def holders(self, subjects: Sequence[str], *, read: int = 500) -> dict[str, list[IndexedCase]]:
        """The indexed cases holding each of `subjects`, in request order: one read."""

        def reading(tx: ProjectionTransaction) -> dict[str, list[IndexedCase]]:
            found = {subject: _holding(tx, subject, read) for subject in subjects}
            keys = sorted({key for keys in found.values() for key in keys})
            cases = {key: IndexedCase.of(key, row) for key, row in tx.get(CASES, keys).items()}
            return {s: [cases[k] for k in keys if k in cases] for s, keys in found.items()}

        return self._index.read(self.target, reading)

    def closed_before(self, cutoff: datetime, *, read: int) -> Iterator[list[IndexedCase]]:
        """Closed cases with personal data left and no contact since `cutoff`, in lists."""
        return self.cases([Condition("retain_from", "<", as_text(cutoff))], read=read)


def _holding(tx: ProjectionTransaction, subject: str, read: int) -> list[str]:
    """The ids of the cases holding `subject`, read `read` rows at a time."""
    found: list[str] = []
    after: int | None = None
    where = [Condition("subject", "=", subject)]
    while True:
        rows = tx.select(SUBJECTS, where, after=after, limit=read)
        found.extend(row.doc for _, row in rows)
        if len(rows) < read:
            return found
        after = rows[-1][1].seq


def _selecting(
    table: str, where: Sequence[Condition], after: int | None, limit: int
) -> Callable[[ProjectionTransaction], list[tuple[str, Row]]]:
    """A read of one page of `table`, for `CaseIndex.read`."""
    return lambda tx: tx.select(table, where, after=after, limit=limit)
