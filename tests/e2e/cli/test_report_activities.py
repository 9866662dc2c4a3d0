"""`mediation report` with the work beside cases: activities recorded on SQLite, every format.

A few rounds, watch reports, orientations and a collective action are recorded through
the application in the last finished quarter; the report shows them in a section of
their own, in French by default and in English, exact or as a partner receives them.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mediation_adapters.formats.report import CSV_DELIMITERS, Labels
from mediation_adapters.stores import open_store

from .test_cli import run

pytestmark = pytest.mark.slow
PARIS = ZoneInfo("Europe/Paris")  # the service's zone, the command's default


def last_quarter() -> date:
    """The first day of the last quarter that is over."""
    today = datetime.now(PARIS).date()
    this = date(today.year, today.month - (today.month - 1) % 3, 1)
    before = this - timedelta(days=1)
    return date(before.year, before.month - (before.month - 1) % 3, 1)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("activities") / "cases.sqlite3"
    app = open_store(f"sqlite:///{path}")
    day = last_quarter() + timedelta(days=9)
    try:
        for n in range(6):  # 6 rounds in Beaulieu, the last on the 2A bus: 2 hours each
            start = datetime.combine(day + timedelta(days=n), time(9), PARIS)
            app.record_round(
                neighbourhood="Beaulieu",
                started_at=start,
                ended_at=start + timedelta(hours=2),
                team=["med-1"],
                contacts={"greeting": 10, "listening": 2},
                bus_line="2A" if n == 5 else None,
            )
        for n in range(6):  # 6 reports to the landlord, 5 answered 10 days later
            reported = app.report_watch(
                kind="damaged-equipment",
                domain="public-space-and-housing",
                neighbourhood="Beaulieu",
                partner="landlord",
                reported_on=day + timedelta(days=n),
            )
            if n < 5:
                app.close_watch(reported, answer="fixed", on=day + timedelta(days=n + 10))
        for _ in range(2):  # 2 persons oriented for housing: a count a partner does not see
            app.orient(
                by="med-1",
                need="housing",
                partner="social-service",
                neighbourhood="Beaulieu",
                oriented_on=day,
                follow_up_on=day + timedelta(days=14),
            )
        app.record_action(
            kind="workshop",
            domain="access-to-rights",
            neighbourhood="Beaulieu",
            attendance=12,
            held_on=day,
        )
    finally:
        app.close()
    return path


def report(store: Path, *args: str) -> str:
    """The report of the last finished quarter: exact (to today), or a partner's (that one)."""
    start = f"{last_quarter():%Y-%m}"
    period = ("--from", start) if "--exact" in args else ("--from", start, "--to", _end())
    done = run("report", *period, *args, store=store)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _legends(text: str, labels: Labels, title: str) -> list[bool]:
    """Whether the activities' legend closes the table titled `title`, and the one after."""
    tables = text[text.index(labels[title]) :].split("\n\n")[:2]
    return [labels["activities.legend"] in table.splitlines()[-1] for table in tables]


def _end() -> str:
    first = last_quarter()
    return f"{first.year}-{first.month + 2:02d}"


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_table_shows_each_activity_in_the_reports_language(store: Path, lang: str):
    labels = Labels(lang)
    for view in (("--exact",), ()):
        text = report(store, "--lang", lang, *view)
        for title in ("activities", "presence", "contacts", "watch", "orientations", "actions"):
            assert labels[title] in text, (view, title)
        assert labels.value("partner", "landlord") in text
        assert labels.value("need", "housing") in text
        assert labels.value("action", "workshop") in text
    exact = report(store, "--lang", lang, "--exact")
    assert labels["hours.month"] in exact
    partners = report(store, "--lang", lang)
    assert labels["hours.quarter"] in partners  # a partner's: quarters
    # What "< 5" is, under each table that can hide a figure: not under the hours'.
    assert _legends(partners, labels, "hours.quarter") == [False, True]
    other = Labels("en" if lang == "fr" else "fr")
    assert other["activities"] not in exact


