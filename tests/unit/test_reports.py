"""The activity indicators: a fold of the history, counted by hand on known stories."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import mediation_domain.reports.counting as reports_module  # where MOST_ROWS is read
from mediation_domain import (
    InterventionDomain,
    InvalidInputError,
    Mediations,
    Outcome,
    ReferralSource,
)
from mediation_domain.reports import (
    FLOWS,
    MAIN,
    SMALL_COUNT,
    CaseFacts,
    Period,
    Report,
    Shown,
    facts_of,
)

PARIS = ZoneInfo("Europe/Paris")


class Clock:
    """A settable clock: each command happens when the test says."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def at(self, *when: int) -> Clock:
        self.now = datetime(*when, tzinfo=UTC)  # type: ignore[misc]
        return self

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def app(clock: Clock) -> Mediations:
    return Mediations(clock=clock)


def _open(app: Mediations, clock: Clock, when: tuple[int, ...], **facts: str) -> tuple:
    clock.at(*when)
    case = app.request_mediation(
        domain=facts.get("domain", "public-transport"),
        neighbourhood=facts.get("neighbourhood", "Beaulieu"),
        referral=facts.get("referral", "resident"),
        parties=["A", "B"],
    )
    a, b = (party.id for party in app.get_case(case).parties)
    return case, a, b


def _year(as_of: datetime | None = None, **kw) -> Period:
    return Period(
        date(2026, 1, 1), date(2026, 12, 31), as_of or datetime(2027, 1, 1, tzinfo=UTC), **kw
    )


def _counts(row) -> dict[str, int]:
    assert all(shown.exact for shown in row.counts.values())
    return {name: shown.low for name, shown in row.counts.items() if shown.low}


def test_a_story_is_counted_on_every_indicator(app, clock):
    case, a, b = _open(app, clock, (2026, 3, 2, 9), referral="landlord")
    app.assign_mediator(case, mediator="med-1")  # at the same moment: proposed in March
    clock.at(2026, 3, 5)
    app.give_consent(case, party=a)
    clock.at(2026, 3, 9)
    app.give_consent(case, party=b)  # every consent: accepted
    clock.at(2026, 3, 20)
    app.hold_session(case, kind="individual-interview", attendees=[a])
    clock.at(2026, 4, 3)
    app.hold_session(case, kind="joint-session", attendees=[a, b])
    clock.at(2026, 4, 11, 9)
    app.resolve(case, outcome="partial-agreement")

    report = app.report(_year(), exact=True)
    assert _counts(report.total()) == {
        "requests": 1,
        "referral.landlord": 1,
        "proposed": 1,
        "accepted": 1,
        "resolved": 1,
        "resolved.partial-agreement": 1,
        "closed": 1,
        "sessions": 2,
        "sessions.individual-interview": 1,
        "sessions.joint-session": 1,
    }
    assert report.total().measures == {
        "sessions_per_closed_case.mean": 2.0,
        "closure_days.median": 40.0,  # 2 March 9:00 to 11 April 9:00
        "closure_days.p90": 40.0,
        "open_age_days.median": None,  # none open at the end of the year
    }
    by_month = {row.key: _counts(row) for row in report.rows(["month"])}
    assert by_month[("2026-03",)]["open"] == 1  # open at the end of March...
    assert "open" not in by_month[("2026-04",)]  # ...closed in April
    assert by_month[("2026-04",)]["closed"] == 1
    assert by_month[("2026-03",)]["sessions"] == by_month[("2026-04",)]["sessions"] == 1


def test_refusals_withdrawals_and_open_cases_are_counted(app, clock):
    refused, _, b = _open(app, clock, (2026, 5, 1), neighbourhood="Bel-Air")
    clock.at(2026, 5, 3)
    app.refuse_consent(refused, party=b)
    clock.at(2026, 5, 4)
    app.withdraw(refused, by="party", reason="consent-refused")
    by_service, _, _ = _open(app, clock, (2026, 5, 10), domain="schools-and-youth")
    clock.at(2026, 5, 20)
    app.withdraw(by_service, by="service", reason="no-longer-needed")
    _open(app, clock, (2026, 6, 25))  # open at the end of June: 6 days old
    old, a, b = _open(app, clock, (2026, 1, 2))  # open since January: 180 days

    report = app.report(
        Period(date(2026, 1, 1), date(2026, 6, 30), datetime(2026, 7, 1, tzinfo=UTC)), exact=True
    )
    total = _counts(report.total())
    assert total["refused"] == 1
    assert (total["withdrawn"], total["withdrawn.party"], total["withdrawn.service"]) == (2, 1, 1)
    assert "accepted" not in total
    assert "proposed" not in total
    assert (total["open"], total["open.0-30d"], total["open.91-180d"]) == (2, 1, 1)
    assert report.total().measures["open_age_days.median"] == (6 + 180) / 2
    rows = {row.key: _counts(row) for row in report.rows(["neighbourhood", "domain"])}
    assert rows["Bel-Air", "public-transport"]["refused"] == 1
    assert rows["Beaulieu", "schools-and-youth"]["withdrawn.service"] == 1
    # The facts the fold keeps hold party ids (in memory, unhashed): none reach the report.
    assert not [found for found in (str(old), a, b) if found in repr(report)]


