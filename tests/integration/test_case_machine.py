"""Random command sequences against Mediations, checked against a model of the deontology.

The model is written here, independently of rules.py: it says which commands must be
accepted and which refused, so a rule that is too strict fails as surely as one too lax.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import hypothesis.strategies as st
from hypothesis import event, settings
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
)

from mediation_adapters.stores import open_store
from mediation_domain import CaseStatus, MediationError
from mediation_domain.privacy import (
    ERASED,
    RetentionPeriod,
    SubjectErasedError,
    SubjectNotFoundError,
)
from mediation_domain.rules import review

MEDIATORS = ["med-1", "med-2", "p-shared"]  # "p-shared" is also a party id below


@dataclass
class Model:
    parties: list[str]
    names: dict[str, str] = field(default_factory=dict)
    live: dict[str, bool] = field(default_factory=dict)
    mediator: str | None = None
    sessions: int = 0
    closed: bool = False
    version: int = 1


class CaseMachine(RuleBasedStateMachine):
    store = "memory"
    cases = Bundle("cases")

    def __init__(self) -> None:
        super().__init__()
        self.folder = tempfile.TemporaryDirectory()
        url = (
            "memory://"
            if self.store == "memory"
            else f"sqlite:///{Path(self.folder.name) / 'm.db'}"
        )
        self.url = url
        self.app = open_store(url)
        self.models: dict[UUID, Model] = {}
        self.erased: set[str] = set()  # subjects whose key was deleted

    def teardown(self) -> None:
        self.app.close()
        self.folder.cleanup()

    # The model's verdict, then the application's ---------------------------------------------

    def attempt(self, case_id: UUID, allowed: bool, command) -> bool:
        model = self.models[case_id]
        try:
            command()
        except MediationError as refusal:
            assert not allowed, f"refused a command the deontology allows: {refusal.message}"
            assert self.app.get_case(case_id).version == model.version, "a refusal stored events"
            return False
        assert allowed, "accepted a command the deontology forbids"
        return True

    def recorded(self, case_id: UUID) -> None:
        self.models[case_id].version = self.app.get_case(case_id).version

    @initialize(target=cases, count=st.integers(1, 3), shared=st.booleans())
    def first_request(self, count: int, shared: bool):
        return self.request(count, shared)

    @rule(
        target=cases,
        count=st.integers(1, 3),
        shared=st.booleans(),
        now=st.sampled_from([False, False, True]),
    )
    def another_request(self, count: int, shared: bool, now: bool):
        """Open another case, one time in three (depth in a case finds more than breadth)."""
        return self.request(count, shared) if now else multiple()

    def request(self, count: int, shared: bool) -> UUID | Any:
        ids = [f"p-{n}" for n in range(count)]
        if shared:
            ids[0] = "p-shared"
        names = [f"Partie {n}" for n in range(count)]
        last = self.app.recorder.max_notification_id()
        try:
            case_id = self.app.request_mediation(
                domain="public-transport",
                neighbourhood="Trois-Cités",
                referral="resident",
                parties=names,
                party_ids=ids,
            )
        except SubjectErasedError:
            assert self.erased & set(ids), "refused a request naming no erased party"
            assert self.app.recorder.max_notification_id() == last, "a refusal stored events"
            return multiple()
        assert not self.erased & set(ids), "sealed new data for an erased party"
        self.models[case_id] = Model(
            parties=ids, names=dict(zip(ids, names, strict=True)), live=dict.fromkeys(ids, False)
        )
        return case_id

    @rule(
        case_id=cases,
        mediator=st.sampled_from(MEDIATORS),
        tie=st.booleans(),
        waivers=st.integers(0, 3),
    )
    def assign(self, case_id, mediator, tie, waivers):
        m = self.models[case_id]
        ties = m.parties[:1] if tie else []
        waived = m.parties[:waivers]
        allowed = (
            not m.closed
            and m.mediator is None
            and mediator not in m.parties
            and (not tie or set(waived) == set(m.parties))
        )
        if self.attempt(
            case_id,
            allowed,
            lambda: self.app.assign_mediator(
                case_id, mediator=mediator, ties=ties, waived_by=waived
            ),
        ):
            m.mediator = mediator
            self.recorded(case_id)

    @rule(case_id=cases, mediator=st.sampled_from(MEDIATORS))
    def mediator_withdraws(self, case_id, mediator):
        m = self.models[case_id]
        allowed = not m.closed and m.mediator == mediator
        if self.attempt(
            case_id,
            allowed,
            lambda: self.app.withdraw_mediator(case_id, mediator=mediator, reason="unavailable"),
        ):
            m.mediator = None
            self.recorded(case_id)

    @rule(
        case_id=cases,
        index=st.integers(0, 3),
        action=st.sampled_from(["give", "withdraw", "refuse"]),
    )
    def consent(self, case_id, index, action):
        m = self.models[case_id]
        party = m.parties[index] if index < len(m.parties) else "p-stranger"
        known = party in m.parties
        # Free and revocable, at any time; a live consent is withdrawn, not refused.
        allowed = not m.closed and known and not (action == "refuse" and m.live[party])
        command = {
            "give": self.app.give_consent,
            "withdraw": self.app.withdraw_consent,
            "refuse": self.app.refuse_consent,
        }[action]
        if self.attempt(case_id, allowed, lambda: command(case_id, party=party)):
            m.live[party] = action == "give"
            self.recorded(case_id)

    @rule(case_id=cases)
    def everyone_agrees(self, case_id):
        """The common path: a mediator takes the case and every party consents."""
        m = self.models[case_id]
        if m.mediator is None:
            self.assign(case_id, "med-2", tie=False, waivers=0)
        for index in range(len(m.parties)):
            self.consent(case_id, index, "give")

    @rule(case_id=cases, joint=st.booleans(), who=st.integers(0, 3), everyone=st.booleans())
    def session(self, case_id, joint, who, everyone):
        m = self.models[case_id]
        if joint:  # every party, or every party but one
            attendees = m.parties if everyone else [p for i, p in enumerate(m.parties) if i != who]
        else:
            attendees = [m.parties[who] if who < len(m.parties) else "p-stranger"]
        kind = "joint-session" if joint else "individual-interview"
        allowed = (
            not m.closed
            and m.mediator is not None
            and all(p in m.parties for p in attendees)
            and (len(attendees) >= 2 if joint else len(attendees) == 1)
            and all(m.live[p] for p in attendees)
            and (not joint or all(m.live.values()))
        )
        if self.attempt(
            case_id, allowed, lambda: self.app.hold_session(case_id, kind=kind, attendees=attendees)
        ):
            # The invariant the whole library exists for, checked on the accepted session:
            assert m.mediator is not None
            assert all(m.live[p] for p in attendees)
            m.sessions += 1
            event(f"{kind} recorded")
            self.recorded(case_id)

    @rule(case_id=cases, party_id=st.sampled_from(["p-new", "med-1", "p-0"]))
    def join(self, case_id, party_id):
        m = self.models[case_id]
        allowed = (
            not m.closed
            and party_id not in m.parties
            and party_id != m.mediator
            and party_id not in self.erased
        )
        if self.attempt(
            case_id,
            allowed,
            lambda: self.app.join_party(case_id, name="Nouvelle partie", party_id=party_id),
        ):
            m.parties.append(party_id)
            m.names[party_id] = "Nouvelle partie"
            m.live[party_id] = False
            self.recorded(case_id)

    @rule(case_id=cases, whom=st.sampled_from(["p-shared", "p-new", "the case", "p-unknown"]))
    def erase(self, case_id, whom):
        """Erase a party (maybe of several cases, maybe unknown) or a case's own free text."""
        subject = str(case_id) if whom == "the case" else whom
        holding = [
            cid for cid, m in self.models.items() if subject == str(cid) or subject in m.parties
        ]
        try:
            erasure = self.app.erase_subject(subject)
        except SubjectNotFoundError:
            assert not holding, "an erasure refused a subject that a case holds"
            return
        assert set(erasure.cases) == set(holding)
        first_time = subject not in self.erased
        assert erasure.key_deleted == first_time
        assert erasure.recorded == (len(holding) if first_time else 0)
        self.erased.add(subject)
        for cid in holding:  # one PersonalDataErased per case, the first time only
            self.models[cid].version += first_time
        event("subject erased")

    @rule(case_id=cases, resolve=st.booleans(), now=st.sampled_from([False, False, False, True]))
    def close(self, case_id, resolve, now):
        """Close a case (one time in four: closing ends what the other rules can explore)."""
        if not now:
            return
        m = self.models[case_id]
        allowed = not m.closed and (m.sessions > 0 or not resolve)
        command = (
            (lambda: self.app.resolve(case_id, outcome="agreement"))
            if resolve
            else (lambda: self.app.withdraw(case_id, by="service", reason="no-longer-needed"))
        )
        if self.attempt(case_id, allowed, command):
            event("case closed")
            m.closed = True
            self.recorded(case_id)

    # Invariants -------------------------------------------------------------------------------

    @invariant()
    def the_store_agrees_with_the_model(self):
        for case_id, m in self.models.items():
            view = self.app.get_case(case_id)
            assert view.version == m.version
            assert view.mediator == m.mediator
            assert view.consenting == {p for p, live in m.live.items() if live}
            assert len(view.sessions) == m.sessions
            assert view.is_closed == m.closed
            assert [p.name for p in view.parties] == [
                ERASED if pid in self.erased else m.names[pid] for pid in m.parties
            ]
            assert view.summary == (ERASED if str(case_id) in self.erased else "")
            assert view.mediator not in {p.id for p in view.parties}

    @invariant()
    def a_replay_of_the_history_finds_no_violation_and_equals_the_live_cases(self):
        assert list(review(self.app.history())) == []
        live = {case_id: self.app.get_case(case_id) for case_id in self.models}
        replayed = {view.case_id: view for view in self.app.list_cases()}
        assert replayed == live
        closed = [
            v for v in live.values() if v.status in {CaseStatus.RESOLVED, CaseStatus.WITHDRAWN}
        ]
        assert all(v.version == self.models[v.case_id].version for v in closed)

    @invariant()
    def the_case_index_finds_what_the_model_holds(self):
        """Every filter of a list, read through the case index, against the model."""
        for mediator in MEDIATORS:
            listed = [v.case_id for v in self.app.list_cases(mediator=mediator)]
            assert listed == [cid for cid, m in self.models.items() if m.mediator == mediator]
        for status in CaseStatus:
            listed = [v.case_id for v in self.app.list_cases(status=status)]
            assert listed == [cid for cid in self.models if self._status(cid) is status]
        page = self.app.cases_page(limit=2)
        assert [v.case_id for v in page.cases] == list(self.models)[:2]
        assert (page.after is None) == (len(self.models) <= 2)

    def _status(self, case_id: UUID) -> CaseStatus:
        view = self.app.get_case(case_id)
        return view.status

    @invariant()
    def retention_finds_what_a_fold_of_the_history_finds(self):
        """The index's retention list against the whole history folded, as it was done before."""
        later = datetime.now(UTC) + timedelta(days=400)
        period = RetentionPeriod.parse("1y")
        due = {d.case_id: (d.subjects, d.kept) for d in self.app.retention_due(period, now=later)}
        assert due == _due_by_folding(self.app, period.before(later))

    @invariant()
    def a_fresh_process_reloads_the_same_cases(self):
        if self.store == "memory":
            return
        reopened = open_store(self.url)
        try:
            for case_id in self.models:
                assert reopened.get_case(case_id) == self.app.get_case(case_id)
        finally:
            reopened.close()


