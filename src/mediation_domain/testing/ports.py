"""Contract suites for the ports a store keeps beside the events (mediation_domain.ports).

Subclass the one for your port and say how to open it on a new, empty store:

    class TestMyKeys(KeyStoreContract):
        def open_key_store(self, workdir):
            return lambda: MyKeyStore(workdir / "keys")

The opener is called again whenever the suite needs a second connection to the same data.
`StoreBundleContract` (mediation_domain.testing.store) runs all three from a bundle.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from mediation_domain.ports import (
    AuditLedger,
    Condition,
    KeyStore,
    LedgerConflictError,
    ProjectionStore,
    Row,
    SignedCheckpoint,
)
from mediation_domain.privacy import KEY_BYTES, SubjectErasedError

Opener = Callable[[], Any]


class _Opened:
    """The ports a test opened, closed once it ends."""

    def __init__(self, opener: Opener) -> None:
        self._opener = opener
        self.opened: list[Any] = []

    def __call__(self) -> Any:  # noqa: ANN401 - the port under test
        port = self._opener()
        self.opened.append(port)
        return port

    def close(self) -> None:
        while self.opened:
            closing = getattr(self.opened.pop(), "close", None)
            if closing is not None:
                closing()


class _Contract:
    """What the contracts share: the ports a test opened are closed after it."""

    @pytest.fixture
    def _ports(self) -> Iterator[list[_Opened]]:
        made: list[_Opened] = []
        yield made
        for opened in made:
            opened.close()


class KeyStoreContract(_Contract):
    """What every KeyStore must do: one key per subject, erased for good, remembered so."""

    def open_key_store(self, workdir: Path) -> Callable[[], KeyStore]:
        """Return a function opening a key store on a new, empty store's data."""
        raise NotImplementedError

    @pytest.fixture
    def keys(self, tmp_path: Path, _ports: list[_Opened]) -> Opener:
        """Open key stores on this test's store; closed afterwards."""
        opened = _Opened(self.open_key_store(tmp_path))
        _ports.append(opened)
        return opened

    def test_a_key_is_made_once_and_read_back_from_another_opening(self, keys: Opener) -> None:
        store = keys()
        made = store.keys_for(["p-1", "p-2"])
        assert {len(key) for key in made.values()} == {KEY_BYTES}
        assert made["p-1"] != made["p-2"]
        assert store.keys_for(["p-1"]) == {"p-1": made["p-1"]}
        assert keys().keys(["p-1", "p-2", "p-unknown"]) == made

    def test_an_erased_key_is_gone_for_good_and_remembered(self, keys: Opener) -> None:
        store = keys()
        store.keys_for(["p-1", "p-2", "p-3"])
        assert store.erase(["p-1", "p-2", "p-never-seen"]) == {"p-1", "p-2"}  # live ones
        assert store.erase(["p-1"]) == set()  # again: harmless, nothing was live
        other = keys()
        assert other.keys(["p-1", "p-2", "p-never-seen"]) == dict.fromkeys(
            ["p-1", "p-2", "p-never-seen"]
        )  # tombstones, even for a subject erased before any key was made
        assert set(other.keys(["p-3"])) == {"p-3"}
        with pytest.raises(SubjectErasedError):
            other.keys_for(["p-3", "p-never-seen"])
        assert other.keys(["p-3"])["p-3"] is not None  # a refused batch made no key either

    def test_a_purge_ends_with_nothing_left_to_purge(self, keys: Opener) -> None:
        store = keys()
        store.keys_for(["p-1"])
        store.erase(["p-1"])
        assert store.purge() is True  # nobody else holds the store here
        assert store.purge() is True

    def test_openings_racing_for_one_subject_get_one_key(self, keys: Opener) -> None:
        stores = [keys() for _ in range(4)]
        found: list[bytes] = []
        barrier = threading.Barrier(len(stores))

        def make(store: KeyStore) -> None:
            barrier.wait()
            found.append(store.keys_for(["p-raced"])["p-raced"])

        threads = [threading.Thread(target=make, args=(s,)) for s in stores]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(found) == len(stores)
        assert len(set(found)) == 1


def _checkpoint(size: int) -> SignedCheckpoint:
    return SignedCheckpoint(size, f"2026-01-01T00:00:{size % 60:02d}+00:00", f"note {size} ✓")