def test_a_report_as_of_a_past_moment_is_the_fold_of_the_history_then(app, clock):
    case, a, b = _open(app, clock, (2026, 2, 1))
    clock.at(2026, 2, 10)
    app.give_consent(case, party=a)
    clock.at(2026, 3, 10)
    app.give_consent(case, party=b)
    clock.at(2026, 3, 15)
    app.withdraw(case, by="mediator", reason="conflict-of-interest")
    moment = datetime(2026, 3, 1, tzinfo=UTC)
    then = Report.of(
        facts_of(e for e in app.history() if e.timestamp <= moment).values(),
        _year(moment),
        exact=True,
    )
    now_as_of_then = app.report(_year(moment), exact=True)
    assert then.total() == now_as_of_then.total()
    assert _counts(then.total()) == {
        "requests": 1,
        "referral.resident": 1,
        "open": 1,
        "open.0-30d": 1,
    }
    assert _counts(app.report(_year(), exact=True).total())["withdrawn.mediator"] == 1


def test_months_are_the_service_s_not_utc_s(app, clock):
    _open(app, clock, (2026, 1, 31, 23, 30))  # 1 February, 00:30 in Poitiers

    def requested(period: Period) -> list[tuple[str, ...]]:
        rows = app.report(period, exact=True).rows(["month"])
        return [row.key for row in rows if row.counts["requests"].low]

    assert requested(_year(zone=PARIS)) == [("2026-02",)]
    assert requested(_year()) == [("2026-01",)]


def test_a_period_counts_only_what_happened_within_it(app, clock):
    case, a, _ = _open(app, clock, (2026, 1, 20))
    clock.at(2026, 2, 5)
    app.give_consent(case, party=a)
    february = app.report(
        Period(date(2026, 2, 1), date(2026, 2, 28), datetime(2026, 3, 1, tzinfo=UTC)), exact=True
    )
    assert "requests" not in _counts(february.total())  # requested in January
    assert _counts(february.total())["open"] == 1  # but open at the end of February


def test_p90_is_a_duration_some_case_took(app, clock):
    for day in range(1, 11):
        case, _, _ = _open(app, clock, (2026, 1, day))
        clock.at(2026, 1, day + day)  # the n-th case takes n days
        app.withdraw(case, by="service", reason="no-longer-needed")
    measures = app.report(_year(), exact=True).total().measures
    assert (measures["closure_days.median"], measures["closure_days.p90"]) == (5.5, 9.0)


def test_facts_round_trip_through_json_and_forget_the_parties_once_closed(app, clock):
    case, a, _ = _open(app, clock, (2026, 1, 5))
    app.assign_mediator(case, mediator="med-1")
    app.give_consent(case, party=a)
    app.hold_session(case, kind="individual-interview", attendees=[a])
    (open_facts,) = facts_of(app.history(), party_key=lambda p: f"key-{len(p)}").values()
    assert CaseFacts.from_json(open_facts.to_json()) == open_facts
    assert a not in str(open_facts.to_json())  # consents are kept under the caller's keys
    app.resolve(case, outcome="agreement")
    (closed_facts,) = facts_of(app.history()).values()
    assert closed_facts.consents == {}
    assert CaseFacts.from_json(closed_facts.to_json()) == closed_facts


def test_erasures_and_mediators_stepping_down_change_no_count(app, clock):
    case, a, _ = _open(app, clock, (2026, 1, 5))
    app.assign_mediator(case, mediator="med-1")
    before = app.report(_year(), exact=True).total()
    app.withdraw_mediator(case, mediator="med-1", reason="conflict-of-interest")
    app.erase_subject(a)
    assert app.report(_year(), exact=True).total() == before


