"""Institutions as parties on the command line: `request --institution`, `join --institution`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from .test_cli import run, stored_events

pytestmark = pytest.mark.slow

REQUEST = (
    *("request", "--domain", "public-space-and-housing", "--neighbourhood", "Couronneries"),
    *("--referral", "landlord", "--summary", "Infiltrations"),
)


@pytest.fixture
def store(tmp_path: Path) -> Path:
    return tmp_path / "cases.sqlite3"


def test_a_landlord_and_a_school_take_part_through_their_representatives(store: Path):
    opened = run(
        *REQUEST,
        *("--party", "Mme Lefèvre", "--institution", ""),
        *("--party", "M. Martin", "--institution", "landlord:Habitat de la Vienne"),
        store=store,
    )
    assert opened.returncode == 0, opened.stderr
    lines = opened.stdout.splitlines()
    assert lines[1].endswith("  Mme Lefèvre")
    assert lines[2].endswith("  M. Martin, for Habitat de la Vienne (landlord)")
    case = lines[0].split()[1]
    joined = run(
        *("join", case, "--name", "Mme Dubois", "--contact", "05 49 00 00 00"),
        *("--institution", "school:École Jules Ferry", "--json"),
        store=store,
    )
    assert joined.returncode == 0, joined.stderr
    parties = json.loads(joined.stdout)["parties"]
    assert [p["institution"] for p in parties] == [
        None,
        {"kind": "landlord", "name": "Habitat de la Vienne"},
        {"kind": "school", "name": "École Jules Ferry"},
    ]
    assert parties[2]["name"] == "Mme Dubois"
    shown = run("show", case, store=store).stdout
    assert "M. Martin, for Habitat de la Vienne (landlord)  (consent pending)" in shown
    assert "Mme Dubois, for École Jules Ferry (school)  (consent pending)  05 49 00 00 00" in shown
    with sqlite3.connect(store) as db:
        states = b"".join(row[0] for row in db.execute("SELECT state FROM stored_events"))
    assert b"Habitat de la Vienne" in states  # in clear
    assert b"M. Martin" not in states  # sealed


def test_erasing_a_representative_leaves_the_institution_shown(store: Path):
    opened = run(
        *REQUEST,
        *("--party", "M. Martin", "--party-id", "p-martin"),
        *("--institution", "landlord:Habitat de la Vienne", "--json"),
        store=store,
    )
    case = json.loads(opened.stdout)["case_id"]
    assert run("erase", "p-martin", store=store).returncode == 0
    shown = run("show", case, store=store).stdout
    assert "p-martin  [erased], for Habitat de la Vienne (landlord)" in shown


@pytest.mark.parametrize(
    ("institution", "says"),
    [
        ("landlord", "invalid --institution 'landlord': KIND:NAME"),
        ("lanlord:Habitat", "unknown partner kind 'lanlord'; expected one of: landlord,"),
        ("landlord:", "institution name is empty"),
        ("landlord:" + "H" * 201, "is longer than 200 characters"),
        ("landlord:Habitat\u202e", "holds a control, invisible or direction character"),
        ("landlord:Habi\ttat", "holds a control, invisible or direction character"),
    ],
)
def test_a_bad_institution_exits_2_with_one_line_and_stores_nothing(
    store: Path, institution: str, says: str
):
    request = run(*REQUEST, "--party", "M. Martin", "--institution", institution, store=store)
    assert stored_events(store) == 0
    case = json.loads(run(*REQUEST, "--party", "Mme Lefèvre", "--json", store=store).stdout)
    joined = run(
        *("join", case["case_id"], "--name", "M. Martin", "--institution", institution),
        store=store,
    )
    assert stored_events(store) == 1
    for refused in (request, joined):
        assert refused.returncode == 2, refused.stdout
        assert len(refused.stderr.splitlines()) == 1, refused.stderr
        assert says in refused.stderr
        assert len(refused.stderr) < 400


def test_one_institution_per_party_or_none(store: Path):
    done = run(
        *REQUEST,
        *("--party", "Mme Lefèvre", "--party", "M. Martin"),
        *("--institution", "landlord:Habitat de la Vienne"),
        store=store,
    )
    assert done.returncode == 2
    assert done.stderr == ('mediation: give one institution per party ("" for a person), or none\n')
    assert stored_events(store) == 0
