"""The audit ledger beside the events: the chain as sealed and the signed checkpoints.

Two tables in the same database as the events (SQLite file or PostgreSQL schema):
mediation_audit_chain (position, hash) and mediation_audit_checkpoints. Sealing appends
to both in one transaction; verifying and replaying stream the log page by page.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import attrs
from eventsourcing.persistence import Mapper, Notification

from mediation_adapters.stores import StoreError, env_for, postgres_connection
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
    """The stored records after notification `after`, in order, read page by page."""
    start = after
    while page := app.recorder.select_notifications(start, PAGE, inclusive_of_start=False):
        yield from page
        start = page[-1].id


class Ledger:
    """The chain and checkpoints of one store."""

    def __init__(self, url: str) -> None:
        env = env_for(url)
        module = env["PERSISTENCE_MODULE"]
        if module == "eventsourcing.sqlite":
            self._connection: Any = sqlite3.connect(env["SQLITE_DBNAME"])
            self._placeholder = "?"
        elif module == "eventsourcing.postgres":
            self._connection = _postgres(env)
            self._placeholder = "%s"
        else:
            message = "auditing needs a persistent store: sqlite:///... or postgresql://..."
            raise StoreError(message)
        with self._transaction():
            for statement in _TABLES:
                self._connection.execute(statement)

    def close(self) -> None:
        """Release the connection."""
        self._connection.close()

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        """All or nothing: psycopg's transaction block, or sqlite3's commit and rollback."""
        if self._placeholder == "%s":
            with self._connection.transaction():
                yield
            return
        try:
            yield
        except BaseException:
            self._connection.rollback()
            raise
        self._connection.commit()

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        cursor = self._connection.execute(sql.replace("?", self._placeholder), params)
        return list(cursor.fetchall())

    def checkpoints(self) -> list[Checkpoint]:
        """Every checkpoint, oldest first."""
        rows = self._rows(
            "SELECT position, head, created_at, previous, key_id, signature"
            " FROM mediation_audit_checkpoints ORDER BY position"
        )
        return [Checkpoint(*row) for row in rows]

    def sealed(self) -> Iterator[tuple[int, str]]:
        """The chain as sealed, (position, hash) in order, read page by page."""
        after = -1
        while rows := self._rows(
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
        with self._transaction():
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
            self._connection.execute(
                (
                    "INSERT INTO mediation_audit_checkpoints"
                    " (position, head, created_at, previous, key_id, signature)"
                    " VALUES (?, ?, ?, ?, ?, ?)"
                ).replace("?", self._placeholder),
                attrs.astuple(checkpoint),
            )
        return checkpoint

    def _insert_chain(self, batch: list[tuple[int, str]]) -> None:
        sql = "INSERT INTO mediation_audit_chain (position, hash) VALUES (?, ?)"
        self._connection.cursor().executemany(sql.replace("?", self._placeholder), batch)
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


def _postgres(env: dict[str, str]) -> Any:  # noqa: ANN401 - a psycopg connection
    """Autocommit: reads hold no locks; seal() opens its own transaction."""
    import psycopg  # noqa: PLC0415 - an optional extra

    connection = postgres_connection(env)
    schema = psycopg.sql.Identifier(env.get("POSTGRES_SCHEMA", "public"))
    connection.execute(psycopg.sql.SQL("SET search_path TO {}").format(schema))
    return connection


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