def test_a_period_is_checked(app):
    as_of = datetime(2026, 7, 1, tzinfo=UTC)
    with pytest.raises(InvalidInputError, match=r"ends .* before it starts"):
        Period.of("2026-05", "2026-04", as_of=as_of)
    with pytest.raises(InvalidInputError, match="invalid date"):
        Period.of("2026-13", None, as_of=as_of)
    with pytest.raises(InvalidInputError, match="whole calendar quarters"):
        Period.of("2026-01-15", "2026-03", as_of=as_of, whole_quarters=True)
    with pytest.raises(InvalidInputError, match="whole calendar quarters"):
        Period.of("2026-02", "2026-03", as_of=as_of, whole_quarters=True)
    with pytest.raises(InvalidInputError, match="whole calendar quarters"):
        Period.of("2026-01", "2026-05", as_of=as_of, whole_quarters=True)
    with pytest.raises(InvalidInputError, match="quarter ending 2026-09 is not over"):
        Period.of("2026-01", "2026-09", as_of=as_of, whole_quarters=True)
    with pytest.raises(InvalidInputError, match="whole calendar quarters"):
        app.report(Period(date(2026, 1, 1), date(2026, 6, 15), as_of))  # partners: quarters
    # The quarters it suggests are over: asked for, they are taken (no edge named).
    year_so_far = Period.of(None, None, as_of=as_of)
    with pytest.raises(InvalidInputError, match=r"e\.g\. from 2026-01 to 2026-06$"):
        year_so_far.check_whole_quarters()
    middle = Period.of("2026-02-10", "2026-05-03", as_of=as_of)
    with pytest.raises(InvalidInputError, match=r"e\.g\. from 2026-01 to 2026-06$"):
        middle.check_whole_quarters()
    assert Period.of("2026-01", "2026-06", as_of=as_of, whole_quarters=True).end == date(
        2026, 6, 30
    )
    with pytest.raises(InvalidInputError, match="cannot group by 'quartier'"):
        app.report(_year(), exact=True).rows(["quartier"])
    # Defaults: this year so far; for partners, the four quarters up to the last finished.
    assert Period.of(None, None, as_of=as_of) == Period(date(2026, 1, 1), date(2026, 7, 1), as_of)
    partners = Period.of(None, None, as_of=as_of, whole_quarters=True)
    assert (partners.start, partners.end) == (date(2025, 7, 1), date(2026, 6, 30))
    january = Period.of(None, None, as_of=datetime(2027, 1, 10, tzinfo=UTC), whole_quarters=True)
    assert (january.start, january.end) == (date(2026, 1, 1), date(2026, 12, 31))
    assert january.quarters == ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    with pytest.raises(InvalidInputError, match="no quarter from 2026-07 is over on 2026-07-01"):
        Period.of("2026-07", None, as_of=as_of, whole_quarters=True)
    # As of a quarter's last instant, that quarter is over: the default ends with it.
    last_instant = datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=UTC)
    march = Period.of(None, None, as_of=last_instant, whole_quarters=True)
    assert (march.start, march.end) == (date(2025, 4, 1), date(2026, 3, 31))


# The partners' view ----------------------------------------------------------------------

TABLES = ((), ("neighbourhood",), ("domain",), ("neighbourhood", "domain"))
WHOLES = {
    "requests": "referral.",
    "withdrawn": "withdrawn.",
    "resolved": "resolved.",
    "sessions": "sessions.",
    "open": "open.",
}


def published_months(report: Report, make: Callable[[Period], Report] | None = None) -> dict:
    """Every figure of every table, as a reader reads it in the report's rows.

    Exact: every table by month. A partner's: the whole service by month, the other
    tables by quarter, each read from a report of that quarter alone (`make`).
    """
    figures = {}
    partners = not report.exact
    for dims in TABLES:
        if partners and dims:
            assert make is not None
            for quarter in report.period.quarters:
                year, number = quarter.split("-Q")
                first = 3 * int(number) - 2
                alone = Period.of(
                    f"{year}-{first:02d}",
                    f"{year}-{first + 2:02d}",
                    as_of=report.period.as_of,
                    whole_quarters=True,
                )
                for row in make(alone).rows(dims):
                    for name, shown in row.counts.items():
                        figures[dims, row.key, quarter, name] = shown
            continue
        for row in report.rows([*dims, "month"]):
            *key, month = row.key
            for name, shown in row.counts.items():  # breakdowns: the whole service only
                figures[dims, tuple(key), month, name] = shown
    return figures


