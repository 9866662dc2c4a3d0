"""The contract of a whole store bundle: every port, the events, and the log's order.

    class TestMyStore(StoreBundleContract):
        def open_bundle(self, workdir):
            return lambda: my_factory.open(f"mystore://.../{workdir.name}")

        def writer_command(self, workdir):      # optional: writers in other processes
            return [sys.executable, "-m", "mediation_adapters.storage.contract_writer", URL]

Each test gets a new, empty store; the opener is called again whenever the suite needs
another connection to it (another office, another thread).
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import ClassVar
from uuid import UUID

import pytest

from mediation_domain.application import Mediations
from mediation_domain.case import PARTY_NAME, MediationCase, Party
from mediation_domain.ports import (
    AuditLedger,
    Condition,
    EventsOfMany,
    KeyStore,
    ProjectionState,
    ProjectionStore,
    Row,
    SelectAtLogEnd,
    StoreBundle,
)
from mediation_domain.testing.ports import (
    AuditLedgerContract,
    KeyStoreContract,
    ProjectionStoreContract,
)
from mediation_domain.values import MAX_NAME_LENGTH, MAX_PARTIES, MAX_TEXT_LENGTH, PartyId

BundleOpener = Callable[[], StoreBundle]
_POLL = 50  # notifications a reader asks for at a time: small, so that it polls often
_BIG_SAVE = 1500  # events of one save, one long transaction


def largest_request() -> dict[str, object]:
    """The largest request the core accepts: every text at its longest, in 4-byte characters."""
    wide = "\U0001f91d"  # 🤝: four bytes in UTF-8
    return {
        "domain": "access-to-rights",
        "neighbourhood": "Trois-Cités",
        "referral": "partner",
        "parties": [f"{n:02d}" + wide * (MAX_NAME_LENGTH - 2) for n in range(MAX_PARTIES)],
        "contacts": [wide * MAX_NAME_LENGTH] * MAX_PARTIES,
        "summary": wide * MAX_TEXT_LENGTH,
    }


class StoreBundleContract(KeyStoreContract, AuditLedgerContract, ProjectionStoreContract):
    """Behaviour every store bundle must have, its ports' contracts included."""

    # Whether writers in other processes see the same store (a store in memory does not).
    processes: ClassVar[bool] = True

    def open_bundle(self, workdir: Path) -> BundleOpener:
        """Return a function opening a bundle on a new, empty store."""
        raise NotImplementedError

    def writer_command(self, workdir: Path) -> list[str] | None:  # noqa: ARG002 - for overrides
        """A command that records cases on the store from another process, or None.

        The suite appends the number of cases; each case is a request and one save of
        three more events.
        """
        return None

    @pytest.fixture
    def bundles(self, tmp_path: Path) -> Iterator[BundleOpener]:
        """Open bundles on this test's store; closed afterwards."""
        opened: list[StoreBundle] = []
        new = self.open_bundle(tmp_path)

        def open_one() -> StoreBundle:
            bundle = new()
            opened.append(bundle)
            return bundle

        self._bundles = open_one
        yield open_one
        while opened:
            opened.pop().close()

    # The ports' contracts, run on the bundle's ports.

    @pytest.fixture(autouse=True)
    def _opener(self, bundles: BundleOpener) -> None:
        self._bundles = bundles

    def open_key_store(self, workdir: Path) -> Callable[[], KeyStore]:  # noqa: ARG002
        """The bundle's key store."""
        return lambda: self._bundles().key_store()

    def open_ledger(self, workdir: Path) -> Callable[[], AuditLedger]:  # noqa: ARG002
        """A ledger of the bundle."""
        return lambda: self._bundles().ledger()

    def open_projections(self, workdir: Path) -> Callable[[], ProjectionStore]:  # noqa: ARG002
        """A projection store of the bundle."""
        return lambda: self._bundles().projections()

    @pytest.fixture
    def apps(self, bundles: BundleOpener) -> Iterator[Callable[[], Mediations]]:
        """Applications on this test's store; closed afterwards."""
        made: list[Mediations] = []

        def open_app() -> Mediations:
            made.append(Mediations(store=bundles()))
            return made[-1]

        yield open_app
        for app in made:
            app.close()

    # The bundle's own behaviour.

    def test_an_application_on_the_bundle_records_and_reads_back(
        self, apps: Callable[[], Mediations]
    ) -> None:
        case_id = apps().request_mediation(
            domain="public-transport", neighbourhood="Beaulieu", referral="city", parties=["Zoé"]
        )
        assert apps().get_case(case_id).parties[0].name == "Zoé"

    def test_the_largest_request_is_stored_whole(self, apps: Callable[[], Mediations]) -> None:
        request = largest_request()
        case_id = apps().request_mediation(**request)  # type: ignore[arg-type]
        view = apps().get_case(case_id)
        assert [party.name for party in view.parties] == request["parties"]
        assert [party.contact for party in view.parties] == request["contacts"]
        assert view.summary == request["summary"]

    def test_the_events_of_many_cases_are_read_together(
        self, apps: Callable[[], Mediations]
    ) -> None:
        app = apps()
        cases = [
            app.request_mediation(
                domain="public-transport", neighbourhood="Beaulieu", referral="city", parties=[n]
            )
            for n in ("A", "B", "C")
        ]
        app.assign_mediator(cases[1], mediator="med-1")
        if not isinstance(app.recorder, EventsOfMany):
            pytest.skip("this store reads cases one at a time (no select_events_of)")
        events = app.recorder.select_events_of([cases[1], cases[0], UUID(int=7)])
        got = [(UUID(str(e.originator_id)), e.originator_version) for e in events]
        assert sorted(got) == sorted([(cases[0], 1), (cases[1], 1), (cases[1], 2)])
        assert got == sorted(got, key=lambda item: (str(item[0]), item[1]))

    def test_a_page_and_the_logs_end_are_read_at_one_moment(
        self, apps: Callable[[], Mediations], bundles: BundleOpener
    ) -> None:
        store = bundles().projections()
        try:
            if not isinstance(store, SelectAtLogEnd):
                pytest.skip("this store reads where the log ends apart (no select_at_log_end)")
            store.declare("pages", {"pages": ("place",)})
            assert store.select_at_log_end("pages", "pages") == (None, 0, [])
            app = apps()
            for place in ("Beaulieu", "Bel-Air", "Beaulieu"):
                app.request_mediation(
                    domain="public-transport", neighbourhood=place, referral="city", parties=["A"]
                )
            rows = {f"r-{n}": Row(f'{{"n": {n}}}', {"place": f"p{n % 2}"}, seq=n) for n in range(9)}
            with store.writing("pages") as tx:
                tx.reset(2, b"s")
                tx.put("pages", rows)
                tx.advance(2)
            where = [Condition("place", "=", "p1")]
            state, end, page = store.select_at_log_end("pages", "pages", where, after=1, limit=2)
            assert (state, end) == (ProjectionState(2, 2, b"s"), app.recorder.max_notification_id())
            assert page == [("r-3", rows["r-3"]), ("r-5", rows["r-5"])]
            with store.reading("pages") as tx:
                assert page == tx.select("pages", where, after=1, limit=2)
            assert store.select_at_log_end("pages", "pages", where, after=7, limit=2)[2] == []
        finally:
            store.close()

    def test_readers_after_the_last_id_they_saw_never_miss_nor_repeat_one(
        self, apps: Callable[[], Mediations], tmp_path: Path
    ) -> None:
        writing = threading.Event()
        writing.set()
        readers = [_Reader(apps()) for _ in range(3)]
        small = [threading.Thread(target=_small_saves, args=(apps(), writing)) for _ in range(3)]
        others: list[subprocess.Popen[bytes]] = []
        try:
            for thread in [*readers, *small]:
                thread.start()
            command = self.writer_command(tmp_path) if self.processes else None
            if command:
                others += [
                    subprocess.Popen([*command, "40"])  # noqa: S603 - the test's own command
                    for _ in range(2)
                ]
            _big_save(apps())  # one long transaction while the others commit
            writing.clear()
            for thread in small:
                thread.join()
            done = [other.wait(timeout=120) for other in others]
            assert done == [0] * len(others), "a writer in another process failed"
            final = _all_ids(apps())
            for reader in readers:
                reader.catch_up(final[-1])
        finally:  # nothing may still run on the applications when they are closed
            writing.clear()
            _stop(others, [*small, *readers])
        for reader in readers:
            assert reader.errors == []
            assert reader.seen == sorted(set(reader.seen)), "an id was seen twice or late"
            missed = sorted(set(final) - set(reader.seen))
            assert missed == [], f"a reader after the last id it saw missed {len(missed)} ids"


