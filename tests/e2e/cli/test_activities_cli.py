"""The activity commands, run as a user runs them: rounds, watch, orientations, actions."""

from __future__ import annotations

import json
import os
import re
import sqlite3
from datetime import date, timedelta
from pathlib import Path
from uuid import uuid4

import pytest

from mediation_adapters.entrypoints.cli import main
from mediation_adapters.stores import open_store

from .test_cli import run, stored_events

pytestmark = pytest.mark.slow

TODAY = date.today()  # the service's today: the machine's local day
YESTERDAY = TODAY - timedelta(days=1)
DUE = TODAY + timedelta(days=14)
RECORDED = re.compile(
    r"[0-9a-f-]{36}  (round|collective action|watch report|orientation) "
    r"(recorded|acknowledged|closed|followed up)"
)
NAME = "Mme Perrine Vasseur"


def _ok(*args: str, store: Path, env: dict | None = None) -> str:
    done = run(*args, store=store, env=env)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr
    return done.stdout


def _recorded(*args: str, store: Path, env: dict | None = None) -> tuple[str, str]:
    """Run a recording command: one event more, its id first; returns (id, what it printed)."""
    before = stored_events(store)
    shown = _ok(*args, store=store, env=env)
    assert RECORDED.fullmatch(shown.splitlines()[0]), shown
    assert stored_events(store) == before + 1
    return shown.split()[0], shown


def _refused(done) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr
    return done.stderr


def _fact(shown: str, label: str) -> str:
    return next(line[16:] for line in shown.splitlines() if line.startswith(f"  {label} "))


def test_a_round_an_action_and_a_watch_report_are_recorded_each_printing_its_id_first(tmp_path):
    store, utc = tmp_path / "cases.sqlite3", {"MEDIATION_TIMEZONE": "UTC"}
    round_id, shown = _recorded(
        "round", "--neighbourhood", "couronneries", "--start", f"{YESTERDAY}T14:00",
        "--end", f"{YESTERDAY}T16:30", "--team", "med-1,med-2", "--contacts",
        "greeting=3,information=2", "--observed", "public-transport=1", "--bus-line", "2",
        store=store, env=utc,
    )  # fmt: skip
    assert shown.startswith(f"{round_id}  round recorded\n")
    assert _fact(shown, "started") == f"{YESTERDAY}T14:00+00:00"  # the service's zone
    assert _fact(shown, "where") == "bus line 2"
    assert _fact(shown, "contacts") == "greeting 3, information 2"
    rows = _ok("rounds", store=store, env=utc).splitlines()
    assert rows[0].split() == [
        "id", "day", "hours", "neighbourhood", "bus", "contacts", "observed", "team"
    ]  # fmt: skip
    assert rows[1].split() == [round_id, str(YESTERDAY), "14:00-16:30", "Couronneries", "2",
                               "5", "1", "med-1,", "med-2"]  # fmt: skip
    (listed,) = json.loads(_ok("rounds", "--json", store=store))
    assert (listed["id"], listed["contacts"]) == (round_id, {"greeting": 3, "information": 2})

    action, shown = _recorded(
        "action", "--kind", "workshop", "--domain", "schools-and-youth", "--neighbourhood",
        "beaulieu", "--attendance", "0", "--partners", "school", "--partners", "association",
        "--team", "med-1", store=store,
    )  # fmt: skip
    assert (_fact(shown, "attendance"), _fact(shown, "partners")) == ("0", "school, association")
    assert f"{action}  {TODAY}  workshop" in _ok("actions", store=store)
    (listed,) = json.loads(_ok("actions", "--json", store=store))
    assert (listed["id"], listed["attendance"], listed["team"]) == (action, 0, ["med-1"])

    report, shown = _recorded(
        "watch", "report", "--kind", "damaged-equipment", "--domain", "public-space-and-housing",
        "--neighbourhood", "beaulieu", "--partner", "landlord", "--on", str(YESTERDAY),
        store=store,
    )  # fmt: skip
    assert _fact(shown, "status") == "reported"
    assert report in _ok("watch", "list", "--open", store=store)
    shown = _recorded("watch", "acknowledge", report, store=store)[1]
    assert shown.startswith(f"{report}  watch report acknowledged\n")
    shown = _recorded("watch", "close", report, "--answer", "fixed", store=store)[1]
    assert (_fact(shown, "status"), _fact(shown, "answer")) == ("closed", "fixed")
    assert _ok("watch", "list", "--open", store=store) == "no open watch report\n"
    assert f"{report}  {YESTERDAY}  closed" in _ok("watch", "list", store=store)
    assert stored_events(store) == 5