def worked_out(figures: dict[tuple, Shown]) -> list[tuple]:  # noqa: C901 - one propagation
    """The figures shown as "< 5" that a reader can pin to one value (written independently
    of the library: every table adds up into the coarser ones, every whole is its parts)."""
    # What every reader knows besides the figures (docs/reports.md): a hidden figure not
    # shown as "< 5" is 5 or more, whatever range the report prints for it.
    low = {
        node: shown.low if shown.exact or str(shown) == "< 5" else max(shown.low, SMALL_COUNT)
        for node, shown in figures.items()
    }
    high = {node: math.inf if shown.high is None else shown.high for node, shown in figures.items()}
    sums: dict[tuple, list[tuple]] = {}  # (whole, how it splits) -> its parts
    for dims, key, month, name in figures:
        node = (dims, key, month, name)
        if not dims and any(d and "-Q" in m for d, _, m, __ in figures):
            # A partner's quarter of the whole service: the sum of its months, unpublished.
            quarter = f"{month[:4]}-Q{(int(month[5:]) - 1) // 3 + 1}"
            whole = ((), (), quarter, name)
            low.setdefault(whole, 0)
            high.setdefault(whole, math.inf)
            sums.setdefault((whole, "months"), []).append(node)
        for drop in range(len(dims)):  # by neighbourhood, and by domain: two sums each
            parent = (dims[:drop] + dims[drop + 1 :], key[:drop] + key[drop + 1 :], month, name)
            sums.setdefault((parent, dims), []).append(node)
        for whole, prefix in WHOLES.items():
            if name.startswith(prefix):
                sums.setdefault(((dims, key, month, whole), prefix), []).append(node)
        if name in {"withdrawn", "resolved"}:
            sums.setdefault(((dims, key, month, "closed"), "closed"), []).append(node)
    for _ in range(200):
        changed = False
        for (whole, _), parts in sums.items():
            low.setdefault(whole, 0), high.setdefault(whole, 0)
            for node in (whole, *parts):
                low.setdefault(node, 0), high.setdefault(node, 0)
            floor, ceiling = sum(low[p] for p in parts), sum(high[p] for p in parts)
            new = (max(low[whole], floor), min(high[whole], ceiling))
            changed |= new != (low[whole], high[whole])
            low[whole], high[whole] = new
            for part in parts:
                new = (
                    max(low[part], low[whole] - (ceiling - high[part])),
                    min(high[part], high[whole] - (floor - low[part])),
                )
                changed |= new != (low[part], high[part])
                low[part], high[part] = new
                floor, ceiling = sum(low[p] for p in parts), sum(high[p] for p in parts)
        if not changed:
            break
    return [
        node for node, shown in figures.items() if str(shown) == "< 5" and low[node] == high[node]
    ]


def _partners(app: Mediations, start: str, end: str) -> Report:
    as_of = datetime(2027, 1, 1, tzinfo=UTC)
    return app.report(Period.of(start, end, as_of=as_of, whole_quarters=True))


def test_partners_see_small_counts_as_less_than_five_and_nothing_that_gives_them_away(app, clock):
    for _ in range(7):
        _open(app, clock, (2026, 3, 2), neighbourhood="Couronneries")
    _open(app, clock, (2026, 3, 2), neighbourhood="Bel-Air")
    report = _partners(app, "2026-01", "2026-03")
    rows = {row.key: row for row in report.rows(["neighbourhood"])}
    assert str(rows["Bel-Air",].counts["requests"]) == "< 5"
    # 8 requests in all, 7 in Couronneries would give Bel-Air's 1 away: one of them is
    # published as a range instead.
    couronneries, total = (
        rows["Couronneries",].counts["requests"],
        report.total().counts["requests"],
    )
    assert not (couronneries.exact and total.exact)
    assert couronneries.low <= 7 <= couronneries.high
    assert total.low <= 8 <= total.high
    assert worked_out(published_months(report, app.report)) == []
    exact = app.report(report.period, exact=True)
    assert exact.total().counts["requests"] == Shown(8, 8)
    assert {str(r.counts["requests"]) for r in exact.rows(["neighbourhood"])} == {"1", "7"}


