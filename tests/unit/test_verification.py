"""Verifying the transparency log in memory: what is intact, unverified or tampered, and why."""

from __future__ import annotations

import dataclasses
from uuid import UUID, uuid4

import attrs
import pytest

from mediation_adapters.security.note_keys import NoteSignerKey
from mediation_domain.audit.checkpoints import COSIGNATURE, SignedNote, TreeHead
from mediation_domain.audit.merkle import Frontier, leaf_data, leaf_hash
from mediation_domain.audit.proofs import consistency_proof, inclusion_proof
from mediation_domain.audit.verification import (
    INTACT,
    TAMPERED,
    UNVERIFIED,
    Trust,
    check_grown,
    verify_case,
    verify_log,
)

ORIGIN = "unit.example/log"
KEY = NoteSignerKey.generate(ORIGIN)
WITNESS = NoteSignerKey.generate("witness.example", COSIGNATURE)
TRUST = Trust([KEY.verifier])
CASES = [uuid4(), uuid4()]


@dataclasses.dataclass(frozen=True)
class Record:
    id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


def log(count: int = 12) -> list[Record]:
    """Records of two cases interleaved, with a gap in the ids after the fifth."""
    versions = dict.fromkeys(CASES, 0)
    made = []
    for n in range(count):
        case = CASES[n % 2]
        versions[case] += 1
        ident = n + 1 if n < 5 else n + 3
        made.append(Record(ident, case, versions[case], "m:Event", f"state {n}".encode()))
    return made


class Tree:
    """The tree over records, with every node kept, as a store keeps them."""

    def __init__(self, records: list[Record]) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.frontier = Frontier()
        self.leaves = []
        for record in records:
            leaf = leaf_hash(leaf_data(record))
            self.leaves.append(leaf)
            for level, index, digest in self.frontier.append(leaf):
                self.nodes[level, index] = digest

    def node(self, level: int, index: int) -> bytes:
        return self.nodes[level, index]

    def head(self) -> TreeHead:
        return TreeHead(ORIGIN, self.frontier.size, self.frontier.root())

    def note(self, *signers: NoteSignerKey) -> SignedNote:
        note = SignedNote(self.head().text(), ())
        for signer in signers:
            note = note.sign(signer)
        return note

    def sealed(self) -> list[tuple[int, bytes]]:
        return list(enumerate(self.leaves))


def test_a_whole_log_under_a_trusted_signature_is_intact():
    records = log()
    tree = Tree(records)
    report = verify_log(tree.note(KEY), records, TRUST, sealed_leaves=iter(tree.sealed()))
    assert (report.status, report.records, report.tree_size, report.unsealed) == (
        INTACT,
        12,
        12,
        0,
    )
    assert report.signed_by == (f"{ORIGIN}+{KEY.key_id.hex()}",)


def test_nothing_sealed_or_signed_by_strangers_is_unverified():
    records = log()
    never = verify_log(None, records, TRUST)
    assert (never.status, never.unsealed) == (UNVERIFIED, 12)
    assert "never sealed" in never.unproven[0]
    stranger = NoteSignerKey.generate(ORIGIN)
    report = verify_log(Tree(records).note(stranger), records, TRUST)
    assert report.status == UNVERIFIED
    assert f"signed by {ORIGIN}+{stranger.key_id.hex()}" in report.unproven[0]


def test_records_after_the_checkpoint_are_unverified():
    records = log()
    report = verify_log(Tree(records[:10]).note(KEY), records, TRUST)
    assert (report.status, report.unsealed) == (UNVERIFIED, 2)
    assert report.unproven == ("2 records after the last checkpoint are not signed",)
    one = verify_log(Tree(records[:11]).note(KEY), records, TRUST)
    assert one.unproven == ("1 record after the last checkpoint is not signed",)


def test_a_required_witness_must_have_cosigned():
    records = log()
    tree = Tree(records)
    required = Trust([KEY.verifier], [WITNESS.verifier])
    lacking = verify_log(tree.note(KEY), records, required)
    assert lacking.status == UNVERIFIED
    assert "lacks the cosignature of witness witness.example" in lacking.unproven[0]
    cosigned = verify_log(tree.note(KEY, WITNESS), records, required)
    assert cosigned.status == INTACT
    assert cosigned.witnessed_by == (f"witness.example+{WITNESS.key_id.hex()}",)


def test_a_modified_record_is_named_and_a_deleted_one_is_one_problem():
    records = log()
    tree = Tree(records)
    changed = [*records[:3], dataclasses.replace(records[3], state=b"forged"), *records[4:]]
    report = verify_log(tree.note(KEY), changed, TRUST, sealed_leaves=iter(tree.sealed()))
    assert report.status == TAMPERED
    assert [(p.kind, p.position) for p in report.problems] == [("modified", 4), ("altered", 14)]
    deleted = records[:6] + records[7:]
    report = verify_log(tree.note(KEY), deleted, TRUST, sealed_leaves=iter(tree.sealed()))
    assert [(p.kind, p.position) for p in report.problems] == [("deleted", 10), ("missing", 14)]


def test_a_reordered_log_is_named():
    records = log()
    swapped = [*records[:2], records[3], records[2], *records[4:]]
    report = verify_log(Tree(records).note(KEY), swapped, TRUST)
    assert report.problems[0].kind == "reordered"


