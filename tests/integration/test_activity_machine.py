"""Random sequences of orientations, follow-ups, watch reports and erasures against a model.

The model is written here, independently of rules/activities.py: it says which commands
must be accepted and which refused, what the activity index must show (status, follow-up
due, outcome) and which orientations are due on a day. Time moves forward by whole days
under the application's clock. Invariants: a refusal stores nothing; the index agrees with
the model; the auditor's replay finds nothing in what the commands recorded.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from uuid import UUID

import hypothesis.strategies as st
from hypothesis import settings
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, multiple, rule

from mediation_adapters.stores import open_store
from mediation_domain import MediationError
from mediation_domain.privacy import ERASED
from mediation_domain.rules import review

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
FINAL = {"right-opened", "not-reached", "lost-contact"}


@dataclass
class Oriented:
    last_contact: date
    due: date | None
    outcome: str | None = None
    person: str | None = None
    erased: bool = False

    @property
    def settled(self) -> bool:
        return self.outcome in FINAL


@dataclass
class Watched:
    reported: date
    acknowledged: date | None = None
    closed: date | None = None


class ActivityMachine(RuleBasedStateMachine):
    store = "memory"
    orientations = Bundle("orientations")
    reports = Bundle("reports")

    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        url = "memory://" if self.store == "memory" else f"sqlite:///{Path(self.folder.name)}/a.db"
        self.app = open_store(url)
        self.now = START
        self.app.clock = lambda: self.now
        self.oriented: dict[UUID, Oriented] = {}
        self.watched: dict[UUID, Watched] = {}

    def teardown(self) -> None:
        self.app.close()
        self.folder.cleanup()

    @property
    def today(self) -> date:
        return self.now.astimezone().date()

    def attempt(self, allowed: bool, command) -> bool:
        last = self.app.recorder.max_notification_id()
        try:
            command()
        except MediationError as refusal:
            assert not allowed, f"refused what the rules allow: {refusal.message}"
            assert self.app.recorder.max_notification_id() == last, "a refusal stored events"
            return False
        assert allowed, "accepted what the rules forbid"
        return True

    @rule(days=st.integers(0, 20))
    def time_passes(self, days: int) -> None:
        self.now += timedelta(days=days)

    @rule(
        target=orientations,
        named=st.booleans(),
        share_name=st.booleans(),
        in_days=st.integers(-3, 400),
    )
    def orient(self, named: bool, share_name: bool, in_days: int) -> object:
        due = self.today + timedelta(days=in_days)
        allowed = 0 <= in_days <= 366 and (named or not share_name)
        made: list[UUID] = []

        def command() -> None:
            made.append(
                self.app.orient(
                    by="med-1",
                    need="benefits",
                    partner="benefits-office",
                    neighbourhood="Beaulieu",
                    follow_up_on=due,
                    name="Mme Hoa" if named else "",
                    shared=["name", "situation"] if share_name else ["situation"],
                )
            )

        if not self.attempt(allowed, command):
            return multiple()
        self.oriented[made[0]] = Oriented(self.today, due)
        if named:
            self.oriented[made[0]].person = self.app.get_activity(made[0])["subject"]
        return made[0]

    @rule(
        orientation=orientations,
        outcome=st.sampled_from(["right-opened", "in-progress", "not-reached", "lost-contact"]),
        back=st.integers(0, 3),
        next_in=st.one_of(st.none(), st.integers(-2, 30)),
    )
    def follow_up(self, orientation: UUID, outcome: str, back: int, next_in: int | None) -> None:
        model = self.oriented[orientation]
        on = self.today - timedelta(days=back)
        following = None if next_in is None else on + timedelta(days=next_in)
        progress_ok = outcome == "in-progress" and following is not None and following > on
        final_ok = outcome in FINAL and following is None
        allowed = not model.settled and on >= model.last_contact and (progress_ok or final_ok)
        if self.attempt(
            allowed,
            lambda: self.app.follow_up(orientation, outcome=outcome, on=on, next_on=following),
        ):
            model.outcome, model.last_contact, model.due = outcome, on, following

    @rule(orientation=orientations)
    def erase_person(self, orientation: UUID) -> None:
        model = self.oriented[orientation]
        if model.person is None:
            return
        erasure = self.app.erase_subject(model.person)
        assert erasure.key_deleted != model.erased
        assert erasure.orientations == (() if model.erased else (orientation,))
        model.erased = True
        assert self.app.orientation_person(orientation) == ERASED

    @rule(target=reports, back=st.integers(-2, 10))
    def report(self, back: int) -> object:
        on = self.today - timedelta(days=back)
        made: list[UUID] = []

        def command() -> None:
            made.append(
                self.app.report_watch(
                    kind="damaged-equipment",
                    domain="public-space-and-housing",
                    neighbourhood="Bel-Air",
                    partner="landlord",
                    reported_on=on,
                )
            )

        if self.attempt(back >= -1, command):  # a day's tolerance for time zones
            self.watched[made[0]] = Watched(on)
            return made[0]
        return multiple()

    @rule(report=reports, back=st.integers(-2, 12), close=st.booleans())
    def answer(self, report: UUID, back: int, close: bool) -> None:
        model = self.watched[report]
        on = self.today - timedelta(days=back)
        after = model.acknowledged or model.reported
        allowed = (
            model.closed is None
            and (close or model.acknowledged is None)
            and after <= on <= self.today + timedelta(days=1)
        )
        if close:
            done = self.attempt(
                allowed, lambda: self.app.close_watch(report, answer="fixed", on=on)
            )
            model.closed = on if done else model.closed
        elif self.attempt(allowed, lambda: self.app.acknowledge_watch(report, on=on)):
            model.acknowledged = on

    @invariant()
    def the_index_agrees_with_the_model(self) -> None:
        for orientation, model in self.oriented.items():
            doc = self.app.get_activity(orientation)
            assert doc["status"] == ("settled" if model.settled else "open")
            assert doc["outcome"] == model.outcome
            assert doc["last_contact_on"] == model.last_contact.isoformat()
            assert doc["erased"] is model.erased
        due = {
            o
            for o, m in self.oriented.items()
            if not m.settled and m.due is not None and m.due <= self.today
        }
        assert {UUID(d["id"]) for d in self.app.orientations_due(self.today)} == due
        opened = {r for r, m in self.watched.items() if m.closed is None}
        assert {UUID(d["id"]) for d in self.app.open_watch_reports()} == opened

    @invariant()
    def the_replay_finds_nothing(self) -> None:
        assert list(review(self.app.history())) == []


class SQLiteActivityMachine(ActivityMachine):
    store = "sqlite"


TestActivityMachineInMemory = ActivityMachine.TestCase
TestActivityMachineOnSQLite = SQLiteActivityMachine.TestCase
TestActivityMachineInMemory.settings = settings(
    settings.default, max_examples=max(100, settings.default.max_examples), stateful_step_count=30
)
TestActivityMachineOnSQLite.settings = settings(
    settings.default, max_examples=20, stateful_step_count=20
)
