"""The activities' figures of the report: counted by hand on known documents of the index.

The figures are pure functions of the activity index's documents and a period; an index
here is a list filtered by the conditions the report asks. A partner's view hides counts
from 1 to 4, and a reader written here (every row adds up to the whole service, every
whole is its parts) can pin none of them.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mediation_adapters.formats.report import Labels, render
from mediation_adapters.formats.report.activity_labels import ACTIVITY_VALUES, ACTIVITY_WORDS
from mediation_adapters.formats.report.labels import _LABELS
from mediation_domain import Mediations
from mediation_domain.activity_values import AccessNeed, ActionKind, PartnerKind
from mediation_domain.ports import Condition
from mediation_domain.reports import ActivityFigures, Period, Report, Section, Shown
from mediation_domain.reports.activity_facts import PRESENCE, WATCH, conditions

PARIS = ZoneInfo("Europe/Paris")
AS_OF = datetime(2026, 4, 10, 12, tzinfo=UTC)  # the first quarter of 2026 is over
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {"=": operator.eq, "<=": operator.le}
_OPERATORS |= {"<": operator.lt, ">": operator.gt, ">=": operator.ge}


def index_of(documents: Sequence[Mapping[str, Any]]) -> Callable[[Sequence[Condition]], Iterator]:
    """An activity index over `documents`: those meeting every condition, in order."""

    def select(where: Sequence[Condition]) -> Iterator[Mapping[str, Any]]:
        for doc in documents:
            if all(_OPERATORS[c.operator](doc[c.field], c.value) for c in where):
                yield doc

    return select


def figures(docs: Sequence[Mapping[str, Any]], *, exact: bool = True) -> ActivityFigures:
    period = Period.of("2026-01", "2026-03", as_of=AS_OF, zone=PARIS, whole_quarters=not exact)
    return ActivityFigures.of(index_of(docs), period, exact=exact)


def a_round(place: str, start: str, hours: float, contacts: dict, bus: str | None = None) -> dict:
    began = datetime.fromisoformat(start)
    return {
        "kind": "round",
        "neighbourhood": place,
        "bus_line": bus,
        "started_at": began.isoformat(),
        "ended_at": (began + timedelta(hours=hours)).isoformat(),
        "on": began.date().isoformat(),  # the recording machine's day (UTC here)
        "contacts": contacts,
    }


def a_watch(partner: str, on: str, closed: str | None = None) -> dict:
    return {"kind": "watch", "partner": partner, "on": on, "closed_on": closed}


def an_orientation(
    need: str, on: str, outcome: str | None = None, last: str = "", n: int = 0
) -> dict:
    """An orientation; `outcome` its latest follow-up's (on `last`), `n` follow-ups."""
    return {
        "kind": "orientation",
        "need": need,
        "on": on,
        "outcome": outcome,
        "last_contact_on": last or on,
        "follow_ups": n,
    }


def an_action(kind: str, on: str, attendance: int) -> dict:
    return {"kind": "action", "action": kind, "on": on, "attendance": attendance}


def numbers(row_counts: Mapping[str, Shown]) -> dict[str, int | str]:
    return {name: shown.to_json() for name, shown in row_counts.items()}


# Counted by hand ---------------------------------------------------------------------------