def test_an_orientation_is_followed_up_until_settled_and_names_the_person_only_when_asked(
    tmp_path,
):
    store, amina = tmp_path / "cases.sqlite3", ("--as", "mediator:med-amina")
    orientation, shown = _recorded(
        *amina, "orient", "--need", "housing", "--partner", "social-service",
        "--neighbourhood", "beaulieu", "--follow-up", str(DUE), "--name", NAME,
        "--share", "name,situation", store=store,
    )  # fmt: skip
    assert _fact(shown, "mediator") == "med-amina"  # a mediator orients as themselves
    assert _fact(shown, "person").startswith("person-")
    assert _ok("orientations", "--due", store=store) == "no follow-up due by today\n"
    due_today, _ = _recorded(
        "orient", "--need", "benefits", "--partner", "benefits-office", "--neighbourhood",
        "bel-air", "--on", str(YESTERDAY), "--follow-up", str(TODAY), "--by", "med-amina",
        store=store,
    )  # fmt: skip
    rows = _ok("orientations", "--due", store=store).splitlines()
    assert rows[0].split()[:4] == ["id", "oriented", "due", "status"]
    assert rows[1:] == [
        (
            f"{due_today}  {YESTERDAY}  {TODAY}  open     benefits        benefits-office     "
            "Bel-Air        med-amina   -"
        )
    ]
    soonest = _ok(*amina, "orientations", "--due", str(DUE), "--json", store=store)
    assert [found["id"] for found in json.loads(soonest)] == [due_today, orientation]
    assert _ok("--as", "mediator:med-2", "orientations", store=store) == (
        "no orientation matches\n"
    )
    assert NAME not in shown + _ok("orientations", "--json", store=store)

    named = _ok(*amina, "orientation", orientation, store=store)
    assert _fact(named, "name") == NAME
    assert json.loads(_ok("orientation", orientation, "--json", store=store))["name"] == NAME
    hidden = run("--as", "mediator:med-2", "orientation", orientation, store=store)
    nobody = str(uuid4())
    absent = run("--as", "mediator:med-2", "orientation", nobody, store=store)
    assert _refused(hidden) == f"mediation: no orientation {orientation}\n"
    assert _refused(absent) == f"mediation: no orientation {nobody}\n"  # the same answer

    shown = _recorded(
        *amina, "follow-up", orientation, "--outcome", "in-progress", "--next", str(DUE),
        store=store,
    )[1]  # fmt: skip
    assert shown.startswith(f"{orientation}  orientation followed up\n")
    assert (_fact(shown, "outcome"), _fact(shown, "follow-up due")) == ("in-progress", str(DUE))
    shown = _recorded("follow-up", orientation, "--outcome", "right-opened", store=store)[1]
    assert (_fact(shown, "status"), _fact(shown, "follow-up due")) == ("settled", "-")
    still_due = _ok("orientations", "--due", str(DUE), store=store).splitlines()[1:]
    assert [row.split()[0] for row in still_due] == [due_today]  # the settled one is not
    assert NAME not in shown
    again = run(*amina, "follow-up", orientation, "--outcome", "lost-contact", store=store)
    assert "settled" in _refused(again)
    assert stored_events(store) == 4


# Refusals: exit 2, one line, nothing stored -------------------------------------------------


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """A store with one of each activity (med-1's orientations) and a case of med-2's."""
    store = tmp_path_factory.mktemp("activities") / "cases.sqlite3"
    app = open_store(f"sqlite:///{store}")
    start, end = f"{YESTERDAY}T14:00", f"{YESTERDAY}T16:00"
    watch = {"kind": "nuisance", "domain": "public-transport", "partner": "school"}
    orientation = {"by": "med-1", "need": "health", "partner": "health-service"}
    ids = {
        "ROUND": app.record_round(
            neighbourhood="Beaulieu", started_at=start, ended_at=end, team=["med-1"]
        ),
        "WATCH": app.report_watch(**watch, neighbourhood="Beaulieu"),
        "CLOSED": app.report_watch(**watch, neighbourhood="Beaulieu"),
        "OPEN": app.orient(**orientation, neighbourhood="Beaulieu", follow_up_on=DUE, name=NAME),
        "SETTLED": app.orient(**orientation, neighbourhood="Beaulieu", follow_up_on=DUE),
        "CASE": app.request_mediation(
            domain="public-transport", neighbourhood="Beaulieu", referral="city", parties=["A"]
        ),
    }
    app.close_watch(ids["CLOSED"], answer="fixed")
    app.follow_up(ids["SETTLED"], outcome="lost-contact")
    app.assign_mediator(ids["CASE"], mediator="med-2")
    app.close()
    return store, {name: str(uuid) for name, uuid in ids.items()}


HUGE = "x" * 300
_ROUND = ("round", "--neighbourhood", "beaulieu", "--team", "med-1")
_TIMES = ("--start", f"{YESTERDAY}T14:00", "--end", f"{YESTERDAY}T16:00")
_ACTION = ("action", "--kind", "workshop", "--domain", "public-transport",
           "--neighbourhood", "beaulieu", "--attendance", "3")  # fmt: skip
