"""The Mediations service as an embedding tool uses it: reads, history, filters, concurrency."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import attrs
import pytest

from mediation_adapters.stores import open_store
from mediation_domain import (
    CaseStatus,
    ConcurrencyError,
    ConsentStatus,
    InvalidInputError,
    Mediations,
    application,
)
from mediation_domain.errors import StaleVersionError
from mediation_domain.testing import record_every_event


def _full_case(app: Mediations):
    case_id = record_every_event(app)
    return case_id, tuple(p.id for p in app.get_case(case_id).parties)


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
    dropped = app.list_cases(status="withdrawn")[0].case_id
    assert [v.case_id for v in app.list_cases()] == [resolved, dropped, waiting]
    assert [v.case_id for v in app.list_cases(status="awaiting-mediator")] == [waiting]
    assert [v.case_id for v in app.list_cases(neighbourhood="trois cites")] == [waiting]
    assert [v.case_id for v in app.list_cases(domain="schools-and-youth")] == [resolved]
    assert [v.case_id for v in app.list_cases(mediator="med-2")] == [resolved]
    assert app.list_cases(mediator="med-1") == []
    with pytest.raises(InvalidInputError):
        app.list_cases(status="sleeping")


def test_a_page_of_cases_spans_several_reads_of_the_store(monkeypatch):
    monkeypatch.setattr(application.queries, "_PAGE", 2)  # the store is read two requests at a time
    app = Mediations()
    ids = [
        app.request_mediation(
            domain="public-transport", neighbourhood=place, referral="resident", parties=["A"]
        )
        for place in ["Beaulieu", "Bel-Air", "Bel-Air", "Bel-Air", "Beaulieu", "Bel-Air"]
    ]
    app.join_party(ids[0], name="B")  # other events between the requests are passed over
    page = app.cases_page(neighbourhood="Beaulieu", limit=1)
    assert [v.case_id for v in page.cases] == [ids[0]]
    page = app.cases_page(neighbourhood="Beaulieu", limit=1, after=page.after)
    assert ([v.case_id for v in page.cases], page.after) == ([ids[4]], None)
    assert [v.case_id for v in app.cases_page(limit=5).cases] == ids[:5]
    assert [v.case_id for v in app.iter_cases(neighbourhood="Bel-Air")] == [
        ids[1],
        ids[2],
        ids[3],
        ids[5],
    ]


def test_a_page_loads_its_own_cases_only(monkeypatch):
    app = Mediations()
    places = ["Beaulieu", "Bel-Air"] * 6
    ids = [
        app.request_mediation(
            domain="public-transport", neighbourhood=place, referral="resident", parties=["A"]
        )
        for place in places
    ]
    loaded: list[str] = []
    load = app._load  # noqa: SLF001 - counting what a page costs

    def counted(case_id, expected_version=None):
        loaded.append(case_id)
        return load(case_id, expected_version)

    monkeypatch.setattr(app, "_load", counted)
    page = app.cases_page(limit=2)
    # The index tells whether a next page exists: the page loads its own cases, no more.
    assert ([v.case_id for v in page.cases], loaded) == (ids[:2], ids[:2])
    loaded.clear()
    page = app.cases_page(neighbourhood="Bel-Air", limit=2, after=page.after)
    assert [v.case_id for v in page.cases] == [ids[3], ids[5]]
    assert loaded == [ids[3], ids[5]]  # Beaulieu's cases, and the next page's, were not loaded
    loaded.clear()
    mine = app.cases_page(mediator="med-nobody", limit=50)
    assert (mine.cases, mine.after, loaded) == ((), None, [])  # nobody's page loads nothing


def test_neighbourhoods_are_configuration(store_url):
    store = open_store(store_url)
    lyon = Mediations(
        env=dict(store.env), neighbourhoods=["La Duchère", "Mermoz"], sealer=store.sealer
    )
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


def test_a_case_reads_as_it_stood_at_a_time(app: Mediations):
    case_id, _ = _full_case(app)
    events = list(app.events.get(case_id))
    third = events[2].timestamp
    assert app.get_case(case_id, at=third).version == 3
    assert app.get_case(case_id, at=third.replace(tzinfo=None)).version == 3  # naive is UTC
    assert app.get_case(case_id, at=events[-1].timestamp) == app.get_case(case_id)
    with pytest.raises(InvalidInputError, match="was requested after"):
        app.get_case(case_id, at=events[0].timestamp - timedelta(seconds=1))
    with pytest.raises(InvalidInputError, match="not both"):
        app.get_case(case_id, version=2, at=third)


def test_session_dates_are_dates_datetimes_or_iso_text(given):
    case = given(mediator="med-1", consenting=(0,))
    a = case.parties[0]
    today = date.today()
    case.app.hold_session(
        case.case_id, kind="individual-interview", attendees=[a], held_on=today.isoformat()
    )
    case.app.hold_session(
        case.case_id,
        kind="individual-interview",
        attendees=[a],
        held_on=datetime.combine(today, datetime.min.time()),
    )
    assert [s.held_on for s in case.app.get_case(case.case_id).sessions] == [today, today]
    for wrong in ("yesterday", 20260501):
        with pytest.raises(InvalidInputError, match="invalid session date"):
            case.app.hold_session(
                case.case_id, kind="individual-interview", attendees=[a], held_on=wrong
            )
    with pytest.raises(InvalidInputError, match="expected a datetime"):
        case.app.get_case(case.case_id, at="2026-05-01")


def test_a_command_given_the_version_it_expects_refuses_a_case_that_moved_on(given):
    case = given(mediator="med-1")
    a, _ = case.parties
    case.refuses(
        StaleVersionError,
        "",
        lambda: case.app.give_consent(case.case_id, party=a, expected_version=1),
    )
    case.app.give_consent(case.case_id, party=a, expected_version=2)
    with pytest.raises(ConcurrencyError, match="at version 3, not 2"):  # also a conflict
        case.app.hold_session(
            case.case_id, kind="individual-interview", attendees=[a], expected_version=2
        )
    for command in (
        lambda v: case.app.join_party(case.case_id, name="C", expected_version=v),
        lambda v: case.app.withdraw(case.case_id, by="service", reason="x", expected_version=v),
        lambda v: case.app.resolve(case.case_id, outcome="agreement", expected_version=v),
    ):
        with pytest.raises(StaleVersionError):
            command(99)
    assert case.app.get_case(case.case_id).version == 3


def test_a_consent_command_tells_whether_it_recorded(given):
    case = given(mediator="med-1")
    a, b = case.parties
    assert case.app.withdraw_consent(case.case_id, party=a) is False  # pending: nothing
    assert case.app.give_consent(case.case_id, party=a) is True
    assert case.app.give_consent(case.case_id, party=a) is False
    assert case.app.refuse_consent(case.case_id, party=b) is True
    assert case.app.refuse_consent(case.case_id, party=b) is False
    assert case.app.withdraw_consent(case.case_id, party=b) is False  # refused: nothing
    assert case.app.get_case(case.case_id).version == 4  # requested, assigned, given, refused