def test_a_kept_checkpoint_holds_the_history_that_grew_from_it():
    records = log()
    old = Tree(records[:7]).head()
    assert verify_log(Tree(records).note(KEY), records, TRUST, since=old).status == INTACT
    rewritten = [dataclasses.replace(records[0], state=b"other"), *records[1:]]
    report = verify_log(Tree(rewritten).note(KEY), rewritten, TRUST, since=old)
    assert [p.kind for p in report.problems] == ["rewritten"]
    shorter = records[:5]
    report = verify_log(Tree(shorter).note(KEY), shorter, TRUST, since=old)
    assert [p.kind for p in report.problems] == ["shrunk", "missing"]


def test_a_consistency_proof_shows_growth_and_refuses_a_rewrite_or_another_log():
    records = log()
    tree = Tree(records)
    old = Tree(records[:5]).head()
    proof = consistency_proof(5, 12, tree.node)
    assert check_grown(old, tree.head(), proof) is None
    forged = TreeHead(ORIGIN, 5, bytes(32))
    problem = check_grown(forged, tree.head(), proof)
    assert problem is not None
    assert problem.kind == "rewritten"
    other = check_grown(TreeHead("other.example", 5, old.root), tree.head(), proof)
    assert other is not None
    assert other.kind == "other-log"


def _proven(tree: Tree, records: list[Record], case: UUID):
    size = tree.frontier.size
    return [
        (leaf, inclusion_proof(leaf, size, tree.node), record)
        for leaf, record in enumerate(records)
        if record.originator_id == case
    ]


def test_one_case_is_proven_record_by_record():
    records = log()
    tree = Tree(records)
    proven = _proven(tree, records, CASES[0])
    report = verify_case(tree.note(KEY), CASES[0], proven, TRUST)
    assert (report.status, report.records, report.tree_size) == (INTACT, 6, 12)


@pytest.mark.parametrize(
    ("damage", "kind"),
    [
        (
            lambda p: [
                *p[:2],
                (p[2][0], p[2][1], dataclasses.replace(p[2][2], state=b"x")),
                *p[3:],
            ],
            "modified",
        ),
        (lambda p: p[:2] + p[3:], "deleted"),
        (lambda p: [p[1], p[0], *p[2:]], "reordered"),
        (lambda p: [*p[:2], (p[2][0], p[2][1][:-1], p[2][2]), *p[3:]], "unproven-record"),
        (
            lambda p: [
                (p[0][0], p[0][1], dataclasses.replace(p[0][2], originator_id=CASES[1])),
                *p[1:],
            ],
            "foreign",
        ),
    ],
)
def test_a_case_altered_anywhere_is_tampered(damage, kind):
    records = log()
    tree = Tree(records)
    report = verify_case(tree.note(KEY), CASES[0], damage(_proven(tree, records, CASES[0])), TRUST)
    assert report.status == TAMPERED
    assert kind in [p.kind for p in report.problems]


def test_a_case_export_without_records_or_checkpoint_proves_nothing():
    records = log()
    tree = Tree(records)
    assert verify_case(tree.note(KEY), CASES[0], [], TRUST).status == UNVERIFIED
    report = verify_case(None, CASES[0], _proven(tree, records, CASES[0]), TRUST)
    assert (report.status, report.tree_size) == (UNVERIFIED, 0)


def test_a_signature_that_fails_is_a_forged_checkpoint():
    records = log()
    note = Tree(records).note(KEY)
    forged = SignedNote(note.text.replace("\n12\n", "\n11\n"), note.signatures)
    report = verify_log(forged, records, TRUST)
    assert report.status == TAMPERED
    assert report.problems[0].kind == "forged-checkpoint"


def test_a_checkpoint_of_another_origin_or_a_forged_cosignature_is_not_intact():
    records = log()
    tree = Tree(records)
    other = TreeHead("evil.example", tree.frontier.size, tree.frontier.root())
    note = SignedNote(other.text(), ()).sign(KEY)  # the log's key, another log's name
    report = verify_log(note, records, TRUST)
    assert (report.status, report.signed_by) == (UNVERIFIED, ())
    assert "of log 'evil.example', not of 'unit.example/log'" in report.unproven[0]
    cosigned = tree.note(KEY, WITNESS)
    line = cosigned.signatures[1]
    forged = SignedNote(
        cosigned.text,
        (cosigned.signatures[0], attrs.evolve(line, signature=bytes(len(line.signature)))),
    )
    required = Trust([KEY.verifier], [WITNESS.verifier])
    report = verify_log(forged, records, required)
    assert [p.kind for p in report.problems] == ["forged-cosignature"]
    assert report.signed_by == (f"{ORIGIN}+{KEY.key_id.hex()}",)


def test_a_checkpoint_counts_only_by_a_key_of_its_own_origin():
    records = log()
    tree = Tree(records)
    other = NoteSignerKey.generate("other.example/log")
    note = SignedNote(tree.head().text(), ()).sign(other)  # unit.example/log's head, by other
    report = verify_log(note, records, Trust([KEY.verifier, other.verifier]))
    assert (report.status, report.signed_by) == (UNVERIFIED, ())
    assert "of log 'unit.example/log', not of 'other.example/log'" in report.unproven[0]
