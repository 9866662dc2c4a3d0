"""Published events say what happened, never who: every field declared, no personal value out."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mediation_adapters.publishing import Envelope
from mediation_adapters.stores import open_store
from mediation_domain import MediationError, Mediations, activities, public_events
from mediation_domain.archive import ArchivedRecord
from mediation_domain.case import MediationCase, Party
from mediation_domain.public_events import (
    ENVELOPE,
    PARTY_FIELDS,
    PUBLIC_FIELDS,
    Pseudonyms,
    UndeclaredFieldError,
    public_data,
)
from mediation_domain.testing import strategies
from mediation_domain.testing.contract import record_every_event
from mediation_domain.values import ReasonCode

ENVELOPE_OF = Envelope("urn:test", Pseudonyms(b"k" * 32))
PERSONAL = [
    "Mme Nguyễn Thị Hoa",
    "محمد الأمين",
    "王小明",
    "xiaoming@example.org",
    "Conflit",
    "Accord",
]


CATALOGUE = Path(__file__).parents[2] / "docs" / "event-catalogue.md"


def event_classes() -> list[type]:
    """The case's events, as the catalogue lists them (docs/event-catalogue.md)."""
    names = re.findall(r"^\| ([A-Z][A-Za-z]+)(?: \(v\d\))? \|", CATALOGUE.read_text(), re.MULTILINE)
    return [getattr(MediationCase, name) for name in names]


def activity_event_classes() -> list[type]:
    """The activities' events, as the catalogue lists them (Aggregate.Event)."""
    row = r"^\| ([A-Z][A-Za-z]+)\.([A-Z][A-Za-z]+) \|"
    names = re.findall(row, CATALOGUE.read_text(), re.MULTILINE)
    owners = {"ArchivedRecord": ArchivedRecord} | {
        name: getattr(activities, name) for name in activities.__all__
    }
    return [getattr(owners[owner], name) for owner, name in names]


def published(app: Mediations) -> list[dict[str, Any]]:
    notifications = app.recorder.select_notifications(None, 1000)
    return [
        json.loads(ENVELOPE_OF.message(n.id, app.mapper.to_domain_event(n)).body)
        for n in notifications
    ]


def strings_in(value: object) -> list[str]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in strings_in(item)]
    if isinstance(value, list):
        return [s for item in value for s in strings_in(item)]
    return [value] if isinstance(value, str) else []


def test_every_field_of_every_event_has_a_declared_public_form():
    classes = event_classes()
    assert len(classes) == 11
    assert len(activity_event_classes()) == 10
    for cls in [*classes, *activity_event_classes()]:
        fields = {field.name for field in dataclasses.fields(cls)} - ENVELOPE
        assert set(PUBLIC_FIELDS[cls]) == fields, cls.__qualname__


def test_each_event_kind_is_a_cloudevent_with_no_personal_value():
    app = open_store("memory://")
    record_every_event(app)
    events = published(app)
    ids = {str(p.id) for c in app.list_cases() for p in app.get_case(c.case_id).parties}
    assert {e["type"].split(".")[2] for e in events} == {c.__name__ for c in event_classes()}
    for number, event in enumerate(events, start=1):
        assert event["specversion"] == "1.0"
        assert event["id"] == str(number)
        assert event["source"] == "urn:test"
        assert event["time"].endswith("Z")
        body = json.dumps(event, ensure_ascii=False)
        assert not [value for value in PERSONAL if value in body], event
        assert not ids & set(strings_in(event["data"])), event
        assert not {"med-1", "med-2"} & set(strings_in(event["data"])), event
        assert "aes-gcm" not in body
    erased = [e for e in events if e["type"] == "mediation.case.PersonalDataErased.v1"]
    assert erased
    assert all(len(e["data"]["subject"]) == 20 for e in erased)