_WATCH = ("watch", "report", "--kind", "nuisance", "--domain", "public-transport",
          "--neighbourhood", "beaulieu")  # fmt: skip
_ORIENT = ("orient", "--need", "housing", "--partner", "landlord", "--neighbourhood",
           "beaulieu", "--follow-up", str(DUE))  # fmt: skip
_MED_1, _MED_2 = ("--as", "mediator:med-1"), ("--as", "mediator:med-2")

_REFUSALS = [
    # unknown vocabulary
    ((*_ROUND, *_TIMES, "--contacts", "hello=3"), "unknown contact kind 'hello'"),
    ((*_ROUND, *_TIMES, "--observed", "weather=1"), "unknown"),
    (("round", "--neighbourhood", "nowhere", "--team", "med-1", *_TIMES), "unknown neighbourhood"),
    (("action", "--kind", "party", *_ACTION[3:]), "unknown action kind 'party'"),
    ((*_ACTION, "--partners", "school,bakery"), "unknown"),
    ((*_WATCH, "--partner", "plumber"), "unknown"),
    (("watch", "close", "WATCH", "--answer", "maybe"), "unknown watch answer 'maybe'"),
    ((*_ORIENT, "--by", "med-1", "--need", "luck"), "unknown"),
    ((*_ORIENT, "--by", "med-1", "--share", "secrets"), "unknown"),
    (("follow-up", "OPEN", "--outcome", "fine"), "unknown"),
    ((*_ACTION, "--kind", HUGE), "unknown"),
    # bad dates, times and counts
    ((*_ACTION, "--on", "2026-13-01"), "invalid date '2026-13-01'"),
    ((*_ORIENT[:-1], "01/12/2026", "--by", "med-1"), "invalid date"),
    (("orientations", "--due", "tomorrow"), "invalid date 'tomorrow'"),
    (("watch", "acknowledge", "WATCH", "--on", "yesterday"), "invalid date"),
    (("follow-up", "OPEN", "--outcome", "in-progress", "--next", "soon"), "invalid date"),
    ((*_ROUND, "--start", "2pm", "--end", f"{YESTERDAY}T16:00"), "invalid time '2pm'"),
    ((*_ROUND, "--start", f"{YESTERDAY}T14:00", "--end", f"{YESTERDAY}T13:00"), "before it starts"),
    ((*_ROUND, "--start", f"{YESTERDAY}T00:00", "--end", f"{TODAY}T00:00"), "16 hours at most"),
    ((*_ROUND, "--start", "2999-01-01T14:00", "--end", "2999-01-01T15:00"), "in the future"),
    ((*_ACTION, "--on", "2999-01-01"), "in the future"),
    ((*_WATCH, "--partner", "landlord", "--on", "2999-01-01"), "in the future"),
    ((*_ORIENT, "--by", "med-1", "--on", str(DUE + timedelta(days=1))), "in the future"),
    (("follow-up", "OPEN", "--outcome", "in-progress"), "next follow-up date"),
    (
        ("watch", "close", "WATCH", "--answer", "fixed", "--on", str(YESTERDAY - timedelta(1))),
        "before the report",
    ),
    ((*_ACTION[:-1], "many"), "invalid count 'many'"),
    ((*_ACTION[:-1], "-1"), "invalid count '-1'"),
    ((*_ROUND, *_TIMES, "--contacts", "greeting"), "invalid counts 'greeting'"),
    ((*_ROUND, *_TIMES, "--contacts", "greeting=1,greeting=2"), "counts 'greeting' twice"),
    ((*_ROUND, *_TIMES, "--contacts", "greeting=99999"), "0 to 10000"),
    ((*_ACTION[:-1], "9" * 5000), "invalid count '999"),
    ((*_ROUND, *_TIMES, "--bus-line", HUGE), "invalid bus line"),
    ((*_ORIENT, "--by", "med-1", "--name", HUGE), "longer than"),
    (("round", "--neighbourhood", HUGE, "--team", "med-1", *_TIMES), "unknown neighbourhood"),
    (("round", "--neighbourhood", "beaulieu", *_TIMES), "--team"),
    ((*_ROUND, *_TIMES, "--team", "med-1,,med-2"), "invalid mediator id ''"),
    # a mediator records only their own work
    ((*_MED_2, *_ROUND, *_TIMES), "rounds they took part in only"),
    ((*_MED_2, *_ACTION), "collective actions they took part in only"),
    ((*_MED_2, *_ORIENT, "--by", "med-1"), "orientations they took part in only"),
    ((*_MED_1, *_ORIENT, "--case", "CASE"), "no case CASE"),
    ((*_ORIENT, "--share", "name"), "name the mediator"),
    ((*_MED_1, *_ORIENT, "--share", "name"), "an anonymous person has no name to share"),
    # another mediator's orientation is answered as one that does not exist
    ((*_MED_2, "follow-up", "OPEN", "--outcome", "right-opened"), "no orientation OPEN"),
    ((*_MED_2, "orientation", "OPEN"), "no orientation OPEN"),
    ((*_MED_2, "follow-up", "ABSENT", "--outcome", "right-opened"), "no orientation ABSENT"),
    # malformed ids, or an id of another kind
    (("watch", "acknowledge", "not-an-id"), "invalid watch report id 'not-an-id'"),
    (("watch", "close", HUGE, "--answer", "fixed"), "expected a UUID"),
    (("follow-up", "nope", "--outcome", "right-opened"), "expected a UUID"),
    (("orientation", "nope"), "expected a UUID"),
    ((*_ORIENT, "--by", "med-1", "--case", "nope"), "invalid case id 'nope'"),
    (("watch", "acknowledge", "ROUND"), "no watch report ROUND"),
    (("watch", "acknowledge", "ABSENT"), "no watch report ABSENT"),
    (("follow-up", "ROUND", "--outcome", "right-opened"), "no orientation ROUND"),
    (("orientation", "WATCH"), "no orientation WATCH"),
    # nothing more after the end
    (("watch", "close", "CLOSED", "--answer", "planned"), "closed on"),
    (("watch", "acknowledge", "CLOSED"), "closed on"),
    (("follow-up", "SETTLED", "--outcome", "right-opened"), "settled (lost-contact)"),
    # roles that record or read no activity
    (("--as", "partner:ville", "rounds"), "a partner may not read activities"),
    (("--as", "auditor:cabinet", *_WATCH, "--partner", "landlord"), "may not record activities"),
    (("--as", "partner:ville", "orientation", "OPEN"), "a partner may not read activities"),
]


