"""Cases involving an institution, by kind: counted by hand, hidden from partners when small.

A case counts once per kind of institution, in the month it first involves that kind (its
request naming one, or the first party of that kind joining); parties recorded before
institutions existed are persons. Partners get the whole service's figures by quarter,
part of no sum: only counts from 1 to 4 are hidden, and no other figure moves for them.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mediation_adapters.formats.export_v1 import Export
from mediation_adapters.formats.report import CSV_DELIMITERS, Labels, render
from mediation_domain import InterventionDomain, Mediations, ReferralSource
from mediation_domain.activity_values import PartnerKind
from mediation_domain.reports import (
    INSTITUTIONS,
    SMALL_COUNT,
    CaseFacts,
    Period,
    Report,
    Shown,
    facts_of,
)
from unit.test_reports import Clock, published_months, worked_out

FIXTURES = Path(__file__).parents[1] / "fixtures"
YEAR = Period(date(2026, 1, 1), date(2026, 12, 31), datetime(2027, 1, 1, tzinfo=UTC))
LANDLORD, SCHOOL = ("landlord", "Habitat de la Vienne"), ("school", "Collège Jules Ferry")


@pytest.fixture
def clock() -> Clock:
    return Clock()


def _request(app: Mediations, clock: Clock, when: tuple[int, ...], *institutions) -> str:
    """A case of one party per institution given (None: a person), requested `when`."""
    clock.at(*when)
    case = app.request_mediation(
        domain="public-space-and-housing",
        neighbourhood="Couronneries",
        referral="landlord",
        parties=[f"P{n}" for n in range(len(institutions))],
        institutions=list(institutions),
    )
    return str(case)


def _kinds(row) -> dict[str, int]:
    """The row's exact counts of institutions, those not zero, by kind."""
    assert all(row.counts[name].exact for name in INSTITUTIONS)
    found = {name.removeprefix("institution."): row.counts[name].low for name in INSTITUTIONS}
    return {kind: count for kind, count in found.items() if count}


def _story(clock: Clock) -> Mediations:
    """Five cases: two landlords, a school joining later, both, persons, a landlord twice."""
    app = Mediations(clock=clock)
    _request(app, clock, (2026, 1, 5), None, LANDLORD, ("landlord", "Ekidom"))
    later = _request(app, clock, (2026, 1, 6), None, None)
    _request(app, clock, (2026, 1, 7), LANDLORD, SCHOOL)
    _request(app, clock, (2026, 1, 8), None, None)
    twice = _request(app, clock, (2026, 1, 9), None, LANDLORD)
    clock.at(2026, 2, 10)
    app.join_party(later, name="Mme Dubois", institution=SCHOOL)
    clock.at(2026, 3, 11)
    app.join_party(twice, name="M. Martin", institution=("landlord", "Ekidom"))
    return app


def test_a_case_counts_once_per_kind_in_the_month_it_first_involves_it(clock):
    app = _story(clock)
    report = app.report(YEAR, exact=True)
    # Landlords: the case with two, the one with both, the one a second landlord joined.
    assert _kinds(report.total()) == {"landlord": 3, "school": 2}
    months = {row.key[0]: _kinds(row) for row in report.rows(["month"])}
    assert months["2026-01"] == {"landlord": 3, "school": 1}
    assert months["2026-02"] == {"school": 1}  # joined by a school: counted then
    assert months["2026-03"] == {}  # a second landlord: the case counted already
    assert report.total().counts["requests"] == Shown(5, 5)
    # As of before the school joined, the case involved no school yet.
    before = Period(YEAR.start, YEAR.end, datetime(2026, 2, 1, tzinfo=UTC))
    assert _kinds(app.report(before, exact=True).total()) == {"landlord": 3, "school": 1}


def test_the_facts_keep_the_kinds_and_their_times_never_the_names(clock):
    app = _story(clock)
    facts = list(facts_of(app.history()).values())  # in the order requested
    assert [{k.value: at.date() for k, at in found.institutions.items()} for found in facts] == [
        {"landlord": date(2026, 1, 5)},  # two landlords: one kind
        {"school": date(2026, 2, 10)},  # since a school joined
        {"landlord": date(2026, 1, 7), "school": date(2026, 1, 7)},
        {},
        {"landlord": date(2026, 1, 9)},  # a second landlord joining later changes nothing
    ]
    for found in facts:
        stored = found.to_json()
        assert CaseFacts.from_json(stored) == found
        assert "Ekidom" not in str(stored)
        assert "Habitat" not in str(stored)


