"""The report's materialised view: the same indicators as a full fold, kept incrementally.

Random histories (hypothesis) are recorded on a clock that moves on by whole days; the
view is refreshed after each of several batches, on memory, a SQLite file and PostgreSQL.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from eventsourcing.persistence import Tracking
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mediation_adapters.config import report_period, time_zone
from mediation_adapters.storage.postgres import connection_for
from mediation_adapters.storage.report_view import FACTS_VERSION, ReportView, loads
from mediation_adapters.stores import open_store
from mediation_domain import MediationError, Mediations
from mediation_domain.ports import Row
from mediation_domain.reports import DIMENSIONS, Period, Report
from mediation_domain.values import POITIERS, InterventionDomain, ReferralSource

START = datetime(2026, 1, 1, 8, tzinfo=UTC)
ACTIONS = (
    "assign_mediator",
    "give_consent",
    "withdraw_consent",
    "refuse_consent",
    "hold_session",
    "withdraw",
    "resolve",
    "withdraw_mediator",
    "erase",
)

steps = st.lists(
    st.tuples(
        st.integers(0, 25),  # days later
        st.one_of(
            st.tuples(
                st.just("request"),
                st.sampled_from(POITIERS.names),
                st.sampled_from(InterventionDomain),
                st.sampled_from(ReferralSource),
                st.integers(1, 3),
            ),
            st.tuples(st.sampled_from(ACTIONS), st.integers(0, 30), st.integers(0, 2)),
            *[st.tuples(st.just("advance"), st.integers(0, 30), st.integers(0, 59))] * 4,
        ),
    ),
    min_size=8,
    max_size=60,
)


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


COMMANDS = {
    "assign_mediator": lambda app, case, _, __: app.assign_mediator(case, mediator="med-1"),
    "give_consent": lambda app, case, party, _: app.give_consent(case, party=party),
    "withdraw_consent": lambda app, case, party, _: app.withdraw_consent(case, party=party),
    "refuse_consent": lambda app, case, party, _: app.refuse_consent(case, party=party),
    "hold_session": lambda app, case, party, _: app.hold_session(
        case, kind="individual-interview", attendees=[party]
    ),
    "withdraw": lambda app, case, _, n: app.withdraw(
        case, by=["party", "mediator", "service"][n], reason="r"
    ),
    "resolve": lambda app, case, _, __: app.resolve(case, outcome="agreement"),
    "withdraw_mediator": lambda app, case, _, __: app.withdraw_mediator(
        case, mediator="med-1", reason="unavailable"
    ),
    "erase": lambda app, _, party, __: app.erase_subject(party),
}


def advance(app: Mediations, case: Any, choice: int) -> None:
    """The case's next step in its life, as a mediation goes; `choice` picks the branch."""
    view = app.get_case(case)
    waiting = [p.id for p in view.parties if not p.consents]
    if view.is_closed:
        app.erase_subject(view.parties[choice % len(view.parties)].id)
    elif view.mediator is None:
        if choice % 9 == 0:
            app.withdraw(case, by="service", reason="no-longer-needed")
        else:
            app.assign_mediator(case, mediator="med-1")
    elif waiting:
        if choice % 7 == 0:
            app.refuse_consent(case, party=waiting[0])
        else:
            app.give_consent(case, party=waiting[0])
    elif not view.sessions or len(view.sessions) < choice % 4:
        app.hold_session(case, kind="joint-session", attendees=[p.id for p in view.parties])
    elif choice % 11 == 0:
        app.withdraw_mediator(case, mediator="med-1", reason="unavailable")
    elif choice % 5 == 0:
        app.withdraw(case, by=["party", "mediator", "service"][choice % 3], reason="ended")
    else:
        app.resolve(case, outcome=["agreement", "partial-agreement", "no-agreement"][choice % 3])


def play(app: Mediations, clock: Clock, script: list) -> None:
    """Run the script's commands; those the rules refuse store nothing and are skipped."""
    cases: list[tuple[Any, list[str]]] = []
    for days, (action, *args) in script:
        clock.now += timedelta(days=days, minutes=7)
        try:
            if action == "request":
                place, domain, referral, count = args
                case = app.request_mediation(
                    domain=domain,
                    neighbourhood=place,
                    referral=referral,
                    parties=[f"P{n}" for n in range(count)],
                )
                cases.append((case, [p.id for p in app.get_case(case).parties]))
                continue
            if not cases:
                continue
            case, parties = cases[args[0] % len(cases)]
            if action == "advance":
                advance(app, case, args[1])
                continue
            party = parties[args[1] % len(parties)]
            COMMANDS[action](app, case, party, args[1])
        except MediationError:
            pass


