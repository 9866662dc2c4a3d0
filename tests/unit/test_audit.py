"""The hash chain and signed checkpoints detect every kind of tampering, and name where."""

from __future__ import annotations

import dataclasses
import tracemalloc
from collections import deque
from functools import cache

import attrs
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given
from hypothesis import strategies as st

from mediation_adapters.security.signing import Ed25519Check, Ed25519Signer
from mediation_domain import Mediations
from mediation_domain.audit import GENESIS, Checkpoint, chain, link, verify, verify_excerpt
from mediation_domain.testing import record_every_event

SIGNER = Ed25519Signer(Ed25519PrivateKey.generate())
CHECK = Ed25519Check(SIGNER._private.public_key())  # noqa: SLF001 - the same key pair
EVERY = 5  # a checkpoint every five records


@cache
def history():
    """Real stored records, with gaps in their ids as PostgreSQL sequences leave them."""
    app = Mediations()
    for _ in range(3):
        record_every_event(app)
    return tuple(
        dataclasses.replace(n, id=n.id * 2) for n in app.recorder.select_notifications(None, 1000)
    )


def seal(records, every=EVERY):
    checkpoints, sealed, previous = [], [], None
    for index, (record, head) in enumerate(chain(records), start=1):
        sealed.append((record.id, head.hex()))
        if index % every == 0:
            previous = Checkpoint.signed(
                position=record.id,
                head=head,
                created_at="2026-05-01T12:00:00+00:00",
                previous=previous,
                signer=SIGNER,
            )
            checkpoints.append(previous)
    return checkpoints, sealed


def test_an_untouched_history_verifies():
    records = history()
    checkpoints, sealed = seal(records)
    report = verify(records, checkpoints, CHECK, sealed)
    assert report.ok
    assert report.records == len(records)
    assert report.sealed_up_to == checkpoints[-1].position
    assert report.unsealed == len(records) % EVERY


def test_records_after_the_last_checkpoint_are_counted_as_unsealed():
    records = history()
    checkpoints, sealed = seal(records[:10])
    report = verify(records, checkpoints, CHECK, sealed)
    assert report.ok
    assert report.unsealed == len(records) - 10


def _first(report):
    assert not report.ok
    return report.problems[0]


SEALED_PART = len(history()) // EVERY * EVERY  # records before the last checkpoint
positions = st.integers(0, SEALED_PART - 2)


@given(index=positions, byte=st.integers(0, 10_000), flip=st.integers(1, 255))
def test_a_changed_byte_is_named(index, byte, flip):
    records = list(history())
    checkpoints, sealed = seal(records)
    state = bytearray(records[index].state)
    state[byte % len(state)] ^= flip
    records[index] = dataclasses.replace(records[index], state=bytes(state))
    for references in (sealed, ()):
        problem = _first(verify(records, checkpoints, CHECK, references))
        if references:
            assert (problem.kind, problem.position) == ("modified", records[index].id)
            assert problem.case_id == str(records[index].originator_id)
        else:  # without the sealed chain: located at the checkpoint that covers it
            assert problem.kind == "altered"
            assert records[index].id <= problem.position < records[index].id + 2 * EVERY


@given(index=positions)
def test_a_deleted_record_is_named(index):
    records = list(history())
    checkpoints, sealed = seal(records)
    gone = records.pop(index)
    problem = _first(verify(records, checkpoints, CHECK, sealed))
    assert (problem.kind, problem.position) == ("deleted", gone.id)


@given(index=positions)
def test_a_swapped_pair_is_named(index):
    records = list(history())
    checkpoints, sealed = seal(records)
    records[index], records[index + 1] = records[index + 1], records[index]
    problem = _first(verify(records, checkpoints, CHECK, sealed))
    assert problem.position in {records[index + 1].id, records[index].id}
    assert problem.position == min(records[index].id, records[index + 1].id)
    assert problem.kind == "reordered"


@given(index=positions)
def test_an_inserted_forged_record_is_named(index):
    records = list(history())
    checkpoints, sealed = seal(records)
    forged = dataclasses.replace(records[index], id=records[index].id + 1, state=b'{"forged":1}')
    records.insert(index + 1, forged)
    problem = _first(verify(records, checkpoints, CHECK, sealed))
    assert (problem.kind, problem.position) == ("inserted", forged.id)


@given(cut=st.integers(1, SEALED_PART - 1))
def test_a_tail_truncated_before_the_last_checkpoint_is_named(cut):
    records = list(history())
    checkpoints, sealed = seal(records)
    kept = records[: SEALED_PART - cut]
    first_gone = records[SEALED_PART - cut]
    for references in (sealed, ()):
        problem = _first(verify(kept, checkpoints, CHECK, references))
        if references:
            assert (problem.kind, problem.position) == ("deleted", first_gone.id)
        else:
            assert problem.kind == "missing"