def test_presence_hours_add_up_by_neighbourhood_and_month_bus_rounds_as_a_line_of_their_own():
    found = figures(
        [
            a_round("Beaulieu", "2026-01-10T09:00+00:00", 2, {"greeting": 10, "information": 2}),
            a_round("Beaulieu", "2026-01-20T14:00+00:00", 1.5, {"greeting": 5}, bus="2A"),
            # Paris's February 1st, 00:30: February's, though the recording machine's day
            a_round("Couronneries", "2026-01-31T23:30+00:00", 3, {"defusing": 1}),
            # Paris's January 1st, 00:30: counted, though its index day is the year before
            a_round("Beaulieu", "2025-12-31T23:30+00:00", 1, {}),
            a_round("Couronneries", "2026-04-02T09:00+00:00", 2, {"greeting": 3}),  # after
        ]
    )
    hours = found.hours
    assert hours.slots == ("2026-01", "2026-02", "2026-03")
    assert hours.places == ("Beaulieu", "Couronneries")
    assert hours.cell("Beaulieu", "2026-01") == 4.5
    assert hours.cell("Couronneries", "2026-02") == 3.0
    assert (hours.bus_hours("2026-01"), hours.bus_hours()) == (1.5, 1.5)
    assert hours.slot_total("2026-01") == hours.place_total("Beaulieu") == 4.5
    assert hours.total() == 7.5
    presence = found.section("presence")
    main = ("rounds", "contacts")  # each kind of contact too, in the exact view
    rows = {row.key: ({n: row.counts[n].low for n in main}, row.measures) for row in presence.rows}
    assert rows == {
        "Beaulieu": ({"rounds": 3, "contacts": 17}, {"hours": 4.5, "hours.bus": 1.5}),
        "Couronneries": ({"rounds": 1, "contacts": 1}, {"hours": 3.0, "hours.bus": 0.0}),
    }
    total = numbers(presence.total.counts)
    assert total["rounds"] == 4
    kinds = ("contacts", "contacts.greeting", "contacts.information", "contacts.defusing")
    assert [total[kind] for kind in kinds] == [18, 15, 2, 1]


def test_watch_reports_of_the_period_closed_with_their_median_delay_or_waiting_with_their_age():
    found = figures(
        [
            a_watch("landlord", "2026-01-05", "2026-01-09"),  # 4 days
            a_watch("landlord", "2026-01-10", "2026-01-20"),  # 10 days
            a_watch("city-service", "2026-02-01", "2026-03-03"),  # 30 days
            a_watch("landlord", "2026-03-01"),  # waiting 40 days at the as-of
            a_watch("city-service", "2026-03-31"),  # waiting 10 days
            a_watch("landlord", "2026-03-20", "2026-04-20"),  # answered after the as-of
            a_watch("landlord", "2026-04-05"),  # made after the period
        ]
    ).section("watch")
    rows = {row.key: (numbers(row.counts), row.measures) for row in found.rows}
    assert rows == {
        "landlord": (
            {"reported": 4, "closed": 2, "open": 2, "open.0-30d": 1, "open.31d+": 1},
            {"answer_days.median": 7.0},
        ),
        "city-service": (
            {"reported": 2, "closed": 1, "open": 1, "open.0-30d": 1, "open.31d+": 0},
            {"answer_days.median": 30.0},
        ),
    }
    assert numbers(found.total.counts) == {
        "reported": 6,
        "closed": 3,
        "open": 3,
        "open.0-30d": 2,
        "open.31d+": 1,
    }
    assert found.total.measures == {"answer_days.median": 10.0}
    assert [numbers(row.counts)["reported"] for row in found.slots] == [2, 1, 3]


def test_orientations_by_need_and_the_outcome_of_their_latest_follow_up_by_the_as_of():
    found = figures(
        [
            an_orientation("housing", "2026-01-05"),  # no follow-up yet
            an_orientation("housing", "2026-01-10", "right-opened", "2026-02-01", 1),
            an_orientation("benefits", "2026-02-10", "lost-contact", "2026-03-15", 2),
            # followed up once, after the as-of: nothing had been found by then
            an_orientation("benefits", "2026-03-01", "not-reached", "2026-04-15", 1),
            # followed up three times, the last after the as-of: in progress by then
            an_orientation("benefits", "2026-03-02", "right-opened", "2026-04-20", 3),
        ]
    ).section("orientations")
    nothing = dict.fromkeys(("right-opened", "in-progress", "not-reached", "lost-contact"), 0)
    assert [row.key for row in found.rows] == ["housing", "benefits"]  # the vocabulary's order
    housing, benefits = (numbers(row.counts) for row in found.rows)
    assert housing == nothing | {"oriented": 2, "right-opened": 1, "awaiting-follow-up": 1}
    assert benefits == nothing | {
        "oriented": 3,
        "lost-contact": 1,
        "in-progress": 1,
        "awaiting-follow-up": 1,
    }
    assert numbers(found.total.counts)["oriented"] == 5