def periods(clock: Clock) -> list[tuple[Period, bool]]:
    """Exact reports over the whole history and as of its middle; partners' by quarters."""
    end = clock.now + timedelta(days=1)
    middle = START + (clock.now - START) / 2
    whole = Period(START.date(), end.date(), end)
    months_over = Period.of(None, None, as_of=end + timedelta(days=92), whole_quarters=True)
    return [
        (whole, True),
        (Period(START.date(), end.date(), middle), True),
        (Period(date(2026, 2, 1), max(end.date(), date(2026, 2, 28)), end), True),
        (
            Period.of(
                "2026-01", f"{months_over.end:%Y-%m}", as_of=months_over.as_of, whole_quarters=True
            ),
            False,
        ),
    ]


def same(view_report: Report, full: Report) -> None:
    groupings = ([], ["neighbourhood"], ["domain", "month"], list(DIMENSIONS))
    if not full.exact:  # a partner's: places by quarter, over the period
        groupings = ([], ["neighbourhood"], ["month"], ["neighbourhood", "domain"])
    for by in groupings:
        assert view_report.rows(by) == full.rows(by), by
    assert view_report.total() == full.total()


def check_incremental(url: str, script: list, cuts: list[int]) -> None:
    clock = Clock()
    app = open_store(url)
    app.clock = clock
    view = ReportView(app)
    try:
        done = 0
        for cut in [*sorted({min(c, len(script)) for c in cuts}), len(script)]:
            play(app, clock, script[done:cut])
            done = cut
            view.refresh(page=3)  # small pages: a batch spans several transactions
        for period, exact in periods(clock):
            same(view.report(period, exact=exact), app.report(period, exact=exact))
        total = app.report(periods(clock)[0][0], exact=True).total().counts
        event(f"steps: {'< 20' if done < 20 else '20+'}")
        event(f"closed cases: {'some' if total['closed'].low else 'none'}")
        event(f"sessions: {'some' if total['sessions'].low else 'none'}")
        rebuilt = view.rebuild()
        assert rebuilt == (app.recorder.max_notification_id() or 0)
        period, exact = periods(clock)[0]
        same(view.report(period, exact=exact), app.report(period, exact=exact))
    finally:
        view.close()
        app.close()


_settings = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)


@_settings
@given(script=steps, cuts=st.lists(st.integers(0, 40), max_size=3))
def test_the_view_in_memory_equals_a_full_fold(script, cuts):
    check_incremental("memory://", script, cuts)


@settings(_settings, max_examples=25)
@given(script=steps, cuts=st.lists(st.integers(0, 40), max_size=3))
def test_the_view_in_sqlite_equals_a_full_fold(tmp_path_factory, script, cuts):
    folder = tmp_path_factory.mktemp("view")
    check_incremental(f"sqlite:///{folder / 'cases.sqlite3'}", script, cuts)


@settings(_settings, max_examples=10)
@given(script=steps, cuts=st.lists(st.integers(0, 40), max_size=3))
def test_the_view_in_postgresql_equals_a_full_fold(postgres_server, script, cuts):
    schema = f"md_view_{uuid.uuid4().hex[:12]}"
    try:
        check_incremental(f"{postgres_server}?schema={schema}", script, cuts)
    finally:
        with connection_for(postgres_server) as connection:
            connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


# The view's life: new versions, failures, several processes ----------------------------------


@pytest.fixture
def recorded(store_url: str):
    """Three requests on each store: memory, a SQLite file, PostgreSQL (conftest)."""
    yield from _three_requests(store_url)


@pytest.fixture(params=["sqlite", "postgres"])
def shared(request, tmp_path: Path):
    """On a store several processes share (in memory, each view is its own)."""
    if request.param == "postgres":
        yield from _three_requests(request.getfixturevalue("postgres_url"))
    else:
        yield from _three_requests(f"sqlite:///{tmp_path / 'cases.sqlite3'}")


def _three_requests(url: str):
    clock = Clock()
    app = open_store(url)
    app.clock = clock
    play(app, clock, [(1, ("request", "Beaulieu", "public-transport", "resident", 2))] * 3)
    yield app, clock, url
    app.close()


