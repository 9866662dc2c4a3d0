"""Snapshots (MEDIATION_SNAPSHOT_EVERY): a case read from one is the case its events give."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import OperationalError, StoredEvent

from mediation_adapters.stores import open_store
from mediation_domain import CaseClosedError, InvalidInputError, MediationCase, Mediations
from mediation_domain.privacy import ERASED
from mediation_domain.testing import record_every_event


def _replayed(app: Mediations, case_id, version=None):
    """The case from its stored events alone."""
    case = None
    for event in app.events.get(case_id, lte=version):
        case = event.mutate(case)
    return case


def test_a_case_read_from_a_snapshot_is_the_case_its_events_give(store_url, monkeypatch):
    monkeypatch.setenv("MEDIATION_SNAPSHOT_EVERY", "3")
    writer = open_store(store_url)
    reader = writer  # memory:// is seen by the application that made it only
    try:
        case_id = record_every_event(writer)  # 14 events, every kind but Withdrawn and erasure
        dropped = writer.list_cases(status="withdrawn")[0].case_id  # withdrawn, then erased
        snapshots = writer.snapshots.recorder.select_events(case_id)
        # Taken as saves pass 3, 6, 9 and 12 events: each command saves one event.
        assert [s.originator_version for s in snapshots] == [3, 6, 9, 12]
        assert {s.topic for s in snapshots} == {"mediation_domain.case:MediationCase.Snapshot"}
        for version in range(1, 15):
            if version % 3:
                writer.take_snapshot(case_id, version=version)  # by hand, at any version
            from_snapshot = writer.repository.get(case_id, version=version)
            assert vars(from_snapshot) == vars(_replayed(writer, case_id, version))
        writer.take_snapshot(dropped, version=2)  # its third event, the erasure, made one at 3
    finally:
        if not store_url.startswith("memory:"):
            writer.close()
            reader = open_store(store_url)  # a new application reads the stored snapshots
    try:
        for case in (case_id, dropped):
            assert vars(reader.repository.get(case)) == vars(_replayed(reader, case))
        assert reader.get_case(dropped).parties[0].name == ERASED
        assert reader.get_case(case_id).parties[2].name == "王小明"  # sealed, then opened
        # A case loaded from a snapshot takes commands: the rules see its whole state.
        with pytest.raises(CaseClosedError):
            reader.give_consent(case_id, party=reader.get_case(case_id).parties[0].id)
        reader.erase_subject(reader.get_case(case_id).parties[0].id)
        assert reader.get_case(case_id).parties[0].name == ERASED
        assert reader.get_case(case_id).version == 15
    finally:
        reader.close()


@pytest.mark.parametrize("every", ["0", "-3", "three", "1.5", "٣"])
def test_a_snapshot_interval_that_is_not_a_whole_number_is_refused(monkeypatch, every):
    monkeypatch.setenv("MEDIATION_SNAPSHOT_EVERY", every)
    with pytest.raises(InvalidInputError, match="MEDIATION_SNAPSHOT_EVERY"):
        open_store("memory://")


def test_snapshots_are_off_by_default(monkeypatch):
    monkeypatch.delenv("MEDIATION_SNAPSHOT_EVERY", raising=False)
    app = open_store("memory://")
    assert (app.snapshots, app.snapshot_every) == (None, 0)


def test_a_snapshot_that_cannot_be_stored_leaves_the_command_recorded(
    store_url, monkeypatch, caplog
):
    monkeypatch.setenv("MEDIATION_SNAPSHOT_EVERY", "1")
    app = open_store(store_url)
    try:

        def locked(_snapshots):
            raise OperationalError("database is locked")

        monkeypatch.setattr(app.snapshots, "put", locked)
        case_id = app.request_mediation(
            domain="public-transport", neighbourhood="Beaulieu", referral="resident", parties=["A"]
        )
        assert app.get_case(case_id).version == 1  # recorded, and read by replaying
        assert app.snapshots.recorder.select_events(case_id) == []
        assert "no snapshot stored" in caplog.text
        assert "database is locked" in caplog.text
    finally:
        app.close()


def test_snapshots_stored_in_format_v1_keep_reading():
    """tests/fixtures/snapshot-v1.json: two cases' events and a snapshot of each, as stored."""
    fixture = json.loads((Path(__file__).parent.parent / "fixtures/snapshot-v1.json").read_text())
    app = Mediations()
    for stored in fixture["cases"]:
        events = [app.mapper.to_domain_event(_stored(e)) for e in stored["events"]]
        replayed = None
        for event in events:
            replayed = event.mutate(replayed)
        snapshot = app.mapper.to_domain_event(_stored(stored["snapshot"]))
        assert type(snapshot) is MediationCase.Snapshot
        assert vars(snapshot.mutate(None)) == vars(replayed)


def _stored(record: dict) -> StoredEvent:
    return StoredEvent(
        UUID(record["originator_id"]),
        record["originator_version"],
        record["topic"],
        base64.b64decode(record["state"]),
    )
