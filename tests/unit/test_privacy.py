"""Confidentiality: personal values sealed per data subject, erasure, retention (every store)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime, timedelta

import attrs
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from eventsourcing.domain import CanCreateTimestamp
from hypothesis import given as hypothesis_given
from hypothesis import strategies as st

from mediation_domain import (
    CaseClosedError,
    InvalidInputError,
    MediationCase,
    Mediations,
)
from mediation_domain.case import PARTY_CONTACT, PARTY_NAME
from mediation_domain.privacy import (
    ERASED,
    SEALED,
    KeyedSealer,
    MemoryKeyStore,
    RetentionPeriod,
    Sealed,
    SubjectErasedError,
    SubjectNotFoundError,
    associated_data,
)
from mediation_domain.rules import review
from mediation_domain.values import PartyId, ReasonCode
from mediation_domain.views import CaseView

NAMES = ("Mme Lefèvre", "M. Diallo")
SUMMARY = "Bruit nocturne entre deux logements"
NOTES = "Accord : plus de bruit après 22 h"
CONTACT = "06 12 34 56 78"


def _stored_bytes(app: Mediations) -> bytes:
    return b"".join(n.state for n in app.recorder.select_notifications(1, 10_000))


def _forms(text: str) -> list[bytes]:
    """How a text could sit in stored JSON: as UTF-8, or as ASCII with escapes."""
    return [text.encode(), json.dumps(text)[1:-1].encode()]


def _resolved_case(app: Mediations, *, held_on: date | None = None, party_ids=None):
    case_id = app.request_mediation(
        domain="public-space-and-housing",
        neighbourhood="Couronneries",
        referral="landlord",
        parties=list(NAMES),
        party_ids=party_ids,
        contacts=[CONTACT, ""],
        summary=SUMMARY,
    )
    a, b = (p.id for p in app.get_case(case_id).parties)
    app.assign_mediator(case_id, mediator="med-1")
    app.give_consent(case_id, party=a)
    app.give_consent(case_id, party=b)
    app.hold_session(case_id, kind="joint-session", attendees=[a, b], notes=NOTES, held_on=held_on)
    app.resolve(case_id, outcome="agreement")
    return case_id, a, b


def test_personal_values_are_stored_sealed_and_read_back_opened(app):
    case_id, a, _ = _resolved_case(app)
    stored = _stored_bytes(app)
    for text in (*NAMES, SUMMARY, NOTES, CONTACT):
        assert not any(form in stored for form in _forms(text)), text
    view = app.get_case(case_id)
    assert [p.name for p in view.parties] == list(NAMES)
    assert view.parties[0].contact == CONTACT
    assert view.parties[1].contact == ""
    assert (view.summary, view.sessions[0].notes) == (SUMMARY, NOTES)
    assert a in stored.decode()  # the pseudonymous id stays readable: it is what commands use


def test_erasing_one_party_leaves_the_other_and_the_case_readable(app):
    case_id, a, b = _resolved_case(app)
    erasure = app.erase_subject(a)
    assert (erasure.subject, erasure.cases, erasure.key_deleted, erasure.recorded) == (
        a,
        (case_id,),
        True,
        1,
    )
    view = app.get_case(case_id)
    assert [(p.id, p.name, p.contact) for p in view.parties] == [
        (a, ERASED, ERASED),
        (b, NAMES[1], ""),
    ]
    assert (view.summary, view.sessions[0].notes) == (SUMMARY, NOTES)
    assert view.status.value == "resolved"  # erasure does not reopen the case
    assert view.erased == (a,)
    # The facts stay: the case is listed and counted like any other.
    assert [v.case_id for v in app.list_cases(status="resolved")] == [case_id]
    # The versions before the erasure read the same placeholder: the key is gone for all.
    assert app.get_case(case_id, version=1).parties[0].name == ERASED


def test_erasing_the_case_erases_its_summary_and_notes_not_its_parties(app):
    case_id, _, _ = _resolved_case(app)
    app.erase_subject(str(case_id).upper())  # any spelling of the UUID
    view = app.get_case(case_id)
    assert (view.summary, view.sessions[0].notes) == (ERASED, ERASED)
    assert [p.name for p in view.parties] == list(NAMES)


def test_erasing_twice_is_harmless(app):
    case_id, a, _ = _resolved_case(app)
    app.erase_subject(a)
    version, last = app.get_case(case_id).version, app.recorder.max_notification_id()
    again = app.erase_subject(a)
    assert (again.key_deleted, again.recorded, again.cases) == (False, 0, (case_id,))
    assert (app.get_case(case_id).version, app.recorder.max_notification_id()) == (version, last)


def test_erasing_an_unknown_subject_is_a_clear_error_and_stores_nothing(app):
    _resolved_case(app)
    last = app.recorder.max_notification_id()
    with pytest.raises(
        SubjectNotFoundError, match="no case nor orientation holds personal data of p-nobody"
    ):
        app.erase_subject("p-nobody")
    for bad in ("", "  ", None, 42, "two words"):
        with pytest.raises(InvalidInputError):
            app.erase_subject(bad)
    with pytest.raises(InvalidInputError):
        app.erase_subject(NAMES[0].split()[1], reason="because she asked nicely")
    assert app.recorder.max_notification_id() == last


def test_a_party_shared_by_two_cases_is_erased_in_both(app):
    first, _, _ = _resolved_case(app, party_ids=["p-lefevre", "p-diallo"])
    second = app.request_mediation(
        domain="access-to-rights",
        neighbourhood="Beaulieu",
        referral="city",
        parties=["Mme Lefèvre"],
        party_ids=["p-lefevre"],
    )
    erasure = app.erase_subject("p-lefevre")
    assert set(erasure.cases) == {first, second}
    assert app.get_case(second).parties[0].name == ERASED
    assert app.get_case(first).parties[1].name == NAMES[1]


def test_nothing_new_is_sealed_for_an_erased_party(app):
    _resolved_case(app, party_ids=["p-lefevre", "p-diallo"])
    app.erase_subject("p-lefevre")
    other = app.request_mediation(
        domain="access-to-rights", neighbourhood="Beaulieu", referral="city", parties=["X"]
    )
    last = app.recorder.max_notification_id()
    with pytest.raises(SubjectErasedError, match="under a new party id"):
        app.join_party(other, name="Mme Lefèvre", party_id="p-lefevre")
    assert app.recorder.max_notification_id() == last


def test_a_refused_join_makes_no_key(app):
    case_id, _, _ = _resolved_case(app)
    with pytest.raises(CaseClosedError):
        app.join_party(case_id, name="Mme Retard", party_id="p-retard")
    assert app.sealer.keys.keys(["p-retard"]) == {}  # type: ignore[attr-defined]


def test_a_history_with_erasures_replays_without_a_violation(app):
    case_id, a, b = _resolved_case(app)
    app.erase_subject(a)
    app.erase_subject(b)
    app.erase_subject(str(case_id))
    assert list(review(app.history())) == []
    assert app.get_case(case_id).version == 9  # 6 steps, resolved, 3 erasures - 1 request


def test_erasing_a_subject_of_another_case_is_refused_by_the_rules(app):
    case_id, _, _ = _resolved_case(app)
    case = app.repository.get(case_id)
    with pytest.raises(InvalidInputError, match="neither this case nor one of its parties"):
        case.erase("p-stranger", ReasonCode("data-subject-request"))


# Retention ---------------------------------------------------------------------------------

LONG_AGO = datetime(2023, 3, 1, 10, 0, tzinfo=UTC)


@pytest.fixture
def recorded_long_ago(monkeypatch):
    """Events recorded now carry LONG_AGO as their time, until the test sets `clock.now`."""

    class Clock:
        now = LONG_AGO

    clock = Clock()
    monkeypatch.setattr(CanCreateTimestamp, "create_timestamp", staticmethod(lambda: clock.now))
    return clock


def test_retention_lists_closed_cases_past_the_period_and_applies_only_when_asked(
    app, recorded_long_ago
):
    old, a, b = _resolved_case(app, held_on=LONG_AGO.date(), party_ids=["p-a", "p-b"])
    still_open = app.request_mediation(
        domain="public-transport", neighbourhood="Beaulieu", referral="resident", parties=["Y"]
    )
    shared = app.request_mediation(
        domain="schools-and-youth",
        neighbourhood="Bel-Air",
        referral="school",
        parties=["M. Diallo"],
        party_ids=["p-b"],
    )
    recorded_long_ago.now = datetime.now(UTC)
    now = LONG_AGO + timedelta(days=2 * 365 + 10)

    due = app.retention_due("2y", now=now)
    assert [(d.case_id, d.subjects, d.kept) for d in due] == [(old, (str(old), a), (b,))]
    assert due[0].last_contact == LONG_AGO
    assert app.retention_due("3y", now=now) == []
    assert app.get_case(old).parties[0].name == NAMES[0]  # listing erased nothing

    applied = app.apply_retention(RetentionPeriod.parse("2y"), now=now)
    assert applied == due
    view = app.get_case(old)
    assert (view.summary, view.parties[0].name, view.parties[1].name) == (ERASED, ERASED, NAMES[1])
    assert app.get_case(shared).parties[0].name == NAMES[1]
    assert app.get_case(still_open).parties[0].name == "Y"
    assert app.retention_due("2y", now=now + timedelta(days=1)) == []  # erasures are no contact
    assert list(review(app.history())) == []


@pytest.mark.parametrize(
    ("text", "moment", "expected"),
    [
        ("2y", datetime(2026, 11, 25, tzinfo=UTC), datetime(2024, 11, 25, tzinfo=UTC)),
        ("2y", datetime(2028, 2, 29, tzinfo=UTC), datetime(2026, 2, 28, tzinfo=UTC)),
        ("1m", datetime(2026, 3, 31, tzinfo=UTC), datetime(2026, 2, 28, tzinfo=UTC)),
        ("18m", datetime(2026, 1, 15, tzinfo=UTC), datetime(2024, 7, 15, tzinfo=UTC)),
        (" 6w", datetime(2026, 1, 15, tzinfo=UTC), datetime(2025, 12, 4, tzinfo=UTC)),
        ("90d", datetime(2026, 1, 15, tzinfo=UTC), datetime(2025, 10, 17, tzinfo=UTC)),
    ],
)
def test_retention_periods_count_calendar_months_and_years(text, moment, expected):
    assert RetentionPeriod.parse(text).before(moment) == expected


@pytest.mark.parametrize("text", ["", "2", "y", "0y", "2 years", "-1y", "2y3m", None, 2])
def test_a_malformed_retention_period_is_refused_in_one_line(text):
    with pytest.raises(InvalidInputError, match="expected a count and a unit"):
        RetentionPeriod.parse(text)


# The sealer --------------------------------------------------------------------------------


HERE = {"record": "c-1", "field": PARTY_NAME}


@hypothesis_given(st.text(max_size=200), st.text(min_size=1, max_size=30))
def test_a_sealed_value_opens_for_its_subject_only(text, subject):
    sealer = KeyedSealer(MemoryKeyStore())
    sealed = sealer.seal(subject, text, **HERE)
    assert sealer.open(sealed, **HERE) == text
    sealer.keys.keys_for(["someone else"])
    moved = Sealed("someone else", sealed.scheme, sealed.text)
    assert sealer.open(moved, **HERE) == SEALED  # copied into another subject's event: noise
    assert len(base64.b64decode(sealed.text)) == 12 + len(text.encode()) + 16  # nonce, tag


@hypothesis_given(
    st.sampled_from([("c-1", PARTY_CONTACT), ("c-2", PARTY_NAME), ("c-10", PARTY_NAME)]),
    st.text(max_size=50),
)
def test_a_sealed_value_opens_in_its_own_record_and_field_only(elsewhere, text):
    sealer = KeyedSealer(MemoryKeyStore())
    sealed = sealer.seal("p-1", text, **HERE)
    record, field = elsewhere
    assert sealer.open(sealed, record=record, field=field) == SEALED
    assert sealer.open(sealed, **HERE) == text


def test_the_bound_data_is_length_prefixed_so_no_two_places_share_it():
    assert associated_data("p-1", "a.b", "c") != associated_data("p-1a", ".b", "c")
    assert associated_data("p", "f", "r") == (b"\x00\x09aes-gcm-2\x00\x01p\x00\x01f\x00\x01r")


def test_values_sealed_by_the_first_scheme_stay_readable_where_they_are():
    keys = MemoryKeyStore()
    key = keys.keys_for(["p-1"])["p-1"]
    nonce = bytes(12)
    text = base64.b64encode(nonce + AESGCM(key).encrypt(nonce, b"Mme A", b"p-1")).decode()
    old = Sealed("p-1", "aes-gcm", text)  # release 0.2's: bound to its subject alone
    assert KeyedSealer(keys).open(old, **HERE) == "Mme A"
    assert KeyedSealer(keys).open(Sealed("p-2", "aes-gcm", text), **HERE) == SEALED


def test_values_the_sealer_cannot_open_read_sealed_not_erased():
    sealer = KeyedSealer(MemoryKeyStore())
    sealed = sealer.seal("p-1", "Mme A", **HERE)
    assert sealer.open(Sealed("p-1", "rot13", "Zzr N"), **HERE) == SEALED  # another scheme
    legacy = Sealed("p-1", "clear", "Mme A")  # release 0.1 stored values in clear
    assert sealer.open(legacy, **HERE) == "Mme A"
    assert sealer.open(Sealed("p-1", sealed.scheme, "not base64!"), **HERE) == SEALED
    assert sealer.open(Sealed("p-1", sealed.scheme, sealed.text[:8]), **HERE) == SEALED
    assert KeyedSealer(MemoryKeyStore()).open(sealed, **HERE) == SEALED  # no key
    assert sealer.forget(["p-1"]) == {"p-1"}  # it was live
    assert sealer.forget(["p-1"]) == set()  # already erased
    assert sealer.open(sealed, **HERE) == ERASED
    assert sealer.open(legacy, **HERE) == ERASED  # still in the store, but no longer shown


def _swap(case: MediationCase, **values: Sealed) -> None:
    """Move sealed values inside a loaded case, as someone editing the store would."""
    for name, value in values.items():
        if name == "summary":
            case.summary = value
        else:
            first = next(iter(case.parties))
            case.parties[first] = attrs.evolve(case.parties[first], **{name: value})


def test_a_sealed_value_moved_to_another_field_or_case_does_not_open_there(app):
    first, a, _ = _resolved_case(app)
    second, _, _ = _resolved_case(app)
    one = app.repository.get(first)
    other = app.repository.get(second)
    contact = one.parties[PartyId(a)].contact
    _swap(one, name=contact)  # a contact put where the name is
    assert CaseView.of(one, app.sealer).parties[0].name == SEALED
    moved = app.repository.get(first).summary
    _swap(other, summary=moved)  # a whole sealed summary copied into another case
    assert CaseView.of(other, app.sealer).summary == SEALED
    notes = app.repository.get(first).sessions[0].notes
    _swap(one, summary=notes)  # notes as a summary
    assert CaseView.of(one, app.sealer).summary == SEALED
    assert app.get_case(first).summary == SUMMARY  # where they belong, they still open


def test_a_persistent_store_without_a_persistent_key_store_is_refused(tmp_path):
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str(tmp_path / "x.sqlite3"),
    }
    with pytest.raises(InvalidInputError, match="needs a persistent key store"):
        Mediations(env=env)


def test_an_erasure_meeting_a_concurrent_change_is_retried_not_half_done(app, monkeypatch):
    case_id = app.request_mediation(
        domain="public-transport", neighbourhood="Beaulieu", referral="resident", parties=["A"]
    )
    (a,) = (p.id for p in app.get_case(case_id).parties)
    original = MediationCase.erase
    interfered = []

    def erase_after_someone_else_acted(case, subject, reason):
        if not interfered:  # between this copy's load and its save, another writer acts
            interfered.append(True)
            app.assign_mediator(case_id, mediator="med-1")
        original(case, subject, reason)

    monkeypatch.setattr(MediationCase, "erase", erase_after_someone_else_acted)
    erasure = app.erase_subject(a)
    assert (erasure.key_deleted, erasure.recorded) == (True, 1)
    view = app.get_case(case_id)
    assert (view.mediator, view.erased, view.version) == ("med-1", (a,), 3)


@pytest.mark.parametrize(
    ("text", "moment"),
    [("2030y", datetime(2026, 11, 25, tzinfo=UTC)), ("9999d", datetime(5, 1, 1, tzinfo=UTC))],
)
def test_a_period_reaching_before_the_year_one_is_refused(text, moment):
    with pytest.raises(InvalidInputError, match="before the year 1"):
        RetentionPeriod.parse(text).before(moment)
    assert RetentionPeriod.parse("9999m").before(datetime(2026, 11, 25, tzinfo=UTC)).year == 1193


def test_notes_moved_to_another_session_of_the_same_case_do_not_open_there(app):
    case_id, _, _ = _resolved_case(app)
    case = app.repository.get(case_id)
    case.sessions.append(case.sessions[0])  # the first session's notes copied into a second
    assert [s.notes for s in CaseView.of(case, app.sealer).sessions] == [NOTES, SEALED]
    later = app.repository.get(case_id)
    later.sessions[0] = attrs.evolve(later.sessions[0], notes=None)
    assert CaseView.of(later, app.sealer).sessions[0].notes == ""