def test_the_same_id_has_the_same_pseudonym_in_every_event_and_another_under_another_key():
    app = open_store("memory://")
    record_every_event(app)
    first = published(app)
    party = first[0]["data"]["parties"][0]
    assert next(e["data"]["party"] for e in first if "Consent" in e["type"]) == party
    other = Envelope("urn:test", Pseudonyms(b"o" * 32))
    n = app.recorder.select_notifications(None, 1)[0]
    again = json.loads(other.message(n.id, app.mapper.to_domain_event(n)).body)
    assert party not in again["data"]["parties"]


def test_every_field_of_a_party_has_a_declared_public_form():
    assert set(PARTY_FIELDS) == {field.name for field in attrs.fields(Party)}
    assert PARTY_FIELDS["name"] == PARTY_FIELDS["contact"] == public_events.LEFT_OUT


def _with_institutions(app: Mediations) -> str:
    """A tenant and her landlord's representative; a school's joins: the case's id."""
    case = app.request_mediation(
        domain="public-space-and-housing",
        neighbourhood="Couronneries",
        referral="landlord",
        parties=["Mme Lefèvre", "M. Martin"],
        party_ids=["p-lefevre", "p-martin"],
        institutions=[None, ("landlord", "Habitat de la Vienne")],
        summary="Infiltrations",
    )
    app.join_party(case, name="Mme Dubois", party_id="p-dubois", institution=("school", "Lycée"))
    app.join_party(case, name="M. Diallo", party_id="p-diallo")
    return str(case)


def test_an_institution_is_published_with_its_kind_beside_its_pseudonym_never_its_name():
    app = open_store("memory://")
    _with_institutions(app)
    requested, school, person = (e["data"] for e in published(app))
    pseudonym = Pseudonyms(b"k" * 32)
    assert requested["parties"] == [pseudonym("p-lefevre"), pseudonym("p-martin")]
    assert requested["institutions"] == {pseudonym("p-martin"): "landlord"}
    assert school == {"party": pseudonym("p-dubois"), "institution": "school"}
    assert person == {"party": pseudonym("p-diallo")}  # a person's, as it always was
    body = json.dumps(published(app), ensure_ascii=False)
    for value in ("Habitat de la Vienne", "Lycée", "M. Martin", "Mme Dubois", "p-martin"):
        assert value not in body


def test_parties_that_are_all_persons_are_published_as_they_always_were():
    app = open_store("memory://")
    record_every_event(app)
    for event in published(app):
        assert not {"institution", "institutions"} & set(event["data"])


def test_a_party_field_without_a_declared_public_form_publishes_nothing(monkeypatch):
    app = open_store("memory://")
    _with_institutions(app)
    monkeypatch.delitem(PARTY_FIELDS, "institution")
    with pytest.raises(UndeclaredFieldError, match=r"Party\.institution has no declared public"):
        published(app)


def test_a_case_erased_as_a_whole_is_published_with_its_own_id():
    case = uuid4()
    event = MediationCase.PersonalDataErased(
        originator_id=case,
        originator_version=3,
        timestamp=datetime.now(UTC),
        subject=str(case),
        reason=ReasonCode("retention-period"),
    )
    assert public_data(event, str) == {"subject": str(case), "reason": "retention-period"}


def test_a_reason_code_that_is_not_a_common_one_is_published_as_other():
    app = open_store("memory://")
    case = app.request_mediation(
        domain="public-transport",
        neighbourhood="Beaulieu",
        referral="resident",
        parties=["Jean Dupont"],
        summary="...",
    )
    app.withdraw(case, by="service", reason="jean-dupont-a-demenage")
    app.withdraw(
        app.request_mediation(
            domain="public-transport",
            neighbourhood="Beaulieu",
            referral="resident",
            parties=["A"],
            summary="...",
        ),
        by="party",
        reason="no-longer-needed",
    )
    reasons = [e["data"]["reason"] for e in published(app) if "reason" in e["data"]]
    assert reasons == ["other", "no-longer-needed"]


