"""The in-memory store, `memory://`: everything in this process, nothing kept (tests, trials)."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID, uuid4

from eventsourcing.persistence import ApplicationRecorder, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory
from eventsourcing.utils import get_topic

from mediation_adapters.storage.errors import StoreError
from mediation_adapters.storage.registry import StoreFactory
from mediation_domain.ports import (
    LedgerConflictError,
    SignedCheckpoint,
)
from mediation_domain.privacy import MemoryKeyStore
from mediation_domain.projections.memory import MemoryProjectionStore


class MemoryRecorder(POPOApplicationRecorder):
    """eventsourcing's in-memory recorder, reading many cases' events at once."""

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """The stored events of those cases, by case then version."""
        return [
            event
            for originator_id in sorted(originator_ids, key=str)
            for event in self.select_events(originator_id)
        ]


# The recorders of the memory stores open in this process, by the id their bundle gives
# the application in its environment: applications on one bundle share its events.
_RECORDERS: weakref.WeakValueDictionary[str, MemoryRecorder] = weakref.WeakValueDictionary()
STORE_ID = "MEDIATION_MEMORY_STORE"


class MemoryFactory(POPOFactory):
    """eventsourcing's in-memory persistence, with the events of the bundle named in env."""

    def application_recorder(self) -> ApplicationRecorder:
        """The bundle's recorder; a new one without a bundle."""
        found = _RECORDERS.get(self.env.get(STORE_ID) or "")
        return found if found is not None else MemoryRecorder()


class MemoryLedger:
    """The AuditLedger port in this process."""

    def __init__(self) -> None:
        self._hashes: dict[tuple[int, int], bytes] = {}
        self._checkpoints: list[SignedCheckpoint] = []
        self._lock = threading.Lock()

    def checkpoints(self) -> list[SignedCheckpoint]:
        """Every checkpoint, smallest size first."""
        with self._lock:
            return list(self._checkpoints)

    def hashes(self, level: int, start: int, stop: int) -> list[tuple[int, bytes]]:
        """The (index, hash) pairs of `level` in [start, stop)."""
        with self._lock:
            found = [
                (i, h) for (lv, i), h in self._hashes.items() if lv == level and start <= i < stop
            ]
        return sorted(found)

    def append(
        self, hashes: Iterable[tuple[int, int, bytes]], checkpoint: SignedCheckpoint
    ) -> None:
        """Store the hashes and the checkpoint, all or nothing."""
        rows = {(level, index): digest for level, index, digest in hashes}
        with self._lock:
            if self._checkpoints and self._checkpoints[-1].size >= checkpoint.size:
                message = (
                    f"a checkpoint over {self._checkpoints[-1].size} records was sealed meanwhile"
                )
                raise LedgerConflictError(message)
            if not rows.keys().isdisjoint(self._hashes):
                message = "those hashes were stored already"
                raise StoreError(message)
            self._hashes.update(rows)
            self._checkpoints.append(checkpoint)

    def close(self) -> None:
        """Nothing to release."""


class MemoryBundle:
    """The StoreBundle port in this process."""

    def __init__(self) -> None:
        self._keys = MemoryKeyStore()
        self._ledger = MemoryLedger()
        self._projections = MemoryProjectionStore()
        self._recorder = MemoryRecorder()  # kept alive here: _RECORDERS holds it weakly
        self._id = uuid4().hex
        _RECORDERS[self._id] = self._recorder

    @property
    def name(self) -> str:
        """The store's URL."""
        return "memory://"

    def environment(self) -> dict[str, str]:
        """Eventsourcing's in-memory persistence, with MemoryRecorder."""
        return {"PERSISTENCE_MODULE": get_topic(MemoryFactory), STORE_ID: self._id}

    def key_store(self) -> MemoryKeyStore:
        """The keys, in a dictionary."""
        return self._keys

    def ledger(self) -> MemoryLedger:
        """The ledger (the same one every call)."""
        return self._ledger

    def projections(self) -> MemoryProjectionStore:
        """The projections (the same store every call)."""
        return self._projections

    def close(self) -> None:
        """Nothing to release."""


def open_memory(url: str, *, store_key: bytes | None = None, **_: Any) -> MemoryBundle:  # noqa: ANN401
    """A new, empty store in this process."""
    if url.partition("://")[2]:
        message = f"invalid store URL {url!r}: memory:// takes no path"
        raise StoreError(message)
    if store_key is not None:
        raise StoreError("a memory:// store is not written anywhere: it takes no store key")
    return MemoryBundle()


FACTORY = StoreFactory(form="memory:// (this process only, nothing kept)", open=open_memory)