def test_collective_actions_and_their_attendance_by_kind():
    found = figures(
        [
            an_action("workshop", "2026-01-15", 12),
            an_action("workshop", "2026-02-15", 3),
            an_action("residents-meeting", "2026-03-01", 40),
        ]
    ).section("actions")
    rows = {row.key: numbers(row.counts) for row in found.rows}
    assert rows == {
        "residents-meeting": {"actions": 1, "attendance": 40},
        "workshop": {"actions": 2, "attendance": 15},
    }
    assert numbers(found.total.counts) == {"actions": 3, "attendance": 55}


def test_the_index_is_asked_for_the_activities_dated_in_the_period_only():
    period = Period.of("2026-01", "2026-06", as_of=AS_OF, zone=PARIS)
    assert conditions(WATCH, period) == [
        Condition("kind", "=", "watch"),
        Condition("on", ">=", "2026-01-01"),
        Condition("on", "<=", "2026-04-10"),  # nothing is counted after the as-of
    ]
    # A round's day in the index is its recording machine's: a day more each side.
    assert [c.value for c in conditions(PRESENCE, period)] == ["round", "2025-12-31", "2026-04-11"]


def test_a_report_without_activities_asked_for_shows_the_cases_alone():
    period = Period.of("2026-01", "2026-03", as_of=AS_OF, zone=PARIS)
    report = Report.of([], period, exact=True)
    assert report.activities is None
    assert Labels("fr")["activities"] not in render(report, "table")
    assert "activities" not in render(report, "json")
    with_none = Report.of([], period, exact=True, activities=index_of([]))
    assert with_none.activities is not None
    assert with_none.activities.empty
    assert Labels("en")["activities.none"] in render(with_none, "table", lang="en")


def test_the_report_counts_the_activities_recorded_through_the_application():
    app = Mediations()
    app.clock = lambda: AS_OF
    start, here = datetime(2026, 2, 3, 9, tzinfo=UTC), {"neighbourhood": "Beaulieu"}
    end = start + timedelta(hours=2, minutes=30)
    facts = {"started_at": start, "ended_at": end, "team": ["med-1"], "bus_line": "2A"}
    app.record_round(**here, **facts, contacts={"greeting": 7})
    where = {**here, "domain": "public-space-and-housing", "partner": "landlord"}
    reported = app.report_watch(kind="cleanliness", **where, reported_on="2026-02-04")
    app.close_watch(reported, answer="fixed", on="2026-02-10")
    person = {"by": "med-1", "need": "housing", "partner": "landlord", **here}
    oriented = app.orient(**person, oriented_on="2026-02-05", follow_up_on="2026-02-20")
    app.follow_up(oriented, outcome="right-opened", on="2026-02-20")
    action = {"kind": "workshop", "domain": "access-to-rights", **here}
    app.record_action(**action, attendance=9, held_on="2026-03-02")
    found = app.report(Period.of("2026-01", "2026-03", as_of=AS_OF, zone=PARIS), exact=True)
    assert found.activities is not None
    totals = {s.name: numbers(s.total.counts) for s in found.activities.sections}
    assert (totals["presence"]["rounds"], totals["presence"]["contacts"]) == (1, 7)
    assert found.activities.hours.bus_hours() == found.activities.hours.total() == 2.5
    assert (totals["watch"]["reported"], totals["watch"]["closed"]) == (1, 1)
    assert found.activities.section("watch").total.measures == {"answer_days.median": 6.0}
    assert (totals["orientations"]["oriented"], totals["orientations"]["right-opened"]) == (1, 1)
    assert totals["actions"] == {"actions": 1, "attendance": 9}


# The partners' view ------------------------------------------------------------------------


