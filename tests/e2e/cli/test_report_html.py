"""The HTML report as a reader sees it: its charts read back as geometry, opened in Chromium.

A range is a band from its low to its high end (a point at its low end reads as a dip), a
figure with no upper bound an arrow up, the month still running hatched and named; legend
colours are read as Chromium paints them (a CSS rule once painted them all black). Under
CI a missing chromium fails (.ci/run installs it, tests never do); elsewhere it skips.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from html.parser import HTMLParser
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mediation_adapters.formats.report import Labels
from mediation_adapters.formats.report.html import CLOSED, REQUESTS, bar_chart, month_chart
from mediation_adapters.formats.report.html import partial_months as partial_of
from mediation_domain.reports import Period

from .test_cli import run

PARIS = ZoneInfo("Europe/Paris")
RUNNING = {"fr": "mois en cours (partiel)", "en": "current month (partial)"}
LINES = ("small", "range")  # what a partner reads under every chart and table
SMALL = {
    "fr": "< 5 : entre 1 et 4 dossiers, non affiché pour protéger les personnes concernées",
    "en": "< 5: between 1 and 4 cases, not shown to protect the people concerned",
}


class Node:
    def __init__(self, tag: str, attrs: list, parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, {k: v or "" for k, v in attrs}, parent
        self.children: list[Node] = []
        self.text = ""

    def __getitem__(self, name: str) -> str:
        return self.attrs[name]

    def all(self, tag: str, cls: str | None = None) -> list[Node]:
        found = []
        for child in self.children:
            if child.tag == tag and (cls is None or cls in child.attrs.get("class", "").split()):
                found.append(child)
            found += child.all(tag, cls)
        return found

    def words(self) -> str:
        return self.text + "".join(child.words() for child in self.children)


class Tree(HTMLParser):
    """A page as nodes: the server's output (<rect/>: a start then an end) or Chromium's."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.root = self.at = Node("#document", [], None)
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.at.children.append(Node(tag, attrs, self.at))
        if tag not in {"meta", "br", "hr", "img", "input", "link"}:
            self.at = self.at.children[-1]

    def handle_endtag(self, tag):
        node = self.at
        while node.parent is not None and node.tag != tag:
            node = node.parent
        self.at = node.parent or self.at

    def handle_data(self, data):
        self.at.text += data


def parse(text: str) -> Node:
    return Tree(text).root


def by_id(page: Node, tag: str) -> dict[str, Node]:
    return {node["id"]: node for node in page.all(tag)}


def points_of(chart: Node) -> dict[tuple[str, str], Node]:
    """A chart's marks by (series, key): a month's or a place's, each with its data-value."""
    marks = [g for g in chart.all("g") if "data-value" in g.attrs]
    return {(g.attrs.get("data-series", "requests"), g["data-key"]): g for g in marks}


def lines_of(chart: Node, series: str) -> list[Node]:
    return [p for p in chart.all("path", "line") if p["data-series"] == series]


def keys_of(chart: Node) -> dict[str, str]:
    """The chart's legend: each line's kind (line, band, bar, open, partial), its words."""
    keys = chart.all("g", "key")
    return {k["data-kind"] + k.attrs.get("data-series", ""): k.words() for k in keys}


def at(node: Node, name: str) -> float:
    return float(node[name])


def marked(partial: Node) -> list[str]:
    return [partial["data-key"], partial["data-kind"], partial.words()]


def scale(points: dict[tuple[str, str], Node]) -> tuple[float, float]:
    """The month chart's y = a + b * value, read from its lowest and highest exact points."""
    dots = [g for g in points.values() if g["data-value"].isdigit() and g.all("circle")]
    exact = {int(g["data-value"]): at(g.all("circle")[0], "cy") for g in dots}
    (v0, y0), (v1, y1) = min(exact.items()), max(exact.items())
    assert v1 > v0, "two different exact figures are needed to read the scale"
    return y0 - v0 * (y1 - y0) / (v1 - v0), (y1 - y0) / (v1 - v0)


