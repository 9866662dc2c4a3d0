"""Erasure down to the bytes (SQLite file and WAL, pg_dump), encryption at rest, the CLI."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import tempfile
import unicodedata
from datetime import UTC, date, datetime
from pathlib import Path
from uuid import uuid4

import pytest
from eventsourcing.domain import CanCreateTimestamp
from eventsourcing.utils import get_topic
from hypothesis import example, given, settings
from hypothesis import strategies as st

from mediation_adapters.security.store_keys import StoreKeyError, new_store_key, read_store_key
from mediation_adapters.storage.copy import copy_store
from mediation_adapters.storage.postgres import connection_for
from mediation_adapters.stores import open_store
from mediation_domain import (
    InterventionDomain,
    InvalidInputError,
    MediationCase,
    Mediations,
    ReferralSource,
)
from mediation_domain.case import PARTY_NAME, SUMMARY, Party
from mediation_domain.privacy import ERASED, Sealed
from mediation_domain.rules import review
from mediation_domain.values import PartyId

from .test_cli import run

pytestmark = pytest.mark.slow

# Names in any script: Latin with accents, Cyrillic, Arabic, CJK, combining marks...
_PART = st.text(st.characters(categories=("Lu", "Ll", "Lo", "Mn")), min_size=3, max_size=12)
NAMES = st.lists(_PART, min_size=2, max_size=3).map(" ".join)
DEMO_PERSONAL = ("Mme Lefèvre", "M. Diallo", "M. Šimek", "06 12 34 56 78", "Bruit nocturne")


def _forms(text: str) -> list[bytes]:
    """The stored forms a leaked text could take: UTF-8, or escaped ASCII JSON."""
    text = unicodedata.normalize("NFC", text.strip())
    return [text.encode(), json.dumps(text)[1:-1].encode()]


def _record(app: Mediations, name: str, other: str) -> tuple[str, str, str]:
    case_id = app.request_mediation(
        domain="public-space-and-housing",
        neighbourhood="Saint-Éloi",
        referral="resident",
        parties=[name, other],
        contacts=[f"{name} @ tel", ""],
        summary=f"conflit: {name}",
    )
    a, b = (p.id for p in app.get_case(case_id).parties)
    app.assign_mediator(case_id, mediator="med-1")
    app.give_consent(case_id, party=a)
    app.hold_session(case_id, kind="individual-interview", attendees=[a], notes=f"vu {name}")
    return str(case_id), a, b


def _files(path: Path) -> bytes:
    return b"".join(
        Path(f"{path}{suffix}").read_bytes()
        for suffix in ("", "-wal", "-shm", "-journal")
        if Path(f"{path}{suffix}").exists()
    )


def _subject_key(db_path: Path, subject: str) -> bytes:
    with sqlite3.connect(db_path) as db:
        row = db.execute(
            "SELECT key FROM mediation_subject_keys WHERE subject = ?", (subject,)
        ).fetchone()
    return bytes(row[0])


@settings(max_examples=25)
@given(name=NAMES, other=NAMES)
@example(name="Éloïse Müller-Çelik", other="Мария Иванова")
@example(name="محمد بن علي", other="王小明 李")
def test_after_erasure_no_byte_of_the_sqlite_file_or_its_wal_reveals_the_subject(name, other):
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "cases.sqlite3"
        app = open_store(f"sqlite:///{path}")
        case_id, a, _ = _record(app, name, other)
        key = _subject_key(path, a)
        assert key in _files(path)  # the check can see a key: without erasure, it would fail
        app.erase_subject(a)
        app.erase_subject(case_id)  # the summary and notes name them too
        for moment in ("with the WAL live", "once the application closed the file"):
            if moment != "with the WAL live":
                app.close()
            leaked = _files(path)
            assert key not in leaked, moment
            for text in (name, f"{name} @ tel", f"conflit: {name}", f"vu {name}"):
                assert not any(form in leaked for form in _forms(text)), moment
        reopened = open_store(f"sqlite:///{path}")
        view = reopened.get_case(case_id)
        assert [p.name for p in view.parties] == [ERASED, unicodedata.normalize("NFC", other)]
        reopened.close()


def _pg_dump(server: str, schema: str) -> str:
    pg_dump = shutil.which("pg_dump")
    assert pg_dump, "pg_dump is needed to check what PostgreSQL keeps"
    return subprocess.run(
        [pg_dump, "--dbname", server, "--schema", schema, "--data-only"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout


@settings(max_examples=8)
@given(name=NAMES, other=NAMES)
@example(name="Łukasz Żółć", other="Ἀριστοτέλης Σ")
def test_after_erasure_a_pg_dump_reveals_nothing_of_the_subject(postgres_server, name, other):
    schema = f"md_test_{uuid4().hex[:16]}"
    app = open_store(f"{postgres_server}?schema={schema}")
    try:
        case_id, a, _ = _record(app, name, other)
        key = app.sealer.keys.keys_for([a])[a]  # type: ignore[attr-defined]
        assert key.hex() in _pg_dump(postgres_server, schema)  # the dump shows keys: a control
        app.erase_subject(a)
        app.erase_subject(case_id)
        dump = _pg_dump(postgres_server, schema)
        assert key.hex() not in dump
        for text in (name, f"{name} @ tel", f"conflit: {name}", f"vu {name}"):
            assert not any(form.decode() in dump for form in _forms(text))
        assert app.get_case(case_id).parties[1].name == unicodedata.normalize("NFC", other)
    finally:
        app.close()
        with connection_for(postgres_server) as connection:
            connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


# Encryption at rest ------------------------------------------------------------------------


@pytest.fixture
def store_key(tmp_path: Path) -> Path:
    path = tmp_path / "store.key"
    new_store_key(path)
    return path


def _states(path: Path) -> list[bytes]:
    with sqlite3.connect(path) as db:
        return [bytes(row[0]) for row in db.execute("SELECT state FROM stored_events")]


def _refused(result) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.stderr


def test_a_store_encrypted_at_rest_holds_no_readable_event_and_opens_with_its_key_only(
    tmp_path, store_key
):
    store = tmp_path / "cases.sqlite3"
    with_key = {"MEDIATION_STORE_KEY_FILE": str(store_key)}
    assert run("demo", "--week-only", store=store, env=with_key).returncode == 0
    states = _states(store)
    assert len(states) == 59
    assert not any(b'"domain"' in s or b"Couronneries" in s for s in states)
    listed = run("list", "--json", store=store, env=with_key)
    assert listed.returncode == 0, listed.stderr
    assert len(json.loads(listed.stdout)) == 10
    status = run("keys", "status", store=store, env=with_key)
    assert "encrypted at rest: yes" in status.stdout

    assert "encrypted at rest: give its key" in _refused(run("list", store=store))
    other = tmp_path / "other.key"
    new_store_key(other)
    wrong = run("list", store=store, env={"MEDIATION_STORE_KEY_FILE": str(other)})
    assert "does not open this store" in _refused(wrong)
    (tmp_path / "bad.key").write_text("not a key\n")
    bad = run("list", store=store, env={"MEDIATION_STORE_KEY_FILE": str(tmp_path / "bad.key")})
    assert "is not a store key" in _refused(bad)
    missing = run("list", store=store, env={"MEDIATION_STORE_KEY_FILE": str(tmp_path / "no")})
    assert "cannot read the store key file" in _refused(missing)
    both = run("list", store=store, env=with_key | {"MEDIATION_STORE_KEY": "x"})
    assert "not both" in _refused(both)
    assert len(_states(store)) == 59


def test_a_clear_store_holding_data_is_not_encrypted_in_place(tmp_path, store_key):
    store = tmp_path / "cases.sqlite3"
    assert run("demo", "--week-only", store=store).returncode == 0
    refused = run(
        "demo", "--week-only", store=store, env={"MEDIATION_STORE_KEY_FILE": str(store_key)}
    )
    assert "cannot be encrypted in place" in _refused(refused)
    assert len(_states(store)) == 59
    assert "encrypted at rest: no" in run("keys", "status", store=store).stdout


@pytest.fixture
def sealed_encrypted_demo(tmp_path, store_key) -> tuple[Path, dict[str, str], Path]:
    """The demo in a store encrypted at rest, its audit chain sealed: (store, env, public key)."""
    store, with_key = tmp_path / "cases.sqlite3", {"MEDIATION_STORE_KEY_FILE": str(store_key)}
    audit_key, public = tmp_path / "audit.key", tmp_path / "audit.pub"
    run("audit", "keygen", "--private-key", str(audit_key), "--public-key", str(public))
    assert run("demo", "--week-only", store=store, env=with_key).returncode == 0
    sealed = run("audit", "seal", "--private-key", str(audit_key), store=store, env=with_key)
    assert sealed.returncode == 0, sealed.stderr
    return store, with_key, public


def test_rotating_the_store_key_keeps_the_data_and_the_audit_chain(
    tmp_path, store_key, sealed_encrypted_demo
):
    store, old, public = sealed_encrypted_demo
    new_key = tmp_path / "new.key"
    new = {"MEDIATION_STORE_KEY_FILE": str(new_key)}
    before = _states(store)
    new_store_key(new_key)

    rotated = run("keys", "rotate", "--new-key-file", str(new_key), store=store, env=old)
    assert rotated.returncode == 0, rotated.stderr
    assert _states(store) == before  # the events are not rewritten: the data key stays

    assert "does not open this store" in _refused(run("list", store=store, env=old))
    assert run("list", store=store, env=new).returncode == 0
    again = run("keys", "rotate", "--new-key-file", str(store_key), store=store, env=old)
    assert "does not open this store" in _refused(again)
    verified = run("audit", "verify", "--public-key", str(public), store=store, env=new)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert run("audit", "replay", store=store, env=new).returncode == 0

    export = tmp_path / "history.jsonl"
    assert run("audit", "export", "--out", str(export), store=store, env=new).returncode == 0
    offline = run("audit", "verify", str(export), "--public-key", str(public))
    assert offline.returncode == 0, offline.stdout  # the auditor needs no store key
    assert run("audit", "replay", str(export)).returncode == 0
    assert not any(text.encode() in export.read_bytes() for text in DEMO_PERSONAL)


def test_a_clear_store_has_no_store_key_to_rotate(tmp_path, store_key):
    store = tmp_path / "cases.sqlite3"
    assert run("demo", "--week-only", store=store).returncode == 0
    refused = run(
        "keys",
        "rotate",
        "--new-key-file",
        str(store_key),
        store=store,
        env={"MEDIATION_STORE_KEY_FILE": str(store_key)},
    )
    assert "not encrypted at rest" in _refused(refused)
    assert "give the current store key" in _refused(
        run("keys", "rotate", "--new-key-file", str(store_key), store=store)
    )


def test_a_new_key_file_is_private_and_never_overwritten(tmp_path):
    path = tmp_path / "store.key"
    made = run("keys", "new", "--out", str(path))
    assert made.returncode == 0, made.stderr
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(read_store_key(path)) == 32
    assert "refusing to overwrite" in _refused(run("keys", "new", "--out", str(path)))


def test_a_postgresql_store_encrypted_at_rest_opens_with_its_key_only(postgres_url, tmp_path):
    key_path = tmp_path / "store.key"
    new_store_key(key_path)
    key = read_store_key(key_path)
    app = open_store(postgres_url, store_key=key)
    case_id, a, _ = _record(app, "Mme Rousseau", "M. Petit")
    app.close()
    raw = open_store(postgres_url, store_key=key)
    rows = raw.recorder.select_notifications(1, 100)
    assert rows
    assert not any(b"Saint" in n.state or b'"domain"' in n.state for n in rows)
    assert raw.get_case(case_id).parties[0].name == "Mme Rousseau"
    raw.erase_subject(a)
    assert raw.get_case(case_id).parties[0].name == ERASED
    raw.close()
    with pytest.raises(StoreKeyError, match="encrypted at rest"):
        open_store(postgres_url)
    with pytest.raises(StoreKeyError, match="does not open this store"):
        open_store(postgres_url, store_key=bytes(32))


def test_a_memory_store_takes_no_store_key():
    with pytest.raises(StoreKeyError.__mro__[1], match="takes no store key"):
        open_store("memory://", store_key=bytes(32))


# The CLI -----------------------------------------------------------------------------------


def test_erase_from_the_command_line(tmp_path):
    store = tmp_path / "cases.sqlite3"
    assert run("demo", "--week-only", store=store).returncode == 0
    case = json.loads(run("list", "--json", store=store).stdout)[1]
    party = case["parties"][0]["id"]
    erased = run("erase", party, store=store)
    assert erased.returncode == 0, erased.stderr
    assert f"erased {party}" in erased.stdout
    again = run("erase", party, store=store)
    assert (again.returncode, "already erased" in again.stdout) == (0, True)
    shown = json.loads(run("show", case["case_id"], "--json", store=store).stdout)
    assert shown["parties"][0]["name"] == ERASED
    assert shown["erased"] == [party]
    assert "no case nor orientation holds personal data of p-nobody" in _refused(
        run("erase", "p-nobody", store=store)
    )
    assert "reason" in _refused(run("erase", party, "--reason", "she asked", store=store))


def test_verify_and_replay_pass_after_erasure_and_a_retention_sweep(tmp_path, monkeypatch):
    store = tmp_path / "cases.sqlite3"
    long_ago = datetime(2023, 1, 10, 9, 0, tzinfo=UTC)
    monkeypatch.setattr(CanCreateTimestamp, "create_timestamp", staticmethod(lambda: long_ago))
    app = open_store(f"sqlite:///{store}")
    old = app.request_mediation(
        domain="residents-participation",
        neighbourhood="Bellejouanne",
        referral="partner",
        parties=["Mme Garnier", "Association du square"],
        summary="Jardin partagé",
    )
    a, b = (p.id for p in app.get_case(old).parties)
    app.assign_mediator(old, mediator="med-1")
    app.give_consent(old, party=a)
    app.give_consent(old, party=b)
    app.hold_session(old, kind="joint-session", attendees=[a, b], held_on=date(2023, 1, 10))
    app.resolve(old, outcome="partial-agreement")
    app.close()
    monkeypatch.undo()
    assert run("demo", "--week-only", store=store).returncode == 0  # recent cases: not due
    audit_key, public = tmp_path / "audit.key", tmp_path / "audit.pub"
    run("audit", "keygen", "--private-key", str(audit_key), "--public-key", str(public))
    assert run("audit", "seal", "--private-key", str(audit_key), store=store).returncode == 0

    # With the default archive period (5y), a case last contacted in 2023 is archived:
    # withheld from `show`, read by a coordinator stating a reason, the read recorded.
    listed = run("retention", "--older-than", "2y", store=store)
    assert listed.returncode == 0, listed.stderr
    assert f"{old}  case" in listed.stdout
    assert "1 record(s) with no contact for over 2y: would archive" in listed.stdout
    assert "0 case(s) closed" in listed.stdout  # 2y + 5y have not passed: nothing erased
    assert "Mme Garnier" in run("show", str(old), store=store).stdout
    archived = run("retention", "--apply", "--json", store=store)
    assert archived.returncode == 0, archived.stderr
    assert [(i["action"], i["record"]) for i in json.loads(archived.stdout)] == [
        ("archive", str(old))
    ]
    shown = run("show", str(old), store=store).stdout
    assert "Mme Garnier" not in shown
    assert "[archived]" in shown
    read = run("show", str(old), "--archive-reason", "litigation", store=store)
    assert "Mme Garnier" in read.stdout, read.stderr
    assert "a mediator may not read the archive" in _refused(
        run("--as", "mediator:med-1", "show", str(old), "--archive-reason", "x", store=store)
    )
    # With no archive period, the same case is past its whole retention: erased.
    listed = run("retention", "--older-than", "2y", "--archive-for", "0", store=store)
    assert "1 case(s)" in listed.stdout
    assert "dry run" in listed.stdout
    applied = run(
        "retention", "--older-than", "2y", "--archive-for", "0", "--apply", "--json", store=store
    )
    assert applied.returncode == 0, applied.stderr
    assert [item["case_id"] for item in json.loads(applied.stdout)] == [str(old)]
    shown = run("show", str(old), store=store).stdout
    assert "Mme Garnier" not in shown
    assert "Jardin" not in shown
    assert "partial-agreement" in shown  # the anonymous facts stay, for the statistics
    assert "0 case(s)" in run("retention", "--archive-for", "0", store=store).stdout

    assert run("audit", "seal", "--private-key", str(audit_key), store=store).returncode == 0
    verified = run("audit", "verify", "--public-key", str(public), store=store)
    assert verified.returncode == 0, verified.stdout
    assert run("audit", "replay", store=store).returncode == 0
    assert "invalid period" in _refused(run("retention", "--older-than", "2 days", store=store))


def test_an_altered_record_of_an_encrypted_store_is_reported_not_a_crash(sealed_encrypted_demo):
    store, with_key, public = sealed_encrypted_demo
    with sqlite3.connect(store) as db:
        (state,) = db.execute("SELECT state FROM stored_events WHERE rowid = 7").fetchone()
        altered = bytes(state[:-1]) + bytes([state[-1] ^ 1])
        db.execute("UPDATE stored_events SET state = ? WHERE rowid = 7", (altered,))
    verified = run("audit", "verify", "--public-key", str(public), store=store, env=with_key)
    assert verified.returncode == 1, verified.stderr
    assert "modified at 7" in verified.stdout
    replayed = run("audit", "replay", store=store, env=with_key)
    assert (replayed.returncode, "record-is-readable" in replayed.stdout) == (1, True)


# What the review found ---------------------------------------------------------------------


class _LegacyClearSealer:
    """How release 0.1 stored personal values: as they were, scheme 'clear'."""

    def seal_all(self, _, values):
        return [Sealed(subject, "clear", text) for subject, _, text in values]

    def open_all(self, values):
        return [value.text for _, _, value in values]

    def forget(self, _):
        return set()

    def purge(self):
        return True

    def knows(self, _):
        return False


def _legacy_store(path: Path) -> tuple[str, str]:
    """A store as release 0.1 wrote it: names and summary in clear."""
    app = open_store(f"sqlite:///{path}", sealer=_LegacyClearSealer())
    case_id = app.request_mediation(
        domain="public-space-and-housing",
        neighbourhood="Beaulieu",
        referral="landlord",
        parties=["Mme Legacy-Bérénice", "M. Ancien"],
        summary="Ancien différend de voisinage",
    )
    party = app.get_case(case_id).parties[0].id
    app.close()
    return str(case_id), party


def test_values_stored_in_clear_by_release_0_1_are_owned_up_to_and_copied_away(tmp_path):
    old, new = tmp_path / "old.sqlite3", tmp_path / "new.sqlite3"
    case_id, party = _legacy_store(old)
    assert b"Mme Legacy-B" in _files(old)
    shown = json.loads(run("show", case_id, "--json", store=old).stdout)
    assert shown["parties"][0]["name"] == "Mme Legacy-Bérénice"  # read as stored, not hidden

    erased = run("erase", party, store=old)
    assert erased.returncode == 1, erased.stderr  # the key is gone, the clear value is not
    assert "stored in clear by release 0.1" in erased.stderr
    assert "mediation copy" in erased.stderr
    shown = json.loads(run("show", case_id, "--json", store=old).stdout)
    assert shown["parties"][0]["name"] == ERASED

    copied = run("copy", "--to", f"sqlite:///{new}", store=old)
    assert copied.returncode == 0, copied.stderr
    assert "kept erased" in copied.stdout
    stored = _files(new)
    for text in ("Mme Legacy-Bérénice", "M. Ancien", "Ancien différend"):
        assert not any(form in stored for form in _forms(text)), text
    shown = json.loads(run("show", case_id, "--json", store=new).stdout)
    assert [p["name"] for p in shown["parties"]] == [ERASED, "M. Ancien"]
    assert shown["summary"] == "Ancien différend de voisinage"
    assert shown["erased"] == [party]
    again = run("erase", party, store=new)
    assert (again.returncode, "already erased" in again.stdout) == (0, True)
    assert run("audit", "replay", store=new).returncode == 0
    refused = run("copy", "--to", f"sqlite:///{new}", store=old)
    assert "not empty" in _refused(refused)


def test_a_clear_store_is_copied_into_an_encrypted_one(tmp_path, store_key):
    old, new = tmp_path / "old.sqlite3", tmp_path / "new.sqlite3"
    assert run("demo", "--week-only", store=old).returncode == 0
    copied = run("copy", "--to", f"sqlite:///{new}", "--to-key-file", str(store_key), store=old)
    assert copied.returncode == 0, copied.stderr
    assert not any(b"Couronneries" in state for state in _states(new))
    with_key = {"MEDIATION_STORE_KEY_FILE": str(store_key)}
    before = json.loads(run("list", "--json", store=old).stdout)
    after = json.loads(run("list", "--json", store=new, env=with_key).stdout)
    assert after == before


def test_a_postgresql_store_created_without_encryption_refuses_a_store_key(postgres_url):
    app = open_store(postgres_url)
    _record(app, "Mme Claire", "M. Net")
    app.close()
    with pytest.raises(StoreKeyError, match="cannot be encrypted in place"):
        open_store(postgres_url, store_key=bytes(32))
    open_store(postgres_url).close()  # and it still opens as it was


def test_the_first_opening_decides_encryption_even_before_anything_is_stored(tmp_path):
    url = f"sqlite:///{tmp_path / 'cases.sqlite3'}"
    open_store(url).close()  # opened without a key: a clear store, though empty
    with pytest.raises(StoreKeyError, match="cannot be encrypted in place"):
        open_store(url, store_key=bytes(32))


def test_a_party_id_that_reads_as_a_case_id_is_refused_and_an_old_one_erased_as_written(
    tmp_path,
):
    app = open_store(f"sqlite:///{tmp_path / 'cases.sqlite3'}")
    hexid = "0123456789abcdef0123456789abcdef"
    with pytest.raises(InvalidInputError, match="reads as a case id"):
        app.request_mediation(
            domain="access-to-rights",
            neighbourhood="Bel-Air",
            referral="city",
            parties=["Mme Hex"],
            party_ids=[hexid],
        )
    assert app.sealer.keys.keys([hexid]) == {}  # refused before any key was made
    # A store written before the refusal may hold one: it is erased as written.
    case_id = uuid4()
    name, summary = app.sealer.seal_all(
        str(case_id), [(hexid, PARTY_NAME, "Mme Hex"), (str(case_id), SUMMARY, "")]
    )
    requested = MediationCase.Requested(  # as a release without the rule recorded it
        originator_id=case_id,
        originator_version=1,
        timestamp=MediationCase.Requested.create_timestamp(),
        originator_topic=get_topic(MediationCase),
        domain=InterventionDomain.ACCESS_TO_RIGHTS,
        neighbourhood="Bel-Air",
        referral=ReferralSource.CITY,
        parties=(Party(PartyId(hexid), name),),
        summary=summary,
    )
    old = requested.mutate(None)
    old.pending_events.append(requested)
    app.save(old)
    found = [f.violation.rule for f in review(app.history())]
    assert found == ["party-id-is-not-a-case-id"]  # the auditor's replay sees it too
    erasure = app.erase_subject(hexid)
    assert erasure.cases == (case_id,)
    assert app.get_case(case_id).parties[0].name == ERASED
    app.close()


def test_a_refused_request_makes_no_key(tmp_path):
    store = tmp_path / "cases.sqlite3"
    assert run("demo", "--week-only", store=store).returncode == 0
    before = run("keys", "status", store=store).stdout
    refused = run(
        "request",
        "--domain",
        "public-transport",
        "--neighbourhood",
        "Beaulieu",
        "--referral",
        "resident",
        "--party",
        "A",
        "--party-id",
        "p-dup",
        "--party",
        "B",
        "--party-id",
        "p-dup",
        store=store,
    )
    _refused(refused)
    assert run("keys", "status", store=store).stdout == before


def test_a_key_no_case_holds_can_still_be_erased(tmp_path):
    app = open_store(f"sqlite:///{tmp_path / 'cases.sqlite3'}")
    app.sealer.seal_all("c-1", [("p-orphan", PARTY_NAME, "left by a save that lost a race")])
    erasure = app.erase_subject("p-orphan")
    assert (erasure.cases, erasure.key_deleted, erasure.recorded) == ((), True, 0)
    app.close()


def test_an_erasure_while_a_reader_holds_the_log_says_what_may_remain(tmp_path):
    store = tmp_path / "cases.sqlite3"
    app = open_store(f"sqlite:///{store}")
    _, a, _ = _record(app, "Mme Lecture", "M. Attente")
    app.close()
    key = _subject_key(store, a)
    reader = sqlite3.connect(store)
    reader.execute("BEGIN")
    reader.execute("SELECT COUNT(*) FROM stored_events").fetchone()  # a read snapshot held
    try:
        held = run("erase", a, store=store)
    finally:
        reader.rollback()
        reader.close()
    assert held.returncode == 1, held.stderr
    assert "-wal" in held.stderr
    quiet = run("erase", a, store=store)  # again, with no reader: the log is reset
    assert (quiet.returncode, quiet.stderr) == (0, "")
    assert key not in _files(store)


def test_a_retention_period_reaching_before_year_one_is_refused(tmp_path):
    store = tmp_path / "cases.sqlite3"
    assert run("demo", "--week-only", store=store).returncode == 0
    assert "before the year 1" in _refused(run("retention", "--older-than", "2030y", store=store))
    assert "before the year 1" in _refused(run("retention", "--older-than", "9999y", store=store))


def test_key_commands_never_create_a_store_and_report_driver_errors_in_one_line(
    tmp_path, postgres_server
):
    missing = tmp_path / "typo.sqlite3"
    assert "no store at" in _refused(run("keys", "status", store=missing))
    assert not missing.exists()
    nosuch = run("--store", f"{postgres_server}?schema=nosuch_schema_here", "keys", "status")
    assert "mediation:" in _refused(nosuch)


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_new_keys_commit_unflushed_and_the_connection_is_left_as_it_was(
    backend, request, monkeypatch
):
    url = (
        request.getfixturevalue("postgres_url")
        if backend == "postgres"
        else f"sqlite:///{request.getfixturevalue('tmp_path') / 'cases.sqlite3'}"
    )
    app = open_store(url)
    db = app.sealer.keys._db  # the key store's own connection  # noqa: SLF001
    show = "SHOW synchronous_commit" if backend == "postgres" else "PRAGMA synchronous"
    before = db.rows(show)
    said: list[str] = []
    for name in ("execute", "rows"):
        method = getattr(db, name)

        def saying(sql, params=(), method=method):
            said.append(" ".join(sql.split()[:4]))
            return method(sql, params)

        monkeypatch.setattr(db, name, saying)
    case_id = app.request_mediation(
        domain="public-transport", neighbourhood="Beaulieu", referral="resident", parties=["Zoé"]
    )
    inserting = said.index('INSERT INTO mediation_subject_keys ("subject",')
    relaxed = {
        "postgres": "SET LOCAL synchronous_commit =",
        "sqlite": "PRAGMA synchronous = NORMAL",
    }
    assert said[inserting - 1] == relaxed[backend]
    monkeypatch.undo()
    assert db.rows(show) == before  # FULL (2) on SQLite, "on" on PostgreSQL: nothing else relaxed
    with db.transaction(), db.dialect.unflushed(db):
        assert db.rows(show) == before  # inside a transaction: its other statements stay flushed
    app.close()
    reopened = open_store(url)
    assert reopened.get_case(case_id).parties[0].name == "Zoé"
    reopened.close()


def _stored_state(path: Path, case_id: str, version: int) -> dict:
    with sqlite3.connect(path) as db:
        (state,) = db.execute(
            "SELECT state FROM stored_events WHERE originator_id = ? AND originator_version = ?",
            (case_id.replace("-", ""), version),
        ).fetchone()
    return json.loads(state)


def _rewrite_state(path: Path, case_id: str, version: int, state: dict) -> None:
    with sqlite3.connect(path) as db:
        db.execute(
            "UPDATE stored_events SET state = ? WHERE originator_id = ? AND originator_version = ?",
            (json.dumps(state).encode(), case_id.replace("-", ""), version),
        )


def test_sealed_values_moved_in_the_stored_events_open_nowhere_else(tmp_path):
    path = tmp_path / "cases.sqlite3"
    app = open_store(f"sqlite:///{path}")
    first, _, _ = _record(app, "Mme Lefèvre", "M. Diallo")
    second, _, _ = _record(app, "M. Šimek", "Mme Roux")
    app.close()
    requested = _stored_state(path, first, 1)
    contact = requested["parties"][0]["_data_"]["contact"]
    requested["parties"][0]["_data_"]["name"] = contact  # a contact put where a name is
    _rewrite_state(path, first, 1, requested)
    other = _stored_state(path, second, 1)
    other["summary"] = requested["summary"]  # a whole sealed summary copied into another case
    _rewrite_state(path, second, 1, other)
    app = open_store(f"sqlite:///{path}")
    try:
        assert app.get_case(first).parties[0].name == "[sealed]"
        assert app.get_case(first).parties[0].contact == "Mme Lefèvre @ tel"
        assert app.get_case(first).summary == "conflit: Mme Lefèvre"
        assert app.get_case(second).summary == "[sealed]"
        app.erase_subject(second)  # erasing the case it was copied into: it never opened
        assert app.get_case(second).summary == "[sealed]"
        assert app.get_case(first).summary == "conflit: Mme Lefèvre"
    finally:
        app.close()


def test_a_sealed_value_moved_to_another_party_of_the_case_does_not_open_there(tmp_path):
    path = tmp_path / "cases.sqlite3"
    app = open_store(f"sqlite:///{path}")
    case, a, _ = _record(app, "Mme Lefèvre", "M. Diallo")
    joined = app.join_party(case, name="Mme Roux")
    app.close()
    requested = _stored_state(path, case, 1)
    first, second = requested["parties"]
    second["_data_"]["name"] = first["_data_"]["name"]  # her sealed name under his id
    _rewrite_state(path, case, 1, requested)
    joining = _stored_state(path, case, 5)
    joining["party"]["_data_"]["name"] = first["_data_"]["name"]  # ...and under Mme Roux's
    _rewrite_state(path, case, 5, joining)
    app = open_store(f"sqlite:///{path}")
    try:
        names = {party.id: party.name for party in app.get_case(case).parties}
        assert names[a] == "Mme Lefèvre"
        assert set(names.values()) - {"Mme Lefèvre"} == {"[sealed]"}
        assert names[joined] == "[sealed]"
    finally:
        app.close()


def test_a_copy_reseals_each_session_s_notes_for_its_own_session(tmp_path):
    source = open_store(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    case_id, a, _ = _record(source, "Mme Roux", "M. Blanc")
    source.hold_session(case_id, kind="individual-interview", attendees=[a], notes="revu")
    target = open_store(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    copy_store(source, target)
    notes = [s.notes for s in target.get_case(case_id).sessions]
    assert notes == ["vu Mme Roux", "revu"] == [s.notes for s in source.get_case(case_id).sessions]
    source.close()
    target.close()