def test_parties_recorded_before_institutions_existed_count_as_persons():
    app = Mediations()
    events = [app.mapper.to_domain_event(r) for r in Export(FIXTURES / "golden-v1.jsonl").records()]
    facts = facts_of(events)
    assert facts
    assert all(found.institutions == {} for found in facts.values())
    report = Report.of(facts.values(), YEAR, exact=True)
    assert report.total().counts["referral.landlord"].low > 0  # referred by a landlord...
    assert _kinds(report.total()) == {}  # ...but no institution among the parties


# The partners' view -------------------------------------------------------------------------


def _partners(app: Mediations, start: str, end: str) -> Report:
    as_of = datetime(2027, 1, 1, tzinfo=UTC)
    return app.report(Period.of(start, end, as_of=as_of, whole_quarters=True))


def test_partners_get_each_kind_by_quarter_with_one_to_four_hidden(clock):
    app = Mediations(clock=clock)
    for day in range(1, 8):  # 7 landlords in the first quarter
        _request(app, clock, (2026, 1, day), None, LANDLORD)
    _request(app, clock, (2026, 2, 1), SCHOOL)  # 1 school
    for day in range(1, 3):  # 2 landlords in the second quarter
        _request(app, clock, (2026, 4, day), LANDLORD)
    first, second = _partners(app, "2026-01", "2026-03"), _partners(app, "2026-04", "2026-06")
    half = _partners(app, "2026-01", "2026-06")
    landlord, school = "institution.landlord", "institution.school"
    assert first.total().counts[landlord] == Shown(7, 7)
    assert str(first.total().counts[school]) == "< 5"
    assert str(second.total().counts[landlord]) == "< 5"
    # The half-year is its two quarters as published: 7 + "< 5" is a range, never 9.
    assert half.total().counts[landlord] == Shown(8, 11)
    assert str(half.total().counts[school]) == "< 5"
    # The service's months, the places: no institution (by quarter, the whole service's).
    for by in (["month"], ["neighbourhood"], ["domain"], ["neighbourhood", "domain"]):
        for row in half.rows(by):
            assert set(row.counts).isdisjoint(INSTITUTIONS), by
    assert worked_out(published_months(half, app.report)) == []


def test_a_finished_quarter_does_not_change_when_an_institution_joins_later(clock):
    """Counted in the month of the join, not the request's: Q1 is published once."""
    app = Mediations(clock=clock)
    for day in range(1, 7):
        _request(app, clock, (2026, 2, day), None, LANDLORD)
    joined = _request(app, clock, (2026, 3, 2), None)
    first = _partners(app, "2026-01", "2026-03").published
    clock.at(2026, 5, 4)
    app.join_party(joined, name="M. Martin", institution=LANDLORD)
    assert _partners(app, "2026-01", "2026-03").published == first
    second = _partners(app, "2026-04", "2026-06").total().counts["institution.landlord"]
    assert str(second) == "< 5"


_KINDS = st.dictionaries(st.sampled_from(PartnerKind), st.integers(0, 150), max_size=3)
_facts = st.builds(
    lambda day, place, referral, kinds: CaseFacts(
        requested_at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=day),
        neighbourhood=place,
        domain=InterventionDomain.PUBLIC_TRANSPORT,
        referral=referral,
        institutions={
            kind: datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=day + later)
            for kind, later in kinds.items()
        },
    ),
    st.integers(0, 170),
    st.sampled_from(["Beaulieu", "Bel-Air"]),
    st.sampled_from([ReferralSource.LANDLORD, ReferralSource.SCHOOL]),
    _KINDS,
)


def _pinned(quarters: list[Shown], period: Shown) -> list[int]:
    """The quarters shown "< 5" a reader pins to one value from the period's figure.

    The reader knows every published figure and that the period's is its quarters' sum.
    """
    low = [q.low for q in quarters]
    high = [q.high if q.high is not None else 10**9 for q in quarters]
    whole_low, whole_high = period.low, period.high if period.high is not None else 10**9
    for _ in range(10):
        whole_low, whole_high = max(whole_low, sum(low)), min(whole_high, sum(high))
        for i in range(len(quarters)):
            others_low, others_high = sum(low) - low[i], sum(high) - high[i]
            low[i], high[i] = (
                max(low[i], whole_low - others_high),
                min(high[i], whole_high - others_low),
            )
    return [i for i, q in enumerate(quarters) if str(q) == "< 5" and low[i] == high[i]]


