"""Institutions as parties: the name in clear, the representative sealed, old parties unchanged.

A party is a person or an institution (a landlord, a school, a transport operator...). The
institution's kind and name are no one's personal data: stored in clear, shown to whoever
sees the case, left by erasure. The party's name and contact are the representative's,
sealed for the party's id: they consent, attend sessions and may be erased like a person.
"""

from __future__ import annotations

import base64
import json
import re
import unicodedata
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

import pytest
from eventsourcing.persistence import StoredEvent
from hypothesis import given
from hypothesis import strategies as st

from mediation_adapters.formats.export_v1 import Export
from mediation_adapters.stores import open_store
from mediation_domain import (
    ConsentError,
    Institution,
    InvalidInputError,
    MediationCase,
    Mediations,
    rules,
)
from mediation_domain.activity_values import PartnerKind
from mediation_domain.application.service import MediationService
from mediation_domain.authorisation import Principal, Role
from mediation_domain.names import hidden_characters
from mediation_domain.privacy import ARCHIVED, ERASED

FIXTURES = Path(__file__).parents[1] / "fixtures"
LANDLORD = ("landlord", "Habitat de la Vienne")
COORDINATOR = Principal(Role.COORDINATOR, "coord-1")
MEDIATOR = Principal(Role.MEDIATOR, "med-1")


def request(app: Mediations, **more: object) -> UUID:
    """A tenant and her landlord, represented by M. Martin."""
    return app.request_mediation(
        domain="public-space-and-housing",
        neighbourhood="Couronneries",
        referral="landlord",
        parties=["Mme Lefèvre", "M. Martin"],
        party_ids=["p-lefevre", "p-martin"],
        contacts=["", "05 49 00 00 00"],
        institutions=[None, LANDLORD],
        summary="Infiltrations",
        **more,
    )


def stored_state(app: Mediations, case_id: UUID, version: int = 1) -> str:
    """The event as the store holds it (JSON, personal values sealed)."""
    (record,) = app.recorder.select_events(case_id, gt=version - 1, lte=version)
    return record.state.decode()


def stored_party(app: Mediations, case_id: UUID, version: int) -> dict:
    """The party a stored PartyJoined holds, as JSON."""
    return json.loads(stored_state(app, case_id, version))["party"]["_data_"]


def stored_count(app: Mediations) -> int:
    return app.recorder.max_notification_id() or 0


def test_an_institution_s_name_is_stored_in_clear_and_its_representative_s_name_sealed(
    app: Mediations,
) -> None:
    case_id = request(app)
    state = json.loads(stored_state(app, case_id))
    tenant, landlord = (party["_data_"] for party in state["parties"])
    assert "institution" not in tenant  # a person's party, stored as it always was
    assert landlord["institution"] == {
        "_type_": "Institution",
        "_data_": {"kind": {"_type_": "PartnerKind", "_data_": "landlord"}, "name": LANDLORD[1]},
    }
    assert landlord["name"]["_data_"]["subject"] == "p-martin"
    assert landlord["name"]["_data_"]["scheme"].startswith("aes-gcm")
    text = stored_state(app, case_id)
    assert "M. Martin" not in text
    assert "05 49 00 00 00" not in text


def test_whoever_sees_the_case_reads_the_institution_and_its_representative(
    app: Mediations,
) -> None:
    case_id = request(app)
    app.assign_mediator(case_id, mediator="med-1")
    view = MediationService(app).for_principal(MEDIATOR).get_case(case_id)
    tenant, landlord = view.parties
    assert tenant.institution is None
    assert landlord.institution == Institution(PartnerKind.LANDLORD, LANDLORD[1])
    assert (landlord.name, landlord.contact) == ("M. Martin", "05 49 00 00 00")
    assert view.to_dict()["parties"][1]["institution"] == {
        "kind": "landlord",
        "name": "Habitat de la Vienne",
    }
    assert view.to_dict()["parties"][0]["institution"] is None