class AuditLedgerContract(_Contract):
    """What every AuditLedger must do: keep hashes and checkpoints, whole, in order."""

    def open_ledger(self, workdir: Path) -> Callable[[], AuditLedger]:
        """Return a function opening a ledger on a new, empty store's data."""
        raise NotImplementedError

    @pytest.fixture
    def ledgers(self, tmp_path: Path, _ports: list[_Opened]) -> Opener:
        """Open ledgers on this test's store; closed afterwards."""
        opened = _Opened(self.open_ledger(tmp_path))
        _ports.append(opened)
        return opened

    def test_hashes_and_checkpoints_read_back_in_order(self, ledgers: Opener) -> None:
        ledger = ledgers()
        assert ledger.checkpoints() == []
        first = [(0, i, bytes([i % 256]) * 32) for i in range(1, 1201)]
        ledger.append([(1, 0, b"\x01" * 32), *reversed(first)], _checkpoint(1200))
        ledger.append([(0, 1201, b"\xff" * 32)], _checkpoint(1201))
        reader = ledgers()
        assert [c.size for c in reader.checkpoints()] == [1200, 1201]
        assert reader.checkpoints()[0] == _checkpoint(1200)
        assert reader.hashes(0, 0, 10**12) == [(i, d) for _, i, d in first] + [(1201, b"\xff" * 32)]
        assert reader.hashes(0, 5, 8) == [(i, d) for _, i, d in first[4:7]]
        assert reader.hashes(1, 0, 10) == [(0, b"\x01" * 32)]
        assert reader.hashes(2, 0, 10) == []

    def test_a_checkpoint_not_beyond_the_last_is_refused_and_stores_nothing(
        self, ledgers: Opener
    ) -> None:
        ledger = ledgers()
        ledger.append([(0, 1, b"\x01" * 32)], _checkpoint(5))
        for size in (5, 3):
            with pytest.raises(LedgerConflictError):
                ledger.append([(0, 2, b"\x02" * 32)], _checkpoint(size))
        assert ledgers().hashes(0, 0, 100) == [(1, b"\x01" * 32)]
        assert [c.size for c in ledgers().checkpoints()] == [5]