def test_no_exact_small_count_reaches_a_partner(app, clock):
    for day in range(1, 25):
        case, a, _ = _open(
            app,
            clock,
            (2026, 1 + day % 3, day),
            neighbourhood=["Beaulieu", "Bel-Air", "Couronneries"][day % 3],
            domain=["public-transport", "access-to-rights"][day % 2],
            referral=["resident", "city", "school", "landlord"][day % 4],
        )
        if day % 5:
            app.assign_mediator(case, mediator="med-1")
            app.give_consent(case, party=a)
    report = _partners(app, "2026-01", "2026-03")
    for by in (["neighbourhood"], ["domain"], ["month"], ["neighbourhood", "domain"], []):
        for row in [*report.rows(by), report.total()]:
            for name, shown in row.counts.items():
                assert not (shown.exact and 0 < shown.low < SMALL_COUNT), (by, row.key, name)
    assert worked_out(published_months(report, app.report)) == []
    with pytest.raises(InvalidInputError, match="neighbourhoods and domains by quarter"):
        report.rows(["domain", "month"])


def test_the_same_facts_in_any_order_publish_the_same_figures(app, clock):
    for day in range(1, 29):
        case, _, _ = _open(
            app,
            clock,
            (2026, 1, day),
            # Bel-Air's one request is hidden; the rest would give it away: more is hidden.
            neighbourhood="Bel-Air" if day == 1 else ["Beaulieu", "Trois-Cités"][day % 2],
            referral=["resident", "city"][day % 2],
        )
        if day % 4:
            app.assign_mediator(case, mediator="med-1")
    facts = list(facts_of(app.history()).values())
    period = Period.of(
        "2026-01", "2026-03", as_of=datetime(2026, 4, 1, tzinfo=UTC), whole_quarters=True
    )
    first = Report.of(facts, period).published
    assert any(not shown.exact and str(shown) != "< 5" for shown in first.values())  # secondary
    for seed in range(5):
        shuffled = facts[:]
        random.Random(seed).shuffle(shuffled)
        assert Report.of(shuffled, period).published == first


# Reports of adjacent periods are made of the same monthly figures ------------------------

_facts = st.builds(
    lambda day, hours, place, domain, referral, closes: CaseFacts(
        requested_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=day, hours=hours),
        neighbourhood=place,
        domain=domain,
        referral=referral,
        closed_at=(
            datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=day + closes, hours=hours)
            if closes is not None
            else None
        ),
        outcome=Outcome.AGREEMENT if closes is not None else None,
    ),
    st.integers(0, 119),
    st.integers(0, 23),
    st.sampled_from(["Beaulieu", "Bel-Air", "Trois-Cités"]),
    st.sampled_from([InterventionDomain.PUBLIC_TRANSPORT, InterventionDomain.ACCESS_TO_RIGHTS]),
    st.sampled_from([ReferralSource.RESIDENT, ReferralSource.CITY]),
    st.one_of(st.none(), st.integers(0, 60)),
)


@settings(max_examples=150, deadline=None)
@given(facts=st.lists(_facts, min_size=1, max_size=80))
def test_adjacent_periods_difference_into_published_monthly_figures_only(facts):
    as_of = datetime(2026, 7, 1, tzinfo=UTC)

    def partners(start: str, end: str) -> Report:
        return Report.of(facts, Period.of(start, end, as_of=as_of, whole_quarters=True))

    quarter, four, april = (
        partners("2026-01", "2026-03"),
        partners("2026-01", "2026-06"),
        partners("2026-04", "2026-06"),
    )
    for by in ([], ["month"], ["neighbourhood"], ["domain"], ["neighbourhood", "domain"]):
        longer = {row.key: row.counts for row in four.rows(by)}
        shorter = {row.key: row.counts for row in quarter.rows(by)}
        month = {row.key: row.counts for row in april.rows(by)}
        for key in longer.keys() | shorter.keys() | month.keys():
            for name in FLOWS:
                parts = [part.get(key, {}).get(name, Shown(0, 0)) for part in (shorter, month)]
                whole = longer.get(key, {}).get(name, Shown(0, 0))
                # The half-year is exactly its two quarters, as published: subtracting
                # the two reports gives the second quarter's published figure, no more.
                assert whole == parts[0] + parts[1]  # an unbounded high stays unbounded
    # The monthly figures themselves are the same in every report that covers the month.
    march = {k: v for k, v in four.published.items() if k[2] == "2026-03"}
    assert march == {k: v for k, v in quarter.published.items() if k[2] == "2026-03"}