def test_the_representative_s_consent_is_needed_for_a_session_as_any_party_s(
    app: Mediations,
) -> None:
    case_id = request(app)
    app.assign_mediator(case_id, mediator="med-1")
    app.give_consent(case_id, party="p-lefevre")
    before = stored_count(app)
    with pytest.raises(ConsentError) as refused:
        app.hold_session(case_id, kind="joint-session", attendees=["p-lefevre", "p-martin"])
    assert refused.value.rule == "attendees-consent"
    assert stored_count(app) == before
    app.give_consent(case_id, party="p-martin")
    app.hold_session(case_id, kind="joint-session", attendees=["p-lefevre", "p-martin"])
    app.withdraw_consent(case_id, party="p-martin")
    with pytest.raises(ConsentError):
        app.hold_session(case_id, kind="individual-interview", attendees=["p-martin"])


def test_erasing_the_representative_leaves_the_institution_s_kind_and_name(
    app: Mediations,
) -> None:
    case_id = request(app)
    app.erase_subject("p-martin")
    tenant, landlord = app.get_case(case_id).parties
    assert (landlord.name, landlord.contact) == (ERASED, ERASED)
    assert landlord.institution == Institution(PartnerKind.LANDLORD, LANDLORD[1])
    assert tenant.name == "Mme Lefèvre"
    assert list(rules.review(app.history())) == []


def test_an_archived_case_withholds_the_representative_not_the_institution(
    app: Mediations,
) -> None:
    then = datetime(2022, 3, 14, 10, 0, tzinfo=UTC)
    app.clock = lambda: then
    case_id = request(app)
    app.withdraw(case_id, by="party", reason="no-longer-needed")
    app.clock = None
    app.apply_archive("2y", now=then + timedelta(days=3 * 365))
    landlord = app.get_case(case_id).parties[1]
    assert landlord.name == ARCHIVED
    assert landlord.institution == Institution(PartnerKind.LANDLORD, LANDLORD[1])


def test_an_institution_joins_a_case_through_the_service_layer(app: Mediations) -> None:
    case_id = app.request_mediation(
        domain="schools-and-youth",
        neighbourhood="Bel-Air",
        referral="school",
        parties=["Mme Diallo"],
    )
    app.assign_mediator(case_id, mediator="med-1")
    desk = MediationService(app).for_principal(MEDIATOR)
    done = desk.join_party(
        case_id, name="Mme Dubois", institution=("school", " École Jules Ferry ")
    )
    joined = next(p for p in done.case.parties if p.id == done.party)
    assert joined.institution == Institution(PartnerKind.SCHOOL, "École Jules Ferry")
    assert joined.name == "Mme Dubois"
    (event,) = [e for e in app.events.get(case_id) if isinstance(e, MediationCase.PartyJoined)]
    assert event.party.institution == joined.institution
    assert "Mme Dubois" not in stored_state(app, case_id, version=3)
    stored = stored_party(app, case_id, version=3)
    assert stored["institution"]["_data_"]["name"] == "École Jules Ferry"
    assert stored["name"]["_data_"]["subject"] == done.party


BAD_INSTITUTIONS = [
    (("landlords", "Habitat"), "unknown partner kind 'landlords'"),
    (("", "Habitat"), "unknown partner kind ''"),
    (("landlord", ""), "institution name is empty"),
    (("landlord", "   "), "institution name is empty"),
    (("landlord", "H" * 201), "longer than 200 characters"),
    (("landlord", "Habitat\nde la Vienne"), "control, invisible or direction character"),
    (("landlord", "Habitat \u202eenneiV"), "control, invisible or direction character"),
    (("landlord", "Habi\u200btat"), "control, invisible or direction character"),
    (("landlord", 3), "institution name must be text, not int"),
    ("landlord:Habitat", "give an institution as (kind, name)"),
    (("landlord", "Habitat", "x"), "give an institution as (kind, name)"),
]


@pytest.mark.parametrize(("institution", "says"), BAD_INSTITUTIONS)
def test_a_bad_institution_is_refused_in_one_line_and_nothing_is_stored(
    app: Mediations, institution: object, says: str
) -> None:
    case_id = app.request_mediation(
        domain="public-transport", neighbourhood="Bel-Air", referral="resident", parties=["A"]
    )
    before = stored_count(app)
    with pytest.raises(InvalidInputError, match=re.escape(says)) as refused:
        app.request_mediation(
            domain="public-transport",
            neighbourhood="Bel-Air",
            referral="transport-operator",
            parties=["A", "M. Roux"],
            institutions=[None, institution],
        )
    assert "\n" not in str(refused.value)
    assert len(str(refused.value)) < 300
    with pytest.raises(InvalidInputError, match=re.escape(says)):
        app.join_party(case_id, name="M. Roux", institution=institution)
    assert stored_count(app) == before
    assert app.get_case(case_id).version == 1


