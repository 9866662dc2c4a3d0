"""The transparency log (audit format 2) of one store, kept in its AuditLedger port.

The ledger's level 0 holds format 1's chain; the Merkle tree's level L is the ledger's
level L + 1, with the node's index. A checkpoint is kept under the notification id of the
last record it covers (as format 1's were), and its note is a C2SP signed checkpoint.
Sealing appends the records recorded since the last checkpoint as leaves, `CHUNK` at a
time, each chunk stored with its own signed checkpoint: a first seal of a long history
holds one chunk's nodes in memory, not the history's.

Not yet used by the commands: `mediation audit` still seals, exports and verifies
format 1 (issue 17 wires this in).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

import attrs
from eventsourcing.persistence import Notification

from mediation_adapters.storage.errors import StoreError
from mediation_domain.audit.checkpoints import NoteSigner, SignedNote, TreeHead
from mediation_domain.audit.merkle import Frontier, leaf_data, leaf_hash
from mediation_domain.audit.proofs import consistency_proof, inclusion_proof
from mediation_domain.audit.records import StoredRecord
from mediation_domain.ports import AuditLedger, ProjectionTransaction, Row, SignedCheckpoint
from mediation_domain.projections import View

LEVELS = 1  # the ledger's levels below the tree's: format 1's chain
LEAF_INDEX = "audit_leaves"
CHUNK = 50_000  # leaves sealed under one checkpoint at most


@attrs.frozen
class Sealed:
    """A checkpoint of the tree: the last record it covers, its tree head, its signed note."""

    last_id: int
    head: TreeHead
    note: SignedNote


class TransparencyLog:
    """The Merkle tree over a store's records and its signed checkpoints, in `port`."""

    def __init__(self, port: AuditLedger, origin: str) -> None:
        self._port, self.origin = port, origin

    def node(self, level: int, index: int) -> bytes:
        """The hash of the complete subtree (level, index); StoreError if it is not kept."""
        found = self._port.hashes(level + LEVELS, index, index + 1)
        if not found:
            message = f"the audit ledger lacks the tree's node ({level}, {index}): seal again"
            raise StoreError(message)
        return found[0][1]

    def checkpoints(self) -> list[Sealed]:
        """Every checkpoint of the tree, oldest first.

        StoreError for a store sealed in format 1: it is verified in format 1, then
        moved to the tree (not yet offered).
        """
        sealed = []
        for checkpoint in self._port.checkpoints():
            if checkpoint.note.startswith("{"):
                message = "this store is sealed in audit format 1: seal it with format 1"
                raise StoreError(message)
            note = SignedNote.parse(checkpoint.note)
            sealed.append(Sealed(checkpoint.size, TreeHead.parse(note.text), note))
        return sealed

    def latest(self) -> Sealed | None:
        """The last checkpoint, None before the first."""
        found = self.checkpoints()
        return found[-1] if found else None

    def seal(
        self, records: Iterable[StoredRecord], signer: NoteSigner, now: datetime | None = None
    ) -> Sealed | None:
        """Append `records` (those after the last checkpoint, in order) and sign the tree.

        Returns the last checkpoint made, None when there was nothing to seal.
        """
        last = self.latest()
        tree = Frontier.resumed(last.head.size, self.node) if last else Frontier()
        made: Sealed | None = None
        for leaves, last_id in _chunks(records):
            nodes = [node for leaf in leaves for node in tree.append(leaf)]
            head = TreeHead(self.origin, tree.size, tree.root())
            note = SignedNote(head.text(), ()).sign(signer)
            made = Sealed(last_id, head, note)
            at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
            self._port.append(
                ((level + LEVELS, index, digest) for level, index, digest in nodes),
                SignedCheckpoint(made.last_id, at, note.render()),
            )
        return made

    def inclusion(self, index: int, size: int) -> list[bytes]:
        """The inclusion proof of leaf `index` in the tree of `size` leaves."""
        return inclusion_proof(index, size, self.node)

    def consistency(self, old: int, new: int) -> list[bytes]:
        """The proof that the tree of `new` leaves extends the one of `old`."""
        return consistency_proof(old, new, self.node)


class LeafIndex(View):
    """Which leaf of the tree each record is: its place in the log, by notification id.

    Notification ids leave gaps (a rolled-back PostgreSQL transaction), so a record's leaf
    is counted, not computed: a view over the log, one row per record (its notification
    id as key, its leaf index as seq), caught up before each read and rebuilt at will.
    """

    name = LEAF_INDEX
    version = 1
    tables: ClassVar[dict[str, tuple[str, ...]]] = {LEAF_INDEX: ()}

    def event_of(self, notification: Notification) -> None:
        """Nothing: a record's place is all this view counts (no decoding)."""
        del notification

    def fold_positioned(
        self, tx: ProjectionTransaction, batch: Sequence[tuple[int, Any]], secret: bytes
    ) -> None:
        """Number the batch's records after the leaves already counted."""
        del secret
        state = tx.state()
        last = tx.get(LEAF_INDEX, [str(state.position)]) if state and state.position else {}
        start = last[str(state.position)].seq + 1 if last and state else 0
        tx.put(
            LEAF_INDEX,
            {str(position): Row("", {}, start + n) for n, (position, _) in enumerate(batch)},
        )

    def leaves(self, notification_ids: Sequence[int]) -> dict[int, int]:
        """The leaf index of each record among `notification_ids` (absent: not a record)."""
        self.refresh()
        with self.store.reading(self.name) as tx:
            rows = tx.get(LEAF_INDEX, [str(n) for n in notification_ids])
        return {int(key): row.seq for key, row in rows.items()}


def _chunks(records: Iterable[StoredRecord]) -> Iterator[tuple[list[bytes], int]]:
    """The records' leaf hashes, `CHUNK` at a time, each with the last record's id."""
    leaves: list[bytes] = []
    last_id = 0
    for record in records:
        leaves.append(leaf_hash(leaf_data(record)))
        last_id = record.id
        if len(leaves) == CHUNK:
            yield leaves, last_id
            leaves = []
    if leaves:
        yield leaves, last_id
