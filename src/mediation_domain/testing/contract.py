"""The contract every store must honour, as a pytest base class an integrator subclasses.

    class TestMyStore(MediationsContract):
        def new_store(self, workdir):
            url = f"sqlite:///{workdir}/cases.sqlite3"
            return lambda: open_store(url)

`new_store` is called once per test with an empty directory; the function it returns opens
an application on that (same, initially empty) store each time it is called.
"""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings

from mediation_domain.application import Mediations
from mediation_domain.case import PARTY_NAME, MediationCase, Party
from mediation_domain.errors import (
    CaseNotFoundError,
    ConcurrencyError,
    ConsentError,
    InvalidInputError,
    MediationError,
)
from mediation_domain.privacy import ERASED, SubjectErasedError
from mediation_domain.testing import strategies
from mediation_domain.values import CaseStatus, PartyId

Opener = Callable[[], Mediations]


def record_every_event(app: Mediations) -> UUID:
    """A case whose history holds every kind of event but Withdrawn and PersonalDataErased.

    And a withdrawn case whose one party ("Chauffeur") was then erased.
    """
    case_id = app.request_mediation(
        domain="schools-and-youth",
        neighbourhood="Saint-Éloi",
        referral="school",
        parties=["Mme Nguyễn Thị Hoa", "محمد الأمين"],
        summary="Conflit à la sortie de l'école",
    )
    a, b = (party.id for party in app.get_case(case_id).parties)
    c = app.join_party(case_id, name="王小明", contact="xiaoming@example.org")
    app.assign_mediator(case_id, mediator="med-1", ties=[a], waived_by=[a, b, c])
    for party in (a, b, c):
        app.give_consent(case_id, party=party)
    app.hold_session(case_id, kind="individual-interview", attendees=[a])
    app.withdraw_mediator(case_id, mediator="med-1", reason="unavailable")
    app.assign_mediator(case_id, mediator="med-2")
    app.withdraw_consent(case_id, party=c)
    app.refuse_consent(case_id, party=c)
    app.give_consent(case_id, party=c)
    app.hold_session(case_id, kind="joint-session", attendees=[a, b, c], notes="Accord partiel")
    app.resolve(case_id, outcome="partial-agreement")
    dropped = app.request_mediation(
        domain="public-transport",
        neighbourhood="Beaulieu",
        referral="transport-operator",
        parties=["Chauffeur"],
    )
    app.withdraw(dropped, by="party", reason="no-longer-needed")
    app.erase_subject(app.get_case(dropped).parties[0].id)
    return case_id


def record_every_activity(app: Mediations) -> dict[str, UUID]:
    """Every kind of activity event and of archive event, on `app`; their ids by kind.

    A round, a collective action, a watch report acknowledged and closed, an orientation
    of three years ago (named, followed up, then archived, read through the archive, its
    person erased). Sets the application's clock while it records, and restores it.
    """
    clock, now = app.clock, (app.clock or (lambda: datetime.now(UTC)))()
    then = now - timedelta(days=3 * 365)
    app.clock = lambda: then
    try:
        oriented = app.orient(
            by="med-1",
            need="administrative",
            partner="social-service",
            neighbourhood="Couronneries",
            follow_up_on=then.date() + timedelta(days=21),
            name="Mme Nguyễn Thị Hoa",
            shared=["name", "situation"],
        )
        app.follow_up(oriented, outcome="right-opened", on=then.date())
    finally:
        app.clock = clock
    found = {"orientation": oriented}
    found["round"] = app.record_round(
        neighbourhood="Trois-Cités",
        bus_line="1",
        started_at=now - timedelta(hours=3),
        ended_at=now - timedelta(hours=1),
        team=["med-1", "med-2"],
        contacts={"greeting": 9, "information": 3, "defusing": 1},
        observed={"public-transport": 2},
    )
    found["action"] = app.record_action(
        kind="residents-meeting",
        domain="residents-participation",
        neighbourhood="Bel-Air",
        attendance=23,
        held_on=now.date(),
        partners=["landlord", "city-service"],
        team=["med-2"],
    )
    found["watch"] = app.report_watch(
        kind="damaged-equipment",
        domain="public-space-and-housing",
        neighbourhood="Beaulieu",
        partner="landlord",
        reported_on=now.date(),
    )
    app.acknowledge_watch(found["watch"], on=now.date())
    app.close_watch(found["watch"], answer="fixed", on=now.date())
    app.apply_archive("2y", now=now)
    app.record_archive_read(oriented, by="coordinator:amina", reason="subject-access-request")
    app.erase_subject(app.get_activity(oriented)["subject"])
    return found


ACTIVITY_EVENTS = frozenset(
    {
        "RoundRecorded",
        "ActionHeld",
        "WatchReported",
        "WatchAcknowledged",
        "WatchClosed",
        "Oriented",
        "FollowedUp",
        "PersonErased",
        "RecordArchived",
        "ArchiveRead",
    }
)


