"""The audit chain kept in the store's AuditLedger port: sealing, and reading it back.

The chain hash after each record and the signed checkpoints live in the same database as
the events (the store bundle's ledger). Sealing stores both together; verifying and
replaying stream the log page by page.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.persistence import Mapper, Notification

from mediation_adapters.storage.errors import StoreError
from mediation_domain import Mediations
from mediation_domain.audit import GENESIS, Checkpoint, Signer, StoredRecord, chain
from mediation_domain.errors import LifecycleError
from mediation_domain.ports import AuditLedger, SignedCheckpoint
from mediation_domain.rules import Finding, Violation, review_positioned

PAGE = 1000


def records(app: Mediations, after: int = 0) -> Iterator[Notification]:
    """The records after notification `after`, in order, read page by page.

    Each record's state is the event as transcoded: when the store is encrypted at rest,
    decrypted here, so the chain and exports do not depend on the store's key (a key
    rotation keeps them valid, and an auditor needs no key). A record that does not decrypt
    is passed on as stored, for the verification to report it.
    """
    start = after
    unwrap = _logical(app.mapper)
    while page := app.recorder.select_notifications(start, PAGE, inclusive_of_start=False):
        if unwrap is None:
            yield from page
        else:
            yield from (_unwrapped(notification, unwrap) for notification in page)
        start = page[-1].id


def record_at(app: Mediations, notification_id: int) -> Notification:
    """The record `notification_id`, as `records` yields it; StoreError if there is none."""
    found = app.recorder.select_notifications(notification_id, 1)
    if not found or found[0].id != notification_id:
        message = f"record {notification_id} is not in the log"
        raise StoreError(message)
    unwrap = _logical(app.mapper)
    return found[0] if unwrap is None else _unwrapped(found[0], unwrap)


def logical_mapper(app: Mediations) -> Mapper[UUID]:
    """A mapper for the records `records` yields: the store's transcoder, no cipher."""
    return Mapper(transcoder=app.mapper.transcoder)


def _logical(mapper: Mapper[UUID]) -> Callable[[bytes], bytes] | None:
    cipher, compressor = mapper.cipher, mapper.compressor
    if cipher is None and compressor is None:
        return None

    def unwrap(state: bytes) -> bytes:
        if cipher is not None:
            state = cipher.decrypt(state)
        return compressor.decompress(state) if compressor is not None else state

    return unwrap


def _unwrapped(notification: Notification, unwrap: Callable[[bytes], bytes]) -> Notification:
    try:
        return dataclasses.replace(notification, state=unwrap(notification.state))
    except Exception:  # noqa: BLE001 - altered bytes may fail in the cipher or the compressor
        return notification


class Ledger:
    """Format 1's chain and checkpoints of one store, kept in its AuditLedger.

    Release 1 seals the transparency log (tlog, sealing); this reads what format 1
    sealed, for its verification and its move to the tree, and keeps its sealing as the
    reference of how format 1 stores were made.

    The chain hash after record n is the ledger's hash (0, n); a checkpoint's note is its
    fields as JSON.
    """

    def __init__(self, port: AuditLedger) -> None:
        self._port = port

    def close(self) -> None:
        """Release the port."""
        self._port.close()

    def checkpoints(self) -> list[Checkpoint]:
        """Every checkpoint, oldest first."""
        return [Checkpoint(**json.loads(c.note)) for c in self._port.checkpoints()]

    def sealed(self) -> Iterator[tuple[int, str]]:
        """The chain as sealed, (position, hash) in order, read a window at a time."""
        checkpoints = self._port.checkpoints()
        end = checkpoints[-1].size if checkpoints else 0
        for start in range(0, end + 1, PAGE):
            rows = self._port.hashes(0, start, start + PAGE)
            yield from ((position, digest.hex()) for position, digest in rows)

    def seal(
        self, app: Mediations, signer: Signer, now: datetime | None = None
    ) -> Checkpoint | None:
        """Chain every record recorded since the last checkpoint and sign a new checkpoint.

        Returns None when nothing new was recorded. The chain's hashes and the checkpoint
        are stored together, all or nothing.
        """
        existing = self.checkpoints()
        last = existing[-1] if existing else None
        head = bytes.fromhex(last.head) if last else GENESIS
        hashes: list[tuple[int, int, bytes]] = []
        for record, after in chain(records(app, last.position if last else 0), head):
            hashes.append((0, record.id, after))
            head = after
        if not hashes:
            return None
        checkpoint = Checkpoint.signed(
            position=hashes[-1][1],
            head=head,
            created_at=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
            previous=last,
            signer=signer,
        )
        note = json.dumps(attrs.asdict(checkpoint))
        self._port.append(
            hashes, SignedCheckpoint(checkpoint.position, checkpoint.created_at, note)
        )
        return checkpoint


def replay(stored: Iterable[StoredRecord], mapper: Mapper[UUID]) -> Iterator[Finding]:
    """Every violation of the deontology in a stored history, and every unreadable record."""

    def events() -> Iterator[tuple[int, Any]]:
        for record in stored:
            try:
                yield record.id, mapper.to_domain_event(record)  # type: ignore[arg-type]
            except Exception:  # noqa: BLE001 - a tampered record may fail in any decoder
                unreadable.append(record)

    unreadable: list[StoredRecord] = []
    for finding in review_positioned(events()):
        yield from _unreadable(unreadable)
        yield finding
    yield from _unreadable(unreadable)


def _unreadable(found: list[StoredRecord]) -> Iterator[Finding]:
    while found:
        record = found.pop(0)
        message = f"record {record.id} cannot be read as an event (altered or foreign bytes)"
        violation = Violation("record-is-readable", message, LifecycleError)
        case = record.originator_id
        yield Finding(record.id, case, record.originator_version, violation)  # type: ignore[arg-type]
