"""The `mediation` console script, run as a user runs it: a real process on a real file."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mediation_domain.errors import quoted

pytestmark = pytest.mark.slow

SCRIPT = Path(sys.executable).with_name("mediation")
MEDIATION = str(SCRIPT) if SCRIPT.exists() else shutil.which("mediation")


def run(*args: str, store: Path | None = None, cwd: Path | None = None, env: dict | None = None):
    command = [MEDIATION, *(["--store", f"sqlite:///{store}"] if store else []), *args]
    # Only what the test gives: a developer's own MEDIATION_* settings must not leak in.
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATION_")}
    environment |= env or {}
    return subprocess.run(
        command, capture_output=True, text=True, cwd=cwd, env=environment, timeout=60, check=False
    )


def stored_events(store: Path) -> int:
    if not store.exists():
        return 0
    with sqlite3.connect(store) as db:
        return db.execute("SELECT COUNT(*) FROM stored_events").fetchone()[0]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "cases.sqlite3"


def request(store: Path) -> dict:
    done = run(
        "request",
        "--domain",
        "public-space-and-housing",
        "--neighbourhood",
        "couronneries",
        "--referral",
        "landlord",
        "--party",
        "Mme Lefèvre",
        "--party",
        "M. Diallo",
        "--summary",
        "bruit la nuit",
        "--json",
        store=store,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_a_mediation_from_request_to_agreement(store: Path):
    case = request(store)
    cid = case["case_id"]
    a, b = (p["id"] for p in case["parties"])
    for args in (
        ("assign", cid, "--mediator", "med-amina"),
        ("consent", cid, "--party", a),
        ("consent", cid, "--party", b),
        ("session", cid, "--kind", "joint-session", "--attendee", a, "--attendee", b),
        ("resolve", cid, "--outcome", "agreement"),
    ):
        done = run(*args, store=store)
        assert done.returncode == 0, done.stderr
        assert done.stdout.startswith(f"recorded: case {cid}")
    shown = json.loads(run("show", cid, "--json", store=store).stdout)
    assert shown["status"] == "resolved"
    assert shown["neighbourhood"] == "Couronneries"
    assert shown["consenting"] == sorted([a, b])
    first = json.loads(run("show", cid, "--as-of", "1", "--json", store=store).stdout)
    assert (first["version"], first["status"]) == (1, "awaiting-mediator")
    human = run("show", cid, store=store).stdout
    assert "Mme Lefèvre" in human
    assert "agreement" in human
    listed = json.loads(run("list", "--status", "resolved", "--json", store=store).stdout)
    assert [c["case_id"] for c in listed] == [cid]
    assert stored_events(store) == 6


def test_a_time_without_an_offset_is_the_service_s_time(store: Path):
    cid = request(store)["case_id"]
    an_hour_ago_utc = (datetime.now(UTC) - timedelta(hours=1)).replace(tzinfo=None)
    text = an_hour_ago_utc.isoformat(timespec="minutes")

    def show(zone: str) -> subprocess.CompletedProcess:
        return run("show", cid, "--as-of", text, store=store, env={"MEDIATION_TIMEZONE": zone})

    assert show("UTC").returncode == 2  # an hour before the request
    assert "requested after" in show("UTC").stderr
    assert show("Etc/GMT+2").returncode == 0  # UTC-2: an hour after it
    unknown = show("Mars/Olympus")
    assert (unknown.returncode, len(unknown.stderr.strip().splitlines())) == (2, 1)


def test_the_list_is_printed_as_the_cases_are_read(store: Path):
    assert run("list", "--json", store=store).stdout == "[]\n"
    assert run("list", store=store).stdout == "no case matches\n"
    ids = [request(store)["case_id"] for _ in range(3)]
    streamed = run("list", "--json", store=store).stdout
    listed = json.loads(streamed)
    assert [c["case_id"] for c in listed] == ids
    # Written an item at a time, the same text as one dump of the whole list.
    assert streamed == json.dumps(listed, ensure_ascii=False, indent=2) + "\n"
    lines = run("list", store=store).stdout.splitlines()
    header = ["case", "requested", "status", "neighbourhood", "domain", "mediator", "events"]
    assert lines[0].split() == header
    assert [line.split()[0] for line in lines[1:]] == ids
    refused = run("list", "--status", "sleeping", "--json", store=store)
    assert (refused.returncode, refused.stdout) == (2, "")  # refused before a case is read
    assert len(refused.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            (
                "request",
                "--domain",
                "gardening",
                "--neighbourhood",
                "Beaulieu",
                "--referral",
                "city",
                "--party",
                "A",
            ),
            "unknown intervention domain 'gardening'",
        ),
        (
            (
                "request",
                "--domain",
                "public-transport",
                "--neighbourhood",
                "Beaulieu",
                "--referral",
                "city",
                "--party",
                "",
            ),
            "party name is empty",
        ),
        (
            (
                "request",
                "--domain",
                "public-transport",
                "--neighbourhood",
                "Montmartre",
                "--referral",
                "city",
                "--party",
                "A",
            ),
            "unknown neighbourhood 'Montmartre'",
        ),
        (("show", "not-a-uuid"), "invalid case id"),
        (("show", "8f0f5b8e-0000-4000-8000-000000000000"), "no case 8f0f5b8e"),
        (("request", "--domain", "public-transport"), "required"),
        (
            ("session", "x", "--kind", "joint-session", "--attendee", "p", "--date", "tomorrow"),
            "invalid date",
        ),
        (("frobnicate",), "invalid choice"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_stores_nothing(store: Path, args, says):
    before = stored_events(store)
    done = run(*args, store=store)
    assert done.returncode == 2
    assert done.stdout == ""
    assert says in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr
    assert stored_events(store) == before


def test_a_session_without_consent_is_refused_and_stores_nothing(store: Path):
    case = request(store)
    cid, (a, b) = case["case_id"], [p["id"] for p in case["parties"]]
    assert run("assign", cid, "--mediator", "med-1", store=store).returncode == 0
    before = stored_events(store)
    done = run(
        "session", cid, "--kind", "joint-session", "--attendee", a, "--attendee", b, store=store
    )
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.strip() == f"mediation: {a} has no live consent (consent pending)"
    assert stored_events(store) == before
    assert json.loads(run("show", cid, "--json", store=store).stdout)["sessions"] == []


def test_an_unusable_store_is_one_line_exit_2(tmp_path: Path):
    done = run("list", env={"MEDIATION_STORE": f"sqlite:///{tmp_path}/missing/dir.db"})
    assert done.returncode == 2
    url, directory = f"sqlite:///{tmp_path}/missing/dir.db", f"{tmp_path}/missing"
    assert done.stderr.strip() == (
        f"mediation: cannot open {quoted(url)}: directory {quoted(directory)} does not exist"
    )


def test_the_demo_runs_twice_on_the_default_store_in_the_working_directory(tmp_path: Path):
    first = run("demo", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "Recorded 10 mediations" in first.stdout
    assert "after a year of 720 routine cases" in first.stdout  # an empty store gets a year
    for place in (
        "Beaulieu",
        "Bel-Air",
        "Bellejouanne",
        "Couronneries",
        "Saint-Éloi",
        "Trois-Cités",
    ):
        assert place in first.stdout
    assert "has no live consent" in first.stdout  # the refusals are shown, not hidden
    second = run("demo", cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "routine cases" not in second.stdout  # once only: a second run adds a week
    assert "the store now holds 740 cases" in second.stdout
    listed = json.loads(run("list", "--json", cwd=tmp_path).stdout)
    assert len(listed) == 740
    assert {c["domain"] for c in listed} == {
        "public-space-and-housing",
        "access-to-rights",
        "public-transport",
        "schools-and-youth",
        "residents-participation",
    }
    assert {c["status"] for c in listed} == {
        "awaiting-mediator",
        "in-mediation",
        "withdrawn",
        "resolved",
    }


def test_the_store_can_come_from_the_environment(tmp_path: Path):
    store = tmp_path / "env.sqlite3"
    done = run("demo", env={"MEDIATION_STORE": f"sqlite:///{store}"})
    assert done.returncode == 0, done.stderr
    assert stored_events(store) > 50


def test_the_demo_runs_on_postgresql(postgres_url: str):
    done = run("demo", env={"MEDIATION_STORE": postgres_url})
    assert done.returncode == 0, done.stderr
    assert "Recorded 10 mediations" in done.stdout
    listed = json.loads(run("list", "--json", env={"MEDIATION_STORE": postgres_url}).stdout)
    assert len(listed) == 730


def test_a_refused_postgresql_connection_is_exit_2_one_line(postgres_server: str):
    done = run("list", env={"MEDIATION_STORE": postgres_server.replace(":5432/", ":1/")})
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Connection refused" in done.stderr


def test_the_demo_s_next_steps_name_the_store_given_on_the_command_line(tmp_path: Path):
    store = tmp_path / "given.sqlite3"
    done = run("demo", "--week-only", store=store, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    nexts = done.stdout.split("\nNext: ", 1)[1]
    assert f"--store sqlite:///{store} list" in nexts
    assert f"--store sqlite:///{store} report --exact" in nexts
    from_env = run("demo", "--week-only", env={"MEDIATION_STORE": f"sqlite:///{store}"})
    assert "--store" not in from_env.stdout.split("\nNext: ", 1)[1]  # the shell has it


def test_the_case_index_is_caught_up_and_rebuilt_from_the_command_line(store: Path):
    case = request(store)
    assert run("assign", case["case_id"], "--mediator", "med-1", store=store).returncode == 0
    caught_up = run("index", store=store)
    assert caught_up.returncode == 0, caught_up.stderr
    assert caught_up.stdout.splitlines() == [
        "case index caught up: it stands at record 2 of the log",
        "2 records folded by this command",
    ]
    rebuilt = run("index", "--rebuild", store=store)
    assert rebuilt.stdout.splitlines() == [
        "case index rebuilt: it stands at record 2 of the log",
        "2 records folded by this command",
    ]
    mine = json.loads(run("list", "--mediator", "med-1", "--json", store=store).stdout)
    assert [c["case_id"] for c in mine] == [case["case_id"]]
    refused = run("--as", "mediator:med-1", "index", "--rebuild", store=store)
    assert (refused.returncode, refused.stderr.strip()) == (
        2,
        "mediation: a mediator may not administer",
    )