def _stored(store: Path) -> tuple[int, int]:
    """The events of the log and the keys of the key store: a refusal adds to neither."""
    with sqlite3.connect(store) as db:
        keys = db.execute("SELECT COUNT(*) FROM mediation_subject_keys").fetchone()[0]
    return stored_events(store), keys


def _exit_code(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as done:  # argparse's refusals
        return int(done.code or 0)


@pytest.fixture
def in_process(monkeypatch, capsys):
    """Run the command in this process (fast), on a store, with no MEDIATION_* setting."""
    for name in [name for name in os.environ if name.startswith("MEDIATION_")]:
        monkeypatch.delenv(name)

    def command(store: Path, *argv: str):
        code = _exit_code(["--store", f"sqlite:///{store}", *argv])
        return code, capsys.readouterr()

    return command


def test_the_lists_of_an_empty_store_say_nothing_matches(tmp_path, in_process):
    store = tmp_path / "cases.sqlite3"
    for command, said in (
        (("rounds",), "no round matches"),
        (("actions",), "no collective action matches"),
        (("watch", "list"), "no watch report matches"),
        (("watch", "list", "--open"), "no open watch report"),
        (("orientations",), "no orientation matches"),
        (("orientations", "--due", str(DUE)), f"no follow-up due by {DUE}"),
    ):
        assert in_process(store, *command) == (0, (f"{said}\n", ""))
        assert in_process(store, *command, "--json") == (0, ("[]\n", ""))


@pytest.mark.parametrize(
    ("argv", "said"), _REFUSALS, ids=[" ".join(argv)[:60] for argv, _ in _REFUSALS]
)
def test_a_refused_activity_command_says_why_in_one_line_and_stores_nothing(
    argv, said, recorded, in_process
):
    store, ids = recorded
    ids = ids | {"ABSENT": str(uuid4())}
    before = _stored(store)
    code, printed = in_process(store, *(ids.get(a, a) for a in argv))
    assert (code, printed.out) == (2, ""), printed.err
    assert len(printed.err.strip().splitlines()) == 1, printed.err
    assert "Traceback" not in printed.err
    assert "x" * 80 not in printed.err  # what is refused is quoted, 80 characters at most
    for name, uuid in ids.items():
        said = said.replace(name, uuid)
    assert said in printed.err
    assert _stored(store) == before


def test_a_refusal_of_the_real_process_is_one_line_and_stores_nothing(recorded):
    store, ids = recorded
    before = _stored(store)
    for argv in (
        (*_ROUND, "--start", f"{YESTERDAY}T14:00", "--end", f"{YESTERDAY}T13:00"),
        (*_MED_2, "follow-up", ids["OPEN"], "--outcome", "right-opened"),
    ):
        assert "mediation:" in _refused(run(*argv, store=store))
    assert _stored(store) == before
