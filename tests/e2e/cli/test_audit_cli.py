"""The auditor's commands on a real store: seal, verify, replay; tampering in the file itself."""

from __future__ import annotations

import json
import os
import pty
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from mediation_adapters.security.note_keys import NoteSignerKey, generate_note_keys
from mediation_adapters.storage.ledger import records, replay
from mediation_adapters.storage.sealing import AutoSeal, seal, transparency_log
from mediation_adapters.stores import open_store
from mediation_domain.audit.verification import Trust, verify_log

from .test_cli import MEDIATION, run

pytestmark = pytest.mark.slow


@pytest.fixture
def sealed_demo(tmp_path: Path):
    store = tmp_path / "cases.sqlite3"
    assert run("demo", "--week-only", store=store).returncode == 0
    keys = {"private": tmp_path / "audit.key", "public": tmp_path / "audit.pub"}
    made = run(
        "audit",
        "keygen",
        "--private-key",
        str(keys["private"]),
        "--public-key",
        str(keys["public"]),
    )
    assert made.returncode == 0, made.stderr
    sealed = run("audit", "seal", "--private-key", str(keys["private"]), store=store)
    assert sealed.returncode == 0, sealed.stderr
    assert "sealed 59 records, up to record 59" in sealed.stdout
    return store, keys


def test_the_private_key_is_readable_by_its_owner_only_and_never_overwritten(sealed_demo):
    _, keys = sealed_demo
    assert stat.S_IMODE(keys["private"].stat().st_mode) == 0o600
    again = run(
        "audit",
        "keygen",
        "--private-key",
        str(keys["private"]),
        "--public-key",
        str(keys["public"]),
    )
    assert again.returncode == 2
    assert "refusing to overwrite" in again.stderr


def test_an_untouched_store_verifies_and_replays_clean(sealed_demo):
    store, keys = sealed_demo
    verified = run("audit", "verify", "--public-key", str(keys["public"]), "--json", store=store)
    assert verified.returncode == 0, verified.stderr
    report = json.loads(verified.stdout)
    assert (report["ok"], report["records"], report["unsealed"]) == (True, 59, 0)
    assert report["status"] == "intact"
    replayed = run("audit", "replay", store=store)
    assert replayed.returncode == 0
    assert "respected the deontology" in replayed.stdout


def test_an_update_in_the_sqlite_file_is_detected_and_named(sealed_demo):
    store, keys = sealed_demo
    with sqlite3.connect(store) as db:
        rowid, state = next(
            (r, s)
            for r, s in db.execute("SELECT rowid, state FROM stored_events ORDER BY rowid")
            if b"joint-session" in s
        )
        db.execute(
            "UPDATE stored_events SET state = ? WHERE rowid = ?",
            (state.replace(b"joint-session", b"individual-interview"), rowid),
        )
    verified = run("audit", "verify", "--public-key", str(keys["public"]), "--json", store=store)
    assert verified.returncode == 1
    first = json.loads(verified.stdout)["problems"][0]
    assert (first["kind"], first["position"]) == ("modified", rowid)
    replayed = run("audit", "replay", "--json", store=store)
    assert replayed.returncode == 1
    assert [(f["position"], f["rule"]) for f in json.loads(replayed.stdout)] == [
        (rowid, "session-kind-fits-attendees")
    ]


def test_a_deleted_event_is_detected(sealed_demo):
    store, keys = sealed_demo
    with sqlite3.connect(store) as db:
        db.execute("DELETE FROM stored_events WHERE rowid = 30")
    verified = run("audit", "verify", "--public-key", str(keys["public"]), "--json", store=store)
    assert verified.returncode == 1
    problems = json.loads(verified.stdout)["problems"]
    assert (problems[0]["kind"], problems[0]["position"]) == ("deleted", 31)
    assert [p["kind"] for p in problems] == ["deleted", "missing"]  # one deletion, one report


