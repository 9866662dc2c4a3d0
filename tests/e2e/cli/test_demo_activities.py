"""The demo records a year, then a week, of the team's work beside cases, on a SQLite file.

Every kind of activity in every neighbourhood, within the rules the auditor's replay
re-checks, and every oriented person's name sealed: none is found in the store's files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from mediation_adapters.stores import open_store
from mediation_domain import POITIERS
from mediation_domain.activity_values import ActionKind

from .test_cli import run

pytestmark = pytest.mark.slow

KINDS = ("round", "watch", "orientation", "action")


@dataclass
class Demo:
    """Two demo runs on one store: what they printed, and what the store then holds."""

    store: Path
    printed: list[str]
    activities: dict[str, list[dict[str, Any]]]
    names: list[str]  # the oriented persons' names, opened
    cases: set[str]
    stored: bytes  # every byte of the store's files


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    store = tmp_path_factory.mktemp("demo") / "demo.sqlite3"
    runs = [run("demo", store=store) for _ in range(2)]  # the year, then another week
    for done in runs:
        assert done.returncode == 0, done.stderr
    app = open_store(f"sqlite:///{store}")
    try:
        found = {kind: list(app.activities(kind)) for kind in KINDS}
        names = [app.orientation_person(o["id"]) for o in found["orientation"] if o["subject"]]
        cases = {str(view.case_id) for view in app.iter_cases()}
    finally:
        app.close()
    stored = b"".join(path.read_bytes() for path in sorted(store.parent.glob(f"{store.name}*")))
    return Demo(
        store, [done.stdout for done in runs], found, [n or "" for n in names], cases, stored
    )


def test_a_first_run_records_a_year_of_activities_and_the_next_a_week(demo: Demo):
    year, week = demo.printed
    assert "Beside cases, over the year: " in year
    assert "Beside cases, over the week: " in week
    assert len(demo.activities["round"]) > 6 * 2 * 40  # 2 to 4 a week in each, fewer in August


def test_the_activity_commands_the_demo_suggests_run(demo: Demo):
    suggested = demo.printed[0].split("\nNext: ", 1)[1].splitlines()[2]
    for command in suggested.split("|"):
        words = command.split()
        done = run(*words[words.index("--store") + 2 :], store=demo.store)
        assert done.returncode == 0, done.stderr
        assert done.stdout


def test_every_kind_of_activity_is_recorded_in_every_neighbourhood(demo: Demo):
    for kind in KINDS:
        assert {doc["neighbourhood"] for doc in demo.activities[kind]} == set(POITIERS.names), kind
    lines = {doc["bus_line"] for doc in demo.activities["round"]}
    assert None in lines  # on foot
    assert len(lines - {None}) > 1  # and on buses


def test_rounds_last_one_and_a_half_to_three_hours_and_mostly_greet_and_inform(demo: Demo):
    for doc in demo.activities["round"]:
        lasted = datetime.fromisoformat(doc["ended_at"]) - datetime.fromisoformat(doc["started_at"])
        hours = lasted.total_seconds() / 3600
        assert 1.5 <= hours <= 3
        contacts = doc["contacts"]
        assert contacts["greeting"] + contacts["information"] > sum(contacts.values()) / 2


def test_watch_reports_are_mostly_answered_and_some_left_open(demo: Demo):
    statuses = [doc["status"] for doc in demo.activities["watch"]]
    assert set(statuses) == {"reported", "acknowledged", "closed"}
    assert statuses.count("closed") > len(statuses) / 2


def test_orientations_are_followed_up_and_some_come_from_the_demo_s_cases(demo: Demo):
    orientations = demo.activities["orientation"]
    named = [doc for doc in orientations if doc["subject"]]
    assert 0 < len(named) < len(orientations)  # named, and anonymous
    linked = [doc["case"] for doc in orientations if doc["case"]]
    assert linked
    assert set(linked) <= demo.cases
    outcomes = {doc["outcome"] for doc in orientations}
    assert {"right-opened", "lost-contact", None} <= outcomes  # settled, lost, not yet seen
    assert {doc["status"] for doc in orientations} == {"open", "settled"}


def test_collective_actions_of_every_kind_gather_5_to_60_people(demo: Demo):
    actions = demo.activities["action"]
    assert {doc["action"] for doc in actions} == {kind.value for kind in ActionKind}
    assert all(5 <= doc["attendance"] <= 60 for doc in actions)


def test_the_auditor_s_replay_finds_no_violation(demo: Demo):
    replayed = run("audit", "replay", "--json", store=demo.store)
    assert replayed.returncode == 0, replayed.stdout + replayed.stderr
    assert json.loads(replayed.stdout) == []


def test_no_oriented_person_s_name_is_in_clear_in_the_store(demo: Demo):
    assert b"med-amina" in demo.stored  # mediators' ids are in clear: the bytes are read
    assert any(name.startswith("Habitant ") for name in demo.names)
    assert "Mme Nguyễn" in demo.names  # the week's case oriented to a partner
    assert all(demo.names)  # each opens (none erased)
    for name in {*demo.names, "Habitant "}:
        assert name.encode() not in demo.stored, name
