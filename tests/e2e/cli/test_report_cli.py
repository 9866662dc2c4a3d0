"""`mediation report` as a coordinator runs it: on the demo's store, every format, both views."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mediation_adapters.config import report_period
from mediation_adapters.formats.report import CSV_DELIMITERS, Labels
from mediation_adapters.formats.report.labels import _MONTHS
from mediation_adapters.stores import open_store
from mediation_domain.reports import COUNTS, MEASURES

from .test_cli import run

pytestmark = pytest.mark.slow
AS_OF: list[str] = []  # a moment after the demo: exact reports compared run for run


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    store = tmp_path_factory.mktemp("report") / "cases.sqlite3"
    done = run("demo", store=store)
    assert done.returncode == 0, done.stderr
    AS_OF[:] = [datetime.now(UTC).isoformat()]
    return store


def report(store: Path, *args: str, **kw) -> str:
    """The report; exact ones as of just after the demo, partners' as of now (the default)."""
    moment = ["--as-of", AS_OF[0]] if "--exact" in args else []
    done = run("report", *moment, *args, store=store, **kw)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    return done.stdout


def refused(done) -> str:
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert done.stdout == ""
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    return done.stderr


def test_the_exact_json_report_is_the_fold_of_the_whole_history(demo: Path):
    data = json.loads(report(demo, "--exact", "--format", "json"))
    app = open_store(f"sqlite:///{demo}")
    try:
        expected = app.report(report_period(None, None, AS_OF[0], exact=True), exact=True).total()
    finally:
        app.close()
    assert data["suppressed_below"] is None
    assert data["total"]["counts"] == {name: s.to_json() for name, s in expected.counts.items()}
    assert data["total"]["counts"]["requests"] > 100  # the year of routine cases is there
    assert data["period"]["time_zone"] == "Europe/Paris"
    assert {row["month"] for row in data["rows"]} <= {p["month"] for p in data["charts"]["month"]}


def test_the_default_report_is_the_partners_view(demo: Path):
    data = json.loads(report(demo, "--format", "json"))
    assert data["suppressed_below"] == 5
    assert data["period"]["from"].endswith("-01")
    shown = [v for row in data["rows"] for v in row["counts"].values()]
    assert "< 5" in shown
    assert not [v for v in shown if isinstance(v, int) and 0 < v < 5]
    table = report(demo)
    assert "Vue partenaires" in table
    assert "Espace public et habitat collectif" in table


