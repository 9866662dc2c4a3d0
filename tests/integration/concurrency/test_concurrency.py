"""Several threads in two processes on the same cases; a writer killed mid-run.

Run on a SQLite file and on PostgreSQL: the stores users share between offices.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest

from mediation_adapters.stores import open_store
from mediation_domain.rules import review

pytestmark = pytest.mark.slow

WRITER = Path(__file__).with_name("writer.py")
PROCESSES, THREADS, COMMANDS = 2, 4, 15


@pytest.fixture(params=["sqlite", "postgres"])
def shared_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgres":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'shared.sqlite3'}"


def _versions_by_case(url: str) -> dict[str, list[int]]:
    app = open_store(url)
    versions: dict[str, list[int]] = defaultdict(list)
    for event in app.history():
        versions[str(event.originator_id)].append(event.originator_version)
    app.close()
    return versions


def test_concurrent_writers_lose_nothing_and_duplicate_nothing(shared_url: str):
    app = open_store(shared_url)
    cases = [
        str(
            app.request_mediation(
                domain="public-transport",
                neighbourhood="Beaulieu",
                referral="resident",
                parties=["Premier"],
            )
        )
        for _ in range(3)
    ]
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                str(WRITER),
                "hammer",
                shared_url,
                "--cases",
                ",".join(cases),
                "--name",
                f"proc{n}",
                "--threads",
                str(THREADS),
                "--commands",
                str(COMMANDS),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(PROCESSES)
    ]
    tallies = []
    for writer in writers:
        out, err = writer.communicate(timeout=300)
        assert writer.returncode == 0, err
        tallies.append(json.loads(out))
    accepted = sum(t["accepted"] for t in tallies)
    assert accepted == PROCESSES * THREADS * COMMANDS

    versions = _versions_by_case(shared_url)
    stored = sum(len(v) for v in versions.values())
    assert stored == len(cases) + accepted  # one event per accepted command, none lost or doubled
    for case_versions in versions.values():
        assert case_versions == list(range(1, len(case_versions) + 1))  # no gap, no duplicate
    reloaded = [app.get_case(case_id) for case_id in cases]
    assert sum(len(view.parties) - 1 for view in reloaded) == accepted
    assert list(review(app.history())) == []
    app.close()


def test_a_writer_killed_mid_run_leaves_only_whole_commits(shared_url: str):
    committed: dict[str, int] = {}
    with subprocess.Popen(
        [sys.executable, str(WRITER), "until-killed", shared_url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as writer:
        assert writer.stdout is not None
        deadline = time.monotonic() + 60
        while len(committed) < 40 and time.monotonic() < deadline:
            line = writer.stdout.readline()
            if not line:
                break
            case_id, version = line.split()
            committed[case_id] = int(version)
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
        errors = writer.stderr.read() if writer.stderr else ""
    assert writer.returncode == -signal.SIGKILL
    assert len(committed) >= 40, errors

    app = open_store(shared_url)
    for case_id, version in committed.items():
        assert app.get_case(case_id).version >= version
    versions = _versions_by_case(shared_url)
    assert set(committed) <= set(versions)
    for case_versions in versions.values():
        assert case_versions in ([1], [1, 2, 3, 4])  # a save of three events is all or nothing
    assert list(review(app.history())) == []
    app.close()
    if shared_url.startswith("sqlite"):
        with sqlite3.connect(shared_url.removeprefix("sqlite:///")) as db:
            assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_offices_starting_together_on_a_new_store_all_open_it(shared_url: str):
    opening = (
        "import sys; from mediation_adapters.stores import open_store; open_store(sys.argv[1])"
    )
    openers = [
        subprocess.Popen(
            [sys.executable, "-c", opening, shared_url], stderr=subprocess.PIPE, text=True
        )
        for _ in range(8)
    ]
    failures = []
    for opener in openers:
        _, err = opener.communicate(timeout=120)
        if opener.returncode != 0:
            failures.append(err.strip().splitlines()[-1])
    assert failures == []