def test_records_after_the_last_seal_are_unverified_exit_1_until_sealed(sealed_demo):
    store, keys = sealed_demo
    run("demo", "--week-only", store=store)
    verified = run("audit", "verify", "--public-key", str(keys["public"]), "--json", store=store)
    assert verified.returncode == 1
    report = json.loads(verified.stdout)
    assert (report["status"], report["unsealed"], report["problems"]) == ("unverified", 59, [])
    assert run("audit", "seal", "--private-key", str(keys["private"]), store=store).returncode == 0
    verified = run("audit", "verify", "--public-key", str(keys["public"]), "--json", store=store)
    assert verified.returncode == 0
    report = json.loads(verified.stdout)
    assert (report["ok"], report["unsealed"], report["tree_size"]) == (True, 0, 118)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("audit", "seal"), "give the private key"),
        (("audit", "seal", "--private-key", "/nonexistent/key"), "cannot read the private key"),
        (("audit", "verify", "--public-key", "/etc/hostname"), "not an Ed25519 verifier key"),
    ],
)
def test_missing_or_wrong_keys_are_exit_2(tmp_path: Path, args, says):
    done = run(*args, store=tmp_path / "s.sqlite3")
    assert done.returncode == 2
    assert says in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_memory_store_has_a_ledger_too_but_a_new_one_has_nothing_to_seal(tmp_path: Path):
    key = tmp_path / "k"
    generate_note_keys(key, tmp_path / "k.pub", "a.example/log")
    done = run("--store", "memory://", "audit", "seal", "--private-key", str(key))
    assert (done.returncode, done.stderr) == (0, "")
    assert "nothing to seal" in done.stdout


def test_sealing_and_verifying_on_postgresql(postgres_url: str):
    key = NoteSignerKey.generate("a.example/log")
    app = open_store(postgres_url)
    app.request_mediation(
        domain="public-transport", neighbourhood="Beaulieu", referral="resident", parties=["A"]
    )
    try:
        made = seal(app, key)
        assert made is not None
        assert made.last_id == app.recorder.max_notification_id()
        report = verify_log(made.note, records(app), Trust([key.verifier]))
        assert (report.ok, report.records) == (True, 1)
        assert list(replay(records(app), app.mapper)) == []
        assert seal(app, key) is None  # nothing new
    finally:
        app.close()


def test_the_application_seals_by_itself_every_n_records(tmp_path: Path):
    key = NoteSignerKey.generate("a.example/log")
    app = open_store(f"sqlite:///{tmp_path / 's.sqlite3'}")
    app.on_recorded = AutoSeal(key, every=5)
    case_id = app.request_mediation(
        domain="public-transport", neighbourhood="Beaulieu", referral="resident", parties=["A", "B"]
    )
    for name in "CDEFGHIJKLM":  # eleven more events: twelve in all
        app.join_party(case_id, name=name)
    try:
        with transparency_log(app) as log:
            assert [c.last_id for c in log.checkpoints()] == [5, 10]
            latest = log.latest()
        assert latest is not None
        report = verify_log(latest.note, records(app), Trust([key.verifier]))
        assert (report.status, report.unsealed) == ("unverified", 2)
    finally:
        app.close()


def test_the_cli_seals_by_itself_when_told_to(tmp_path: Path):
    generate_note_keys(tmp_path / "k", tmp_path / "k.pub", "a.example/log")
    store = tmp_path / "s.sqlite3"
    sealing = {"MEDIATION_SEAL_EVERY": "1", "MEDIATION_AUDIT_PRIVATE_KEY": str(tmp_path / "k")}
    done = run(
        "request",
        "--domain",
        "public-transport",
        "--neighbourhood",
        "Beaulieu",
        "--referral",
        "city",
        "--party",
        "A",
        store=store,
        env=sealing,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(
        run(
            "audit", "verify", "--public-key", str(tmp_path / "k.pub"), "--json", store=store
        ).stdout
    )
    assert (report["ok"], report["tree_size"], report["unsealed"]) == (True, 1, 0)
    unkeyed = run("list", store=store, env={"MEDIATION_SEAL_EVERY": "1"})
    assert unkeyed.returncode == 2
    assert "MEDIATION_SEAL_EVERY needs the key that signs" in unkeyed.stderr


def test_progress_shows_on_a_terminal_and_stays_quiet_when_piped(sealed_demo):
    store, _ = sealed_demo
    piped = run("audit", "replay", store=store)
    assert piped.stderr == ""
    controller, terminal = pty.openpty()
    with subprocess.Popen(
        [MEDIATION, "--store", f"sqlite:///{store}", "audit", "replay"],
        stdout=subprocess.DEVNULL,
        stderr=terminal,
    ) as process:
        os.close(terminal)
        shown = b""
        while chunk := _read(controller):
            shown += chunk
        process.wait(timeout=60)
    os.close(controller)
    assert b"replay: 59 records" in shown


def _read(descriptor: int) -> bytes:
    try:
        return os.read(descriptor, 1024)
    except OSError:  # the terminal closed with the process
        return b""
