"""The transparency log's parts against published vectors and the RFC's own definitions."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from types import SimpleNamespace
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mediation_adapters.security.note_keys import NoteKeyError, NoteSignerKey, NoteVerifierKey
from mediation_domain.audit.checkpoints import (
    COSIGNATURE,
    NoteError,
    SignedNote,
    TreeHead,
    check_key_name,
    key_id,
)
from mediation_domain.audit.merkle import (
    EMPTY_ROOT,
    Frontier,
    leaf_data,
    leaf_hash,
    node_hash,
    root_of,
    split,
    subtree_hash,
)
from mediation_domain.audit.proofs import (
    ProofError,
    check_consistency,
    consistency_proof,
    inclusion_proof,
    root_from_inclusion,
)

VECTORS = json.loads(
    (Path(__file__).parents[2] / "docs" / "audit-test-vectors.json").read_text(encoding="utf-8")
)
MERKLE = VECTORS["merkle"]
LEAVES = [leaf_hash(bytes.fromhex(data)) for data in MERKLE["leaf_inputs"]]


def _mth(leaves: list[bytes]) -> bytes:
    """MTH as RFC 6962 defines it, recursively: the reference the fast code must agree with."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = split(len(leaves))
    return node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def _nodes(leaves: list[bytes]):
    """A node source over `leaves`, as a store keeps the complete subtrees."""
    tree = Frontier()
    stored = {}
    for leaf in leaves:
        stored.update({(level, index): digest for level, index, digest in tree.append(leaf)})
    return lambda level, index: stored[level, index]


def test_leaf_hashes_and_roots_are_the_published_ones():
    assert [h.hex() for h in LEAVES] == MERKLE["leaf_hashes"]
    for vector in MERKLE["roots"]:
        size = vector["size"]
        assert root_of(LEAVES[:size]) == (size, bytes.fromhex(vector["root"]))
    assert EMPTY_ROOT.hex() == MERKLE["roots"][0]["root"]


def test_inclusion_proofs_are_the_published_ones_and_lead_to_the_root():
    for vector in MERKLE["inclusion"]:
        index, size = vector["index"], vector["size"]
        path = inclusion_proof(index, size, _nodes(LEAVES[:size]))
        assert [h.hex() for h in path] == vector["path"]
        root = bytes.fromhex(MERKLE["roots"][size]["root"])
        assert root_from_inclusion(index, size, LEAVES[index], path) == root


def test_consistency_proofs_are_the_published_ones_and_hold():
    for vector in MERKLE["consistency"]:
        old, new = vector["old"], vector["new"]
        path = consistency_proof(old, new, _nodes(LEAVES[:new])) if old < new else []
        assert [h.hex() for h in path] == vector["path"]
        roots = [bytes.fromhex(MERKLE["roots"][n]["root"]) for n in (old, new)]
        check_consistency(old, roots[0], new, roots[1], path)