def _requests(view: ReportView) -> int:
    return _total(view, "requests")


def _total(view: ReportView, count: str) -> int:
    period = Period(START.date(), date(2027, 12, 31), datetime(2028, 1, 1, tzinfo=UTC))
    return view.report(period, exact=True).total().counts[count].low


def test_a_refresh_reads_only_what_is_new(recorded):
    app, clock, _ = recorded
    view = ReportView(app)
    assert view.refresh() == 3
    assert view.refresh() == 0
    play(app, clock, [(1, ("request", "Bel-Air", "public-transport", "city", 1))])
    assert view.refresh() == 1
    assert _requests(view) == 4
    view.close()


@pytest.mark.parametrize("new_events", ["none", "new cases", "old cases"])
def test_a_view_written_by_another_version_rebuilds_itself(recorded, monkeypatch, new_events):
    app, clock, _ = recorded
    view = ReportView(app)
    assert _requests(view) == 3
    monkeypatch.setattr(ReportView, "version", ReportView.version + 1)
    if new_events == "new cases":
        play(app, clock, [(1, ("request", "Bel-Air", "public-transport", "city", 1))])
    if new_events == "old cases":
        play(app, clock, [(1, ("assign_mediator", 0, 0))])
    assert _requests(view) == (4 if new_events == "new cases" else 3)
    assert view.refresh() == 0
    view.close()


def test_a_view_of_the_facts_before_institutions_rebuilds_itself(recorded):
    """Version 2 stored no institutions: its rows are not read, the history is folded again."""
    app, clock, _ = recorded
    clock.now += timedelta(days=1)
    app.request_mediation(
        domain="public-space-and-housing",
        neighbourhood="Beaulieu",
        referral="landlord",
        parties=["Mme Lefèvre", "M. Martin"],
        institutions=[None, ("landlord", "Habitat de la Vienne")],
    )
    view = ReportView(app)
    view.refresh()
    cases = [str(case.case_id) for case in app.list_cases()]
    last = app.recorder.max_notification_id() or 0
    with view.store.writing(view.name) as tx:  # the view as version 2 wrote it
        rows = tx.get("report_facts", cases)
        old = {key: json.loads(row.doc) for key, row in rows.items()}
        for doc in old.values():
            del doc["institutions"]
        tx.reset(2, b"\0" * 16)
        tx.put("report_facts", {key: Row(json.dumps(doc)) for key, doc in old.items()})
        tx.advance(last)
    with pytest.raises(KeyError):  # read as they stand, version 2's rows would not do
        loads(json.dumps(next(iter(old.values()))))
    assert view.version == FACTS_VERSION == 3
    assert _total(view, "institution.landlord") == 1
    assert _requests(view) == 4
    with view.store.reading(view.name) as tx:
        state = tx.state()
    assert state is not None
    assert state.version == FACTS_VERSION
    view.close()


def test_eventsourcings_projection_interface_folds_one_event_at_a_time(recorded):
    app, _, _ = recorded
    view = ReportView(app)
    view.make_current()
    for notification in app.recorder.select_notifications(None, 10):
        event = app.mapper.to_domain_event(notification)
        view.process_event(event, Tracking(app.name, notification.id))
    assert view.view.max_tracking_id(app.name) == 3
    assert view.refresh() == 0  # nothing left: the events were tracked as they were folded
    assert _requests(view) == 3
    view.close()


def test_a_page_read_before_a_rebuild_elsewhere_is_read_again(shared):
    app, clock, _ = shared
    view, other = ReportView(app), ReportView(app)
    assert view.refresh() == 3
    play(app, clock, [(1, ("request", "Bel-Air", "public-transport", "city", 1))])
    start = view.view.max_tracking_id(app.name)
    page = [
        (n.id, app.mapper.to_domain_event(n))
        for n in app.recorder.select_notifications(start, 10, inclusive_of_start=False)
    ]
    other.reset()  # someone runs --rebuild meanwhile
    assert view.fold_page(page, after=start) == 0  # not folded onto nothing
    assert _requests(view) == 4  # the next refresh starts from the first event
    view.close()
    other.close()


def test_an_older_version_does_not_undo_a_newer_view(recorded, monkeypatch):
    app, _, _ = recorded
    view = ReportView(app)
    assert _requests(view) == 3
    monkeypatch.setattr(ReportView, "version", ReportView.version - 1)
    with pytest.raises(MediationError, match="newer version"):
        view.refresh()
    monkeypatch.undo()
    assert _requests(view) == 3
    view.close()