def sums(section: Section) -> tuple[dict[tuple[str, str], Shown], list]:
    """A one-quarter report's figures as a reader sees them, and the sums they know.

    Each row (absent: zeros) adds up to the whole service, count by count; each of the
    service's wholes is its parts (docs/reports.md says which).
    """
    family, rows = section.family, {row.key: row for row in section.rows}
    codes = family.order or tuple(rows)
    shown = {("", n): s for n, s in section.total.counts.items()}
    for code in codes:
        for name in family.scheme.quarterly:
            shown[code, name] = rows[code].counts[name] if code in rows else Shown(0, 0)
    known = [(("", n), [(c, n) for c in codes]) for n in family.scheme.quarterly]
    known += [(("", w), [("", p) for p in parts]) for w, parts in family.scheme.parts.items()]
    return shown, known


def pinned(shown: Mapping[Any, Shown], known: list) -> list:
    """The "< 5" figures a reader can work out: bounds narrowed through every sum."""
    low = {k: s.low if s.exact or str(s) == "< 5" else max(s.low, 5) for k, s in shown.items()}
    high = {k: math.inf if s.high is None else s.high for k, s in shown.items()}
    for _ in range(200):
        before = (dict(low), dict(high))
        for whole, parts in known:
            low[whole] = max(low[whole], sum(low[p] for p in parts))
            high[whole] = min(high[whole], sum(high[p] for p in parts))
            for part in parts:
                others_low = sum(low[p] for p in parts if p != part)
                others_high = sum(high[p] for p in parts if p != part)
                low[part] = max(low[part], low[whole] - others_high)
                high[part] = min(high[part], high[whole] - others_low)
        if (low, high) == before:
            break
    return [k for k, s in shown.items() if str(s) == "< 5" and low[k] == high[k]]


def split_into_ones(exact: Section) -> bool:
    """A small whole with as many non-zero parts as it counts: each part is 1 (docs' limit)."""
    values, known = sums(exact)
    return any(
        2 <= values[w].low <= 4 and sum(values[p].low > 0 for p in parts) == values[w].low
        for w, parts in known
    )


def test_a_partner_sees_counts_of_1_to_4_as_less_than_5_and_nothing_that_gives_one_away():
    docs = [an_action("workshop", f"2026-01-{day:02d}", 15) for day in (5, 6)]
    docs += [an_action("residents-meeting", f"2026-02-{day:02d}", 20) for day in range(1, 7)]
    docs += [
        an_orientation("housing", f"2026-01-{d:02d}", "right-opened", n=1) for d in range(1, 6)
    ]
    docs += [an_orientation("housing", f"2026-02-{d:02d}", "lost-contact", n=1) for d in (1, 2)]
    docs += [an_orientation("benefits", "2026-03-02", "right-opened", n=1) for _ in (1, 2)]
    found = figures(docs, exact=False)
    actions = {row.key: row.counts for row in found.section("actions").rows}
    assert str(actions["workshop"]["actions"]) == "< 5"
    assert actions["workshop"]["attendance"] == Shown(30, 30)  # 30 people: shown
    assert found.section("actions").total.counts["actions"] == Shown(8, 8)
    assert not actions["residents-meeting"]["actions"].exact  # else 8 - 6 gives the 2 away
    orientations = found.section("orientations")
    rows = {row.key: row.counts for row in orientations.rows}
    assert set(rows["housing"]) == {"oriented"}  # outcomes: the whole service's only
    assert str(rows["benefits"]["oriented"]) == "< 5"
    assert str(orientations.total.counts["lost-contact"]) == "< 5"
    for section in found.sections:
        assert pinned(*sums(section)) == [], section.name


