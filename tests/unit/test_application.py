"""The Mediations service as an embedding tool uses it: reads, history, filters, concurrency."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from mediation_adapters.stores import open_store
from mediation_domain import (
    CaseStatus,
    ConcurrencyError,
    ConsentStatus,
    InterventionDomain,
    InvalidInputError,
    Mediations,
    Outcome,
    ReferralSource,
    SessionKind,
)


def _full_case(app: Mediations):
    case_id = app.request_mediation(
        domain=InterventionDomain.SCHOOLS_AND_YOUTH,
        neighbourhood="bel air",
        referral=ReferralSource.SCHOOL,
        parties=["Mme Benali", "Principal adjoint"],
        summary="Tensions famille / collège",
    )
    a, b = (p.id for p in app.get_case(case_id).parties)
    c = app.join_party(case_id, name="Élève (représenté)")
    app.assign_mediator(case_id, mediator="med-1", ties=[a], waived_by=[a, b, c])
    for party in (a, b, c):
        app.give_consent(case_id, party=party)
    app.hold_session(
        case_id, kind=SessionKind.INDIVIDUAL_INTERVIEW, attendees=[a], held_on=date.today()
    )
    app.withdraw_mediator(case_id, mediator="med-1", reason="unavailable")
    app.assign_mediator(case_id, mediator="med-2")
    app.withdraw_consent(case_id, party=c)
    app.refuse_consent(case_id, party=c)
    app.give_consent(case_id, party=c)
    app.hold_session(case_id, kind="joint-session", attendees=[a, b, c])
    app.resolve(case_id, outcome=Outcome.PARTIAL_AGREEMENT)
    return case_id, (a, b, c)


def test_every_event_round_trips_through_the_store_and_replays_to_the_same_case(store_url):
    writer = open_store(store_url)
    case_id, (a, b, c) = _full_case(writer)
    live = writer.get_case(case_id)
    dropped = writer.request_mediation(
        domain="public-transport",
        neighbourhood="Beaulieu",
        referral="transport-operator",
        parties=["Chauffeur"],
    )
    writer.withdraw(dropped, by="party", reason="no-longer-needed")
    topics = {type(e).__name__ for e in writer.history()}
    assert topics == {
        "Requested",
        "PartyJoined",
        "MediatorAssigned",
        "MediatorWithdrew",
        "ConsentGiven",
        "ConsentWithdrawn",
        "ConsentRefused",
        "SessionHeld",
        "Resolved",
        "Withdrawn",
    }
    reader = writer if store_url == "memory://" else open_store(store_url)
    view = reader.get_case(case_id)
    assert view == live
    assert view.status is CaseStatus.RESOLVED
    assert view.neighbourhood == "Bel-Air"
    assert [p.name for p in view.parties] == [
        "Mme Benali",
        "Principal adjoint",
        "Élève (représenté)",
    ]
    assert view.mediator == "med-2"
    assert [s.kind for s in view.sessions] == [
        SessionKind.INDIVIDUAL_INTERVIEW,
        SessionKind.JOINT_SESSION,
    ]
    assert view.sessions[1].attendees == (a, b, c)
    assert view.outcome is Outcome.PARTIAL_AGREEMENT
    assert view.version == 14
    withdrawn = reader.get_case(dropped)
    assert (withdrawn.status, withdrawn.withdrawn_by.value, withdrawn.withdrawal_reason) == (
        CaseStatus.WITHDRAWN,
        "party",
        "no-longer-needed",
    )


def test_a_case_reads_as_it_stood_after_any_of_its_events(app: Mediations):
    case_id, (a, b, c) = _full_case(app)
    first = app.get_case(case_id, version=1)
    assert (first.version, first.status, first.mediator) == (1, CaseStatus.AWAITING_MEDIATOR, None)
    assert len(first.parties) == 2
    before_second_mediator = app.get_case(case_id, version=8)
    assert before_second_mediator.mediator is None
    assert before_second_mediator.consenting == {a, b, c}
    withdrawn = app.get_case(case_id, version=10)
    assert withdrawn.parties[2].consent is ConsentStatus.WITHDRAWN
    for wrong in (0, 15, -1):
        with pytest.raises(InvalidInputError, match="between 1 and 14"):
            app.get_case(case_id, version=wrong)


def test_the_read_model_is_immutable_and_plain(app: Mediations):
    case_id, _ = _full_case(app)
    view = app.get_case(case_id)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        view.status = CaseStatus.WITHDRAWN  # type: ignore[misc]
    data = view.to_dict()
    assert data["status"] == "resolved"
    assert data["domain"] == "schools-and-youth"
    assert data["sessions"][0]["held_on"] == date.today().isoformat()
    assert data["case_id"] == str(case_id)


def test_cases_are_listed_in_request_order_and_filtered(app: Mediations):
    resolved, _ = _full_case(app)
    waiting = app.request_mediation(
        domain="public-transport",
        neighbourhood="Trois-Cités",
        referral="resident",
        parties=["Mme Fontaine"],
    )
    assert [v.case_id for v in app.list_cases()] == [resolved, waiting]
    assert [v.case_id for v in app.list_cases(status="awaiting-mediator")] == [waiting]
    assert [v.case_id for v in app.list_cases(neighbourhood="trois cites")] == [waiting]
    assert [v.case_id for v in app.list_cases(domain="schools-and-youth")] == [resolved]
    assert [v.case_id for v in app.list_cases(mediator="med-2")] == [resolved]
    assert app.list_cases(mediator="med-1") == []
    with pytest.raises(InvalidInputError):
        app.list_cases(status="sleeping")


def test_two_stale_copies_one_save_wins_the_other_is_told_to_retry(app: Mediations):
    case_id = app.request_mediation(
        domain="public-transport", neighbourhood="Beaulieu", referral="resident", parties=["A", "B"]
    )
    a = app.get_case(case_id).parties[0].id
    first, second = app.repository.get(case_id), app.repository.get(case_id)
    first.give_consent(first.party_ids[0])
    second.give_consent(second.party_ids[1])
    app.save(first)
    with pytest.raises(ConcurrencyError, match="retry"):
        app._save(second)  # noqa: SLF001 - the path every command takes
    assert app.get_case(case_id).consenting == {a}


def test_neighbourhoods_are_configuration(store_url):
    lyon = open_store(store_url)
    lyon = Mediations(env=dict(lyon.env), neighbourhoods=["La Duchère", "Mermoz"])
    case_id = lyon.request_mediation(
        domain="public-transport", neighbourhood="la duchere", referral="city", parties=["A"]
    )
    assert lyon.get_case(case_id).neighbourhood == "La Duchère"
    with pytest.raises(InvalidInputError, match="configured: La Duchère, Mermoz"):
        lyon.request_mediation(
            domain="public-transport", neighbourhood="Couronneries", referral="city", parties=["A"]
        )


def test_neighbourhoods_can_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("MEDIATION_NEIGHBOURHOODS", "Nord, Sud")
    assert Mediations().neighbourhoods.names == ("Nord", "Sud")
    assert Mediations(neighbourhoods="Est,Ouest").neighbourhoods.names == ("Est", "Ouest")
