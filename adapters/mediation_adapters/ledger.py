"""The audit ledger beside the events: the chain as sealed and the signed checkpoints.

Two tables in the same database as the events (SQLite file or PostgreSQL schema):
mediation_audit_chain (position, hash) and mediation_audit_checkpoints. Sealing appends
to both in one transaction; verifying and replaying stream the log page by page.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.persistence import Mapper, Notification

from mediation_adapters.sql import Database
from mediation_adapters.stores import StoreError
from mediation_domain import Mediations
from mediation_domain.audit import GENESIS, Checkpoint, Signer, StoredRecord, chain
from mediation_domain.errors import LifecycleError
from mediation_domain.rules import Finding, Violation, review_positioned

PAGE = 1000
_TABLES = (
    (
        "CREATE TABLE IF NOT EXISTS mediation_audit_chain ("
        " position BIGINT PRIMARY KEY, hash TEXT NOT NULL)"
    ),
    (
        "CREATE TABLE IF NOT EXISTS mediation_audit_checkpoints ("
        " position BIGINT PRIMARY KEY, head TEXT NOT NULL, created_at TEXT NOT NULL,"
        " previous TEXT NOT NULL, key_id TEXT NOT NULL, signature TEXT NOT NULL)"
    ),
)


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
    """The chain and checkpoints of one store."""

    def __init__(self, url: str) -> None:
        self._db = Database.of(url)
        with self._db.transaction():
            for statement in _TABLES:
                self._db.execute(statement)

    def close(self) -> None:
        """Release the connection."""
        self._db.close()

    def checkpoints(self) -> list[Checkpoint]:
        """Every checkpoint, oldest first."""
        rows = self._db.rows(
            "SELECT position, head, created_at, previous, key_id, signature"
            " FROM mediation_audit_checkpoints ORDER BY position"
        )
        return [Checkpoint(*row) for row in rows]

    def sealed(self) -> Iterator[tuple[int, str]]:
        """The chain as sealed, (position, hash) in order, read page by page."""
        after = -1
        while rows := self._db.rows(
            "SELECT position, hash FROM mediation_audit_chain WHERE position > ?"
            " ORDER BY position LIMIT ?",
            (after, PAGE),
        ):
            yield from ((int(position), str(digest)) for position, digest in rows)
            after = int(rows[-1][0])

    def seal(
        self, app: Mediations, signer: Signer, now: datetime | None = None
    ) -> Checkpoint | None:
        """Chain every record recorded since the last checkpoint and sign a new checkpoint.

        Returns None when nothing new was recorded. The chain rows and the checkpoint are
        written in one transaction.
        """
        existing = self.checkpoints()
        last = existing[-1] if existing else None
        head = bytes.fromhex(last.head) if last else GENESIS
        position = None
        batch: list[tuple[int, str]] = []
        with self._db.transaction():
            for record, head_after in chain(records(app, last.position if last else 0), head):
                position, head = record.id, head_after
                batch.append((record.id, head.hex()))
                if len(batch) == PAGE:
                    self._insert_chain(batch)
            if position is None:
                return None
            self._insert_chain(batch)
            checkpoint = Checkpoint.signed(
                position=position,
                head=head,
                created_at=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
                previous=last,
                signer=signer,
            )
            self._db.execute(
                "INSERT INTO mediation_audit_checkpoints"
                " (position, head, created_at, previous, key_id, signature)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                attrs.astuple(checkpoint),
            )
        return checkpoint

    def _insert_chain(self, batch: list[tuple[int, str]]) -> None:
        self._db.executemany(
            "INSERT INTO mediation_audit_chain (position, hash) VALUES (?, ?)", batch
        )
        batch.clear()


class AutoSeal:
    """Seals the store once `every` records were recorded since the last checkpoint.

    Attach it with `app.on_recorded = AutoSeal(url, signer, every)`; the ledger is opened
    only to seal, so an application that never reaches `every` holds no extra connection.
    """

    def __init__(self, url: str, signer: Signer, every: int) -> None:
        if every < 1:
            message = f"seal every {every} records? give a positive number"
            raise StoreError(message)
        self.url, self.signer, self.every = url, signer, every
        self._sealed_up_to: int | None = None
        Ledger(url).close()  # refuse a store that cannot be audited now, not after a command

    def __call__(self, app: Mediations, last_recorded: int) -> None:
        """Seal when the unsealed records reach `every`."""
        if self._sealed_up_to is not None and last_recorded - self._sealed_up_to < self.every:
            return
        ledger = Ledger(self.url)
        try:
            checkpoints = ledger.checkpoints()
            self._sealed_up_to = checkpoints[-1].position if checkpoints else 0
            if last_recorded - self._sealed_up_to >= self.every:
                checkpoint = ledger.seal(app, self.signer)
                if checkpoint is not None:
                    self._sealed_up_to = checkpoint.position
        finally:
            ledger.close()


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
