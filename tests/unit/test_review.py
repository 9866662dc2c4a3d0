"""The rules the commands enforce also judge a stored history: the auditor's replay."""

from __future__ import annotations

import dataclasses
import tracemalloc
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
from eventsourcing.utils import get_topic

from mediation_domain import MediationCase, Mediations
from mediation_domain.case import Party
from mediation_domain.privacy import Sealed
from mediation_domain.rules import RULES, review
from mediation_domain.testing import record_every_event
from mediation_domain.values import (
    InterventionDomain,
    MediatorId,
    Outcome,
    PartyId,
    ReasonCode,
    ReferralSource,
    SessionKind,
)

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def _forged_history():
    """What a buggy importer or a hand edit could write, bypassing the commands."""
    case_id = uuid4()
    a, b = PartyId("p-a"), PartyId("p-b")

    def event(cls, version, **fields):
        return cls(originator_id=case_id, originator_version=version, timestamp=NOW, **fields)

    return case_id, [
        event(
            MediationCase.Requested,
            1,
            originator_topic=get_topic(MediationCase),
            domain=InterventionDomain.PUBLIC_TRANSPORT,
            neighbourhood="Beaulieu",
            referral=ReferralSource.RESIDENT,
            parties=(Party(a, Sealed("p-a", "clear", "A")), Party(b, Sealed("p-b", "clear", "B"))),
            summary=Sealed(str(case_id), "clear", ""),
        ),
        event(
            MediationCase.MediatorAssigned,
            2,
            mediator=MediatorId("p-a"),
            declared_ties=(),
            ties_waived_by=(),
        ),
        event(MediationCase.ConsentGiven, 3, party=a),
        event(
            MediationCase.SessionHeld,
            4,
            kind=SessionKind.JOINT_SESSION,
            attendees=(a, b),
            held_on=date(2026, 5, 4),
        ),
        event(MediationCase.Resolved, 5, outcome=Outcome.AGREEMENT),
        event(MediationCase.Resolved, 6, outcome=Outcome.NO_AGREEMENT),
        event(MediationCase.ConsentGiven, 9, party=b),
    ]


def test_replay_lists_every_violation_of_a_forged_history_where_it_happened():
    case_id, history = _forged_history()
    findings = [(f.position, f.violation.rule) for f in review(history)]
    assert findings == [
        (2, "mediator-is-not-a-party"),
        (4, "attendees-consent"),
        (4, "joint-session-has-every-partys-consent"),
        (6, "case-is-open"),
        (7, "case-is-open"),
        (7, "event-in-sequence"),
    ]
    assert all(f.case_id == case_id for f in review(history))


def test_a_history_recorded_through_the_commands_replays_clean(given):
    case = given(mediator="med-1", consenting=(0, 1), joint_sessions=2)
    case.app.resolve(case.case_id, outcome="agreement")
    assert list(review(case.app.history())) == []


def test_a_forged_history_still_loads_so_that_it_can_be_examined():
    _, history = _forged_history()
    app = Mediations()
    app.events.put(history[:6])
    assert list(review(app.history()))
    assert app.get_case(history[0].originator_id).status.value == "resolved"


def test_every_event_is_versioned_and_guarded_by_the_catalogue():
    events = [
        value
        for name, value in vars(MediationCase).items()
        if isinstance(value, type)
        and issubclass(value, MediationCase.Event)
        and name not in {"Event", "Created"}  # eventsourcing's bases, never triggered here
    ]
    assert len(events) == 11
    upcast = {"SessionHeld": 2}  # notes were added in version 2
    for event_class in events:
        declared = [k for k in event_class.__mro__ if "class_version" in vars(k)]
        assert declared, event_class.__name__
        assert declared[0].__qualname__ == f"MediationCase.{event_class.__name__}"
        assert event_class.class_version == upcast.get(event_class.__name__, 1)
        assert event_class.__name__ in RULES, event_class.__name__


def test_a_case_cannot_be_created_around_the_rules():
    with pytest.raises(TypeError, match=r"MediationCase.request"):
        MediationCase(
            domain=InterventionDomain.PUBLIC_TRANSPORT,
            neighbourhood="Beaulieu",
            referral=ReferralSource.CITY,
            parties=(),
            summary=Sealed("s", "clear", ""),
        )


def test_events_out_of_their_case_sequence_are_reported_not_replayed():
    _, history = _forged_history()
    orphan, requested = history[4], history[0]
    findings = [(f.position, f.violation.rule) for f in review([orphan, requested, requested])]
    assert findings == [(1, "event-in-sequence"), (3, "event-in-sequence")]


def _closed_cases(count: int):
    app = Mediations()
    template = app.request_mediation(
        domain="public-transport", neighbourhood="Beaulieu", referral="resident", parties=["A"]
    )
    app.withdraw(template, by="party", reason="no-longer-needed")
    events = list(app.events.get(template))
    for _ in range(count):
        case_id = uuid4()
        for event in events:
            yield dataclasses.replace(event, originator_id=case_id)


