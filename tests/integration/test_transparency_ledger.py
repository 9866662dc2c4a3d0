"""The transparency log kept in each store's ledger: roots, checkpoints and proofs that hold."""

from __future__ import annotations

import itertools
import json
import sqlite3

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from mediation_adapters.security.note_keys import NoteSignerKey
from mediation_adapters.security.signing import Ed25519Check, Ed25519Signer
from mediation_adapters.storage import StoreError, tlog
from mediation_adapters.storage.ledger import Ledger, records
from mediation_adapters.storage.sealing import AutoSeal, seal
from mediation_adapters.stores import open_store
from mediation_domain import ConcurrencyError, Mediations
from mediation_domain.audit import chain
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
    log = tlog.TransparencyLog(port)
    try:
        record_every_event(app)
        first = log.seal(lambda after: records(app, after), key)
        assert first is not None
        assert log.seal(lambda after: records(app, after), key) is None  # nothing new
        for _ in range(5):
            _request(app)
        second = log.seal(lambda after: records(app, after), key)
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
    log = tlog.TransparencyLog(port)
    try:
        for _ in range(10):
            _request(app)
        last = log.seal(lambda after: records(app, after), key)
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


def test_a_store_sealed_in_format_1_moves_to_the_tree_at_its_next_seal(tmp_path):
    app = open_store(f"sqlite:///{tmp_path / 'cases.sqlite3'}")
    key = NoteSignerKey.generate(ORIGIN)
    port = app.store.ledger()
    log = tlog.TransparencyLog(port)
    old = Ed25519PrivateKey.generate()
    check = Ed25519Check(old.public_key())
    try:
        _request(app)
        Ledger(port).seal(app, Ed25519Signer(old))
        assert log.format() == 1
        with pytest.raises(StoreError, match="give its format 1 public key"):
            seal(app, key)
        assert seal(app, key, format_1_key=check) is None  # nothing after its last checkpoint
        assert log.format() == 1
        _request(app)
        made = seal(app, key, format_1_key=check)
        assert made is not None
        assert log.format() == 2
        leaves = [leaf_hash(leaf_data(record)) for record in records(app)]
        assert root_of(leaves) == (made.head.size, made.head.root)  # over every record
        assert [c.head for c in log.checkpoints()] == [made.head]
    finally:
        port.close()
        app.close()


@pytest.mark.parametrize("heads_too", [False, True])
def test_a_store_altered_since_its_format_1_seal_is_not_sealed_over(tmp_path, heads_too):
    """Altered records, even with the format 1 heads recomputed to match: refused."""
    path = tmp_path / "cases.sqlite3"
    app = open_store(f"sqlite:///{path}")
    port = app.store.ledger()
    old = Ed25519PrivateKey.generate()
    try:
        _request(app)
        Ledger(port).seal(app, Ed25519Signer(old))
        _request(app)
        with sqlite3.connect(path) as db:
            db.execute("UPDATE stored_events SET state = X'00' WHERE rowid = 1")
        if heads_too:  # an insider re-chains the altered records and edits the heads in
            ((position, note),) = list(
                sqlite3.connect(path).execute("SELECT size, note FROM mediation_ledger_checkpoints")
            )
            (record, head), *_ = chain(records(app))
            fields = json.loads(note) | {"head": head.hex()}
            with sqlite3.connect(path) as db:
                db.execute(
                    "UPDATE mediation_ledger_checkpoints SET note = ? WHERE size = ?",
                    (json.dumps(fields), position),
                )
                db.execute(
                    "UPDATE mediation_ledger_hashes SET hash = ? WHERE level = 0 AND idx = ?",
                    (head, record.id),
                )
        with pytest.raises(StoreError, match="format 1's verification of this store fails"):
            seal(app, NoteSignerKey.generate(ORIGIN), format_1_key=Ed25519Check(old.public_key()))
        assert tlog.TransparencyLog(port).format() == 1
    finally:
        port.close()
        app.close()


def test_nothing_is_signed_over_tree_nodes_that_no_longer_give_the_signed_root(tmp_path):
    path = tmp_path / "cases.sqlite3"
    app = open_store(f"sqlite:///{path}")
    key = NoteSignerKey.generate(ORIGIN)
    try:
        for _ in range(5):
            _request(app)
        assert seal(app, key) is not None
        with sqlite3.connect(path) as db:  # the left subtree of 4 leaves, zeroed
            db.execute(
                "UPDATE mediation_ledger_hashes SET hash = ? WHERE level = 3 AND idx = 0",
                (bytes(32),),
            )
        _request(app)
        with pytest.raises(StoreError, match="no longer give the last signed root"):
            seal(app, key)
    finally:
        app.close()


def test_sealing_by_itself_never_fails_a_recorded_command(tmp_path, caplog):
    app = open_store(f"sqlite:///{tmp_path / 'cases.sqlite3'}")
    try:
        _request(app)
        assert seal(app, NoteSignerKey.generate(ORIGIN)) is not None
        app.on_recorded = AutoSeal(NoteSignerKey.generate("another.example/log"), every=1)
        _request(app)  # recorded; the seal is refused (another log's key), and logged
        assert len(list(records(app))) == 2
        assert "recorded, but not sealed" in caplog.text
        assert "this log's origin is" in caplog.text
    finally:
        app.close()


def test_a_log_is_sealed_only_under_its_origin(store_url: str):
    app = open_store(store_url)
    try:
        _request(app)
        assert seal(app, NoteSignerKey.generate(ORIGIN)) is not None
        _request(app)
        with pytest.raises(StoreError, match="this log's origin is"):
            seal(app, NoteSignerKey.generate("another.example/log"))
        assert seal(app, NoteSignerKey.generate(ORIGIN)) is not None  # a new key, same name
    finally:
        app.close()


def test_the_leaf_index_gives_the_leaves_of_one_aggregate(store_url: str, monkeypatch):
    monkeypatch.setattr(tlog, "_PAGE", 2)  # several pages
    app = open_store(store_url)
    index = tlog.LeafIndex(app)
    try:
        case = app.request_mediation(
            domain="public-transport", neighbourhood="Beaulieu", referral="city", parties=["A"]
        )
        _request(app)
        for _ in range(4):
            app.give_consent(case, party=app.repository.get(case).party_ids[0].value)
            app.withdraw_consent(case, party=app.repository.get(case).party_ids[0].value)
        everything = list(records(app))
        mine = [(r.id, leaf) for leaf, r in enumerate(everything) if r.originator_id == case]
        assert len(mine) == 9
        assert list(index.leaves_of(str(case))) == mine
        assert list(index.leaves_of("00000000-0000-0000-0000-000000000000")) == []
    finally:
        index.close()
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
