"""The transparency log (audit format 2) of one store, kept in its AuditLedger port.

The ledger's level 0 holds format 1's chain; the Merkle tree's level L is the ledger's
level L + 1, with the node's index. A checkpoint is kept under the notification id of the
last record it covers (as format 1's were), and its note is a C2SP signed checkpoint.
Sealing appends the records recorded since the last checkpoint as leaves, `CHUNK` at a
time, each chunk stored with its own signed checkpoint: a first seal of a long history
holds one chunk's nodes in memory, not the history's.

A store sealed in format 1 keeps its JSON checkpoints; its next seal verifies the chain
against them, then starts the tree over every record, past the last format 1 checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

import attrs
from eventsourcing.persistence import Notification

from mediation_adapters.storage.errors import StoreError
from mediation_adapters.storage.ledger import Ledger
from mediation_domain.audit.checkpoints import NoteError, NoteSigner, SignedNote, TreeHead
from mediation_domain.audit.merkle import Frontier, leaf_data, leaf_hash
from mediation_domain.audit.proofs import consistency_proof, inclusion_proof
from mediation_domain.audit.records import StoredRecord
from mediation_domain.ports import (
    AuditLedger,
    Condition,
    ProjectionTransaction,
    Row,
    SignedCheckpoint,
)
from mediation_domain.projections import View

LEVELS = 1  # the ledger's levels below the tree's: format 1's chain
LEAF_INDEX = "audit_leaves"
CHUNK = 50_000  # leaves sealed under one checkpoint at most
_WINDOW = 10_000  # leaf hashes read at a time
_PAGE = 100  # rows of the leaf index a select returns


@attrs.frozen
class Sealed:
    """A checkpoint of the tree: the last record it covers, its tree head, its signed note."""

    last_id: int
    head: TreeHead
    note: SignedNote


class TransparencyLog:
    """The Merkle tree over a store's records and its signed checkpoints, in `port`."""

    def __init__(self, port: AuditLedger) -> None:
        self._port = port

    def node(self, level: int, index: int) -> bytes:
        """The hash of the complete subtree (level, index); StoreError if it is not kept."""
        found = self._port.hashes(level + LEVELS, index, index + 1)
        if not found:
            message = (
                f"the audit ledger lacks the tree's node ({level}, {index}): it was altered "
                "(`mediation audit verify` tells whether the records still give the signed root)"
            )
            raise StoreError(message)
        return found[0][1]

    def format(self) -> int:
        """The audit format of the last checkpoint: 0 (never sealed), 1 or 2."""
        found = self._port.checkpoints()
        if not found:
            return 0
        return 1 if found[-1].note.startswith("{") else 2

    def sealed_up_to(self) -> int:
        """The last record a checkpoint covers, of either format (0 before the first)."""
        found = self._port.checkpoints()
        return found[-1].size if found else 0

    def format_1(self) -> Ledger:
        """The ledger read as format 1's chain and JSON checkpoints (the same port)."""
        return Ledger(self._port)

    def checkpoints(self) -> list[Sealed]:
        """Every checkpoint of the tree, oldest first (format 1's are not the tree's).

        StoreError for a stored note that does not parse: the ledger was altered.
        """
        return [_parsed(c) for c in self._port.checkpoints() if not c.note.startswith("{")]

    def latest(self) -> Sealed | None:
        """The last checkpoint, None before the first."""
        return _latest_of(self._port.checkpoints())

    def seal(
        self,
        records_after: Callable[[int], Iterable[StoredRecord]],
        signer: NoteSigner,
        now: datetime | None = None,
        *,
        check_format_1: Callable[[Ledger], None] | None = None,
    ) -> Sealed | None:
        """Append the records after the last checkpoint (`records_after(its last id)`), sign.

        The log's origin is its signing key's name: every key of a log (rotation) bears
        it. The tree resumes from the nodes kept, which must still give the last signed
        root (StoreError otherwise: nothing is signed over altered nodes). Returns the
        last checkpoint made, None when there was nothing to seal. On a store sealed in
        format 1, `check_format_1` is given its ledger first (StoreError without one); the
        tree then covers every record, its first checkpoint after format 1's last.
        """
        stored = self._port.checkpoints()  # read once: a seal costs no more as they pile up
        last = _latest_of(stored)
        if stored and stored[-1].note.startswith("{"):  # format 1's last: check it first
            if check_format_1 is None:
                message = "this store is sealed in audit format 1: verify it before sealing"
                raise StoreError(message)
            check_format_1(self.format_1())
        if last is not None and last.head.origin != signer.name:
            message = (
                f"this log's origin is {last.head.origin!r}: sign it with a key of that "
                f"name, not {signer.name!r}"
            )
            raise StoreError(message)
        floor = stored[-1].size if stored and last is None else 0  # format 1's last
        tree = Frontier.resumed(last.head.size, self.node) if last else Frontier()
        if last is not None and tree.root() != last.head.root:
            message = (
                "the tree's nodes kept in the audit ledger no longer give the last signed "
                "root: they were altered, and nothing is signed over them"
            )
            raise StoreError(message)
        made: Sealed | None = None
        for leaves, last_id in _chunks(records_after(last.last_id if last else 0), floor):
            nodes = [node for leaf in leaves for node in tree.append(leaf)]
            head = TreeHead(signer.name, tree.size, tree.root())
            note = SignedNote(head.text(), ()).sign(signer)
            made = Sealed(last_id, head, note)
            at = (now or datetime.now(UTC)).isoformat(timespec="seconds")
            self._port.append(
                ((level + LEVELS, index, digest) for level, index, digest in nodes),
                SignedCheckpoint(made.last_id, at, note.render()),
            )
        return made

    def sealed_leaves(self, size: int) -> Iterator[tuple[int, bytes]]:
        """The leaf hashes as sealed, (index, hash) for index < `size`, a window at a time."""
        for start in range(0, size, _WINDOW):
            yield from self._port.hashes(LEVELS, start, min(size, start + _WINDOW))

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
    version = 2
    tables: ClassVar[dict[str, tuple[str, ...]]] = {LEAF_INDEX: ("aggregate",)}

    def event_of(self, notification: Notification) -> str:
        """The record's aggregate, as stored: a record's place is all this view needs."""
        return str(notification.originator_id)

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
            {
                str(position): Row("", {"aggregate": aggregate}, start + n)
                for n, (position, aggregate) in enumerate(batch)
            },
        )

    def leaves(self, notification_ids: Sequence[int]) -> dict[int, int]:
        """The leaf index of each record among `notification_ids` (absent: not a record)."""
        self.refresh()
        with self.store.reading(self.name) as tx:
            rows = tx.get(LEAF_INDEX, [str(n) for n in notification_ids])
        return {int(key): row.seq for key, row in rows.items()}

    def leaves_of(self, aggregate: str) -> Iterator[tuple[int, int]]:
        """(notification id, leaf index) of each record of `aggregate`, in order."""
        self.refresh()
        after: int | None = None
        while True:
            with self.store.reading(self.name) as tx:
                page = tx.select(
                    LEAF_INDEX, [Condition("aggregate", "=", aggregate)], after=after, limit=_PAGE
                )
            yield from ((int(key), row.seq) for key, row in page)
            if len(page) < _PAGE:
                return
            after = page[-1][1].seq


