"""The transparency log kept in each store's ledger: roots, checkpoints and proofs that hold."""

from __future__ import annotations

import itertools

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mediation_adapters.security.note_keys import NoteSignerKey
from mediation_adapters.security.signing import Ed25519Signer
from mediation_adapters.storage import StoreError, tlog
from mediation_adapters.storage.ledger import Ledger, records
from mediation_adapters.stores import open_store
from mediation_domain import ConcurrencyError, Mediations
from mediation_domain.audit.merkle import leaf_data, leaf_hash, root_of
from mediation_domain.audit.proofs import check_consistency, root_from_inclusion
from mediation_domain.testing import record_every_event

ORIGIN = "mediation.example/poitiers"


def _request(app: Mediations) -> None:
    app.request_mediation(
        domain="public-transport", neighbourhood="Beaulieu", referral="city", parties=["A"]
    )


def test_sealing_signs_the_root_of_every_record_and_proofs_hold_against_it(store_url: str):
    app = open_store(store_url)
    key = NoteSignerKey.generate(ORIGIN)
    port = app.store.ledger()
    log = tlog.TransparencyLog(port, ORIGIN)
    try:
        record_every_event(app)
        first = log.seal(records(app), key)
        assert first is not None
        assert log.seal(records(app, first.last_id), key) is None  # nothing new
        for _ in range(5):
            _request(app)
        second = log.seal(records(app, first.last_id), key)
        assert second is not None
        leaves = [leaf_hash(leaf_data(record)) for record in records(app)]
        assert root_of(leaves) == (second.head.size, second.head.root)
        assert second.last_id == app.recorder.max_notification_id()
        assert second.note.verified_by([key.verifier])[0] == [f"{ORIGIN}+{key.key_id.hex()}"]
        assert [c.head for c in log.checkpoints()] == [first.head, second.head]
        old, new = first.head, second.head
        proof = log.consistency(old.size, new.size)
        check_consistency(old.size, old.root, new.size, new.root, proof)
        for index, leaf in enumerate(leaves):
            path = log.inclusion(index, new.size)
            assert root_from_inclusion(index, new.size, leaf, path) == new.root
    finally:
        port.close()
        app.close()


def test_a_long_history_is_sealed_a_chunk_at_a_time_each_chunk_signed(store_url: str, monkeypatch):
    monkeypatch.setattr(tlog, "CHUNK", 4)
    app = open_store(store_url)
    key = NoteSignerKey.generate(ORIGIN)
    port = app.store.ledger()
    log = tlog.TransparencyLog(port, ORIGIN)
    try:
        for _ in range(10):
            _request(app)
        last = log.seal(records(app), key)
        assert last is not None
        sizes = [c.head.size for c in log.checkpoints()]
        assert sizes == [4, 8, 10]
        heads = [c.head for c in log.checkpoints()]
        for old, new in itertools.pairwise(heads):
            proof = log.consistency(old.size, new.size)
            check_consistency(old.size, old.root, new.size, new.root, proof)
        leaves = [leaf_hash(leaf_data(record)) for record in records(app)]
        assert root_of(leaves) == (last.head.size, last.head.root)
    finally:
        port.close()
        app.close()


def test_a_store_sealed_in_format_1_is_not_sealed_in_format_2_over_it(tmp_path):
    app = open_store(f"sqlite:///{tmp_path / 'cases.sqlite3'}")
    ledger = Ledger.of(app)
    port = app.store.ledger()
    try:
        _request(app)
        ledger.seal(app, Ed25519Signer(Ed25519PrivateKey.generate()))
        log = tlog.TransparencyLog(port, ORIGIN)
        with pytest.raises(StoreError, match="sealed in audit format 1"):
            log.seal(records(app), NoteSignerKey.generate(ORIGIN))
        with pytest.raises(StoreError, match=r"lacks the tree's node \(0, 0\)"):
            log.node(0, 0)
    finally:
        port.close()
        ledger.close()
        app.close()


def test_each_record_is_numbered_as_the_leaf_it_is_despite_gaps_in_the_ids(store_url: str):
    app = open_store(store_url)
    index = tlog.LeafIndex(app)
    try:
        case = app.request_mediation(
            domain="public-transport", neighbourhood="Beaulieu", referral="city", parties=["A"]
        )
        stale = app.repository.get(case)
        app.give_consent(case, party=stale.party_ids[0].value)
        stale.give_consent(stale.party_ids[0])
        with pytest.raises(ConcurrencyError):
            app.save(stale)  # on PostgreSQL, a rolled-back insert leaves a gap in the ids
        for _ in range(3):
            _request(app)
        ids = [record.id for record in records(app)]
        if store_url.startswith("postgresql://"):
            assert ids != list(range(1, len(ids) + 1))  # the gap is there
        assert index.leaves([*ids, 10_000]) == {n: leaf for leaf, n in enumerate(ids)}
        _request(app)  # caught up before each read
        ids = [record.id for record in records(app)]
        assert index.leaves(ids[-1:]) == {ids[-1]: len(ids) - 1}
    finally:
        index.close()
        app.close()


def test_the_leaf_index_counts_records_without_decoding_them(store_url: str, monkeypatch):
    app = open_store(store_url)
    index = tlog.LeafIndex(app)
    try:
        for _ in range(3):
            _request(app)

        def undecodable(notification):
            raise AssertionError(notification.id)

        monkeypatch.setattr(app.mapper, "to_domain_event", undecodable)
        ids = [record.id for record in records(app)]
        assert index.leaves(ids) == {n: leaf for leaf, n in enumerate(ids)}
    finally:
        index.close()
        app.close()