def test_a_failed_refresh_changes_nothing(recorded, monkeypatch):
    app, clock, _ = recorded
    view = ReportView(app)
    assert view.refresh() == 3
    play(app, clock, [(1, ("request", "Bel-Air", "public-transport", "city", 1))])
    # A session too: folded twice, it counts twice (a request only rebuilds its facts).
    case_id = app.list_cases(neighbourhood="Bel-Air")[0].case_id
    (party,) = [p.id for p in app.get_case(case_id).parties]
    app.assign_mediator(case_id, mediator="med-1")
    app.give_consent(case_id, party=party)
    assert view.refresh() == 3  # the case's facts are in the view before its session
    app.hold_session(case_id, kind="individual-interview", attendees=[party])

    def broken(*_: object, **__: object) -> None:
        raise RuntimeError("the disk is full")

    with view.store.reading(view.name) as transaction:
        kind = type(transaction)
    monkeypatch.setattr(kind, "advance", broken)  # fails once the facts are written
    with pytest.raises(RuntimeError):
        view.refresh()
    monkeypatch.undo()
    assert _requests(view) == 4  # the facts written before the failure were rolled back
    assert _total(view, "sessions") == 1
    view.close()


def test_two_views_refreshing_at_once_count_each_event_once(recorded):
    app, clock, url = recorded
    play(app, clock, [(1, ("request", "Bel-Air", "public-transport", "city", 1))] * 40)
    views = [ReportView(app) for _ in range(2)] if url == "memory://" else []
    others = [] if views else [open_store(url) for _ in range(2)]
    views = views or [ReportView(other) for other in others]
    errors: list[BaseException] = []

    def refresh(view: ReportView) -> None:
        try:
            view.refresh(page=2)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=refresh, args=(view,)) for view in views]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    if url == "memory://":  # in memory each view is its own; on a store they share one
        assert [_requests(view) for view in views] == [43, 43]
    else:
        assert _requests(views[0]) == 43
    for view in views:
        view.close()
    for other in others:  # a connection left to the collector warns in a later test
        other.close()


def test_the_view_holds_no_party_id_and_no_name(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'cases.sqlite3'}"
    clock = Clock()
    app = open_store(url)
    app.clock = clock
    case = app.request_mediation(
        domain="public-transport",
        neighbourhood="Beaulieu",
        referral="resident",
        parties=["Mme Lefèvre"],
        party_ids=["p-lefevre"],
    )
    app.give_consent(case, party="p-lefevre")
    view = ReportView(app)
    view.refresh()
    view.close()
    app.close()
    with sqlite3.connect(tmp_path / "cases.sqlite3") as db:
        rows = " ".join(row[0] for row in db.execute("SELECT doc FROM mediation_p_report_facts"))
    assert "Beaulieu" in rows  # the facts are there...
    assert "lefevre" not in rows.lower()  # ...and no one in them: no party id,
    assert "Lefèvre" not in rows  # no name


def test_report_period_reads_what_users_type():
    zone = time_zone("Europe/Paris")
    day = report_period("2026-01", "2026-03", "2026-06-30", exact=True, zone=zone)
    assert day.as_of == datetime(2026, 7, 1, tzinfo=zone) - timedelta(microseconds=1)
    moment = report_period(None, None, "2026-06-30T18:00", exact=True, zone=zone)
    assert moment.as_of == datetime(2026, 6, 30, 18, tzinfo=zone)
    with pytest.raises(MediationError, match="invalid as-of"):
        report_period(None, None, "yesterday", exact=True, zone=zone)
    with pytest.raises(MediationError, match="unknown time zone 'Mars/Olympus'"):
        time_zone("Mars/Olympus")


def test_a_refresh_with_nothing_new_does_not_wait_for_the_view_s_lock(shared):
    app, _, _ = shared
    view, other = ReportView(app), ReportView(app)
    assert view.refresh() == 3
    done: list[int] = []
    with other.store.writing(other.name):  # another refresh (or rebuild) holds the lock
        reader = threading.Thread(target=lambda: done.append(view.refresh()))
        reader.start()
        reader.join(timeout=30)  # a refresh that waited for the lock would still be waiting
        finished = not reader.is_alive()
    reader.join()
    assert (finished, done) == (True, [0])
    other.close()
    view.close()