def _parsed(checkpoint: SignedCheckpoint) -> Sealed:
    try:
        note = SignedNote.parse(checkpoint.note)
        head = TreeHead.parse(note.text)
    except NoteError as error:
        message = f"the checkpoint over record {checkpoint.size} is unreadable: {error}"
        raise StoreError(message) from None
    return Sealed(checkpoint.size, head, note)


def _latest_of(stored: Sequence[SignedCheckpoint]) -> Sealed | None:
    """The last checkpoint of the tree among `stored` (format 1's are not), parsed."""
    return next((_parsed(c) for c in reversed(stored) if not c.note.startswith("{")), None)


def _chunks(records: Iterable[StoredRecord], floor: int) -> Iterator[tuple[list[bytes], int]]:
    """The records' leaf hashes, `CHUNK` at a time, each with the last record's id.

    A chunk ends after record `floor` at the earliest (a checkpoint's place must be new);
    a last chunk that does not is not sealed.
    """
    leaves: list[bytes] = []
    last_id = 0
    for record in records:
        leaves.append(leaf_hash(leaf_data(record)))
        last_id = record.id
        if len(leaves) >= CHUNK and last_id > floor:
            yield leaves, last_id
            leaves = []
    if leaves and last_id > floor:
        yield leaves, last_id
