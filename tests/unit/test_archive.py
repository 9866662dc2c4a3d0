"""The intermediate archive: past their active period, records are withheld, read with a reason.

The CNIL's frame for social support: active use for 2 years from the last contact, then
an archive a coordinator alone reads, stating why, each read recorded; then erasure.
tests/integration/test_core_on_stores.py runs the tests taking `app` on SQLite and
PostgreSQL too.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest

from mediation_domain import Mediations, rules
from mediation_domain.activities import Orientation
from mediation_domain.activity_values import OrientationOutcome
from mediation_domain.application.service import MediationService
from mediation_domain.archive import ArchivedRecord, archive_id
from mediation_domain.authorisation import NotAllowedError, Principal, Role
from mediation_domain.errors import CaseNotFoundError, InvalidInputError, LifecycleError
from mediation_domain.privacy import ARCHIVED, ERASED
from mediation_domain.values import ReasonCode

THEN = datetime(2022, 3, 14, 10, 0, tzinfo=UTC)
NOW = datetime(2025, 4, 1, 9, 0, tzinfo=UTC)  # three years after: past a 2-year active period
LATER = datetime(2029, 9, 1, 9, 0, tzinfo=UTC)  # past 2 years active and 5 in the archive
COORDINATOR = Principal(Role.COORDINATOR, "amina")
MEDIATOR = Principal(Role.MEDIATOR, "med-1")


def old_records(app: Mediations) -> tuple[UUID, UUID, str]:
    """A case closed in 2022, a named orientation of 2022 and a case still in use."""
    app.clock = lambda: THEN
    case = app.request_mediation(
        domain="public-space-and-housing",
        neighbourhood="Beaulieu",
        referral="resident",
        parties=["Mme Garnier", "M. Leroy"],
        party_ids=["p-garnier", "p-leroy"],
        summary="Bruit dans la cage d'escalier",
    )
    app.withdraw(case, by="party", reason="no-longer-needed")
    oriented = app.orient(
        by="med-1",
        need="housing",
        partner="social-service",
        neighbourhood="Beaulieu",
        follow_up_on=THEN.date() + timedelta(days=14),
        name="Mme Nguyễn Thị Hoa",
        shared=["name"],
    )
    app.clock = lambda: NOW - timedelta(days=30)
    app.request_mediation(
        domain="public-transport", neighbourhood="Bel-Air", referral="resident", parties=["X"]
    )
    app.clock = lambda: NOW
    person = app.get_activity(oriented)["subject"]
    return case, oriented, person


def test_records_past_their_active_period_are_archived_once(app: Mediations) -> None:
    case, oriented, _ = old_records(app)
    due = app.archive_due("2y", now=NOW)
    assert [(d.record, d.kind) for d in due] == [(case, "case"), (oriented, "orientation")]
    assert app.archive_due("4y", now=NOW) == []
    assert app.apply_archive("2y", now=NOW) == due
    assert app.archive_due("2y", now=NOW) == []
    assert app.archived([case, oriented]) == {case, oriented}
    entry: ArchivedRecord = app.repository.get(archive_id(case))
    assert entry.last_contact <= THEN + timedelta(minutes=1)
    assert entry.active_until.year == entry.last_contact.year + 2
    assert list(rules.review(app.history())) == []


def test_an_archived_records_personal_values_are_withheld_from_every_view(
    app: Mediations,
) -> None:
    case, oriented, _ = old_records(app)
    app.apply_archive("2y", now=NOW)
    shown = app.get_case(case)
    assert {party.name for party in shown.parties} == {ARCHIVED}
    assert shown.summary == ARCHIVED
    listed = next(view for view in app.list_cases() if view.case_id == case)
    assert {party.name for party in listed.parties} == {ARCHIVED}
    assert app.orientation_person(oriented) == ARCHIVED
    # As it stood before it closed, too: the archive holds the record, not a version of it.
    assert {party.name for party in app.get_case(case, version=1).parties} == {ARCHIVED}
    still_in_use = next(view for view in app.list_cases() if view.case_id != case)
    assert [party.name for party in still_in_use.parties] == ["X"]


def test_a_coordinator_reads_the_archive_with_a_reason_and_the_read_is_recorded(
    app: Mediations,
) -> None:
    case, oriented, _ = old_records(app)
    app.apply_archive("2y", now=NOW)
    desk = MediationService(app).for_principal(COORDINATOR)
    before = app.recorder.max_notification_id() or 0
    view = desk.read_archived_case(case, reason="litigation")
    assert {party.name for party in view.parties} == {"Mme Garnier", "M. Leroy"}
    assert desk.read_archived_person(oriented, reason="subject-access-request") == (
        "Mme Nguyễn Thị Hoa"
    )
    reads = [e for e in app.history() if isinstance(e, ArchivedRecord.ArchiveRead)]
    assert [(e.originator_id, e.by, e.reason) for e in reads] == [
        (archive_id(case), "coordinator:amina", ReasonCode("litigation")),
        (archive_id(oriented), "coordinator:amina", ReasonCode("subject-access-request")),
    ]
    assert app.recorder.max_notification_id() == before + 2
    assert app.get_activity(str(archive_id(case)))["reads"] == 1
    assert list(rules.review(app.history())) == []


@pytest.mark.parametrize(
    ("who", "reason", "error"),
    [
        (MEDIATOR, "litigation", NotAllowedError),
        (Principal(Role.PARTNER, "ville"), "litigation", NotAllowedError),
        (Principal(Role.AUDITOR, "cabinet"), "litigation", NotAllowedError),
        (COORDINATOR, "", InvalidInputError),
        (COORDINATOR, "Jean Dupont asked", InvalidInputError),
    ],
)
def test_an_archive_read_without_the_role_or_a_reason_is_refused_and_stores_nothing(
    app: Mediations, who: Principal, reason: str, error: type[Exception]
) -> None:
    case, _, _ = old_records(app)
    app.apply_archive("2y", now=NOW)
    before = app.recorder.max_notification_id()
    with pytest.raises(error):
        MediationService(app).for_principal(who).read_archived_case(case, reason=reason)
    assert app.recorder.max_notification_id() == before


def test_a_record_not_in_the_archive_is_not_read_through_it(app: Mediations) -> None:
    case, _, _ = old_records(app)
    desk = MediationService(app).for_principal(COORDINATOR)
    with pytest.raises(CaseNotFoundError, match="no archived case"):
        desk.read_archived_case(case, reason="litigation")


def test_after_the_archive_period_retention_erases_cases_and_orientations(
    app: Mediations,
) -> None:
    case, oriented, person = old_records(app)
    app.apply_archive("2y", now=NOW)
    assert app.retention_due("2y", now=NOW, archive_for="5y") == []
    due = app.retention_due("2y", now=LATER, archive_for="5y")
    assert [(d.case_id, d.kind) for d in due] == [(case, "case"), (oriented, "orientation")]
    assert due[1].subjects == (person,)
    app.apply_retention("2y", now=LATER, archive_for="5y")
    desk = MediationService(app).for_principal(COORDINATOR)
    view = desk.read_archived_case(case, reason="litigation")
    assert {party.name for party in view.parties} == {ERASED}
    assert desk.read_archived_person(oriented, reason="litigation") == ERASED
    assert app.retention_due("2y", now=LATER, archive_for="5y") == []
    assert list(rules.review(app.history())) == []


def stamped(event_class: Any, aggregate: UUID, version: int, at: datetime, **fields: Any) -> Any:
    return event_class(originator_id=aggregate, originator_version=version, timestamp=at, **fields)


def test_the_replay_finds_an_early_archiving_and_a_read_by_someone_else(
    app: Mediations,
) -> None:
    case, _, _ = old_records(app)
    entry = archive_id(case)
    topic = "mediation_domain.archive:ArchivedRecord"
    early = ArchivedRecord.RecordArchived(
        originator_topic=topic,
        originator_id=entry,
        originator_version=1,
        timestamp=THEN + timedelta(days=30),
        record=case,
        kind="case",
        last_contact=THEN,
        active_until=THEN + timedelta(days=730),
    )
    read = stamped(
        ArchivedRecord.ArchiveRead,
        entry,
        2,
        THEN + timedelta(days=31),
        by="mediator:med-1",
        reason=ReasonCode("curiosity"),
    )
    findings = list(rules.review([*app.history(), early, read]))
    assert [f.violation.rule for f in findings] == [
        "archived-after-the-active-period",
        "archive-read-by-a-coordinator",
    ]


def test_an_archived_orientation_is_not_followed_up_and_says_erased_once_erased(
    app: Mediations,
) -> None:
    _, oriented, person = old_records(app)
    app.apply_archive("2y", now=NOW)
    listed = {doc["id"]: doc for doc in app.activities("orientation")}
    assert listed[str(oriented)]["archived"] is True
    before = app.recorder.max_notification_id()
    with pytest.raises(LifecycleError, match="in the archive"):
        app.follow_up(oriented, outcome="right-opened")
    assert app.recorder.max_notification_id() == before
    app.erase_subject(person)
    assert app.orientation_person(oriented) == ERASED  # no archive read needed to learn it


def test_an_archive_read_of_a_record_of_another_kind_records_nothing(app: Mediations) -> None:
    case, oriented, _ = old_records(app)
    app.apply_archive("2y", now=NOW)
    desk = MediationService(app).for_principal(COORDINATOR)
    before = app.recorder.max_notification_id()
    with pytest.raises(CaseNotFoundError, match="no archived case"):
        desk.read_archived_case(oriented, reason="litigation")
    with pytest.raises(CaseNotFoundError, match="no archived orientation"):
        desk.read_archived_person(case, reason="litigation")
    assert app.recorder.max_notification_id() == before


def test_the_replay_finds_a_follow_up_recorded_after_its_orientation_was_archived(
    app: Mediations,
) -> None:
    _, oriented, _ = old_records(app)
    app.apply_archive("2y", now=NOW)
    with pytest.raises(LifecycleError, match="in the archive"):
        app.follow_up(oriented, outcome="right-opened")  # the command refuses it
    forged = Orientation.FollowedUp(
        originator_id=oriented,
        originator_version=2,
        timestamp=NOW + timedelta(minutes=1),
        followed_up_on=NOW.date(),
        outcome=OrientationOutcome.RIGHT_OPENED,
        next_follow_up_on=None,
    )
    findings = list(rules.review([*app.history(), forged]))
    assert [(f.case_id, f.violation.rule) for f in findings] == [
        (oriented, "archived-records-are-not-followed-up")
    ]