@settings(max_examples=150, deadline=None)
@given(facts=st.lists(_facts, min_size=1, max_size=100))
def test_a_reader_of_partners_reports_recovers_no_small_count_of_institutions(facts):
    as_of = datetime(2026, 7, 1, tzinfo=UTC)

    def partners(start: str, end: str, of: list[CaseFacts] = facts) -> Report:
        return Report.of(of, Period.of(start, end, as_of=as_of, whole_quarters=True))

    quarters = [partners("2026-01", "2026-03"), partners("2026-04", "2026-06")]
    half = partners("2026-01", "2026-06")
    for name in INSTITUTIONS:
        shown = [q.total().counts[name] for q in quarters]
        for figure in shown:
            assert figure.exact or str(figure) == "< 5"  # nothing hidden beside them
            assert not (figure.exact and 0 < figure.low < SMALL_COUNT)
        assert half.total().counts[name] == shown[0] + shown[1]  # published once, by quarter
        assert _pinned(shown, half.total().counts[name]) == []
    # Part of no sum: every other figure is published as if no case involved any (so
    # test_reports' reader, who pins none of those, gains nothing from these).
    persons = [attrs.evolve(found, institutions={}) for found in facts]
    without = partners("2026-01", "2026-06", persons).published
    assert {k: v for k, v in half.published.items() if k[3] not in INSTITUTIONS} == without


# Every format, both languages -----------------------------------------------------------------


def test_every_format_shows_the_figure_in_french_and_english(clock):
    app = Mediations(clock=clock)
    for day in range(1, 8):
        _request(app, clock, (2026, 1, day), None, LANDLORD)
    _request(app, clock, (2026, 2, 1), SCHOOL)
    for exact in (True, False):
        report = app.report(
            Period.of("2026-01", "2026-03", as_of=datetime(2026, 4, 2, tzinfo=UTC)),
            exact=exact,
        )
        school = "1" if exact else "< 5"
        data = json.loads(render(report, "json"))
        assert data["total"]["counts"]["institution.landlord"] == 7
        assert data["total"]["counts"]["institution.school"] == (1 if exact else "< 5")
        assert data["total"]["counts"]["institution.association"] == 0
        for lang in ("fr", "en"):
            labels = Labels(lang)
            landlord, kind = labels.value("partner", "landlord"), labels.value("partner", "school")
            table = render(report, "table", lang=lang).splitlines()
            title = table.index(labels["by.institution"])
            header = [*labels["institution.kind"].split(), labels["institution.cases"]]
            assert table[title + 1].split() == header
            assert table[title + 2].split() == [*landlord.split(), "7"]
            assert table[title + 3].split() == [*kind.split(), *school.split()]
            assert (table[title + 4] == labels["legend.small"]) != exact
            page = render(report, "html", lang=lang)
            section = page[page.index('<section id="institutions">') :]
            section = section[: section.index("</section>")]
            assert labels["by.institution"] in section
            assert f"<td>{landlord}</td><td class=n>7</td>" in section
            assert ('class="small-print"' in section) != exact
            sheet = render(report, "csv", lang=lang, by=["neighbourhood"]).removeprefix("\ufeff")
            rows = list(csv.reader(io.StringIO(sheet), delimiter=CSV_DELIMITERS[lang]))
            column = rows[0].index(labels.column("institution.landlord"))
            assert rows[-1][column] == "7"  # the whole period's
            assert rows[1][column] == ("7" if exact else "")  # a place's: exact view only


def test_a_report_with_no_institution_says_so(clock):
    app = Mediations(clock=clock)
    _request(app, clock, (2026, 1, 5), None, None)
    report = app.report(YEAR, exact=True)
    for lang in ("fr", "en"):
        labels = Labels(lang)
        table = render(report, "table", lang=lang).splitlines()
        title = table.index(labels["by.institution"])
        assert table[title + 1] == labels["institution.none"]
        assert labels["institution.none"] in render(report, "html", lang=lang)