def test_institutions_are_given_one_per_party_or_none(app: Mediations) -> None:
    with pytest.raises(InvalidInputError, match=r'one institution per party \(""'):
        app.request_mediation(
            domain="public-transport",
            neighbourhood="Bel-Air",
            referral="resident",
            parties=["A", "B"],
            institutions=[LANDLORD],
        )
    assert stored_count(app) == 0
    case_id = app.request_mediation(
        domain="public-transport",
        neighbourhood="Bel-Air",
        referral="resident",
        parties=["A", "B"],
        institutions=["", ("city service", "Ville de Poitiers")],  # as typed: a name, spaced
    )
    assert [p.institution for p in app.get_case(case_id).parties] == [
        None,
        Institution(PartnerKind.CITY_SERVICE, "Ville de Poitiers"),
    ]


def _parties(event: object) -> list:
    if isinstance(event, MediationCase.PartyJoined):
        return [event.party]
    return list(getattr(event, "parties", ()))


def test_parties_stored_before_institutions_came_read_as_persons_and_are_written_the_same():
    fixture = json.loads((FIXTURES / "snapshot-v1.json").read_text())
    app = Mediations()
    parties = []
    for case in fixture["cases"]:
        for e in case["events"]:
            state = base64.b64decode(e["state"])
            stored = StoredEvent(
                UUID(e["originator_id"]), e["originator_version"], e["topic"], state
            )
            event = app.mapper.to_domain_event(stored)
            parties += _parties(event)
            assert app.mapper.to_stored_event(event).state == state  # byte for byte
    for record in Export(FIXTURES / "golden-v1.jsonl").records():
        parties += _parties(app.mapper.to_domain_event(record))
    assert len(parties) > 20
    assert all(party.institution is None for party in parties)


def test_a_case_with_an_institution_snapshots_and_replays_alike(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDIATION_SNAPSHOT_EVERY", "2")
    app = open_store(store_url)
    try:
        case_id = request(app)
        app.join_party(case_id, name="Mme Dubois", institution=("school", "École Jules Ferry"))
        assert [s.originator_version for s in app.snapshots.recorder.select_events(case_id)] == [2]
        from_snapshot = app.repository.get(case_id)
        replayed = None
        for event in app.events.get(case_id):
            replayed = event.mutate(replayed)
        assert vars(from_snapshot) == vars(replayed)
        kinds = [p.institution and p.institution.kind for p in from_snapshot.parties.values()]
        assert kinds == [None, PartnerKind.LANDLORD, PartnerKind.SCHOOL]
    finally:
        app.close()


NAMES = st.text(
    st.characters(blacklist_categories=["Cc", "Cf", "Co", "Cn", "Cs", "Zl", "Zp"]),
    min_size=1,
    max_size=150,  # NFC may lengthen a few sequences
).filter(lambda name: name.strip() == name and name and not hidden_characters(name))


@given(kind=st.sampled_from(PartnerKind), name=NAMES)
def test_any_plain_institution_name_is_kept_as_given(kind: PartnerKind, name: str) -> None:
    app = Mediations()
    case_id = app.request_mediation(
        domain="access-to-rights",
        neighbourhood="Beaulieu",
        referral="partner",
        parties=["M. X"],
        institutions=[(kind.value, name)],
    )
    (party,) = app.get_case(case_id).parties
    assert party.institution is not None
    assert party.institution.kind is kind
    assert party.institution.name == unicodedata.normalize("NFC", name)


def test_a_copy_of_the_store_keeps_each_institution_and_reseals_its_representative(
    app: Mediations,
) -> None:
    from mediation_adapters.storage.copy import copy_store  # noqa: PLC0415 - the adapter tested

    case = request(app)
    target = open_store("memory://")
    try:
        copy_store(app, target)
        copied = target.get_case(case)
    finally:
        target.close()
    assert [p.institution for p in copied.parties] == [
        p.institution for p in app.get_case(case).parties
    ]
    assert [p.name for p in copied.parties] == [p.name for p in app.get_case(case).parties]
