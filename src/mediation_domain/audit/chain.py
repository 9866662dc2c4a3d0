"""Tamper evidence: a hash chain over stored records, signed checkpoints, streaming verification.

The chain hashes the records in notification order, each with its state as transcoded:
the bytes stored, or, on a store encrypted at rest, the bytes before that store-wide
encryption. Upcasting, crypto-shredding and a store-key rotation never break it, and an
auditor verifies an export without any key:

    H_n = SHA-256(TAG || H_(n-1) || id || originator id || version || topic || SHA-256(state))

with fixed-width integers and length-prefixed strings, so no two records hash alike by
shifting bytes between fields. Signing is a port (`Signer`, `SignatureCheck`): the core
names no cryptographic library.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Protocol
from uuid import UUID

import attrs

from mediation_domain.audit.records import StoredRecord

TAG = b"mediation-domain chain v1\x00"
GENESIS = bytes(32)
_CHECKPOINT_TAG = "mediation-domain checkpoint v1"


def link(previous: bytes, record: StoredRecord) -> bytes:
    """The chain hash after `record`, given the hash before it."""
    originator = (
        record.originator_id.bytes
        if isinstance(record.originator_id, UUID)
        else record.originator_id.encode()
    )
    topic = record.topic.encode()
    digest = hashlib.sha256(TAG)
    digest.update(previous)
    digest.update(record.id.to_bytes(8, "big", signed=True))
    digest.update(len(originator).to_bytes(4, "big") + originator)
    digest.update(record.originator_version.to_bytes(8, "big", signed=True))
    digest.update(len(topic).to_bytes(4, "big") + topic)
    digest.update(hashlib.sha256(record.state).digest())
    return digest.digest()


def chain(
    records: Iterable[StoredRecord], head: bytes = GENESIS
) -> Iterator[tuple[StoredRecord, bytes]]:
    """Each record with the chain hash after it (streams: holds one record at a time)."""
    for record in records:
        head = link(head, record)
        yield record, head


class Signer(Protocol):
    """Signs checkpoints (Ed25519 in mediation_adapters.security.signing)."""

    @property
    def key_id(self) -> str:
        """Fingerprint of the public key."""
        ...

    def sign(self, message: bytes) -> bytes:
        """The signature of `message`."""
        ...


class SignatureCheck(Protocol):
    """Checks checkpoint signatures with a public key alone."""

    @property
    def key_id(self) -> str:
        """Fingerprint of the public key."""
        ...

    def is_valid(self, signature: bytes, message: bytes) -> bool:
        """True when `signature` signs `message` with this key."""
        ...


@attrs.frozen
class Checkpoint:
    """A signed statement: the chain's head after record `position`, at `created_at`."""

    position: int
    head: str
    created_at: str
    previous: str
    key_id: str
    signature: str = ""

    def message(self) -> bytes:
        """The canonical bytes that are signed (everything but the signature)."""
        fields = attrs.asdict(self, filter=lambda field, _: field.name != "signature")
        return json.dumps([_CHECKPOINT_TAG, fields], sort_keys=True).encode()

    def digest(self) -> str:
        """What the next checkpoint names as `previous`."""
        return hashlib.sha256(self.message() + bytes.fromhex(self.signature)).hexdigest()

    @classmethod
    def signed(
        cls,
        *,
        position: int,
        head: bytes,
        created_at: str,
        previous: Checkpoint | None,
        signer: Signer,
    ) -> Checkpoint:
        """A checkpoint over the chain up to `position`, chained to `previous`, signed."""
        unsigned = cls(
            position=position,
            head=head.hex(),
            created_at=created_at,
            previous=previous.digest() if previous else "",
            key_id=signer.key_id,
        )
        return attrs.evolve(unsigned, signature=signer.sign(unsigned.message()).hex())


@attrs.frozen
class Problem:
    """One sign of tampering: what, where (notification id, case), in a sentence."""

    kind: str
    position: int
    case_id: str
    message: str


@attrs.frozen
class Verification:
    """What `verify` found."""

    records: int
    head: str
    sealed_up_to: int
    unsealed: int
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        """True when nothing was tampered with."""
        return not self.problems


def _checkpoint_problems(checkpoints: Sequence[Checkpoint], check: SignatureCheck) -> list[Problem]:
    problems: list[Problem] = []
    previous: Checkpoint | None = None
    for checkpoint in checkpoints:
        where = checkpoint.position
        if checkpoint.key_id != check.key_id or not check.is_valid(
            bytes.fromhex(checkpoint.signature or "00"), checkpoint.message()
        ):
            message = f"the checkpoint at {where} is not signed by key {check.key_id}"
            problems.append(Problem("forged-checkpoint", where, "", message))
        expected = previous.digest() if previous else ""
        if checkpoint.previous != expected or (previous and where <= previous.position):
            message = f"the checkpoint at {where} does not follow the previous checkpoint"
            problems.append(Problem("broken-checkpoint-chain", where, "", message))
        previous = checkpoint
    return problems