def test_an_event_or_field_without_a_declared_public_form_publishes_nothing(monkeypatch):
    with pytest.raises(UndeclaredFieldError) as refused:
        public_data(object(), str)
    assert refused.value.rule == "published-fields-are-declared"
    app = open_store("memory://")
    record_every_event(app)
    monkeypatch.delitem(PUBLIC_FIELDS[MediationCase.Resolved], "outcome")
    with pytest.raises(MediationError, match=r"Resolved\.outcome has no declared public form"):
        published(app)


@given(request=strategies.requests(), data=st.data())
def test_no_name_summary_or_id_of_any_history_is_published(request, data):
    app = open_store("memory://")
    case_id = app.request_mediation(**request)
    for _ in range(data.draw(st.integers(0, 8))):
        name, arguments = data.draw(strategies.commands(app.get_case(case_id)))
        with contextlib.suppress(MediationError):
            getattr(app, name)(case_id, **arguments)
    ids = {str(p.id) for p in app.get_case(case_id).parties} | {
        str(event.mediator)
        for event in app.events.get(case_id)
        if isinstance(event, MediationCase.MediatorAssigned)
    }
    personal = {*request["parties"], request["summary"]}
    for event in published(app):
        declared = PUBLIC_FIELDS[getattr(MediationCase, event["type"].split(".")[2])]
        # Codes, places and dates are published as they are: a name may equal a code ("a").
        codes = {public_events.PLAIN, public_events.REASON}
        data = {k: v for k, v in event["data"].items() if declared[k] not in codes}
        assert not (ids | personal) & set(strings_in(data))


def test_pseudonyms_are_the_same_whether_remembered_or_made_again():
    remembering, forgetting = Pseudonyms(b"k" * 32), Pseudonyms(b"k" * 32, most=2)
    ids = [f"p-{n:010x}" for n in range(5)] * 2
    assert [remembering(i) for i in ids] == [forgetting(i) for i in ids]
    assert len(set(map(remembering, ids))) == 5
    assert all(len(remembering(i)) == 20 and int(remembering(i), 16) >= 0 for i in ids)


def test_activities_are_published_with_no_name_no_person_and_no_mediator_id():
    app = open_store("memory://")
    when = datetime.now(UTC)
    app.record_round(
        neighbourhood="Beaulieu",
        started_at=when.replace(microsecond=0) - timedelta(hours=2),
        ended_at=when - timedelta(hours=1),
        team=["med-1"],
        contacts={"greeting": 5},
        bus_line="1",
    )
    report = app.report_watch(
        kind="nuisance", domain="public-transport", neighbourhood="Bel-Air", partner="city-service"
    )
    app.acknowledge_watch(report)
    app.close_watch(report, answer="planned")
    soon = when.date() + timedelta(days=10)
    oriented = app.orient(
        by="med-2",
        need="digital",
        partner="association",
        neighbourhood="Beaulieu",
        follow_up_on=soon,
        name=PERSONAL[0],
        shared=["name"],
    )
    person = app.get_activity(oriented)["subject"]
    app.follow_up(oriented, outcome="right-opened")
    app.erase_subject(person)
    app.record_action(
        kind="school-action", domain="schools-and-youth", neighbourhood="Bel-Air", attendance=20
    )
    events = published(app)
    assert {e["type"].rsplit(".", 2)[0] for e in events} == {
        "mediation.round",
        "mediation.watch",
        "mediation.orientation",
        "mediation.action",
    }
    assert {c.__name__ for c in activity_event_classes()} - {"RecordArchived", "ArchiveRead"} == {
        e["type"].split(".")[2] for e in events
    }
    for event in events:
        body = json.dumps(event, ensure_ascii=False)
        assert PERSONAL[0] not in body
        assert person not in body
        assert not {"med-1", "med-2"} & set(strings_in(event["data"])), event
        assert "aes-gcm" not in body
    oriented_event = next(e for e in events if e["type"] == "mediation.orientation.Oriented.v1")
    assert "person" not in oriented_event["data"]
    assert "name" not in oriented_event["data"]
    assert oriented_event["data"]["shared"] == ["name"]
    assert oriented_event["data"]["follow_up_on"] == soon.isoformat()