def test_the_json_carries_the_figures_exact_or_as_a_partner_receives_them(store: Path):
    exact = json.loads(report(store, "--exact", "--format", "json"))["activities"]
    presence = exact["presence"]
    assert presence["total"]["counts"]["rounds"] == 6
    assert presence["total"]["counts"]["contacts"] == 72
    assert presence["total"]["measures"] == {"hours": 12.0, "hours.bus": 2.0}
    assert presence["hours"]["neighbourhoods"][0]["neighbourhood"] == "Beaulieu"
    watch = exact["watch"]["rows"]
    assert watch == [
        {
            "partner": "landlord",
            # the one left waiting since the quarter's 15th: over 30 days now, as it is over
            "counts": {"reported": 6, "closed": 5, "open": 1, "open.0-30d": 0, "open.31d+": 1},
            "measures": {"answer_days.median": 10.0},
        }
    ]
    assert exact["orientations"]["total"]["counts"]["oriented"] == 2
    assert exact["actions"]["rows"] == [
        {"action": "workshop", "counts": {"actions": 1, "attendance": 12}, "measures": {}}
    ]
    partners = json.loads(report(store, "--format", "json"))
    assert partners["suppressed_below"] == 5
    shown = partners["activities"]
    assert shown["orientations"]["total"]["counts"]["oriented"] == "< 5"
    assert shown["orientations"]["rows"][0]["counts"] == {"oriented": "< 5"}
    assert shown["presence"]["total"]["counts"]["rounds"] == 6
    assert shown["presence"]["by"] == shown["presence"]["hours"]["by"] == "quarter"
    counts = [
        value
        for section in shown.values()
        for row in [*section["rows"], section["total"], *section["slots"]]
        for value in row["counts"].values()
    ]
    assert "< 5" in counts
    assert not [v for v in counts if isinstance(v, int) and 0 < v < 5]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_csv_holds_the_cases_and_the_activities_each_in_a_file(store: Path, lang: str):
    labels = Labels(lang)
    sheet = report(store, "--exact", "--format", "csv", "--table", "activities", "--lang", lang)
    assert sheet.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(sheet[1:]), delimiter=CSV_DELIMITERS[lang]))
    assert rows[0] == [labels["activities"]]
    titles = {row[0] for row in rows if len(row) == 1}
    assert {labels[t] for t in ("presence", "contacts", "watch", "orientations", "actions")} <= (
        titles
    )
    landlord = next(row for row in rows if row and row[0] == labels.value("partner", "landlord"))
    assert landlord[:3] == [labels.value("partner", "landlord"), "6", "5"]
    assert landlord[3] == ("10,0" if lang == "fr" else "10.0")  # the language's decimal mark
    cases = report(store, "--exact", "--format", "csv", "--lang", lang)
    assert labels["activities"] not in cases  # the cases' table alone, as before
    partners = report(store, "--format", "csv", "--table", "activities", "--lang", lang)
    assert "< 5" in partners
    assert labels["activities.legend"] in partners
    assert _legends(partners, labels, "hours.quarter") == [False, True]  # not the hours'


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_page_shows_the_activities_as_tables_of_their_own(store: Path, lang: str):
    labels = Labels(lang)
    page = report(store, "--format", "html", "--lang", lang)
    section = page[page.index('<section id="activities">') :]
    section = section[: section.index("</section>")]
    for name in ("presence", "hours", "contacts", "watch", "orientations", "actions"):
        assert f'<table id="activity-{name}">' in section
    assert labels.value("need", "housing") in section
    # A partner's: under every table that can hide a figure, not the hours (counting no one).
    assert section.count('class="small-print"') == 5
    hours = section[section.index('<table id="activity-hours">') :]
    assert "small-print" not in hours[: hours.index("<h3>")]  # the next table's title
    exact = report(store, "--exact", "--format", "html", "--lang", lang)
    assert '<section id="activities">' in exact
    assert 'class="small-print"' not in exact