def verify(
    records: Iterable[StoredRecord],
    checkpoints: Sequence[Checkpoint],
    check: SignatureCheck,
    sealed: Iterable[tuple[int, str]] = (),
) -> Verification:
    """Recompute the chain over `records` (in stored order) and hold it to the checkpoints.

    `sealed` is the chain as it was when sealed: (notification id, hash) in id order, as the
    store or an export keeps it. With it, each record is judged on its own, so the report
    names the first modified, deleted, inserted or reordered record; without it, tampering
    is located between two checkpoints. Either way a forged or unchained checkpoint, and a
    sealed head the records no longer produce, are reported. Streams: memory stays flat.
    """
    problems = _checkpoint_problems(checkpoints, check)
    due_checkpoints = iter(sorted(checkpoints, key=lambda c: c.position))
    due = next(due_checkpoints, None)
    references = _References(iter(sealed))
    head, count, last_id, covered, previous_position = GENESIS, 0, 0, 0, 0
    for record in records:
        if record.id <= last_id:
            message = f"record {record.id} comes after record {last_id}: the log was reordered"
            problems.append(Problem("reordered", record.id, str(record.originator_id), message))
        while due is not None and due.position < record.id:
            problems.append(_missing(due, previous_position))
            previous_position, due = due.position, next(due_checkpoints, None)
        after = link(head, record)
        problems.extend(references.judge(record, head, after))
        head = after
        count, last_id = count + 1, max(last_id, record.id)
        if due is not None and due.position == record.id:
            if head.hex() != due.head:
                message = (
                    f"the records after {previous_position} up to {due.position} no longer "
                    "produce the sealed head: one was modified, deleted, inserted or reordered"
                )
                problems.append(Problem("altered", due.position, "", message))
            covered = count
            previous_position, due = due.position, next(due_checkpoints, None)
    problems.extend(references.deleted_after(last_id))
    while due is not None:
        problems.append(_missing(due, previous_position))
        previous_position, due = due.position, next(due_checkpoints, None)
    sealed_up_to = max((c.position for c in checkpoints), default=0)
    return Verification(count, head.hex(), sealed_up_to, count - covered, _in_order(problems))


def verify_excerpt(
    excerpt: Iterable[tuple[StoredRecord, str, str]],
    checkpoints: Sequence[Checkpoint],
    check: SignatureCheck,
) -> Verification:
    """Verify one case's records, each given with the sealed chain hash before and after it.

    Without the rest of the log the chain cannot be recomputed up to a signed head, so
    each record is held to its own sealed link, a record that sits at a checkpoint to the
    signed head, and the case's versions must run 1, 2, 3... with none missing.
    """
    problems = _checkpoint_problems(checkpoints, check)
    heads = {c.position: c.head for c in checkpoints}
    count = unsealed = last_id = last_version = 0
    for record, previous, sealed in excerpt:
        count += 1
        case = str(record.originator_id)
        if record.id <= last_id:
            message = f"record {record.id} comes after record {last_id}: the log was reordered"
            problems.append(Problem("reordered", record.id, case, message))
        if record.originator_version != last_version + 1:
            message = f"the case's version {last_version + 1} is missing before record {record.id}"
            problems.append(Problem("deleted", record.id, case, message))
        last_id, last_version = record.id, record.originator_version
        if not sealed:
            unsealed += 1
        elif link(bytes.fromhex(previous), record).hex() != sealed:
            message = f"record {record.id} differs from the record that was sealed"
            problems.append(Problem("modified", record.id, case, message))
        elif heads.get(record.id, sealed) != sealed:
            message = f"the sealed hash of record {record.id} is not the signed head there"
            problems.append(Problem("altered", record.id, case, message))
    sealed_up_to = max(heads, default=0)
    return Verification(count, "", sealed_up_to, unsealed, _in_order(problems))


# At one position, what a record shows comes before what a checkpoint shows.
_PRECEDENCE = ("reordered", "modified", "inserted", "deleted", "altered", "missing")


def _in_order(problems: list[Problem]) -> tuple[Problem, ...]:
    """Sorted by position; a record found out of place is reported as reordered, not deleted."""
    moved = {p.position for p in problems if p.kind == "reordered"}
    kept = [p for p in problems if not (p.kind == "deleted" and p.position in moved)]
    rank = {kind: n for n, kind in enumerate(_PRECEDENCE)}
    return tuple(sorted(kept, key=lambda p: (p.position, rank.get(p.kind, len(rank)))))


class _References:
    """Walks the sealed chain beside the records, judging each record on its own."""

    def __init__(self, sealed: Iterator[tuple[int, str]]) -> None:
        self._sealed = sealed
        self._next = next(sealed, None)
        self._previous = GENESIS

    def judge(self, record: StoredRecord, head: bytes, after: bytes) -> list[Problem]:
        """Problems of `record`; `after` is link(`head`, record), reused when heads agree."""
        problems = []
        while self._next is not None and self._next[0] < record.id:
            problems.append(self._deleted(self._next[0]))
            self._advance()
        if self._next is None or self._next[0] > record.id:
            if self._next is not None:  # a record where the sealed chain has none
                message = f"record {record.id} was not in the log when it was sealed"
                problems.append(Problem("inserted", record.id, str(record.originator_id), message))
            return problems
        linked = after if self._previous == head else link(self._previous, record)
        if linked.hex() != self._next[1]:
            message = f"record {record.id} differs from the record that was sealed"
            problems.append(Problem("modified", record.id, str(record.originator_id), message))
        self._advance()
        return problems

    def deleted_after(self, last_id: int) -> list[Problem]:
        problems = []
        while self._next is not None:
            if self._next[0] > last_id:
                problems.append(self._deleted(self._next[0]))
            self._advance()
        return problems

    def _deleted(self, position: int) -> Problem:
        return Problem("deleted", position, "", f"sealed record {position} is missing")

    def _advance(self) -> None:
        assert self._next is not None  # noqa: S101 - only called with a sealed entry at hand
        self._previous = bytes.fromhex(self._next[1])
        self._next = next(self._sealed, None)


def _missing(checkpoint: Checkpoint, after: int) -> Problem:
    message = (
        f"the checkpoint at {checkpoint.position} seals a record that is missing "
        f"(a record after {after} was deleted, or the log truncated)"
    )
    return Problem("missing", checkpoint.position, "", message)