@given(st.integers(1, 70), st.data())
def test_every_proof_of_any_tree_holds_and_no_altered_one_does(size, data):
    leaves = [leaf_hash(n.to_bytes(4, "big")) for n in range(size)]
    nodes = _nodes(leaves)
    root = _mth(leaves)
    assert subtree_hash(0, size, nodes) == root
    index = data.draw(st.integers(0, size - 1), label="index")
    path = inclusion_proof(index, size, nodes)
    assert root_from_inclusion(index, size, leaves[index], path) == root
    old = data.draw(st.integers(1, size), label="old")
    proof = consistency_proof(old, size, nodes) if old < size else []
    check_consistency(old, _mth(leaves[:old]), size, root, proof)
    if path:  # any bit of any hash flipped: the proof no longer leads to the root
        at = data.draw(st.integers(0, len(path) * 32 * 8 - 1), label="bit")
        altered = [bytearray(h) for h in path]
        altered[at // 256][at % 256 // 8] ^= 1 << (at % 8)
        wrong = [bytes(h) for h in altered]
        assert root_from_inclusion(index, size, leaves[index], wrong) != root
    if proof:
        at = data.draw(st.integers(0, len(proof) - 1), label="hash")
        wrong = [*proof[:at], hashlib.sha256(proof[at]).digest(), *proof[at + 1 :]]
        with pytest.raises(ProofError):
            check_consistency(old, _mth(leaves[:old]), size, root, wrong)


@pytest.mark.parametrize(
    ("index", "size", "cut"),
    [(0, 8, 1), (5, 8, -1), (4, 5, 1)],
)
def test_a_proof_too_long_or_too_short_is_refused(index, size, cut):
    path = inclusion_proof(index, size, _nodes(LEAVES[:size]))
    changed = [*path, path[0]] if cut > 0 else path[:-1]
    with pytest.raises(ProofError, match=r"too (many|few) hashes"):
        root_from_inclusion(index, size, LEAVES[index], changed)


def test_a_consistency_proof_between_sizes_it_does_not_join_is_refused():
    nodes = _nodes(LEAVES)
    roots = [bytes.fromhex(v["root"]) for v in MERKLE["roots"]]
    proof = consistency_proof(3, 8, nodes)
    with pytest.raises(ProofError):
        check_consistency(3, roots[3], 7, roots[7], proof)
    with pytest.raises(ProofError, match="from 0 leaves"):
        check_consistency(0, roots[0], 8, roots[8], proof)
    with pytest.raises(ProofError, match="two different trees"):
        check_consistency(8, roots[7], 8, roots[8], [])


def test_the_published_signed_note_opens_with_its_key_and_is_re_signed_identically():
    note = VECTORS["signed_note"]
    opened = SignedNote.parse(note["note"])
    assert opened.text == note["text"]
    (signature,) = opened.signatures
    assert signature.name == "PeterNeumann"
    assert signature.key_id.hex() == "c74f20a3"
    assert opened.render() == note["note"]


def test_a_checkpoints_text_round_trips_and_refuses_what_the_format_does_not_allow():
    head = TreeHead("mediation.example/poitiers", 59, bytes(range(32)))
    assert TreeHead.parse(head.text()) == head
    assert (
        head.text()
        == "mediation.example/poitiers\n59\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"
    )
    for text in [
        "origin\n59\n",  # no root
        "origin\n059\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",  # a leading zero
        "origin\n-1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",
        f"origin\n{2**64}\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",  # beyond uint64
        "origin\n59\nAAEC\n",  # a short hash
        "origin\n59\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",  # no final newline
        "\n59\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",  # no origin
        "origin\n59\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=\n",  # unused bits set
        "ori\x7fgin\n59\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n",  # DEL
    ]:
        with pytest.raises(NoteError):
            TreeHead.parse(text)


@pytest.mark.parametrize(
    "note",
    [
        "text\n",  # no signature
        "text\n\n",  # a blank line, then nothing
        "text\n\n\u2014 PeterNeumann AAAA\n",  # too short for a key id and a signature
        "text\n\n\u2014 Bad Name AAAAAAAAAAAA\n",  # a space in the name
        "text\n\n- PeterNeumann AAAAAAAAAAAA\n",  # a hyphen, not an em dash
        "text\x01\n\n\u2014 PeterNeumann AAAAAAAAAAAA\n",  # a control character
        "text\n\n\u2014 PeterNeumann AAAAAAAAAAAA",  # no final newline
        "text\n\n" + "\u2014 PeterNeumann AAAAAAAAAAAA\n" * 101,  # too many signatures
    ],
)
def test_a_malformed_signed_note_is_refused(note):
    with pytest.raises(NoteError):
        SignedNote.parse(note)


def test_a_key_id_is_four_bytes_of_the_names_and_keys_hash():
    public = bytes.fromhex("1a5cd907143c384c41e830c5bce12aa8817ec5649aaabf2c31388b35b2d744d6")
    assert key_id("PeterNeumann", public).hex() == "c74f20a3"


def test_the_published_keys_sign_and_verify_the_published_note():
    note = VECTORS["signed_note"]
    signer = NoteSignerKey.parse(note["signer_key"])
    verifier = NoteVerifierKey.parse(note["verifier_key"])
    assert signer.verifier.text() == note["verifier_key"]
    assert signer.text() == note["signer_key"]
    signed = SignedNote(note["text"], ()).sign(signer)
    assert signed.render() == note["note"]  # Ed25519 is deterministic
    assert SignedNote.parse(note["note"]).verified_by([verifier]) == (["PeterNeumann+c74f20a3"], [])
    other = NoteSignerKey.generate("PeterNeumann")
    assert SignedNote.parse(note["note"]).verified_by([other.verifier]) == (
        [],
        ["PeterNeumann+c74f20a3"],
    )


def test_a_note_altered_after_signing_fails_its_trusted_signature():
    signer = NoteSignerKey.generate("mediation.example/poitiers")
    signed = SignedNote("mediation.example/poitiers\n59\n" + "A" * 43 + "=\n", ()).sign(signer)
    altered = signed.render().replace("\n59\n", "\n58\n")
    with pytest.raises(NoteError, match="does not verify"):
        SignedNote.parse(altered).verified_by([signer.verifier])


@pytest.mark.parametrize(
    "text",
    [
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # another id
        "PeterNeuman+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # another name
        "PeterNeumann+c74f20a3+AhpcmQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",  # not Ed25519
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10",  # short
        "PeterNeumann",
    ],
)
def test_a_verifier_key_that_does_not_hold_together_is_refused(text):
    with pytest.raises(NoteKeyError):
        NoteVerifierKey.parse(text)


def test_a_witness_cosignature_is_the_one_an_implementation_of_the_spec_computed():
    vector = VECTORS["cosignature"]
    # its clock stopped at the vector's time
    witness = NoteSignerKey.parse(vector["signer_key"], clock=lambda: vector["timestamp"])
    assert witness.verifier.text() == vector["verifier_key"]
    signed = SignedNote(vector["text"], ()).sign(witness)
    assert signed.signatures[0].line() == vector["line"]
    verifier = NoteVerifierKey.parse(vector["verifier_key"])
    assert SignedNote.parse(signed.render()).verified_by([verifier]) == (
        ["witness.example.com/w1+d46a2b1b"],
        [],
    )
    published = SignedNote.parse(vector["text"] + "\n" + vector["published_line"])
    (line,) = published.signatures
    assert line.key_id.hex() == "8d66cf3f"
    assert int.from_bytes(line.signature[:8], "big") == vector["timestamp"]


def test_a_witness_signature_stands_for_the_checkpoint_it_signed_only():
    log = NoteSignerKey.generate("mediation.example/poitiers")
    witness = NoteSignerKey.generate("funder.example/witness", COSIGNATURE)
    head = TreeHead("mediation.example/poitiers", 59, bytes(32))
    note = SignedNote(head.text(), ()).sign(log).sign(witness)
    trusted = [log.verifier, witness.verifier]
    assert note.verified_by(trusted)[0] == [
        f"mediation.example/poitiers+{log.key_id.hex()}",
        f"funder.example/witness+{witness.key_id.hex()}",
    ]
    moved = SignedNote(
        TreeHead("mediation.example/poitiers", 60, bytes(32)).text(), note.signatures
    )
    with pytest.raises(NoteError, match="does not verify"):
        moved.verified_by([witness.verifier])
    assert witness.verifier.key_id != key_id(witness.name, witness.verifier.public_bytes)


def test_a_records_leaf_is_the_one_the_definition_gives_byte_by_byte():
    vector = VECTORS["leaf"]
    given_record = vector["record"]
    record = SimpleNamespace(
        id=given_record["id"],
        originator_id=UUID(given_record["originator_id"]),
        originator_version=given_record["originator_version"],
        topic=given_record["topic"],
        state=bytes.fromhex(given_record["state_hex"]),
    )
    assert leaf_data(record).hex() == vector["leaf_data"]
    assert leaf_hash(leaf_data(record)).hex() == vector["leaf_hash"]
    as_text = SimpleNamespace(**{**vars(record), "originator_id": given_record["originator_id"]})
    assert leaf_data(as_text) == leaf_data(record)  # an export gives the id as text
    for field, value in [("id", -1), ("originator_version", 1 << 64), ("topic", "x" * 65536)]:
        with pytest.raises(ValueError, match="leaf"):
            leaf_data(SimpleNamespace(**{**vars(record), field: value}))


def test_a_tree_resumed_from_its_stored_nodes_grows_as_the_one_that_made_them():
    assert Frontier().root() == EMPTY_ROOT == subtree_hash(0, 0, _nodes([]))
    for size in range(9):
        resumed = Frontier.resumed(size, _nodes(LEAVES))
        assert resumed.root() == bytes.fromhex(MERKLE["roots"][size]["root"])
        for leaf in LEAVES[size:]:
            resumed.append(leaf)
        assert resumed.root() == bytes.fromhex(MERKLE["roots"][8]["root"])
    with pytest.raises(ValueError, match="a tree of 3 leaves has 2 edge nodes, not 1"):
        Frontier(3, [LEAVES[0]])


def test_proofs_of_leaves_and_sizes_a_tree_does_not_have_are_refused():
    nodes, root = _nodes(LEAVES), bytes.fromhex(MERKLE["roots"][8]["root"])
    for index, size in [(8, 8), (-1, 8), (0, 0)]:
        with pytest.raises(ProofError, match=f"leaf {index} is not in a tree of {size} leaves"):
            inclusion_proof(index, size, nodes)
        with pytest.raises(ProofError, match=f"leaf {index} is not in a tree of {size} leaves"):
            root_from_inclusion(index, size, LEAVES[0], [])
    for old, new in [(0, 8), (9, 8)]:
        with pytest.raises(ProofError, match=f"no consistency proof from {old} leaves to {new}"):
            consistency_proof(old, new, nodes)
    roots = [bytes.fromhex(v["root"]) for v in MERKLE["roots"]]
    proof = consistency_proof(6, 8, nodes)
    with pytest.raises(ProofError, match="an empty consistency proof"):
        check_consistency(6, roots[6], 8, root, [])
    with pytest.raises(ProofError, match="too many hashes"):
        check_consistency(6, roots[6], 8, root, [*proof, proof[0]])
    with pytest.raises(ProofError, match="too few hashes"):
        check_consistency(6, roots[6], 8, root, proof[:-1])
    with pytest.raises(ProofError, match="a hash of 31 bytes, not 32"):
        check_consistency(6, roots[6], 8, root[:31], proof)
    with pytest.raises(ProofError, match="a hash of 0 bytes"):
        root_from_inclusion(0, 1, b"", [])


def test_a_key_name_with_a_plus_a_space_or_nothing_is_refused():
    for name in ["", "a+b", "a b", "tab\there"]:
        with pytest.raises(NoteError, match="invalid key name"):
            check_key_name(name)
    with pytest.raises(NoteError, match="invalid key name"):
        SignedNote.parse("text\n\n\u2014 a+b AAAAAAAAAAAA\n")


def test_a_key_that_signed_twice_is_counted_once_and_a_root_not_in_base64_is_refused():
    signer = NoteSignerKey.generate("mediation.example/poitiers")
    note = SignedNote("text\n", ()).sign(signer)
    twice = SignedNote(note.text, note.signatures * 2)
    assert twice.verified_by([signer.verifier]) == ([f"{signer.name}+{signer.key_id.hex()}"], [])
    with pytest.raises(NoteError, match="root hash is base64"):
        TreeHead.parse("origin\n1\n!!!!\n")


def test_every_proof_of_every_tree_up_to_16_leaves_holds():
    leaves = [leaf_hash(n.to_bytes(2, "big")) for n in range(16)]
    nodes = _nodes(leaves)
    for new in range(1, 17):
        root = _mth(leaves[:new])
        for index in range(new):
            path = inclusion_proof(index, new, nodes)
            assert root_from_inclusion(index, new, leaves[index], path) == root
        for old in range(1, new):
            proof = consistency_proof(old, new, nodes)
            check_consistency(old, _mth(leaves[:old]), new, root, proof)


def test_what_the_formats_forbid_is_never_signed_nor_read():
    # The outside check's: malformed texts were signed (and then refused by the parser),
    # a tree head with a negative size or a newline in its origin was rendered, a lone
    # surrogate reached the signature check, a TAB passed in a checkpoint's origin.
    signer = NoteSignerKey.generate("mediation.example/poitiers")
    for text in ["", "\n", "no final newline", "a NUL \x00\n"]:
        with pytest.raises(NoteError):
            SignedNote(text, ()).sign(signer)
    for head in [
        TreeHead("origin", -1, bytes(32)),
        TreeHead("origin", 1 << 64, bytes(32)),
        TreeHead("two\nlines", 1, bytes(32)),
        TreeHead("", 1, bytes(32)),
        TreeHead("origin", 1, bytes(31)),
        TreeHead("origin", 1, bytes(32), ("",)),
    ]:
        with pytest.raises(NoteError):
            head.text()
    with pytest.raises(NoteError, match="UTF-8"):
        SignedNote.parse("text\ud800\n\n\u2014 PeterNeumann AAAAAAAAAAAA\n")
    with pytest.raises(NoteError, match="control character"):
        TreeHead.parse("tab\there\n1\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n")


def test_a_witness_timestamp_beyond_2_63_is_neither_signed_nor_accepted():
    late = (1 << 63) - 1
    for wrong in (-1, late + 1):
        witness = NoteSignerKey.generate("funder.example/w", COSIGNATURE)
        stopped = NoteSignerKey.parse(witness.text(), clock=lambda wrong=wrong: wrong)
        with pytest.raises(NoteKeyError, match="clock is wrong"):
            stopped.sign(b"text\n")
    witness = NoteSignerKey.generate("funder.example/w", COSIGNATURE)
    signature = witness.sign(b"text\n")
    assert witness.verifier.is_valid(signature, b"text\n")
    beyond = (late + 1).to_bytes(8, "big") + signature[8:]
    assert not witness.verifier.is_valid(beyond, b"text\n")
