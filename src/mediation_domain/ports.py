"""What a store keeps beside the events: the ports a store bundle provides, as Protocols.

A store is a *bundle* (`StoreBundle`): the settings of an eventsourcing persistence
module for the events themselves, and, in the same database, a key store for personal
data, an audit ledger, and a store for projections (the activity report's facts, the case
index). Each port has a contract suite in `mediation_domain.testing`; the adapters'
`mediation_adapters.storage` holds the memory, SQLite and PostgreSQL bundles and a toolkit
that gives every port to any SQL database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Protocol, runtime_checkable
from uuid import UUID

import attrs
from eventsourcing.persistence import StoredEvent

from mediation_domain.errors import ConcurrencyError

# Keys for personal data ----------------------------------------------------------------


class KeyStore(Protocol):
    """Keeps one secret key per data subject; erasing deletes the key for good.

    A key store never soft-deletes: `erase` destroys the key and leaves a tombstone, so
    that an erased subject is known as such and nothing is sealed for it again.
    """

    def keys_for(self, subjects: Sequence[str]) -> dict[str, bytes]:
        """The subjects' keys, created on first use; SubjectErasedError if one was erased."""
        ...

    def keys(self, subjects: Iterable[str]) -> dict[str, bytes | None]:
        """Keys of the known subjects among `subjects`: None for an erased one."""
        ...

    def erase(self, subjects: Sequence[str]) -> set[str]:
        """Delete the subjects' keys for good; returns those whose key was live until now."""
        ...

    def purge(self) -> bool:
        """Push the old bytes of erased keys out of where they may linger (a database log).

        True when none is left; False while a reader elsewhere holds them (try again
        later). Call it after `erase`: an erasure is whole once it returns True.
        """
        ...


# The audit ledger ----------------------------------------------------------------------


@attrs.frozen
class SignedCheckpoint:
    """A checkpoint as a ledger keeps it: the log size it covers, when, and its signed text.

    The text's format is the audit module's (a ledger stores it as it is given).
    """

    size: int
    created_at: str
    note: str


class LedgerConflictError(ConcurrencyError):
    """Another seal recorded a checkpoint at or beyond this one meanwhile: seal again."""


class AuditLedger(Protocol):
    """Hashes over the log and the checkpoints that sign them, kept beside the events.

    Hashes are addressed by (level, index): level 0 holds one hash per record of the log,
    higher levels whatever the audit scheme derives from them (a Merkle tree's subtree
    hashes). Checkpoints are kept in the order of the sizes they cover.
    """

    def checkpoints(self) -> list[SignedCheckpoint]:
        """Every checkpoint, smallest size first."""
        ...

    def hashes(self, level: int, start: int, stop: int) -> list[tuple[int, bytes]]:
        """The (index, hash) pairs of `level` with start <= index < stop, in index order."""
        ...

    def append(
        self, hashes: Iterable[tuple[int, int, bytes]], checkpoint: SignedCheckpoint
    ) -> None:
        """Store (level, index, hash) triples and `checkpoint`, all or nothing.

        LedgerConflictError when a checkpoint of that size or larger is there already.
        """
        ...

    def close(self) -> None:
        """Release what the ledger holds open."""
        ...


# Projections ---------------------------------------------------------------------------

OPERATORS = ("=", "<", "<=", ">", ">=")


@attrs.frozen
class ProjectionState:
    """Where a projection stands.

    The version of its format, the last notification folded in (None before the first),
    and a secret of its own (e.g. a hashing key).
    """

    version: int
    position: int | None
    secret: bytes


@attrs.frozen
class Row:
    """A projection's row: a document (JSON text), the fields it is found by, its order.

    `fields` are text (None for no value), compared as text: times as ISO strings in UTC
    sort as they happened. `seq` orders a table for paging (e.g. the request's position).
    """

    doc: str
    fields: Mapping[str, str | None] = attrs.field(factory=dict)
    seq: int = 0


@attrs.frozen
class Condition:
    """`field OPERATOR value`, one of OPERATORS; all conditions of a query must hold."""

    field: str
    operator: str
    value: str