def assert_drawn_as_what_it_is(g: Node, y: tuple[float, float]) -> None:
    """A range: a band from its low to its high end; no upper bound: a dashed arrow up."""
    text = g["data-value"]
    if "\u2013" in text:
        low, high = (int(end) for end in text.split("\u2013"))
    else:
        low, high = (1, 4) if text.startswith("<") else (int(text.strip("\u2265 ")), None)
    assert not g.all("circle"), f"{text} is drawn as a point"
    if high is None:
        (arrow,) = g.all("g", "open")
        dashed = [line for line in arrow.all("line") if "stroke-dasharray" in line.attrs]
        assert at(dashed[0], "y1") == pytest.approx(y[0] + y[1] * low, abs=0.3)
        assert at(dashed[0], "y2") < y[0] + y[1] * low - 10  # upward, open-ended
        assert not g.all("rect", "band")
        return
    (band,) = g.all("rect", "band")
    assert at(band, "y") == pytest.approx(y[0] + y[1] * high, abs=0.3)
    assert at(band, "y") + at(band, "height") == pytest.approx(y[0] + y[1] * low, abs=0.3)


# The charts, drawn from figures given here -------------------------------------------------

POINTS = [
    {"month": "2026-01", "requests": 0, "closed": 10},
    {"month": "2026-02", "requests": 100, "closed": 20},
    {"month": "2026-03", "requests": "40-60", "closed": 30},
    {"month": "2026-04", "requests": "< 5", "closed": 40},
    {"month": "2026-05", "requests": ">= 70", "closed": 50},
    {"month": "2026-06", "requests": 80, "closed": 60},
]


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_range_is_a_band_and_an_open_figure_an_arrow_never_a_point_at_its_low(lang: str):
    labels = Labels(lang)
    chart = parse(month_chart(POINTS, labels, {}))
    points = points_of(chart)
    y = scale(points)
    assert y[1] < 0  # up is more
    for month in ("2026-03", "2026-04", "2026-05"):
        assert_drawn_as_what_it_is(points["requests", month], y)
    small = points["requests", "2026-04"].all("rect", "band")[0]
    assert at(small, "height") == pytest.approx(-3 * y[1], abs=0.2)  # "< 5": from 1 to 4
    # The line joins exact figures only: no segment reaches a range's month.
    (requests,) = lines_of(chart, "requests")
    across = {float(x) for x in re.findall(r"[ML]([\d.]+) ", requests["d"])}
    assert across == {
        at(points["requests", m].all("circle")[0], "cx") for m in ("2026-01", "2026-02")
    }
    (closed,) = lines_of(chart, "closed")
    assert closed["d"].count("M") == 5  # every month joined, solid
    words = [labels[key] for key in ("line.requests", "line.closed", "chart.range", "chart.open")]
    assert keys_of(chart) == dict(
        zip(["linerequests", "lineclosed", "band", "open"], words, strict=True)
    )


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_range_of_requests_by_place_is_a_band_from_its_low_to_its_high_end(lang: str):
    labels = Labels(lang)
    places = [("A", 100), ("B", "40-60"), ("C", "< 5"), ("D", ">= 70"), ("E", 0)]
    points = [{"neighbourhood": name, "requests": value} for name, value in places]
    chart = parse(bar_chart(points, "neighbourhood", labels))
    bars = points_of(chart)
    whole = bars["requests", "A"].all("rect", "bar")[0]
    x0, per = at(whole, "x"), at(whole, "width") / 100
    assert not bars["requests", "A"].all("rect", "band")
    for name, low, high in (("B", 40, 60), ("C", 1, 4)):
        (known,) = bars["requests", name].all("rect", "bar")
        (band,) = bars["requests", name].all("rect", "band")
        assert at(known, "width") == pytest.approx(low * per, abs=0.3)
        assert at(band, "x") == pytest.approx(x0 + low * per, abs=0.3)
        assert at(band, "x") + at(band, "width") == pytest.approx(x0 + high * per, abs=0.3)
    (arrow,) = bars["requests", "D"].all("g", "open")
    (dashed,) = arrow.all("line")
    assert at(dashed, "x1") == pytest.approx(x0 + 70 * per, abs=0.3)
    assert at(dashed, "x2") > x0 + 100 * per  # beyond every bounded figure: open-ended
    assert keys_of(chart) == {"bar": labels["chart.range"], "open": labels["chart.open"]}
    assert not keys_of(parse(bar_chart(points[:1], "neighbourhood", labels)))  # all exact


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_month_still_running_is_hatched_named_and_its_figures_hollow(lang: str):
    labels = Labels(lang)
    named = RUNNING[lang]
    exact = [{"month": f"2026-0{i}", "requests": 10 * i, "closed": 5 * i} for i in range(1, 7)]
    chart = parse(month_chart(exact, labels, {"2026-06": "running"}))
    (partial,) = chart.all("g", "partial")
    assert marked(partial) == ["2026-06", "running", named]
    (hatch,) = partial.all("rect")
    assert hatch["fill"] == "url(#hatch)"
    points = points_of(chart)
    for series in ("requests", "closed"):
        (circle,) = points[series, "2026-06"].all("circle")
        assert at(hatch, "x") < at(circle, "cx") < at(hatch, "x") + at(hatch, "width")
        assert circle["fill"] == "#fff"  # hollow: not a figure like the others
        assert points[series, "2026-05"].all("circle")[0]["fill"] != "#fff"
        (into,) = [line for line in lines_of(chart, series) if "stroke-dasharray" in line.attrs]
        assert into["d"].endswith(f"L{circle['cx']} {circle['cy']}")  # dashed into it
    assert keys_of(chart)["partial"] == named
    assert not parse(month_chart(exact, labels, {})).all("g", "partial")


