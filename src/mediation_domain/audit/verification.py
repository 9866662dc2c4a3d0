"""Verifying the transparency log (audit format 2): a whole log, or one case with its proofs.

A log is intact when a checkpoint signed by a trusted key covers every record and its
root is the one the records give. Anything short of that is reported: tampering (a root
the records no longer give, a proof that fails, a forged signature) as problems, and
what cannot be proven (records after the last checkpoint, a log never sealed, a
checkpoint signed only by keys not trusted, a witness's cosignature missing) as reasons
it is unverified. Only "intact" passes. Verification streams: memory stays flat.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from uuid import UUID

import attrs

from mediation_domain.audit.chain import Problem
from mediation_domain.audit.checkpoints import NoteError, NoteVerifier, SignedNote, TreeHead
from mediation_domain.audit.merkle import Frontier, leaf_data, leaf_hash
from mediation_domain.audit.proofs import ProofError, check_consistency, root_from_inclusion
from mediation_domain.audit.records import StoredRecord

INTACT, UNVERIFIED, TAMPERED = "intact", "unverified", "tampered"


@attrs.frozen
class Trust:
    """The keys an auditor trusts: the log's (any of them signs), the witnesses' (all must)."""

    logs: Sequence[NoteVerifier]
    witnesses: Sequence[NoteVerifier] = ()


@attrs.frozen
class LogVerification:
    """What verifying a log, or one case of it, found."""

    records: int
    tree_size: int
    unsealed: int
    signed_by: tuple[str, ...]
    witnessed_by: tuple[str, ...]
    problems: tuple[Problem, ...]
    unproven: tuple[str, ...]

    @property
    def status(self) -> str:
        """`tampered` (a problem), `unverified` (nothing altered, not all proven) or `intact`."""
        if self.problems:
            return TAMPERED
        return UNVERIFIED if self.unproven else INTACT

    @property
    def ok(self) -> bool:
        """True only when every record is proven by a trusted signature."""
        return self.status == INTACT


@attrs.frozen
class _Signed:
    head: TreeHead | None
    signed_by: tuple[str, ...] = ()
    witnessed_by: tuple[str, ...] = ()
    problems: tuple[Problem, ...] = ()
    unproven: tuple[str, ...] = ()


def check_checkpoint(note: SignedNote | None, trust: Trust) -> _Signed:
    """The tree head `note` states, and what its signatures prove under `trust`.

    A log's key signs for the log it is named after: a checkpoint whose origin is not the
    name of a trusted key is no checkpoint of the log the auditor trusts (c2sp.org's
    tlog-checkpoint: the verifier checks the origin).
    """
    if note is None:
        return _Signed(None, unproven=("never sealed: no checkpoint signs any record",))
    try:
        head = TreeHead.parse(note.text)
        logs, unknown = note.verified_by(trust.logs)
    except NoteError as error:
        return _Signed(None, problems=(Problem("forged-checkpoint", 0, "", str(error)),))
    try:
        witnessed, _ = note.verified_by(trust.witnesses)
    except NoteError as error:  # the log's signature holds: the head stands, not the witness
        problem = Problem("forged-cosignature", 0, "", str(error))
        return _Signed(head, tuple(logs), (), (problem,), ())
    unproven: list[str] = []
    mine = [label for label in logs if label.rsplit("+", 1)[0] == head.origin]
    if logs and not mine:  # signed by a trusted key of another log
        names = sorted({label.rsplit("+", 1)[0] for label in logs})
        message = f"the checkpoint is of log {head.origin!r}, not of {', '.join(map(repr, names))}"
        return _Signed(head, (), (), (), (message,))
    logs = mine
    if not logs:
        others = [
            u for u in unknown if not any(u.startswith(f"{w.name}+") for w in trust.witnesses)
        ]
        named = ", ".join(others) or "no key"
        unproven.append(f"the checkpoint is signed by {named}: none of the trusted keys")
    unproven.extend(
        f"the checkpoint lacks the cosignature of witness {w.name}+{w.key_id.hex()}"
        for w in trust.witnesses
        if f"{w.name}+{w.key_id.hex()}" not in witnessed
    )
    return _Signed(head, tuple(logs), tuple(witnessed), (), tuple(unproven))


def verify_log(
    note: SignedNote | None,
    records: Iterable[StoredRecord],
    trust: Trust,
    *,
    since: TreeHead | None = None,
    sealed_leaves: Iterator[tuple[int, bytes]] | None = None,
) -> LogVerification:
    """Rebuild the tree over `records` (the whole log, in order) and hold it to `note`.

    `since` is a checkpoint an auditor kept: the log's first `since.size` records must
    still give its root (the log only grew). `sealed_leaves`, the leaf hashes as a store
    sealed them, name the records that differ when a root does not match.
    """
    signed = check_checkpoint(note, trust)
    problems, unproven = list(signed.problems), list(signed.unproven)
    size = signed.head.size if signed.head else 0
    if since is not None and signed.head is not None and since.origin != signed.head.origin:
        message = f"the kept checkpoint is of log {since.origin!r}, not {signed.head.origin!r}"
        problems.append(Problem("other-log", 0, "", message))
    if since is not None and signed.head is not None and since.size > size:
        message = f"the kept checkpoint covers {since.size} records, the log's latest {size}"
        problems.append(Problem("shrunk", 0, "", message))
    tree, last_id, located = Frontier(), 0, _Locator(sealed_leaves)
    for record in records:
        if record.id <= last_id:
            message = f"record {record.id} comes after record {last_id}: the log was reordered"
            problems.append(Problem("reordered", record.id, str(record.originator_id), message))
        last_id = max(last_id, record.id)
        leaf = leaf_hash(leaf_data(record))
        problems.extend(located.judge(tree.size, record, leaf))
        tree.append(leaf)
        if since is not None and tree.size == since.size and tree.root() != since.root:
            message = (
                f"the first {since.size} records no longer give the root of the kept "
                "checkpoint: history was rewritten"
            )
            problems.append(Problem("rewritten", record.id, "", message))
        if signed.head is not None and tree.size == size and tree.root() != signed.head.root:
            message = (
                f"the {size} records up to {record.id} do not give the signed root: one was "
                "modified, deleted, inserted or reordered"
            )
            problems.append(Problem("altered", record.id, "", message))
    if tree.size < size:
        message = f"the checkpoint signs {size} records, the log holds {tree.size}"
        problems.append(Problem("missing", last_id, "", message))
    if since is not None and tree.size < since.size:
        message = f"the kept checkpoint signs {since.size} records, the log holds {tree.size}"
        problems.append(Problem("missing", last_id, "", message))
    unsealed = max(0, tree.size - size) if signed.head else tree.size
    if unsealed and signed.head is not None:
        many = (
            "records after the last checkpoint are"
            if unsealed > 1
            else "record after the last checkpoint is"
        )
        unproven.append(f"{unsealed} {many} not signed")
    return LogVerification(
        tree.size,
        size,
        unsealed,
        signed.signed_by,
        signed.witnessed_by,
        tuple(problems),
        tuple(unproven),
    )


ProvenRecord = tuple[int, Sequence[bytes], StoredRecord]  # (leaf index, inclusion proof, record)


def verify_case(
    note: SignedNote | None, case: UUID, records: Iterable[ProvenRecord], trust: Trust
) -> LogVerification:
    """Hold each record of one case to the checkpoint `note` by its inclusion proof.

    The records must all be the case's, with leaves and ids rising and versions running
    1, 2, 3...: nothing of the case before its last record can be left out or reordered.
    """
    signed = check_checkpoint(note, trust)
    problems, unproven = list(signed.problems), list(signed.unproven)
    count = last_id = last_leaf = last_version = 0
    for leaf, proof, record in records:
        count += 1
        where = str(record.originator_id)
        problems.extend(_out_of_place(record, case, (last_id, last_leaf, last_version), leaf))
        last_id, last_leaf, last_version = record.id, leaf + 1, record.originator_version
        if signed.head is None:
            continue
        try:
            root = root_from_inclusion(leaf, signed.head.size, leaf_hash(leaf_data(record)), proof)
        except ProofError as error:
            problems.append(
                Problem("unproven-record", record.id, where, f"record {record.id}: {error}")
            )
            continue
        if root != signed.head.root:
            message = f"record {record.id} differs from the record the checkpoint signs"
            problems.append(Problem("modified", record.id, where, message))
    if not count:
        unproven.append("the export holds no record of the case")
    size = signed.head.size if signed.head else 0
    return LogVerification(
        count, size, 0, signed.signed_by, signed.witnessed_by, tuple(problems), tuple(unproven)
    )


def _out_of_place(
    record: StoredRecord, case: UUID, last: tuple[int, int, int], leaf: int
) -> list[Problem]:
    last_id, next_leaf, last_version = last
    where = str(record.originator_id)
    found = []
    if str(record.originator_id) != str(case):
        message = f"record {record.id} belongs to {where}, not to the case {case}"
        found.append(Problem("foreign", record.id, where, message))
    if record.id <= last_id or leaf < next_leaf:
        message = f"record {record.id} comes after record {last_id}: the case was reordered"
        found.append(Problem("reordered", record.id, where, message))
    if record.originator_version != last_version + 1:
        message = f"the case's version {last_version + 1} is missing before record {record.id}"
        found.append(Problem("deleted", record.id, where, message))
    return found


def check_grown(old: TreeHead, new: TreeHead, proof: Sequence[bytes]) -> Problem | None:
    """None when `proof` shows the tree `new` extends the kept checkpoint `old`."""
    if old.origin != new.origin:
        message = f"the kept checkpoint is of log {old.origin!r}, not {new.origin!r}"
        return Problem("other-log", 0, "", message)
    try:
        check_consistency(old.size, old.root, new.size, new.root, proof)
    except ProofError as error:
        return Problem("rewritten", 0, "", str(error))
    return None


class _Locator:
    """Compares each record's leaf with the leaf a store sealed for it, when it has them.

    A record whose leaf is the next sealed one tells of a sealed record deleted before
    it: the comparison then shifts by one, so one deletion is one problem.
    """

    def __init__(self, sealed: Iterator[tuple[int, bytes]] | None) -> None:
        self._sealed = sealed
        self._window: deque[tuple[int, bytes]] = deque()
        self._shift = 0

    def _at(self, index: int) -> bytes | None:
        while self._window and self._window[0][0] < index:
            self._window.popleft()
        while self._sealed is not None and (not self._window or self._window[-1][0] <= index):
            found = next(self._sealed, None)
            if found is None:
                self._sealed = None
                break
            self._window.append(found)
        return next((digest for at, digest in self._window if at == index), None)

    def judge(self, index: int, record: StoredRecord, leaf: bytes) -> list[Problem]:
        """A problem when the store sealed another leaf for this record."""
        if self._sealed is None and not self._window:
            return []
        at = index + self._shift
        sealed = self._at(at)
        if sealed is None or sealed == leaf:
            return []
        case = str(record.originator_id)
        if self._at(at + 1) == leaf:
            self._shift += 1
            message = f"the sealed record before record {record.id} is missing"
            return [Problem("deleted", record.id, case, message)]
        message = f"record {record.id} differs from the record that was sealed"
        return [Problem("modified", record.id, case, message)]
