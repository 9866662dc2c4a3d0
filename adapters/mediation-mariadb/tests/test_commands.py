"""Every command an operator runs, on a MariaDB store reached by its URL alone."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pymysql
import pytest
from mediation_mariadb import settings_of

MEDIATION = str(Path(sys.executable).with_name("mediation"))
DATADIR = Path(os.environ.get("MEDIATION_TEST_MARIADB_DATADIR", "/var/lib/mysql"))


def run(url: str, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATION_")}
    return subprocess.run(
        [MEDIATION, "--store", url, *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd,
        timeout=300,
        check=False,
    )


def ok(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_demo_report_audit_erase_retention_and_copy_run_on_mariadb(mariadb_url, tmp_path):
    assert "Recorded 10 mediations" in ok(run(mariadb_url, "demo", "--week-only"))
    report = json.loads(ok(run(mariadb_url, "report", "--exact", "--format", "json")))
    assert report["total"]["counts"]["requests"] >= 10
    key, public = tmp_path / "audit.key", tmp_path / "audit.pub"
    ok(run(mariadb_url, "audit", "keygen", "--private-key", str(key), "--public-key", str(public)))
    assert "sealed 59 records, up to record 59" in ok(
        run(mariadb_url, "audit", "seal", "--private-key", str(key))
    )
    assert "intact" in ok(run(mariadb_url, "audit", "verify", "--public-key", str(public)))
    export = tmp_path / "history.jsonl"
    ok(run(mariadb_url, "audit", "export", "--out", str(export)))
    assert "intact" in ok(
        run("memory://", "audit", "verify", str(export), "--public-key", str(public))
    )
    assert "respected the deontology" in ok(run(mariadb_url, "audit", "replay"))
    party = json.loads(ok(run(mariadb_url, "list", "--json", "--limit", "1")))[0]["parties"][0][
        "id"
    ]
    assert "key deleted" in ok(run(mariadb_url, "erase", party))
    assert "dry run" in ok(run(mariadb_url, "retention", "--older-than", "2y"))
    copied = tmp_path / "copy.sqlite3"
    assert "copied 60 events" in ok(run(mariadb_url, "copy", "--to", f"sqlite:///{copied}"))
    kept = ok(run(mariadb_url, "copy", "--to", "memory://"))
    assert "2 erased subject(s) kept erased" in kept  # the demo's own erasure, and this one


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_answers_on_mariadb(mariadb_url, tmp_path):
    tokens = tmp_path / "tokens.json"
    made = subprocess.run(
        [MEDIATION, "tokens", "add", "--file", str(tokens), "--role", "coordinator",
     "--identity", "c"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    port = _free_port()
    server = subprocess.Popen(
        [MEDIATION, "--store", mariadb_url, "serve", "--port", str(port), "--tokens", str(tokens)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Bearer {made.stdout.strip()}"},
        ) as client:
            for _ in range(300):
                try:
                    client.get("/openapi.json")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            request = {
                "domain": "public-transport",
                "neighbourhood": "Beaulieu",
                "referral": "city",
                "parties": [{"name": "Mme A"}],
            }
            created = client.post("/cases", json=request)
            assert created.status_code == 201, created.text
            listed = client.get("/cases")
            assert [case["case_id"] for case in listed.json()] == [created.json()["case_id"]]
    finally:
        server.terminate()
        _, err = server.communicate(timeout=30)
    assert "Traceback" not in err


def test_an_erased_key_leaves_the_tables_files(mariadb_url):
    table_file = DATADIR / mariadb_url.rpartition("/")[2] / "mediation_subject_keys.ibd"
    ok(run(mariadb_url, "demo", "--week-only"))
    if not os.access(table_file, os.R_OK):
        reason = f"cannot read MariaDB's files under {DATADIR} (MEDIATION_TEST_MARIADB_DATADIR)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    party = json.loads(ok(run(mariadb_url, "list", "--json", "--limit", "1")))[0]["parties"][0][
        "id"
    ]
    settings = settings_of(mariadb_url)
    with pymysql.connect(**settings) as db, db.cursor() as cursor:
        cursor.execute("SELECT `key` FROM mediation_subject_keys WHERE subject = %s", (party,))
        (key,) = cursor.fetchone()
        _flushed(cursor)
        assert key in table_file.read_bytes(), "the check could not see the key before erasure"
    ok(run(mariadb_url, "erase", party))
    assert key not in table_file.read_bytes()  # the erasure wrote the page now, not later


def _flushed(cursor) -> None:
    """InnoDB writes a table's pages to its file in the background: now, for the test."""
    cursor.execute("FLUSH TABLES mediation_subject_keys FOR EXPORT")
    cursor.execute("UNLOCK TABLES")
