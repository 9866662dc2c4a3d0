"""One test per refusal: the typed error, the rule that refused, and nothing stored."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from mediation_domain import (
    CaseClosedError,
    CaseNotFoundError,
    CaseStatus,
    ConsentError,
    InvalidInputError,
    LifecycleError,
    Mediations,
    NeutralityError,
)

# Consent ------------------------------------------------------------------------------------


def test_an_interview_needs_the_attendees_live_consent(given):
    case = given(mediator="med-1")
    a = case.parties[0]
    case.refuses(
        ConsentError,
        "attendees-consent",
        lambda: case.app.hold_session(case.case_id, kind="individual-interview", attendees=[a]),
    )


def test_a_joint_session_needs_every_partys_consent_even_of_a_party_not_attending(given):
    case = given(parties=3, mediator="med-1", consenting=(0, 1))
    a, b, _ = case.parties
    case.refuses(
        ConsentError,
        "joint-session-has-every-partys-consent",
        lambda: case.app.hold_session(case.case_id, kind="joint-session", attendees=[a, b]),
    )


def test_withdrawn_consent_blocks_sessions_until_given_again(given):
    case = given(mediator="med-1", consenting=(0, 1))
    a, b = case.parties
    case.app.withdraw_consent(case.case_id, party=a)
    case.refuses(
        ConsentError,
        "attendees-consent",
        lambda: case.app.hold_session(case.case_id, kind="individual-interview", attendees=[a]),
    )
    case.refuses(
        ConsentError,
        "attendees-consent",
        lambda: case.app.hold_session(case.case_id, kind="joint-session", attendees=[a, b]),
    )
    case.app.give_consent(case.case_id, party=a)
    case.app.hold_session(case.case_id, kind="joint-session", attendees=[a, b])
    assert len(case.app.get_case(case.case_id).sessions) == 1


def test_a_refusal_blocks_the_joint_session_but_not_the_other_partys_interview(given):
    case = given(mediator="med-1", consenting=(0,))
    a, b = case.parties
    case.app.refuse_consent(case.case_id, party=b)
    case.refuses(
        ConsentError,
        "attendees-consent",
        lambda: case.app.hold_session(case.case_id, kind="joint-session", attendees=[a, b]),
    )
    case.app.hold_session(case.case_id, kind="individual-interview", attendees=[a])
    assert case.app.get_case(case.case_id).parties[1].consent.value == "refused"


def test_a_party_who_consents_withdraws_rather_than_refuses(given):
    case = given(consenting=(0,))
    case.refuses(
        ConsentError,
        "refusal-is-not-a-withdrawal",
        lambda: case.app.refuse_consent(case.case_id, party=case.parties[0]),
    )


def test_only_parties_of_the_case_declare_consent(given):
    case = given()
    case.refuses(
        InvalidInputError,
        "party-belongs-to-case",
        lambda: case.app.give_consent(case.case_id, party="p-stranger"),
    )


def test_consent_can_be_withdrawn_at_any_time_without_a_reason_even_mid_mediation(given):
    case = given(mediator="med-1", consenting=(0, 1), joint_sessions=1)
    case.app.withdraw_consent(case.case_id, party=case.parties[1])
    view = case.app.get_case(case.case_id)
    assert view.consenting == {case.parties[0]}


def test_declaring_the_same_consent_twice_records_it_once(given):
    case = given(consenting=(0,))
    before = case.stored()
    case.app.give_consent(case.case_id, party=case.parties[0])
    case.app.withdraw_consent(case.case_id, party=case.parties[1])  # never given: nothing to revoke
    assert case.stored() == before


# Neutrality and independence -----------------------------------------------------------------


def test_a_session_needs_an_assigned_mediator(given):
    case = given(consenting=(0,))
    case.refuses(
        NeutralityError,
        "session-has-a-mediator",
        lambda: case.app.hold_session(
            case.case_id, kind="individual-interview", attendees=[case.parties[0]]
        ),
    )


def test_a_party_cannot_be_assigned_as_mediator(app: Mediations):
    case_id = app.request_mediation(
        domain="schools-and-youth",
        neighbourhood="Bel-Air",
        referral="school",
        parties=["Mme X", "Éducateur"],
        party_ids=["p-1", "staff-7"],
    )
    before = app.get_case(case_id).version
    with pytest.raises(NeutralityError) as refused:
        app.assign_mediator(case_id, mediator="staff-7")
    assert refused.value.rule == "mediator-is-not-a-party"
    assert app.get_case(case_id).version == before


def test_the_mediator_cannot_join_as_a_party(given):
    case = given(mediator="med-1")
    case.refuses(
        NeutralityError,
        "mediator-is-not-a-party",
        lambda: case.app.join_party(case.case_id, name="Médiateur", party_id="med-1"),
    )


def test_a_declared_tie_blocks_assignment_unless_every_party_waived_it(given):
    case = given()
    a, b = case.parties
    case.refuses(
        NeutralityError,
        "ties-are-waived-by-every-party",
        lambda: case.app.assign_mediator(case.case_id, mediator="med-1", ties=[a]),
    )
    case.refuses(
        NeutralityError,
        "ties-are-waived-by-every-party",
        lambda: case.app.assign_mediator(case.case_id, mediator="med-1", ties=[a], waived_by=[a]),
    )
    case.app.assign_mediator(case.case_id, mediator="med-1", ties=[a], waived_by=[a, b])
    assert case.app.get_case(case.case_id).mediator == "med-1"


def test_a_declaration_names_only_parties_of_the_case(given):
    case = given()
    case.refuses(
        InvalidInputError,
        "declaration-names-parties",
        lambda: case.app.assign_mediator(case.case_id, mediator="med-1", ties=["p-other"]),
    )


def test_after_the_mediator_withdraws_sessions_wait_for_a_new_assignment(given):
    case = given(mediator="med-1", consenting=(0, 1))
    a, b = case.parties
    case.app.withdraw_mediator(case.case_id, mediator="med-1", reason="conflict-of-interest")
    assert case.app.get_case(case.case_id).status is CaseStatus.AWAITING_MEDIATOR
    case.refuses(
        NeutralityError,
        "session-has-a-mediator",
        lambda: case.app.hold_session(case.case_id, kind="joint-session", attendees=[a, b]),
    )
    case.app.assign_mediator(case.case_id, mediator="med-2")
    case.app.hold_session(case.case_id, kind="joint-session", attendees=[a, b])


def test_a_second_mediator_waits_for_the_first_to_withdraw(given):
    case = given(mediator="med-1")
    case.refuses(
        LifecycleError,
        "one-mediator-at-a-time",
        lambda: case.app.assign_mediator(case.case_id, mediator="med-2"),
    )


def test_only_the_assigned_mediator_withdraws(given):
    case = given(mediator="med-1")
    case.refuses(
        LifecycleError,
        "withdrawing-mediator-is-assigned",
        lambda: case.app.withdraw_mediator(case.case_id, mediator="med-2", reason="unavailable"),
    )


# Sessions -----------------------------------------------------------------------------------


def test_an_individual_interview_has_exactly_one_attendee(given):
    case = given(mediator="med-1", consenting=(0, 1))
    case.refuses(
        InvalidInputError,
        "session-kind-fits-attendees",
        lambda: case.app.hold_session(
            case.case_id, kind="individual-interview", attendees=case.parties
        ),
    )


def test_a_joint_session_brings_at_least_two_parties(given):
    case = given(mediator="med-1", consenting=(0, 1))
    case.refuses(
        InvalidInputError,
        "session-kind-fits-attendees",
        lambda: case.app.hold_session(
            case.case_id, kind="joint-session", attendees=case.parties[:1]
        ),
    )


def test_attendees_are_parties_listed_once(given):
    case = given(mediator="med-1", consenting=(0, 1))
    a = case.parties[0]
    case.refuses(
        InvalidInputError,
        "attendees-are-parties",
        lambda: case.app.hold_session(case.case_id, kind="joint-session", attendees=[a, a]),
    )
    case.refuses(
        InvalidInputError,
        "attendees-are-parties",
        lambda: case.app.hold_session(case.case_id, kind="joint-session", attendees=[a, "p-ghost"]),
    )


def test_a_session_is_not_dated_in_the_future_nor_before_the_request(given):
    case = given(mediator="med-1", consenting=(0,))
    a = case.parties[0]
    case.refuses(
        InvalidInputError,
        "session-date-is-plausible",
        lambda: case.app.hold_session(
            case.case_id,
            kind="individual-interview",
            attendees=[a],
            held_on=date.today() + timedelta(days=3),
        ),
    )
    case.refuses(
        InvalidInputError,
        "session-date-is-plausible",
        lambda: case.app.hold_session(
            case.case_id, kind="individual-interview", attendees=[a], held_on=date(2020, 1, 1)
        ),
    )


# Lifecycle ----------------------------------------------------------------------------------


def test_resolving_needs_at_least_one_session(given):
    case = given(mediator="med-1", consenting=(0, 1))
    case.refuses(
        LifecycleError,
        "resolution-follows-a-session",
        lambda: case.app.resolve(case.case_id, outcome="agreement"),
    )


@pytest.mark.parametrize("ending", ["resolved", "withdrawn"])
def test_nothing_is_recorded_after_the_case_closed(given, ending):
    case = given(mediator="med-1", consenting=(0, 1), joint_sessions=1)
    a, b = case.parties
    if ending == "resolved":
        case.app.resolve(case.case_id, outcome="partial-agreement")
    else:
        case.app.withdraw(case.case_id, by="mediator", reason="safety")
    app, cid = case.app, case.case_id
    for command in (
        lambda: app.hold_session(cid, kind="joint-session", attendees=[a, b]),
        lambda: app.resolve(cid, outcome="agreement"),
        lambda: app.withdraw(cid, by="party", reason="no-longer-needed"),
        lambda: app.give_consent(cid, party=a),
        lambda: app.withdraw_consent(cid, party=a),
        lambda: app.join_party(cid, name="Nouveau voisin"),
        lambda: app.withdraw_mediator(cid, mediator="med-1", reason="unavailable"),
    ):
        case.refuses(CaseClosedError, "case-is-open", command)


def test_a_party_joins_once(given):
    case = given()
    case.refuses(
        InvalidInputError,
        "joining-party-is-new",
        lambda: case.app.join_party(case.case_id, name="Again", party_id=case.parties[0]),
    )


# Bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "says"),
    [
        ({"domain": "gardening"}, "unknown intervention domain"),
        ({"neighbourhood": "Montmartre"}, "unknown neighbourhood"),
        ({"referral": "police"}, "unknown referral source"),
        ({"parties": []}, "at least one party"),
        ({"parties": ["  "]}, "party name is empty"),
        ({"parties": "Mme A"}, "parties must be a list, not str"),
        ({"parties": ["A\x00B"]}, "control characters"),
        ({"parties": ["x" * 201]}, "longer than 200"),
        ({"parties": ["A", "B"], "party_ids": ["same", "same"]}, "each party appears once"),
        ({"parties": ["A"], "party_ids": ["bad id!"]}, "invalid party id"),
        ({"summary": "s" * 4001}, "longer than 4000"),
        ({"summary": 42}, "summary must be text"),
        ({"parties": ["A", "B"], "party_ids": ["p-1"]}, "one party id per party"),
    ],
)
def test_a_malformed_request_is_refused_and_stores_nothing(app: Mediations, changes, says):
    request = {
        "domain": "public-transport",
        "neighbourhood": "Beaulieu",
        "referral": "resident",
        "parties": ["Mme A"],
        "summary": "",
    } | changes
    with pytest.raises(InvalidInputError, match=says):
        app.request_mediation(**request)
    assert app.recorder.max_notification_id() in {None, 0}


def test_an_unknown_case_is_reported_as_such(app: Mediations):
    with pytest.raises(CaseNotFoundError):
        app.give_consent("8f0f5b8e-0000-4000-8000-000000000000", party="p-1")
    with pytest.raises(InvalidInputError, match="expected a UUID"):
        app.get_case("not-a-case")


def test_reason_codes_refuse_free_text_which_could_hold_personal_data(given):
    case = given(mediator="med-1")
    case.refuses(
        InvalidInputError,
        "",
        lambda: case.app.withdraw(case.case_id, by="party", reason="Mme A is ill"),
    )


def test_attendees_are_a_list_not_one_string(given):
    case = given(mediator="med-1", consenting=(0,))
    case.refuses(
        InvalidInputError,
        "",
        lambda: case.app.hold_session(
            case.case_id, kind="individual-interview", attendees=case.parties[0]
        ),
    )


def test_naming_a_stranger_lists_the_cases_party_ids_to_use_instead(given):
    case = given()
    refusal = case.refuses(
        InvalidInputError,
        "party-belongs-to-case",
        lambda: case.app.give_consent(case.case_id, party="p-typo"),
    )
    assert all(party in refusal.message for party in case.parties)
