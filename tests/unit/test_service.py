"""The service layer, walked as every edge uses it: each command and query, for each role.

The oracle is the policy table (`authorisation.decide`): whatever the service lets through
or refuses must be what the table says, on an own case, another mediator's case and an
unassigned one. A refusal stores nothing and opens no personal value.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from mediation_domain import (
    CaseNotFoundError,
    ConcurrencyError,
    InvalidInputError,
    MediationError,
    Mediations,
)
from mediation_domain.application.service import MediationService, PrincipalService, Recorded
from mediation_domain.authorisation import (
    Action,
    Decision,
    NotAllowedError,
    Principal,
    Role,
    decide,
)
from mediation_domain.errors import StaleVersionError
from mediation_domain.reports import Period

_HOUR = timedelta(hours=1)
MEDIATOR = Principal(Role.MEDIATOR, "med-1")
COORDINATOR = Principal(Role.COORDINATOR, "coord-1")
PARTNER = Principal(Role.PARTNER, "ville")
AUDITOR = Principal(Role.AUDITOR, "cabinet")
PRINCIPALS = (MEDIATOR, COORDINATOR, PARTNER, AUDITOR)
YEARS = Period(date(2020, 1, 1), date(2030, 12, 31), datetime.now(UTC))


# What each store holds beside its cases, by the case id the walk hands a call: the
# orientation of that case's mediator (med-3's for the unassigned case), a watch report
# and a round.
ORIENTATION: dict[Any, Any] = {}
WATCH: dict[Any, Any] = {}
ROUND: dict[Any, Any] = {}
ARCHIVE: dict[Any, Any] = {}  # an archived case and orientation
SOON = date.today() + timedelta(days=30)


def _store() -> tuple[Mediations, dict[str, Any]]:
    """A store with a case of med-1's, one of med-2's and an unassigned one; activities."""
    app = Mediations()
    cases: dict[str, Any] = {}
    for mediator in ("med-1", "med-2", None):
        case = app.request_mediation(
            domain="public-space-and-housing",
            neighbourhood="Beaulieu",
            referral="resident",
            parties=["Awa Diallo", "Jean Morel"],
            party_ids=[f"p-{mediator}-a", f"p-{mediator}-b"],
            summary="du bruit la nuit",
        )
        if mediator is not None:
            app.assign_mediator(case, mediator=mediator)
        cases[str(mediator)] = case
        ORIENTATION[case] = app.orient(
            by=mediator or "med-3",
            need="housing",
            partner="landlord",
            neighbourhood="Beaulieu",
            follow_up_on=date.today(),
            name="Awa Diallo",
        )
        WATCH[case] = app.report_watch(
            kind="nuisance", domain="public-transport", neighbourhood="Bel-Air", partner="school"
        )
        ROUND[case] = app.record_round(
            neighbourhood="Bel-Air",
            started_at=datetime.now(UTC).replace(microsecond=0).replace(second=0) - _HOUR * 2,
            ended_at=datetime.now(UTC) - _HOUR,
            team=["med-1"],
        )
    _archived(app, cases["med-1"])
    return app, cases


def _archived(app: Mediations, key: Any) -> None:
    """A case closed and an orientation made 1,000 days ago, both in the archive now."""
    long_ago = datetime.now(UTC) - timedelta(days=1000)
    app.clock = lambda: long_ago
    old = app.request_mediation(
        domain="public-transport", neighbourhood="Bel-Air", referral="resident", parties=["A Z"]
    )
    app.withdraw(old, by="party", reason="no-longer-needed")
    oriented = app.orient(
        by="med-1",
        need="legal",
        partner="legal-access-point",
        neighbourhood="Bel-Air",
        follow_up_on=long_ago.date() + timedelta(days=10),
        name="Zoe Martin",
    )
    app.clock = None
    app.apply_archive("2y")
    ARCHIVE[key] = (old, oriented)


def _own(principal: Principal) -> str:
    return principal.identity if principal.role is Role.MEDIATOR else "med-1"


# Every method of PrincipalService: the action the policy is asked about, whether it is on
# a case, and a call (the desk, the case id, the case's mediator).
Call = Callable[[PrincipalService, Any, str], object]
OPERATIONS: dict[str, tuple[Action, bool, Call]] = {
    "request_mediation": (
        Action.REQUEST,
        False,
        lambda d, _, __: d.request_mediation(
            domain="schools-and-youth", neighbourhood="Bel-Air", referral="school", parties=["A B"]
        ),
    ),
    "join_party": (Action.ACT_ON_CASE, True, lambda d, c, _: d.join_party(c, name="Lea Martin")),
    "assign_mediator": (
        Action.ASSIGN,
        True,
        lambda d, c, _: d.assign_mediator(c, mediator="med-3"),
    ),
    "withdraw_mediator": (
        Action.MEDIATOR_WITHDRAWS,
        True,
        lambda d, c, m: d.withdraw_mediator(
            c,
            mediator=d.principal.identity if d.principal.role is Role.MEDIATOR else m,
            reason="workload",
        ),
    ),
    "give_consent": (
        Action.ACT_ON_CASE,
        True,
        lambda d, c, m: d.give_consent(c, party=f"p-{m}-a"),
    ),
    "withdraw_consent": (
        Action.ACT_ON_CASE,
        True,
        lambda d, c, m: d.withdraw_consent(c, party=f"p-{m}-a"),
    ),
    "refuse_consent": (
        Action.ACT_ON_CASE,
        True,
        lambda d, c, m: d.refuse_consent(c, party=f"p-{m}-b"),
    ),
    "hold_session": (
        Action.ACT_ON_CASE,
        True,
        lambda d, c, m: d.hold_session(c, kind="individual-interview", attendees=[f"p-{m}-a"]),
    ),
    "withdraw": (
        Action.ACT_ON_CASE,
        True,
        lambda d, c, _: d.withdraw(c, by="service", reason="out-of-scope"),
    ),
    "resolve": (Action.ACT_ON_CASE, True, lambda d, c, _: d.resolve(c, outcome="agreement")),
    "erase_subject": (Action.ERASE, False, lambda d, _, __: d.erase_subject("p-med-1-a")),
    "retention_due": (Action.ERASE, False, lambda d, _, __: d.retention_due("2y")),
    "apply_retention": (Action.ERASE, False, lambda d, _, __: d.apply_retention("2y")),
    "get_case": (Action.READ_CASE, True, lambda d, c, _: d.get_case(c)),
    "list_cases": (Action.LIST_CASES, False, lambda d, _, __: d.list_cases()),
    "iter_cases": (Action.LIST_CASES, False, lambda d, _, __: list(d.iter_cases())),
    "cases_page": (Action.LIST_CASES, False, lambda d, _, __: d.cases_page(limit=5)),
    "report": (Action.REPORT, False, lambda d, _, __: d.report(YEARS)),
    "require": (Action.AUDIT, False, lambda d, _, __: d.require(Action.AUDIT)),
    # The activities: the work is recorded by its own team; an orientation is its mediator's.
    "record_round": (
        Action.RECORD_ACTIVITY,
        False,
        lambda d, _, m: d.record_round(
            neighbourhood="Beaulieu",
            started_at=datetime.now(UTC) - _HOUR * 2,
            ended_at=datetime.now(UTC) - _HOUR,
            team=[m],
            contacts={"greeting": 2},
        ),
    ),
    "record_action": (
        Action.RECORD_ACTIVITY,
        False,
        lambda d, _, m: d.record_action(
            kind="workshop",
            domain="schools-and-youth",
            neighbourhood="Bel-Air",
            attendance=9,
            team=[m],
        ),
    ),
    "report_watch": (
        Action.RECORD_ACTIVITY,
        False,
        lambda d, _, __: d.report_watch(
            kind="cleanliness",
            domain="public-space-and-housing",
            neighbourhood="Bel-Air",
            partner="city-service",
        ),
    ),
    "acknowledge_watch": (
        Action.RECORD_ACTIVITY,
        False,
        lambda d, c, _: d.acknowledge_watch(WATCH[c]),
    ),
    "close_watch": (
        Action.RECORD_ACTIVITY,
        False,
        lambda d, c, _: d.close_watch(WATCH[c], answer="fixed"),
    ),
    "orient": (
        Action.RECORD_ACTIVITY,
        False,
        lambda d, _, m: d.orient(
            by=m,
            need="digital",
            partner="association",
            neighbourhood="Beaulieu",
            follow_up_on=SOON,
            name="Jean Morel",
        ),
    ),
    "follow_up": (
        Action.FOLLOW_UP,
        True,
        lambda d, c, _: d.follow_up(ORIENTATION[c], outcome="right-opened"),
    ),
    "orientation_person": (
        Action.FOLLOW_UP,
        True,
        lambda d, c, _: d.orientation_person(ORIENTATION[c]),
    ),
    "list_activities": (
        Action.READ_ACTIVITIES,
        False,
        lambda d, _, __: d.list_activities("orientation"),
    ),
    "orientations_due": (Action.READ_ACTIVITIES, False, lambda d, _, __: d.orientations_due()),
    "open_watch_reports": (Action.READ_ACTIVITIES, False, lambda d, _, __: d.open_watch_reports()),
    "get_activity": (Action.READ_ACTIVITIES, False, lambda d, c, _: d.get_activity(ROUND[c])),
    # The intermediate archive: the coordinator's, a read with a stated reason.
    "archive_due": (Action.ERASE, False, lambda d, _, __: d.archive_due("2y")),
    "apply_archive": (Action.ERASE, False, lambda d, _, __: d.apply_archive("2y")),
    "read_archived_case": (
        Action.READ_ARCHIVE,
        False,
        lambda d, c, _: d.read_archived_case(ARCHIVE[c][0], reason="litigation"),
    ),
    "read_archived_person": (
        Action.READ_ARCHIVE,
        False,
        lambda d, c, _: d.read_archived_person(ARCHIVE[c][1], reason="litigation"),
    ),
}
EXACT_REPORT = (Action.REPORT_EXACT, lambda d: d.report(YEARS, exact=True))


def test_the_walk_covers_every_public_method_of_the_service():
    public = {name for name, _ in inspect.getmembers(PrincipalService) if not name.startswith("_")}
    assert public == set(OPERATIONS)


def _expected(principal: Principal, action: Action, on_case: bool, mediator: str | None) -> Any:
    if not on_case:
        return decide(principal, action)
    return decide(principal, action, mediator)


@pytest.mark.parametrize("principal", PRINCIPALS, ids=lambda p: p.role.value)
@pytest.mark.parametrize("operation", list(OPERATIONS))
def test_every_operation_for_every_role_does_what_the_policy_table_says(principal, operation):
    action, on_case, call = OPERATIONS[operation]
    for whose in ("med-1", "med-2", "None") if on_case else ("med-1",):
        app, cases = _store()
        mediator = None if whose == "None" else whose
        decision = _expected(principal, action, on_case, mediator)
        desk = MediationService(app).for_principal(principal)
        before = app.recorder.max_notification_id()
        opened = _count_openings(app)
        try:
            call(desk, cases[whose], whose if on_case else _own(principal))
        except NotAllowedError:
            outcome = Decision.FORBIDDEN
        except CaseNotFoundError:
            outcome = Decision.HIDDEN
        except MediationError:
            outcome = Decision.ALLOWED  # let through, then refused by the case's own rules
        else:
            outcome = Decision.ALLOWED
        assert outcome is decision, (operation, whose)
        if decision is not Decision.ALLOWED:
            assert app.recorder.max_notification_id() == before, "a refusal stored something"
            assert opened() == 0, "a refusal opened a personal value"


@pytest.mark.parametrize("principal", PRINCIPALS, ids=lambda p: p.role.value)
def test_exact_counts_are_the_coordinators(principal):
    app, _ = _store()
    desk = MediationService(app).for_principal(principal)
    allowed = decide(principal, Action.REPORT) is decide(principal, Action.REPORT_EXACT)
    allowed = allowed and decide(principal, Action.REPORT_EXACT) is Decision.ALLOWED
    if allowed:
        assert EXACT_REPORT[1](desk).exact  # type: ignore[attr-defined]
    else:
        with pytest.raises(NotAllowedError):
            EXACT_REPORT[1](desk)


def _count_openings(app: Mediations) -> Callable[[], int]:
    """How many times personal values are opened from now on."""
    count = [0]
    open_all = app.sealer.open_all

    def counted(values: Any) -> list[str]:
        count[0] += 1
        return open_all(values)

    app.sealer.open_all = counted  # type: ignore[method-assign]
    return lambda: count[0]


def test_a_mediator_lists_their_own_cases_and_may_not_ask_for_anothers():
    app, cases = _store()
    desk = MediationService(app).for_principal(MEDIATOR)
    assert [view.case_id for view in desk.list_cases()] == [cases["med-1"]]
    assert [view.case_id for view in desk.cases_page(limit=10).cases] == [cases["med-1"]]
    assert desk.list_cases(mediator="med-1") == desk.list_cases()
    with pytest.raises(NotAllowedError, match="their own cases only"):
        desk.list_cases(mediator="med-2")
    every = MediationService(app).for_principal(COORDINATOR).list_cases()
    assert len(every) == 4  # and the archived one


def test_a_hidden_case_and_a_missing_one_are_refused_alike():
    app, cases = _store()
    desk = MediationService(app).for_principal(MEDIATOR)
    with pytest.raises(CaseNotFoundError) as hidden:
        desk.get_case(cases["med-2"])
    unknown = "8f0f5b8e-0000-4000-8000-000000000000"
    with pytest.raises(CaseNotFoundError) as missing:
        desk.get_case(unknown)
    assert str(hidden.value) == f"no case {cases['med-2']}"
    assert str(missing.value) == f"no case {unknown}"
    with pytest.raises(InvalidInputError, match="invalid case id 'not-a-case': expected a UUID"):
        desk.get_case("not-a-case")


def test_a_command_acts_on_the_version_it_checked():
    """Reassigned between the check and the command: a conflict, nothing recorded."""
    app, cases = _store()
    case = cases["med-1"]
    desk = MediationService(app).for_principal(MEDIATOR)
    checked = app.assignment

    def reassigned_meanwhile(case_id: Any) -> tuple[int, str | None]:
        seen = checked(case_id)
        app.withdraw_mediator(case_id, mediator="med-1", reason="workload")
        app.assign_mediator(case_id, mediator="med-2")
        return seen

    app.assignment = reassigned_meanwhile  # type: ignore[method-assign]
    with pytest.raises(ConcurrencyError) as conflict:
        desk.give_consent(case, party="p-med-1-a")
    assert not isinstance(conflict.value, StaleVersionError)  # no version was asked for
    app.assignment = checked  # type: ignore[method-assign]
    view = MediationService(app).for_principal(COORDINATOR).get_case(case)
    assert view.mediator == "med-2"
    assert not view.consenting, "the consent was recorded on a case reassigned meanwhile"


def test_an_expected_version_is_the_only_one_acted_on():
    app, cases = _store()
    desk = MediationService(app).for_principal(COORDINATOR)
    version = desk.get_case(cases["med-1"]).version
    with pytest.raises(StaleVersionError, match=f"at version {version}, not {version - 1}"):
        desk.give_consent(cases["med-1"], party="p-med-1-a", expected_version=version - 1)
    done = desk.give_consent(cases["med-1"], party="p-med-1-a", expected_version=version)
    assert isinstance(done, Recorded)
    assert (done.recorded, done.case.version) == (True, version + 1)
    again = desk.give_consent(cases["med-1"], party="p-med-1-a")
    assert (again.recorded, again.case.version) == (False, version + 1)


def test_a_mediator_who_withdraws_sees_the_case_as_their_step_left_it():
    app, cases = _store()
    desk = MediationService(app).for_principal(MEDIATOR)
    done = desk.withdraw_mediator(cases["med-1"], mediator="med-1", reason="workload")
    assert done.recorded
    assert done.case.mediator is None
    app.assign_mediator(cases["med-1"], mediator="med-2")
    with pytest.raises(CaseNotFoundError):
        desk.get_case(cases["med-1"])
    with pytest.raises(NotAllowedError, match="for themselves only"):
        MediationService(app).for_principal(Principal(Role.MEDIATOR, "med-2")).withdraw_mediator(
            cases["med-2"], mediator="med-1", reason="workload"
        )


def test_parties_under_chosen_ids_are_the_coordinators():
    app, cases = _store()
    desk = MediationService(app).for_principal(MEDIATOR)
    with pytest.raises(NotAllowedError, match="generated ids only"):
        desk.join_party(cases["med-1"], name="Lea Martin", party_id="p-chosen")
    added = desk.join_party(cases["med-1"], name="Lea Martin")
    assert added.party in {party.id for party in added.case.parties}


def test_a_mediator_lists_and_follows_their_own_orientations_only():
    app, cases = _store()
    desk = MediationService(app).for_principal(MEDIATOR)
    own = [o["id"] for o in desk.list_activities("orientation")]
    assert own == [str(ORIENTATION[cases["med-1"]]), str(ARCHIVE[cases["med-1"]][1])]
    # The archived one is no longer in active use: no follow-up is due on it.
    assert [o["id"] for o in desk.orientations_due()] == own[:1]
    with pytest.raises(CaseNotFoundError, match="no orientation"):
        desk.get_activity(ORIENTATION[cases["med-2"]])
    every = MediationService(app).for_principal(COORDINATOR).list_activities("orientation")
    assert len(every) == 4  # and the archived one
    with pytest.raises(NotAllowedError, match="took part in only"):
        desk.orient(
            by="med-2",
            need="health",
            partner="health-service",
            neighbourhood="Beaulieu",
            follow_up_on=SOON,
        )
    with pytest.raises(CaseNotFoundError, match="no case"):  # a case of another mediator's
        desk.orient(
            need="health",
            partner="health-service",
            neighbourhood="Beaulieu",
            follow_up_on=SOON,
            case_id=cases["med-2"],
        )