class MediationsContract:
    """Behaviour every store behind `Mediations` must have."""

    def new_store(self, workdir: Path) -> Opener:
        """Return a function opening an application on a new, empty store."""
        raise NotImplementedError

    @pytest.fixture
    def opener(self, tmp_path: Path) -> Iterator[Opener]:
        """Open applications on this test's store, and close them afterwards."""
        opened: list[Mediations] = []
        new = self.new_store(tmp_path)

        def open_app() -> Mediations:
            app = new()
            opened.append(app)
            return app

        yield open_app
        for app in opened:
            app.close()

    def test_every_event_round_trips_and_reloads_in_a_new_application(self, opener: Opener) -> None:
        writer = opener()
        case_id = record_every_event(writer)
        reader = opener()
        assert reader.get_case(case_id) == writer.get_case(case_id)
        assert [party.name for party in reader.get_case(case_id).parties] == [
            "Mme Nguyễn Thị Hoa",
            "محمد الأمين",
            "王小明",
        ]
        kinds = {type(event).__name__ for event in reader.history()}
        assert kinds == {
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
            "PersonalDataErased",
        }
        assert reader.list_cases() == writer.list_cases()
        assert reader.get_case(case_id).parties[2].contact == "xiaoming@example.org"
        assert reader.get_case(case_id).sessions[1].notes == "Accord partiel"

    def test_every_activity_event_round_trips_and_reloads_in_a_new_application(
        self, opener: Opener
    ) -> None:
        writer = opener()
        found = record_every_activity(writer)
        reader = opener()
        kinds = {type(event).__name__ for event in reader.history()}
        assert kinds == ACTIVITY_EVENTS
        for activity in found.values():
            assert reader.get_activity(activity) == writer.get_activity(activity)
        assert reader.get_activity(found["watch"])["answer"] == "fixed"
        assert reader.orientation_person(found["orientation"]) == ERASED  # archived, then erased
        assert reader.archived([found["orientation"]]) == {found["orientation"]}

    def test_an_erasure_holds_for_every_application_on_the_store(self, opener: Opener) -> None:
        writer = opener()
        case_id = record_every_event(writer)
        a, b, _ = (party.id for party in writer.get_case(case_id).parties)
        writer.erase_subject(a)
        writer.erase_subject(str(case_id))
        reader = opener()
        view = reader.get_case(case_id)
        assert [party.name for party in view.parties] == [ERASED, "محمد الأمين", "王小明"]
        assert (view.summary, view.sessions[1].notes) == (ERASED, ERASED)
        assert reader.get_case(case_id, version=1).parties[0].name == ERASED
        again = reader.erase_subject(a)
        assert (again.key_deleted, again.recorded) == (False, 0)
        later = reader.request_mediation(
            domain="schools-and-youth", neighbourhood="Saint-Éloi", referral="school", parties=["X"]
        )
        with pytest.raises(SubjectErasedError):
            reader.join_party(later, name="Mme Nguyễn Thị Hoa", party_id=a)
        assert reader.list_cases() == opener().list_cases()
        assert [dropped.parties[0].name for dropped in reader.list_cases(status="withdrawn")] == [
            ERASED
        ]
        assert b in {party.id for party in view.parties}

    def test_a_case_reads_as_it_stood_after_each_of_its_events(self, opener: Opener) -> None:
        app = opener()
        case_id = record_every_event(app)
        now = app.get_case(case_id)
        versions = [app.get_case(case_id, version=n) for n in range(1, now.version + 1)]
        assert [view.version for view in versions] == list(range(1, now.version + 1))
        assert versions[-1] == now
        assert versions[0].status is CaseStatus.AWAITING_MEDIATOR
        assert [len(view.sessions) for view in versions][-1] == 2
        assert opener().get_case(case_id, version=3) == versions[2]

    def test_refused_commands_store_nothing(self, opener: Opener) -> None:
        app = opener()
        case_id = app.request_mediation(
            domain="public-transport",
            neighbourhood="Beaulieu",
            referral="resident",
            parties=["A", "B"],
        )
        a, b = (party.id for party in app.get_case(case_id).parties)
        app.assign_mediator(case_id, mediator="med-1")
        before = app.recorder.max_notification_id()
        refusals: list[tuple[type[MediationError], Callable[[], object]]] = [
            (
                ConsentError,
                lambda: app.hold_session(case_id, kind="joint-session", attendees=[a, b]),
            ),
            (InvalidInputError, lambda: app.give_consent(case_id, party="p-nobody")),
            (
                InvalidInputError,
                lambda: app.request_mediation(
                    domain="nowhere", neighbourhood="Beaulieu", referral="resident", parties=["A"]
                ),
            ),
        ]
        for error, command in refusals:
            with pytest.raises(error):
                command()
        assert app.recorder.max_notification_id() == before
        assert opener().get_case(case_id).version == 2

    def test_cases_come_in_pages_in_request_order(self, opener: Opener) -> None:
        app = opener()

        def request(place: str) -> UUID:
            return app.request_mediation(
                domain="public-transport", neighbourhood=place, referral="resident", parties=["A"]
            )

        first = [request("Beaulieu" if n % 2 else "Bel-Air") for n in range(5)]
        app.assign_mediator(first[1], mediator="med-1")
        page = app.cases_page(limit=2)
        seen = [view.case_id for view in page.cases]
        late = request("Beaulieu")  # requested while a client pages: found once, at the end
        while page.after is not None:
            page = opener().cases_page(limit=2, after=page.after)
            seen += [view.case_id for view in page.cases]
        assert seen == [*first, late]
        assert [view.case_id for view in app.iter_cases()] == seen
        beaulieu = app.cases_page(neighbourhood="Beaulieu", limit=2)
        assert [view.case_id for view in beaulieu.cases] == [first[1], first[3]]
        rest = app.cases_page(neighbourhood="Beaulieu", limit=2, after=beaulieu.after)
        assert ([view.case_id for view in rest.cases], rest.after) == ([late], None)
        assert app.cases_page(mediator="med-1").cases[0].mediator == "med-1"
        assert app.cases_page(limit=6).after is None  # an exact fit has no next page
        wrongs: list[dict[str, Any]] = [{"limit": 0}, {"limit": True}, {"after": "-1"}]
        wrongs += [{"after": "x"}]
        wrongs += [{"after": "9" * 19}, {"after": "9" * 5000}, {"after": "\uff11\uff12"}]
        for wrong in wrongs:
            with pytest.raises(InvalidInputError):
                app.cases_page(**wrong)

    def test_an_unknown_case_is_not_found(self, opener: Opener) -> None:
        app = opener()
        with pytest.raises(CaseNotFoundError):
            app.get_case("0f1e2d3c-4b5a-4678-9abc-def012345678")
        with pytest.raises(CaseNotFoundError):
            app.resolve("0f1e2d3c-4b5a-4678-9abc-def012345678", outcome="agreement")

    def test_of_two_stale_copies_exactly_one_save_wins(self, opener: Opener) -> None:
        first_app, second_app = opener(), opener()
        case_id = first_app.request_mediation(
            domain="public-transport",
            neighbourhood="Beaulieu",
            referral="resident",
            parties=["A", "B"],
        )
        first: MediationCase = first_app.repository.get(case_id)
        second: MediationCase = second_app.repository.get(case_id)
        first.give_consent(first.party_ids[0])
        second.give_consent(second.party_ids[1])
        first_app.save(first)
        with pytest.raises(ConcurrencyError, match="retry"):
            second_app.save(second)
        assert opener().get_case(case_id).consenting == {str(first.party_ids[0])}

    def test_the_notification_log_keeps_each_save_whole_and_in_order(self, opener: Opener) -> None:
        app = opener()
        batches = 8

        def write_batches(worker: int) -> None:
            for _ in range(batches):
                case_id = app.request_mediation(
                    domain="public-transport",
                    neighbourhood="Beaulieu",
                    referral="resident",
                    parties=[f"W{worker}"],
                )
                case: MediationCase = app.repository.get(case_id)
                for n in range(3):  # three events saved in one transaction
                    joiner = f"p-{worker}-{n}"
                    (name,) = app.sealer.seal_all(str(case_id), [(joiner, PARTY_NAME, "Joiner")])
                    case.join(Party(PartyId(joiner), name))
                app.save(case)

        threads = [threading.Thread(target=write_batches, args=(w,)) for w in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        notifications = list(app.recorder.select_notifications(None, 10_000))
        ids = [n.id for n in notifications]
        assert ids == sorted(ids)
        assert len(set(ids)) == len(ids) == 4 * batches * 4
        by_case: dict[UUID | str, list[int]] = {}
        for position, notification in enumerate(notifications):
            by_case.setdefault(notification.originator_id, []).append(position)
        for positions in by_case.values():
            assert positions[1:] == list(range(positions[1], positions[1] + 3))  # the batch, whole
            versions = [notifications[p].originator_version for p in positions]
            assert versions == [1, 2, 3, 4]

    # Each store subclass runs this same method: the examples it replays are valid for all.
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.differing_executors,
        ],
    )
    @given(request=strategies.requests())
    def test_any_valid_request_round_trips(self, opener: Opener, request: dict[str, Any]) -> None:
        with closing(opener()) as app:  # one example, one connection pool
            case_id = app.request_mediation(**request)
            view = app.get_case(case_id)
        assert [party.name for party in view.parties] == [_as_stored(n) for n in request["parties"]]
        assert view.domain is request["domain"]
        assert view.summary == _as_stored(request["summary"])


def _as_stored(text: str) -> str:
    """Personal text is stored trimmed and in Unicode NFC form."""
    return unicodedata.normalize("NFC", text.strip())