def _peak_while_reviewing(count: int) -> int:
    tracemalloc.start()
    findings = list(review(_closed_cases(count)))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert findings == []
    return peak


def test_replay_keeps_only_what_it_needs_of_closed_cases():
    small, large = _peak_while_reviewing(300), _peak_while_reviewing(3_000)
    per_closed_case = (large - small) / 2_700
    assert per_closed_case < 400  # bytes: a status and a version, not the whole case


def test_events_after_closing_are_reported_with_their_sequence():
    _, history = _forged_history()
    requested, resolved = history[0], history[4]
    closed_early = dataclasses.replace(resolved, originator_version=2)
    late = dataclasses.replace(history[2], originator_version=3)
    skipped = dataclasses.replace(history[2], originator_version=7)
    findings = [
        (f.position, f.violation.rule) for f in review([requested, closed_early, late, skipped])
    ]
    assert findings == [
        (2, "resolution-follows-a-session"),
        (3, "case-is-open"),
        (4, "case-is-open"),
        (4, "event-in-sequence"),
    ]


def test_a_gap_in_an_open_cases_versions_is_reported():
    _, history = _forged_history()
    gap = dataclasses.replace(history[2], originator_version=5)
    findings = [(f.position, f.violation.rule) for f in review([history[0], gap])]
    assert findings == [(2, "event-in-sequence")]


def test_an_erasure_after_the_closing_is_allowed_for_the_cases_subjects_only():
    case_id, history = _forged_history()
    closed = history[:5]  # up to the first Resolved

    def erased(version, subject):
        return MediationCase.PersonalDataErased(
            originator_id=case_id,
            originator_version=version,
            timestamp=NOW,
            subject=subject,
            reason=ReasonCode("data-subject-request"),
        )

    lawful = [erased(6, "p-a"), erased(7, str(case_id))]
    found = [(f.version, f.violation.rule) for f in review([*closed, *lawful])]
    assert all(rule != "erased-subject-belongs-to-case" for _, rule in found)
    forged = [*closed, *lawful, erased(8, "p-stranger")]
    found = [(f.version, f.violation.rule) for f in review(forged)]
    assert (8, "erased-subject-belongs-to-case") in found
    assert not any(rule == "case-is-open" for version, rule in found if version > 5)


def test_events_recorded_back_in_time_are_reported_open_or_closed():
    _, history = _forged_history()
    requested, assigned, resolved = history[0], history[1], history[4]
    earlier = NOW.replace(hour=9)
    back = dataclasses.replace(assigned, mediator=MediatorId("med-1"), timestamp=earlier)
    erased_back = MediationCase.PersonalDataErased(
        originator_id=requested.originator_id,
        originator_version=3,
        timestamp=earlier,
        subject="p-a",
        reason=ReasonCode("data-subject-request"),
    )
    closed = dataclasses.replace(resolved, originator_version=2)  # closes at NOW
    assert [(f.position, f.violation.rule) for f in review([requested, back])] == [
        (2, "events-in-time-order")
    ]
    findings = [(f.position, f.violation.rule) for f in review([requested, closed, erased_back])]
    assert (3, "events-in-time-order") in findings
    # Open or closed, each event is held to the one before it, as the case itself keeps it:
    # two hours back, then one hour back, is one event out of order, not two.
    two_back, one_back = NOW - timedelta(hours=2), NOW - timedelta(hours=1)
    opened = [
        requested,
        dataclasses.replace(back, timestamp=two_back),
        dataclasses.replace(back, originator_version=3, timestamp=one_back),
    ]
    shut = [
        requested,
        closed,
        dataclasses.replace(erased_back, timestamp=two_back),
        dataclasses.replace(erased_back, originator_version=4, timestamp=one_back),
    ]
    for history in (opened, shut):
        order = [f.position for f in review(history) if f.violation.rule == "events-in-time-order"]
        assert order == [len(history) - 1], history


def test_a_clock_set_back_stamps_no_event_before_the_case_s_last():
    clock = [NOW]
    app = Mediations(clock=lambda: clock[0])
    case_id = app.request_mediation(
        domain="public-transport", neighbourhood="Beaulieu", referral="resident", parties=["A"]
    )
    clock[0] = NOW.replace(hour=8)  # set two hours back
    app.assign_mediator(case_id, mediator="med-1")
    stamps = [event.timestamp for event in app.history()]
    assert stamps == [NOW, NOW]
    assert list(review(app.history())) == []


def test_every_command_stamps_its_events_by_the_application_s_clock():
    app = Mediations(clock=lambda: NOW)  # a time that is not the wall clock's
    record_every_event(app)  # every kind of command, erasure included
    stamps = {event.timestamp for event in app.history()}
    assert stamps == {NOW}