def test_the_months_a_period_does_not_hold_whole():
    later = datetime(2026, 6, 1, tzinfo=PARIS)
    cases = [
        ((1, 1), (3, 15), datetime(2026, 3, 15, 10, tzinfo=PARIS), {"2026-03": "running"}),
        ((1, 15), (3, 31), later, {"2026-01": "cut"}),
        ((1, 1), (2, 10), later, {"2026-02": "cut"}),
        ((1, 1), (3, 31), datetime(2026, 3, 31, 23, 59, 59, 999999, tzinfo=PARIS), {}),
    ]
    for start, end, as_of, expected in cases:
        period = Period(date(2026, *start), date(2026, *end), as_of, PARIS)
        assert partial_of(period) == expected, (start, end, as_of)


# The demo's pages --------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium() -> str:
    found = shutil.which("chromium")
    reason = "Debian's chromium is not installed: apt-get install --no-install-recommends "
    if found is None:
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"{reason} chromium (.ci/run does)")
    return found or ""


def headless(browser: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    done = subprocess.run([browser, *flags, *args], capture_output=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done


class Demo:
    """The demo's store, and its reports (exact ones as of just after the demo, every run)."""

    def __init__(self, store: Path) -> None:
        self.store, self.as_of = store, datetime.now(UTC).isoformat()
        self.made: dict[tuple[str, str, str], str] = {}

    def report(self, view: str, fmt: str = "html", lang: str = "fr") -> str:
        if (view, fmt, lang) not in self.made:
            options = ["--exact", "--as-of", self.as_of] if view == "exact" else []
            done = run("report", "--format", fmt, "--lang", lang, *options, store=self.store)
            assert done.returncode == 0, done.stderr
            self.made[view, fmt, lang] = done.stdout
        return self.made[view, fmt, lang]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    store = tmp_path_factory.mktemp("html") / "cases.sqlite3"
    assert run("demo", store=store).returncode == 0
    return Demo(store)


def shown(value: int | str) -> str:
    return str(value).replace("-", "\u2013").replace(">=", "\u2265")


def cells(table: Node) -> list[list[str]]:
    return [[td.words().strip() for td in tr.all("td")] for tr in table.all("tr") if tr.all("td")]


# Painted as Chromium paints them: the colours every mark of the charts gets.
PAINTED = """<script>for (const el of document.querySelectorAll("svg *")) {
  el.dataset.fill = getComputedStyle(el).fill; el.dataset.stroke = getComputedStyle(el).stroke;
}</script></body>"""


@pytest.mark.slow
@pytest.mark.parametrize(
    ("view", "lang"), [("partners", "fr"), ("partners", "en"), ("exact", "fr")]
)
def test_the_html_report_opens_in_chromium_shows_the_json_numbers_and_colours_its_legend(
    chromium: str, demo: Demo, tmp_path: Path, view: str, lang: str
):
    expected, labels = json.loads(demo.report(view, "json")), Labels(lang)
    html = tmp_path / "report.html"
    html.write_text(demo.report(view, lang=lang).replace("</body>", PAINTED), encoding="utf-8")
    screenshot = tmp_path / "report.png"
    headless(chromium, f"--screenshot={screenshot}", "--window-size=1100,1600", html.as_uri())
    assert screenshot.stat().st_size > 50_000  # charts and text: a blank page is a few kB
    page = parse(headless(chromium, "--dump-dom", html.as_uri()).stdout.decode())

    figures = by_id(page, "figure")
    for dim in ("neighbourhood", "domain"):
        drawn = points_of(figures[f"chart-{dim}"])
        assert drawn, f"no bar in the {dim} chart"
        assert [(key, g["data-value"]) for (_, key), g in drawn.items()] == [
            (point[dim], shown(point["requests"])) for point in expected["charts"][dim]
        ]
    chart = figures["chart-month"]
    for series, colour in (("requests", REQUESTS), ("closed", CLOSED)):
        assert [(k, g["data-value"]) for (s, k), g in points_of(chart).items() if s == series] == [
            (point["month"], shown(point[series])) for point in expected["charts"]["month"]
        ]
        # The legend: each series' swatch and words in its colour, as its line (not black).
        rgb = "rgb({}, {}, {})".format(*(int(colour[i : i + 2], 16) for i in (1, 3, 5)))
        assert {line["data-stroke"] for line in lines_of(chart, series)} == {rgb}
        (key,) = [k for k in chart.all("g", "key") if k.attrs.get("data-series") == series]
        (text,) = key.all("text")
        assert (text.words(), text["data-fill"]) == (labels[f"line.{series}"], rgb)
        assert key.all("line")[0]["data-stroke"] == key.all("circle")[0]["data-fill"] == rgb
    tables = by_id(page, "table")
    numbers = dict(cells(tables["total"]))
    assert numbers[labels["requests"]] == shown(expected["total"]["counts"]["requests"])
    assert numbers[labels["closed"]] == shown(expected["total"]["counts"]["closed"])
    # The detail, grouped under its first grouping: its name once, then the other cells.
    by, counts, rows = expected["by"], 5 if view == "partners" else 7, expected["rows"]
    groups = tables["rows"].all("th")[len(by) + counts :]
    names = dict.fromkeys(labels.value(by[0], row[by[0]]) for row in rows)
    assert [g.words() for g in groups] == list(names)
    assert sum(int(g["rowspan"]) for g in groups) == len(rows)
    assert [len(row) for row in cells(tables["rows"])] == [len(by) - 1 + counts] * len(rows)
    if view == "partners":
        assert "< 5" in {cell for row in cells(tables["rows"]) for cell in row}


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["fr", "en"])
def test_a_partners_report_says_what_is_hidden_an_exact_one_which_month_is_partial(
    demo: Demo, lang: str
):
    labels = Labels(lang)
    assert labels["legend.small"].startswith(SMALL[lang])
    page = parse(demo.report("partners", lang=lang))
    body = page.all("body")[0].children
    after = {node["id"]: node.children[-1] for node in page.all("figure")}  # inside, last
    after |= {node["id"]: body[body.index(node) + 1] for node in body if node.tag == "table"}
    assert list(after) == [
        *("chart-neighbourhood", "chart-domain", "chart-month"),
        *("total", "by-month", "by-neighbourhood", "by-domain", "rows"),
    ]
    for name, small in after.items():
        assert "small-print" in small.attrs.get("class", ""), name
        words = [p.words().replace("\u00a0", " ") for p in small.all("p")]
        assert words == [labels[f"legend.{k}"] for k in LINES]
    assert not page.all("g", "partial")  # whole quarters, all over
    assert RUNNING[lang] not in demo.report("partners", lang=lang)
    exact = demo.report("exact", lang=lang)
    assert not parse(exact).all("div", "small-print")
    assert labels["legend.small"] not in exact.replace("\u00a0", " ")  # it hides nothing
    (partial,) = parse(exact).all("g", "partial")
    running = datetime.fromisoformat(demo.as_of).astimezone(PARIS).strftime("%Y-%m")
    assert marked(partial) == [running, "running", RUNNING[lang]]


@pytest.mark.slow
def test_a_partners_page_draws_ranges_as_they_are_the_service_by_month_places_over_the_period(
    demo: Demo,
):
    page, labels = parse(demo.report("partners")), Labels("fr")
    charts = {name: points_of(chart) for name, chart in by_id(page, "figure").items()}
    marks = [g for chart in charts.values() for g in chart.values()]
    ranges = [g for g in marks if not g["data-value"].isdigit()]
    assert ranges  # the demo's partners' view hides some figures: this test sees them
    for g in ranges:
        if g in charts["chart-month"].values():
            assert_drawn_as_what_it_is(g, scale(charts["chart-month"]))
        else:
            assert g.all("rect", "band") or g.all("g", "open")
    tables = by_id(page, "table")
    by_month = {row[0]: row[1] for row in cells(tables["by-month"])}
    for point in json.loads(demo.report("partners", "json"))["charts"]["month"]:
        if point["requests"]:
            assert by_month[labels.value("month", point["month"])] == shown(point["requests"])
    for dim in ("neighbourhood", "domain"):
        table = {row[0]: row[1] for row in cells(tables[f"by-{dim}"])}
        for (_, key), g in charts[f"chart-{dim}"].items():
            # The charts by place are the period's totals, as the tables by place.
            assert table.get(labels.value(dim, key), "0") == g["data-value"]