def split_into_ones(exact: Report) -> bool:
    """Whether a count under 5 splits into as many non-zero parts as it counts (4 = 1+1+1+1):
    each part is then 1 whatever is hidden, the limit docs/reports.md admits."""
    figures = published_months(exact)
    for (dims, key, month, name), whole in figures.items():
        if not 1 < whole.low < SMALL_COUNT:
            continue
        for extra in ("neighbourhood", "domain"):
            if extra in dims:
                continue
            parts = [
                shown.low
                for (d, k, m, n), shown in figures.items()
                if (m, n) == (month, name)
                and set(d) == {*dims, extra}
                and shown.low
                and all(v in k for v in key)
            ]
            if len(parts) == whole.low:
                return True
        prefix = WHOLES.get(name)
        breakdown = [
            shown.low
            for (d, k, m, n), shown in figures.items()
            if (d, k, m) == (dims, key, month) and prefix and n.startswith(prefix) and shown.low
        ]
        if len(breakdown) == whole.low:
            return True
    return False


@settings(max_examples=150, deadline=None)
@given(facts=st.lists(_facts, min_size=1, max_size=120))
def test_no_hidden_count_can_be_worked_out_of_a_partners_report(facts):
    as_of = datetime(2026, 7, 1, tzinfo=UTC)
    period = Period.of("2026-01", "2026-06", as_of=as_of, whole_quarters=True)
    assume(not split_into_ones(Report.of(facts, period, exact=True)))
    report = Report.of(facts, period)
    assert worked_out(published_months(report, lambda p: Report.of(facts, p))) == []
    for row in report.rows(["neighbourhood"]):  # breakdowns are the whole service's only
        assert set(row.counts) == set(MAIN)
    for by in ([], ["month"], ["neighbourhood"], ["domain"], ["neighbourhood", "domain"]):
        for row in [*report.rows(by), report.total()]:
            # A measure shown where the closures could be under 5 would say they are not.
            shown = ("closure_days.median", "sessions_per_closed_case.mean")
            if any(row.measures[m] is not None for m in shown):
                assert row.counts["closed"].low >= SMALL_COUNT, (by, row.key)
    assert set(report.total().counts) == set(FLOWS)  # open cases: the service's own
    assert report.total().measures["open_age_days.median"] is None


def test_a_figure_hidden_beside_a_small_one_is_known_to_be_five_or_more():
    """1 + 5 = 6: with the 5 hidden, a reader who knows it is 5 or more pins the 1.

    A figure hidden to protect another (not small itself) is at least 5, and every reader
    knows it; the library must reckon with that, not with "at least 1".
    """
    january = datetime(2026, 1, 5, tzinfo=UTC)
    facts = [
        CaseFacts(
            requested_at=january + timedelta(hours=n),
            neighbourhood="Beaulieu",
            domain=InterventionDomain.PUBLIC_TRANSPORT
            if n == 0
            else InterventionDomain.ACCESS_TO_RIGHTS,
            referral=ReferralSource.CITY,
        )
        for n in range(6)
    ]
    period = Period.of(
        "2026-01", "2026-03", as_of=datetime(2026, 4, 1, tzinfo=UTC), whole_quarters=True
    )
    report = Report.of(facts, period)
    figures = published_months(report, lambda p: Report.of(facts, p))
    assert str(figures[("domain",), ("public-transport",), "2026-Q1", "requests"]) == "< 5"
    assert worked_out(figures) == []


# What a report may ask for -------------------------------------------------------------


def test_a_report_over_more_than_twenty_years_is_refused():
    as_of = datetime(2026, 12, 1, tzinfo=UTC)
    Report.of([], Period.of("2006-10", "2026-09", as_of=as_of), exact=False)  # 240 months
    with pytest.raises(InvalidInputError, match="at most 240 months"):
        Report.of([], Period.of("2006-07", "2026-09", as_of=as_of), exact=False)


def test_a_report_of_more_rows_than_allowed_is_refused(app, clock, monkeypatch):
    for place in ("Beaulieu", "Bel-Air", "Bellejouanne"):
        _open(app, clock, (2026, 3, 2), neighbourhood=place)
    period = Period.of("2026-03", "2026-03", as_of=datetime(2026, 12, 1, tzinfo=UTC))
    report = Report.of(facts_of(app.history()).values(), period, exact=True)
    monkeypatch.setattr(reports_module, "MOST_ROWS", 2)
    assert len(report.rows(["domain"])) == 1
    with pytest.raises(InvalidInputError, match="3 rows, over 2"):
        report.rows(["neighbourhood"])