def _case(app: Mediations, name: str) -> UUID:
    return app.request_mediation(
        domain="public-transport", neighbourhood="Beaulieu", referral="resident", parties=[name]
    )


def _join(app: Mediations, case_id: UUID, count: int) -> None:
    """One save of `count` PartyJoined events on the case."""
    case: MediationCase = app.repository.get(case_id)
    names = app.sealer.seal_all(
        str(case_id), [(f"p-j{n}", PARTY_NAME, f"J{n}") for n in range(count)]
    )
    for n, name in enumerate(names):
        case.join(Party(PartyId(f"p-j{n}"), name))
    app.save(case)


def record_cases(app: Mediations, count: int) -> None:
    """What each writer of the log-order test does: a request, then one save of 3 events."""
    for _ in range(count):
        _join(app, _case(app, "W"), 3)


def _small_saves(app: Mediations, writing: threading.Event) -> None:
    while writing.is_set():
        record_cases(app, 1)


def _big_save(app: Mediations) -> None:
    """One save of about 1,500 events: a long transaction while the others commit."""
    batch: list[MediationCase] = [
        app.repository.get(_case(app, f"C{n}")) for n in range(_BIG_SAVE // MAX_PARTIES)
    ]
    for index, case in enumerate(batch):
        parties = [(f"p-c{index}-{n}", PARTY_NAME, "C") for n in range(MAX_PARTIES - 1)]
        for (party, _, _), name in zip(
            parties, app.sealer.seal_all(str(case.id), parties), strict=True
        ):
            case.join(Party(PartyId(party), name))
    app.save(*batch)


def _all_ids(app: Mediations) -> list[int]:
    ids: list[int] = []
    start = None
    while page := app.recorder.select_notifications(start, 1000, inclusive_of_start=False):
        ids += [n.id for n in page]
        start = page[-1].id
    return ids


def _stop(processes: list[subprocess.Popen[bytes]], threads: list[threading.Thread]) -> None:
    """Stop the writers and readers of a log-order test, failed or not."""
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.wait()
    for thread in threads:
        if isinstance(thread, _Reader):
            thread.stop()
        if thread.ident is not None:
            thread.join(timeout=120)


class _Reader(threading.Thread):
    """Polls for what was recorded after the last id it saw, as every projection does."""

    def __init__(self, app: Mediations) -> None:
        super().__init__(daemon=True)
        self.app = app
        self.seen: list[int] = []
        self.errors: list[BaseException] = []
        self._until: int | None = None
        self._stopped = False

    def run(self) -> None:
        try:
            last = None
            while not self._stopped:
                page = self.app.recorder.select_notifications(last, _POLL, inclusive_of_start=False)
                self.seen += [n.id for n in page]
                last = page[-1].id if page else last
                if self._until is not None and last is not None and last >= self._until:
                    return
                if not page:
                    time.sleep(0.001)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            self.errors.append(error)

    def catch_up(self, until: int) -> None:
        """Stop once the last id of the log is seen."""
        self._until = until
        self.join(timeout=120)

    def stop(self) -> None:
        """Stop at the next poll, wherever it stands."""
        self._stopped = True