class ProjectionTransaction(Protocol):
    """One transaction on a projection's state and tables."""

    def state(self) -> ProjectionState | None:
        """The projection's state; None for a projection never reset."""
        ...

    def reset(self, version: int, secret: bytes) -> None:
        """Forget every row of the projection's tables and its position; set its version."""
        ...

    def advance(self, position: int) -> None:
        """Record that every notification up to `position` is folded in."""
        ...

    def get(self, table: str, keys: Sequence[str]) -> dict[str, Row]:
        """The rows of `table` with those keys (the others are absent)."""
        ...

    def put(self, table: str, rows: Mapping[str, Row]) -> None:
        """Insert or replace rows by key."""
        ...

    def delete(self, table: str, keys: Sequence[str]) -> None:
        """Remove the rows with those keys (absent ones are ignored)."""
        ...

    def select(
        self,
        table: str,
        where: Sequence[Condition] = (),
        *,
        after: int | None = None,
        limit: int = 100,
    ) -> list[tuple[str, Row]]:
        """Up to `limit` (key, row) of `table` meeting `where`, by `seq`, after `after`.

        A select by equalities costs what it returns, whatever the table's size. One by
        ranges only is meant to be selective (few rows in the range): it may cost what
        the range holds, but not the table.
        """
        ...


class ProjectionStore(Protocol):
    """Tables of projections, each with its state, kept beside the events.

    A projection declares its tables and the fields each is queried by, once; writing
    holds the projection's lock for the transaction, so that processes folding the same
    events take turns. Reading takes no lock. Table and field names are lowercase
    identifiers (`[a-z][a-z0-9_]*`, at most 40 characters).
    """

    def declare(self, projection: str, tables: Mapping[str, Sequence[str]]) -> None:
        """Create the projection's tables (name: fields) unless they exist."""
        ...

    def reading(self, projection: str) -> AbstractContextManager[ProjectionTransaction]:
        """A transaction that only reads, without the lock."""
        ...

    def writing(self, projection: str) -> AbstractContextManager[ProjectionTransaction]:
        """A transaction holding the projection's lock: all its changes, or none."""
        ...

    def scan(self, table: str) -> Iterator[Row]:
        """Every row of `table`, read a chunk at a time (memory stays flat)."""
        ...

    def close(self) -> None:
        """Release what the store holds open."""
        ...


@runtime_checkable
class SelectAtLogEnd(Protocol):
    """A projection store beside the log that reads a page and the log's end at one moment.

    Optional: a page of the case index then costs one statement (its rows, the
    projection's state and where the log ends), instead of a read of the log's end and a
    transaction of two reads.
    """

    def select_at_log_end(
        self,
        projection: str,
        table: str,
        where: Sequence[Condition] = (),
        *,
        after: int | None = None,
        limit: int = 100,
    ) -> tuple[ProjectionState | None, int, list[tuple[str, Row]]]:
        """`projection`'s state, the log's last notification id (0 for none) and `select`.

        All three as they stood at one moment (one snapshot of the database).
        """
        ...


# Events of many cases, and the bundle ---------------------------------------------------


@runtime_checkable
class EventsOfMany(Protocol):
    """An application recorder that reads the events of many cases in one query."""

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """The stored events of those cases, by case then version (absent ones: none)."""
        ...


class StoreBundle(Protocol):
    """One store: the events' settings and the ports beside them, in one database."""

    @property
    def name(self) -> str:
        """The store's URL with any password hidden, for messages and logs."""
        ...

    def environment(self) -> dict[str, str]:
        """The eventsourcing settings of the application's events (PERSISTENCE_MODULE...)."""
        ...

    def key_store(self) -> KeyStore:
        """The key store (the same one every call)."""
        ...

    def ledger(self) -> AuditLedger:
        """An audit ledger on the store (the caller closes it)."""
        ...

    def projections(self) -> ProjectionStore:
        """A projection store on the store (the caller closes it)."""
        ...

    def close(self) -> None:
        """Release what the bundle holds open."""
        ...