@given(which=st.integers(0, 100), byte=st.integers(0, 63))
def test_a_forged_checkpoint_signature_is_detected(which, byte):
    records = history()
    checkpoints, sealed = seal(records)
    target = which % len(checkpoints)
    signature = bytearray.fromhex(checkpoints[target].signature)
    signature[byte] ^= 0x01
    checkpoints[target] = attrs.evolve(checkpoints[target], signature=signature.hex())
    kinds = {p.kind for p in verify(records, checkpoints, CHECK, sealed).problems}
    assert "forged-checkpoint" in kinds


def test_a_rewritten_chain_is_caught_by_the_signed_head():
    records = list(history())
    checkpoints, _ = seal(records)
    records[3] = dataclasses.replace(records[3], state=records[3].state + b" ")
    _, rewritten = seal(records)  # the attacker recomputes every hash, but cannot sign
    problem = _first(verify(records, checkpoints, CHECK, rewritten))
    assert problem.kind == "altered"
    assert problem.position == checkpoints[0].position


def test_checkpoints_signed_by_another_key_are_refused():
    records = history()
    checkpoints, sealed = seal(records)
    stranger = Ed25519Check(Ed25519PrivateKey.generate().public_key())
    problems = verify(records, checkpoints, stranger, sealed).problems
    assert {p.kind for p in problems} == {"forged-checkpoint"}
    assert len(problems) == len(checkpoints)


def test_the_chain_hashes_what_is_stored_field_by_field():
    record = history()[0]
    base = dict(chain([record]))[record]
    for change in (
        {"id": record.id + 1},
        {"originator_version": 2},
        {"topic": record.topic + "x"},
        {"state": record.state + b" "},
    ):
        assert dict(chain([dataclasses.replace(record, **change)])).popitem()[1] != base


@pytest.mark.parametrize("count", [0, 1])
def test_an_empty_or_tiny_history_verifies(count):
    records = history()[:count]
    checkpoints, sealed = seal(records, every=1)
    assert verify(records, checkpoints, CHECK, sealed).ok


def _stream(count: int):
    """`count` records made one at a time, never held together."""
    template = history()[0]
    for n in range(1, count + 1):
        yield dataclasses.replace(template, id=n, state=template.state + str(n).encode())


def _peak_while_verifying(count: int) -> int:
    ((_, head),) = deque(chain(_stream(count)), maxlen=1)
    checkpoint = Checkpoint.signed(
        position=count,
        head=head,
        created_at="2026-05-01T12:00:00+00:00",
        previous=None,
        signer=SIGNER,
    )
    sealed = ((record.id, digest.hex()) for record, digest in chain(_stream(count)))
    tracemalloc.start()
    report = verify(_stream(count), [checkpoint], CHECK, sealed)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert report.ok
    assert report.records == count
    return peak


def test_verify_streams_its_memory_stays_flat_in_the_history_size():
    small, large = _peak_while_verifying(2_000), _peak_while_verifying(20_000)
    assert large < small * 1.5 + 64_000  # ten times the records, not ten times the memory


def _excerpt(records, sealed):
    """One case's records with the sealed hash before and after each (as a --case export)."""
    case = records[0].originator_id
    hashes = dict(sealed)
    ids = [record.id for record in records]
    before = {ids[n]: (hashes[ids[n - 1]] if n else GENESIS.hex()) for n in range(len(ids))}
    return [(r, before[r.id], hashes[r.id]) for r in records if r.originator_id == case]


def test_one_cases_excerpt_verifies_record_by_record():
    records = list(history())
    checkpoints, sealed = seal(records)
    excerpt = _excerpt(records, sealed)
    report = verify_excerpt(excerpt, checkpoints, CHECK)
    assert (report.ok, report.records) == (True, len(excerpt))


def test_an_excerpt_with_a_modified_a_missing_or_a_mis_sealed_record_is_caught():
    records = list(history())
    checkpoints, sealed = seal(records)
    excerpt = _excerpt(records, sealed)
    record, previous, after = excerpt[1]
    modified = [
        *excerpt[:1],
        (dataclasses.replace(record, state=b"{}"), previous, after),
        *excerpt[2:],
    ]
    assert _first(verify_excerpt(modified, checkpoints, CHECK)).kind == "modified"
    assert _first(verify_excerpt(excerpt[:1] + excerpt[2:], checkpoints, CHECK)).kind == "deleted"
    at_checkpoint = next(
        n for n, (r, _, __) in enumerate(excerpt) if r.id == checkpoints[0].position
    )
    record, previous, _ = excerpt[at_checkpoint]
    rewritten = link(bytes.fromhex(previous), record).hex()
    lying = {c.position: attrs.evolve(c, head="00" * 32) for c in checkpoints[:1]}
    problems = verify_excerpt(excerpt, [lying[checkpoints[0].position]], CHECK).problems
    assert {p.kind for p in problems} >= {"forged-checkpoint", "altered"}
    assert rewritten == excerpt[at_checkpoint][2]
    unsealed = [(r, "", "") for r, _, __ in excerpt]
    assert verify_excerpt(unsealed, [], CHECK).unsealed == len(excerpt)