def _due_by_folding(app, cutoff: datetime) -> dict[UUID, tuple[tuple[str, ...], tuple[str, ...]]]:
    """Retention computed from the whole history, without the index: the oracle."""
    cases: dict[UUID, Any] = {}
    contacted: dict[UUID, datetime] = {}
    for event_ in app.history():
        cases[event_.originator_id] = event_.mutate(cases.get(event_.originator_id))
        if type(event_).__name__ != "PersonalDataErased":
            contacted[event_.originator_id] = event_.timestamp
    is_due = {cid: c.closed_as is not None and contacted[cid] < cutoff for cid, c in cases.items()}
    not_due = {s for cid, c in cases.items() if not is_due[cid] for s in c.subjects}
    found = {}
    for cid, case in cases.items():
        left = [s for s in case.subjects if s not in case.erased]
        erase = tuple(s for s in left if s not in not_due)
        if is_due[cid] and erase:
            found[cid] = (erase, tuple(s for s in left if s in not_due))
    return found


class SQLiteCaseMachine(CaseMachine):
    store = "sqlite"


TestCaseMachineInMemory = CaseMachine.TestCase
TestCaseMachineOnSQLite = SQLiteCaseMachine.TestCase
# Hypothesis switches rules off at random per example (swarm testing), so the in-memory
# machine gets many examples; the SQLite one checks the same rules through a real file.
TestCaseMachineInMemory.settings = settings(
    settings.default, max_examples=max(150, settings.default.max_examples), stateful_step_count=40
)
TestCaseMachineOnSQLite.settings = settings(
    settings.default, max_examples=30, stateful_step_count=25
)
