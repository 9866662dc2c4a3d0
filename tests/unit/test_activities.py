"""The rest of a mediator's work: rounds, watch reports, orientations, collective actions.

Each rule refuses with a typed error and stores nothing; the auditor's replay re-checks
what was stored, forged histories included; lists read the activity index; an oriented
person's name is sealed for them and erasable. tests/integration/test_core_on_stores.py
runs the tests taking `app` again on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from mediation_domain import Mediations, rules
from mediation_domain.activities import Orientation, ProximityRound, WatchReport
from mediation_domain.activity_values import OrientationOutcome
from mediation_domain.errors import (
    CaseNotFoundError,
    InvalidInputError,
    LifecycleError,
    MediationError,
)
from mediation_domain.privacy import ERASED

NOW = datetime(2026, 6, 15, 17, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")
TODAY = NOW.date()


def clocked(app: Mediations) -> Mediations:
    """The application, its clock set to a known afternoon."""
    app.clock = lambda: NOW
    return app


def a_round(app: Mediations, **changes: Any) -> Any:
    facts: dict[str, Any] = {
        "neighbourhood": "Beaulieu",
        "started_at": NOW - timedelta(hours=3),
        "ended_at": NOW - timedelta(hours=1),
        "team": ["med-1", "med-2"],
        "contacts": {"greeting": 12, "information": 3, "defusing": 1},
        "observed": {"public-space-and-housing": 2},
    }
    return app.record_round(**{**facts, **changes})


def an_orientation(app: Mediations, **changes: Any) -> Any:
    facts: dict[str, Any] = {
        "by": "med-1",
        "need": "benefits",
        "partner": "benefits-office",
        "neighbourhood": "Couronneries",
        "follow_up_on": TODAY + timedelta(days=14),
        "name": "Mme Nguyễn Thị Hoa",
        "shared": ["name", "situation"],
    }
    return app.orient(**{**facts, **changes})


def refused(app: Mediations, command: Callable[[], object], error: type[MediationError]) -> str:
    """Run a command that must be refused: its error, one line, and nothing stored."""
    before = app.recorder.max_notification_id()
    with pytest.raises(error) as refusal:
        command()
    assert app.recorder.max_notification_id() == before
    message = str(refusal.value)
    assert "\n" not in message
    return message


# Rounds ----------------------------------------------------------------------------------


def test_a_round_is_recorded_with_its_place_team_and_counts(app: Mediations) -> None:
    work = clocked(app)
    found = work.get_activity(a_round(work, bus_line="2A"))
    assert found["kind"] == "round"
    assert found["neighbourhood"] == "Beaulieu"
    assert found["bus_line"] == "2A"
    assert found["team"] == ["med-1", "med-2"]
    assert found["contacts"] == {"greeting": 12, "information": 3, "defusing": 1}
    assert found["observed"] == {"public-space-and-housing": 2}


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"ended_at": NOW - timedelta(hours=4)}, "before it starts"),
        ({"started_at": NOW - timedelta(hours=20)}, "16 hours at most"),
        ({"ended_at": NOW + timedelta(hours=1)}, "in the future"),
        ({"team": []}, "1 to 20 mediators"),
        ({"team": ["med-1", "med-1"]}, "each mediator once"),
        ({"contacts": {"greeting": -1}}, "whole number from 0"),
        ({"contacts": {"greeting": 10_001}}, "whole number from 0"),
        ({"contacts": {"greeting": 2.5}}, "whole number"),
        ({"contacts": {"greeting": True}}, "whole number"),
        ({"contacts": {"hugs": 1}}, "unknown contact kind"),
        ({"observed": {"weather": 1}}, "unknown intervention domain"),
        ({"contacts": ["greeting"]}, "counts by kind"),
        ({"neighbourhood": "Atlantis"}, "Atlantis"),
        ({"started_at": "yesterday"}, "invalid start"),
        ({"bus_line": "x" * 17}, "invalid bus line"),
        ({"started_at": "1999-12-31T09:00"}, "from 2000-01-01"),
        # 02:30 on the spring-forward night is 03:30: no time passed, in UTC as stored.
        (
            {
                "started_at": datetime(2026, 3, 29, 2, 30, tzinfo=PARIS),
                "ended_at": datetime(2026, 3, 29, 3, 30, tzinfo=PARIS),
            },
            "when or before it starts",
        ),
    ],
)
def test_a_round_that_breaks_a_rule_is_refused_and_stores_nothing(
    app: Mediations, changes: dict[str, Any], rule: str
) -> None:
    work = clocked(app)
    assert rule in refused(work, lambda: a_round(work, **changes), InvalidInputError)


# Watch reports ---------------------------------------------------------------------------


def a_report(app: Mediations, **changes: Any) -> Any:
    facts = {
        "kind": "damaged-equipment",
        "domain": "public-space-and-housing",
        "neighbourhood": "Bel-Air",
        "partner": "landlord",
        "reported_on": TODAY - timedelta(days=10),
    }
    return app.report_watch(**{**facts, **changes})


def test_a_watch_report_is_acknowledged_then_closed_by_the_partners_answer(
    app: Mediations,
) -> None:
    work = clocked(app)
    report = a_report(work)
    assert [r["id"] for r in work.open_watch_reports()] == [str(report)]
    work.acknowledge_watch(report, on=TODAY - timedelta(days=8))
    work.close_watch(report, answer="fixed", on=TODAY - timedelta(days=2))
    found = work.get_activity(report)
    assert (found["status"], found["answer"]) == ("closed", "fixed")
    assert found["acknowledged_on"] == str(TODAY - timedelta(days=8))
    assert work.open_watch_reports() == []


def test_a_watch_report_refuses_what_its_dates_and_state_forbid(app: Mediations) -> None:
    work = clocked(app)
    report = a_report(work)
    ten_days_ago = TODAY - timedelta(days=10)
    early = ten_days_ago - timedelta(days=1)
    assert "before the report" in refused(
        work, lambda: work.acknowledge_watch(report, on=early), InvalidInputError
    )
    assert "in the future" in refused(
        work, lambda: a_report(work, reported_on=TODAY + timedelta(days=3)), InvalidInputError
    )
    work.acknowledge_watch(report, on=TODAY - timedelta(days=5))
    assert "acknowledged on" in refused(
        work, lambda: work.acknowledge_watch(report), LifecycleError
    )
    assert "before the acknowledgement" in refused(
        work,
        lambda: work.close_watch(report, answer="fixed", on=TODAY - timedelta(days=6)),
        InvalidInputError,
    )
    work.close_watch(report, answer="declined")
    assert "closed" in refused(
        work, lambda: work.close_watch(report, answer="fixed"), LifecycleError
    )
    assert "unknown watch answer" in refused(
        work, lambda: work.close_watch(report, answer="maybe"), InvalidInputError
    )


# Orientations ----------------------------------------------------------------------------


def test_an_orientation_is_due_for_follow_up_until_an_outcome_settles_it(
    app: Mediations,
) -> None:
    work = clocked(app)
    named = an_orientation(work)
    anonymous = an_orientation(work, name="", shared=["situation"], by="med-2")
    due = TODAY + timedelta(days=14)
    assert work.orientations_due(TODAY) == []
    assert {o["id"] for o in work.orientations_due(due)} == {str(named), str(anonymous)}
    assert [o["id"] for o in work.orientations_due(due, mediator="med-2")] == [str(anonymous)]
    work.clock = lambda: NOW + timedelta(days=15)
    later = due + timedelta(days=1)
    work.follow_up(named, outcome="in-progress", on=later, next_on=later + timedelta(days=21))
    assert [o["id"] for o in work.orientations_due(later)] == [str(anonymous)]
    work.follow_up(anonymous, outcome="lost-contact", on=later)
    assert work.orientations_due(later + timedelta(days=60)) == [work.get_activity(named)]
    assert work.get_activity(anonymous)["status"] == "settled"


def test_an_orientation_refuses_what_its_rules_forbid(app: Mediations) -> None:
    work = clocked(app)
    assert "before" in refused(
        work,
        lambda: an_orientation(work, follow_up_on=TODAY - timedelta(days=1)),
        InvalidInputError,
    )
    assert "more than a year" in refused(
        work,
        lambda: an_orientation(work, follow_up_on=TODAY + timedelta(days=400)),
        InvalidInputError,
    )
    assert "no name to share" in refused(
        work, lambda: an_orientation(work, name="", shared=["name"]), InvalidInputError
    )
    assert "no case" in refused(
        work, lambda: an_orientation(work, case_id=uuid4()), CaseNotFoundError
    )
    oriented = an_orientation(work)
    assert "next follow-up date" in refused(
        work, lambda: work.follow_up(oriented, outcome="in-progress"), InvalidInputError
    )
    assert "no next follow-up" in refused(
        work,
        lambda: work.follow_up(oriented, outcome="right-opened", next_on=TODAY),
        InvalidInputError,
    )
    work.follow_up(oriented, outcome="right-opened")
    assert "settled" in refused(
        work, lambda: work.follow_up(oriented, outcome="not-reached"), LifecycleError
    )
    # An activity's id is no case, and a case's id no orientation.
    assert "no case" in refused(work, lambda: work.get_case(oriented), CaseNotFoundError)
    round_id = a_round(work)
    assert "no orientation" in refused(
        work, lambda: work.follow_up(round_id, outcome="lost-contact"), CaseNotFoundError
    )


def test_a_case_can_end_by_an_orientation_that_carries_its_id(app: Mediations) -> None:
    work = clocked(app)
    case = work.request_mediation(
        domain="access-to-rights", neighbourhood="Beaulieu", referral="resident", parties=["A"]
    )
    oriented = an_orientation(work, case_id=str(case))
    assert work.get_activity(oriented)["case"] == str(case)


def test_an_oriented_persons_name_is_sealed_for_them_and_erased_with_their_key(
    app: Mediations,
) -> None:
    work = clocked(app)
    oriented = an_orientation(work)
    assert work.orientation_person(oriented) == "Mme Nguyễn Thị Hoa"
    orientation: Orientation = work.repository.get(oriented)
    assert orientation.name is not None
    assert orientation.name.subject == orientation.person.value  # type: ignore[union-attr]
    assert "Nguy" not in orientation.name.text
    person = work.get_activity(oriented)["subject"]
    erasure = work.erase_subject(person)
    assert erasure.key_deleted
    assert erasure.orientations == (oriented,)
    assert work.orientation_person(oriented) == ERASED
    assert work.get_activity(oriented)["erased"] is True
    again = work.erase_subject(person)
    assert (again.key_deleted, again.orientations) == (False, ())
    assert list(rules.review(work.history())) == []


def test_an_anonymous_orientation_holds_no_person(app: Mediations) -> None:
    work = clocked(app)
    oriented = an_orientation(work, name="", shared=[])
    assert work.orientation_person(oriented) is None
    assert work.get_activity(oriented)["subject"] is None


# Collective actions ----------------------------------------------------------------------


def test_a_collective_action_is_recorded_with_its_attendance_and_partners(
    app: Mediations,
) -> None:
    work = clocked(app)
    action = work.record_action(
        kind="residents-meeting",
        domain="residents-participation",
        neighbourhood="Trois-Cités",
        attendance=35,
        held_on=TODAY - timedelta(days=1),
        partners=["landlord", "city-service"],
    )
    found = work.get_activity(action)
    assert (found["action"], found["attendance"]) == ("residents-meeting", 35)
    assert found["partners"] == ["landlord", "city-service"]
    for changes, rule in [
        ({"attendance": -3}, "whole number"),
        ({"partners": ["school", "school"]}, "listed once"),
        ({"held_on": TODAY + timedelta(days=2)}, "in the future"),
        ({"kind": "party"}, "unknown action kind"),
    ]:
        facts: dict[str, Any] = {
            "kind": "workshop",
            "domain": "schools-and-youth",
            "neighbourhood": "Bel-Air",
            "attendance": 12,
            **changes,
        }
        assert rule in refused(work, lambda f=facts: work.record_action(**f), InvalidInputError)


# The auditor's replay --------------------------------------------------------------------


def test_the_replay_re_checks_activities_and_finds_nothing_in_a_clean_history(
    app: Mediations,
) -> None:
    work = clocked(app)
    a_round(work)
    report = a_report(work)
    work.acknowledge_watch(report)
    work.follow_up(an_orientation(work), outcome="not-reached")
    assert list(rules.review(work.history())) == []


def stamped(event_class: Any, aggregate: Any, version: int, **fields: Any) -> Any:
    return event_class(
        originator_id=aggregate,
        originator_version=version,
        timestamp=NOW,
        **fields,
    )


def test_the_replay_finds_forged_activity_histories_without_crashing(app: Mediations) -> None:
    work = clocked(app)
    round_id = a_round(work)
    report = a_report(work)
    oriented = an_orientation(work)
    history = list(work.history())
    forged = [
        # Another aggregate's event on a round's id, and on a watch report's.
        stamped(WatchReport.WatchAcknowledged, round_id, 2, acknowledged_on=TODAY),
        stamped(
            Orientation.FollowedUp,
            report,
            2,
            followed_up_on=TODAY,
            outcome=OrientationOutcome.RIGHT_OPENED,
            next_follow_up_on=None,
        ),
        # A follow-up dated in the future on the orientation itself.
        stamped(
            Orientation.FollowedUp,
            oriented,
            2,
            followed_up_on=TODAY + timedelta(days=30),
            outcome=__import__(
                "mediation_domain.activity_values"
            ).activity_values.OrientationOutcome.RIGHT_OPENED,
            next_follow_up_on=None,
        ),
    ]
    findings = list(rules.review([*history, *forged]))
    assert [f.violation.rule for f in findings] == [
        "event-in-sequence",
        "event-in-sequence",
        "follow-up-is-plausible",
    ]
    assert [f.case_id for f in findings] == [round_id, report, oriented]


def test_a_second_creation_on_an_activitys_id_is_a_finding(app: Mediations) -> None:
    work = clocked(app)
    round_id = a_round(work)
    (first,) = list(work.history())
    again = ProximityRound.RoundRecorded(**{**first.__dict__, "originator_version": 2})
    findings = list(rules.review([first, again]))
    assert [f.violation.rule for f in findings] == ["event-in-sequence"]
    assert findings[0].case_id == round_id


def test_every_activity_rule_is_in_the_catalogue() -> None:
    from mediation_domain.rules import activities  # noqa: PLC0415 - the module under test

    listed = {rule for guarded in rules.RULES.values() for rule in guarded}
    defined = {
        value
        for name, value in vars(activities).items()
        if callable(value)
        and not name.startswith("_")
        and value.__module__ == activities.__name__
        and not isinstance(value, type)
    }
    assert defined <= listed


def test_an_activity_day_is_today_by_the_applications_clock(app: Mediations) -> None:
    work = clocked(app)
    report = a_report(work, reported_on=None)
    assert work.get_activity(report)["on"] == str(NOW.astimezone().date())