class ProjectionStoreContract(_Contract):
    """What every ProjectionStore must do: tables, a position, all or nothing, one writer."""

    def open_projections(self, workdir: Path) -> Callable[[], ProjectionStore]:
        """Return a function opening a projection store on a new, empty store's data."""
        raise NotImplementedError

    @pytest.fixture
    def projections(self, tmp_path: Path, _ports: list[_Opened]) -> Opener:
        """Open projection stores, the test's tables declared; closed afterwards."""
        opened = _Opened(self.open_projections(tmp_path))
        _ports.append(opened)

        def declared() -> ProjectionStore:
            store: ProjectionStore = opened()
            store.declare("cases", {"cases": ("status", "place"), "holders": ("subject",)})
            store.declare("other", {"other": ()})
            return store

        return declared

    def test_a_projection_starts_unset_then_keeps_its_state(self, projections: Opener) -> None:
        store = projections()
        with store.reading("cases") as tx:
            assert tx.state() is None
        with store.writing("cases") as tx:
            tx.reset(3, b"secret")
            tx.advance(42)
        with projections().reading("cases") as tx:
            state = tx.state()
        assert (state.version, state.position, state.secret) == (3, 42, b"secret")

    def test_rows_are_put_got_deleted_and_selected_by_field_a_page_at_a_time(
        self, projections: Opener
    ) -> None:
        store = projections()
        rows = {
            f"c-{n}": Row(
                f'{{"n": {n}, "text": "é"}}',
                {"status": "open" if n % 2 else "closed", "place": f"p{n % 3}"},
                seq=n,
            )
            for n in range(1, 31)
        }
        with store.writing("cases") as tx:
            tx.reset(1, b"")
            tx.put("cases", rows)
            tx.put("cases", {"c-1": Row('{"n": 1}', {"status": "closed", "place": None}, 1)})
            tx.delete("cases", ["c-2", "c-absent"])
        reader = projections()
        with reader.reading("cases") as tx:
            assert tx.get("cases", ["c-1", "c-3", "c-2"]) == {
                "c-1": Row('{"n": 1}', {"status": "closed", "place": None}, 1),
                "c-3": rows["c-3"],
            }
            first = tx.select("cases", [Condition("status", "=", "open")], limit=4)
            assert [key for key, _ in first] == ["c-3", "c-5", "c-7", "c-9"]
            after = tx.select(
                "cases", [Condition("status", "=", "open")], after=first[-1][1].seq, limit=4
            )
            assert [key for key, _ in after] == ["c-11", "c-13", "c-15", "c-17"]
            both = [Condition("status", "=", "closed"), Condition("place", "=", "p1")]
            assert [key for key, _ in tx.select("cases", both, limit=100)] == [
                "c-4", "c-10", "c-16", "c-22", "c-28",
            ]  # fmt: skip
            late = tx.select("cases", [Condition("place", ">=", "p2")], limit=100)
            assert {row.fields["place"] for _, row in late} == {"p2"}
            # A range alone is still read by seq, a page at a time, although the rows in
            # the range do not come in seq order by their field (p1, p2, p1, p2, ...).
            ranged = [Condition("place", ">=", "p1")]
            pages = [tx.select("cases", ranged, limit=3)]
            while len(pages[-1]) == 3:
                pages.append(tx.select("cases", ranged, after=pages[-1][-1][1].seq, limit=3))
            assert [key for page in pages for key, _ in page] == [
                f"c-{n}" for n in range(3, 31) if n % 3
            ]
        assert sorted(row.seq for row in reader.scan("cases")) == [1, *range(3, 31)]

    def test_a_failed_write_changes_nothing(self, projections: Opener) -> None:
        store = projections()
        with store.writing("cases") as tx:
            tx.reset(1, b"")
            tx.put("cases", {"c-1": Row("{}", {"status": "open"}, 1)})
            tx.advance(1)
        failing = RuntimeError("the disk is full")
        with pytest.raises(RuntimeError), store.writing("cases") as tx:
            tx.put("cases", {"c-2": Row("{}", {"status": "open"}, 2)})
            tx.delete("cases", ["c-1"])
            tx.advance(2)
            raise failing
        with projections().reading("cases") as tx:
            assert list(tx.get("cases", ["c-1", "c-2"])) == ["c-1"]
            state = tx.state()
            assert state is not None
            assert state.position == 1

    def test_a_reset_empties_its_own_tables_only(self, projections: Opener) -> None:
        store = projections()
        with store.writing("other") as tx:
            tx.reset(1, b"")
            tx.put("other", {"o-1": Row("{}")})
        with store.writing("cases") as tx:
            tx.reset(1, b"")
            tx.put("cases", {"c-1": Row("{}", {"status": "open"}, 1)})
            tx.advance(7)
        with store.writing("cases") as tx:
            tx.reset(2, b"new")
        with projections().reading("cases") as tx:
            assert tx.get("cases", ["c-1"]) == {}
            state = tx.state()
            assert state is not None
            assert (state.version, state.position, state.secret) == (2, None, b"new")
        with projections().reading("other") as tx:
            assert list(tx.get("other", ["o-1"])) == ["o-1"]

    def test_writers_of_one_projection_take_turns(self, projections: Opener) -> None:
        first, second = projections(), projections()
        with first.writing("cases") as tx:
            tx.reset(1, b"")
            tx.advance(0)
        order: list[str] = []
        holding, waiting = threading.Event(), threading.Event()

        def hold() -> None:
            with first.writing("cases") as tx:
                holding.set()
                waiting.wait(5)  # the other writer has started...
                time.sleep(0.3)  # ...and, its lock not granted, waits meanwhile
                order.append("first")
                tx.advance(1)

        def follow() -> None:
            holding.wait(5)
            waiting.set()
            with second.writing("cases") as tx:
                order.append("second")
                state = tx.state()
                assert state is not None
                tx.advance((state.position or 0) + 1)

        threads = [threading.Thread(target=hold), threading.Thread(target=follow)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert order == ["first", "second"]
        with projections().reading("cases") as tx:
            state = tx.state()
        assert state is not None
        assert state.position == 2  # the second read the first's position, after it committed