def test_formats_and_languages(demo: Path):
    english = report(demo, "--exact", "--lang", "en", "--by", "domain")
    assert "Requests" in english
    assert "Public space and collective housing" in english
    text = report(demo, "--exact", "--format", "csv", "--by", "month").removeprefix("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0][:2] == ["Mois", "Demandes"]
    assert rows[-1][0] == "Ensemble de la période"
    page = report(demo, "--format", "html", "--lang", "en")
    assert page.startswith("<!DOCTYPE html>")
    assert page.count("<svg") == 3
    assert 'lang="en"' in page


def test_no_report_carries_personal_data(demo: Path):
    app = open_store(f"sqlite:///{demo}")
    try:
        views = app.list_cases()
    finally:
        app.close()
    names = {party.name for view in views for party in view.parties} - {"[erased]"}
    ids = {party.id for view in views for party in view.parties}
    cases = {str(view.case_id) for view in views}
    for fmt in ("table", "json", "csv", "html"):
        for view in ((), ("--exact",)):
            text = report(demo, "--format", fmt, *view)
            leaked = [x for x in names | ids | cases if x in text]
            assert leaked == [], (fmt, view, leaked[:3])


def test_refusals_are_one_line(demo: Path):
    partner = run("--as", "partner:ville", "report", "--exact", store=demo)
    assert "partners' view only" in refused(partner)
    assert run("--as", "partner:ville", "report", store=demo).returncode == 0
    assert "may not report" in refused(run("--as", "mediator:med-1", "report", store=demo))
    assert "whole calendar quarters" in refused(run("report", "--from", "2026-01-15", store=demo))
    assert "cannot group by 'quartier'" in refused(run("report", "--by", "quartier", store=demo))
    assert "invalid date" in refused(run("report", "--exact", "--to", "2026-02-30", store=demo))
    assert "invalid as-of" in refused(run("report", "--as-of", "hier", store=demo))
    zone = {"MEDIATION_TIMEZONE": "Mars/Olympus"}
    assert "unknown time zone" in refused(run("report", store=demo, env=zone))
    future = run("report", "--as-of", "2099-01-01", store=demo)  # a month still running
    assert "not yet past" in refused(future)
    assert "9999-12 is not over" in refused(run("report", "--to", "9999-12", store=demo))
    assert "out of range" in refused(run("report", "--as-of", "0001-01-01", store=demo))
    for fmt in ("table", "json", "html"):  # they hold both: --table was once ignored there
        asked = run("report", "--format", fmt, "--table", "activities", store=demo)
        assert "activities' tables alone come as csv only" in refused(asked)
    assert run("report", "--format", "json", "--table", "cases", store=demo).returncode == 0


def test_rebuild_folds_the_history_again(demo: Path):
    done = run(
        "report", "--exact", "--rebuild", "--format", "json", "--as-of", AS_OF[0], store=demo
    )
    assert done.returncode == 0, done.stderr
    stands = re.fullmatch(
        r"report facts rebuilt: they stand at record (\d+) of the log"
        r" \((\d+) folded by this command\)\n",
        done.stderr,
    )
    assert stands, done.stderr
    recorded = sqlite3.connect(demo).execute("SELECT MAX(rowid) FROM stored_events").fetchone()[0]
    assert int(stands[1]) == recorded  # alone, this command folded the whole history
    assert int(stands[2]) == recorded
    again = report(demo, "--exact", "--format", "json")
    assert json.loads(done.stdout) == json.loads(again)


def test_a_report_as_of_a_past_day_does_not_see_later_events(tmp_path: Path):
    store = tmp_path / "cases.sqlite3"
    assert run("demo", "--week-only", store=store).returncode == 0
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%d")
    done = run("report", "--exact", "--format", "json", "--as-of", yesterday, store=store)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["total"]["counts"]["requests"] == 0


_CODES = {*COUNTS, *MEASURES, "neighbourhood", "domain", "month"}


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_csv_report_speaks_one_language_and_each_column_is_documented(demo: Path, lang):
    text = report(demo, "--exact", "--format", "csv", "--by", "month", "--lang", lang)
    assert text.startswith("\ufeff")  # spreadsheets read it as UTF-8
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=CSV_DELIMITERS[lang]))
    assert len(rows[1]) == len(rows[0]) > 30
    header = rows[0]
    assert _CODES.isdisjoint(header), "a code where a heading in the file's language belongs"
    other = Labels("en" if lang == "fr" else "fr")
    assert set(header).isdisjoint(map(other.column, (*COUNTS, *MEASURES)))
    months = {row[0].split()[0] for row in rows[1:-1]}
    assert months <= set(_MONTHS[lang])
    measures = [cell for row in rows[1:] for cell in row[-len(MEASURES) :] if cell]
    assert measures
    assert all(("," in cell) == (lang == "fr") for cell in measures)
    documented = (Path(__file__).parents[3] / "docs" / "reports.md").read_text(encoding="utf-8")
    for heading in header:
        assert f" {heading} |" in documented, heading


def test_cases_involving_an_institution_are_counted_by_kind_never_named(tmp_path: Path):
    store = tmp_path / "cases.sqlite3"
    both = ("--party", "Mme Lefèvre", "--party", "M. Martin")
    landlord = ("--institution", "", "--institution", "landlord:Habitat de la Vienne")
    where = ("--domain", "public-space-and-housing", "--neighbourhood", "Beaulieu")
    first = run("request", *where, "--referral", "landlord", *both, *landlord, store=store)
    assert first.returncode == 0, first.stderr
    second = run("request", *where, "--referral", "resident", *both, "--json", store=store)
    case = json.loads(second.stdout)["case_id"]
    school = ("--institution", "school:Collège Jules Ferry")
    assert run("join", case, "--name", "Mme Dubois", *school, store=store).returncode == 0
    done = run("report", "--exact", "--format", "json", store=store)
    counts = json.loads(done.stdout)["total"]["counts"]
    assert (counts["institution.landlord"], counts["institution.school"]) == (1, 1)
    for lang in ("fr", "en"):
        labels = Labels(lang)
        text = run("report", "--exact", "--lang", lang, store=store).stdout
        assert labels["by.institution"] in text
        assert labels.value("partner", "school") in text
        for fmt in ("table", "json", "csv", "html"):
            shown = run("report", "--exact", "--format", fmt, "--lang", lang, store=store).stdout
            assert "Habitat" not in shown
            assert "Jules Ferry" not in shown