def test_a_partner_gets_the_delay_where_five_reports_or_more_were_answered():
    docs = [a_watch("landlord", f"2026-01-{d:02d}", f"2026-02-{d:02d}") for d in range(1, 7)]
    docs += [a_watch("city-service", "2026-03-01", "2026-03-05") for _ in (1, 2)]
    docs += [a_watch("city-service", "2026-03-10") for _ in range(5)]
    found = figures(docs, exact=False).section("watch")
    rows = {row.key: row for row in found.rows}
    assert set(rows["landlord"].counts) == {"reported"}  # answers: the whole service's only
    assert rows["landlord"].measures == {"answer_days.median": 31.0}
    assert rows["city-service"].measures == {"answer_days.median": None}  # 2 answered
    assert found.total.counts["closed"] == Shown(8, 8)
    assert found.total.measures == {"answer_days.median": 31.0}


def test_a_partners_period_is_the_sum_of_its_quarters_as_each_is_published():
    docs = [an_action("workshop", f"2026-{m:02d}-0{d}", 10) for m in (2, 5) for d in (1, 2)]
    docs += [an_action("consultation", f"2026-{m:02d}-03", 30) for m in (1, 2, 3, 4, 5, 6, 6)]

    def actions(start: str, end: str) -> dict[str, Shown]:
        moment = datetime(2026, 7, 10, tzinfo=UTC)
        period = Period.of(start, end, as_of=moment, zone=PARIS, whole_quarters=True)
        section = ActivityFigures.of(index_of(docs), period).section("actions")
        return {row.key: row.counts["actions"] for row in section.rows}

    half = actions("2026-01", "2026-06")
    first, second = actions("2026-01", "2026-03"), actions("2026-04", "2026-06")
    assert half == {key: first[key] + second[key] for key in half}
    assert str(half["workshop"]) == "< 5" or not half["workshop"].exact


_NEEDS = [need.value for need in AccessNeed][:3]
_OUTCOMES = ("right-opened", "not-reached", "lost-contact", None)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_NEEDS), st.sampled_from(_OUTCOMES)), max_size=40))
def test_no_hidden_count_of_a_partners_report_can_be_worked_out(oriented: list) -> None:
    day = date(2026, 1, 1)
    docs = [
        an_orientation(need, (day + timedelta(days=i)).isoformat(), outcome, n=int(bool(outcome)))
        for i, (need, outcome) in enumerate(oriented)
    ]
    docs += [  # as many watch reports, answered where the orientation had an outcome
        a_watch("landlord" if i % 3 else "city-service", "2026-02-01", outcome and "2026-02-09")
        for i, (_, outcome) in enumerate(oriented)
    ]
    partners, exact = figures(docs, exact=False), figures(docs)
    for section in partners.sections:
        assume(not split_into_ones(exact.section(section.name)))
        assert pinned(*sums(section)) == [], section.name


def test_every_code_of_the_activities_is_worded_in_both_languages_beside_the_cases_words():
    codes = {"partner": PartnerKind, "need": AccessNeed, "action": ActionKind}
    for dim, vocabulary in codes.items():
        for lang in ("fr", "en"):
            assert set(ACTIVITY_VALUES[dim][lang]) == {code.value for code in vocabulary}
    for lang in ("fr", "en"):
        assert set(ACTIVITY_WORDS[lang]).isdisjoint(_LABELS[lang])  # no case word shadowed
        assert set(ACTIVITY_WORDS[lang]) == set(ACTIVITY_WORDS["fr"])


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_format_shows_the_activities_in_the_reports_language(lang: str) -> None:
    period = Period.of("2026-01", "2026-03", as_of=AS_OF, zone=PARIS)
    docs = [a_watch("landlord", "2026-01-05", "2026-01-09"), an_action("workshop", "2026-02-01", 7)]
    report = Report.of([], period, exact=True, activities=index_of(docs))
    labels = Labels(lang)
    for fmt in ("table", "html"):
        text = render(report, fmt, lang=lang)
        assert labels.value("partner", "landlord") in text
        assert labels["actions"] in text
    sheet = render(report, "csv", lang=lang, table="activities")
    assert labels["watch"] in sheet
    assert labels["activities"] not in render(report, "csv", lang=lang)  # the cases' table
