"""A report as one self-contained HTML page: its tables, and SVG charts of its figures.

The charts draw the published figures (the JSON's 7, "< 5", "12-20", ">= 635"), not the
bounds behind them: a hidden count's worked-out bounds can be narrower than what is shown.
An exact figure is a point or a bar; a range is a band between its bounds ("< 5" from 1 to
4), never a point at either end; a figure with no upper bound is an arrow up from its low
end. A month the period does not hold whole (the one still running, or one its ends cut)
is hatched and named. Each chart's legend says so, in the series' colours; a partner's
page says under every chart and table that can hide a figure what "< 5" and a range are.
The cases involving each kind of institution have a section of their own before the
detail; the activities come last, in another, as tables (`activities.activity_html`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from html import escape
from typing import Any

from mediation_adapters.formats.report.activities import activity_html
from mediation_adapters.formats.report.html_parts import small_print, titled_table, unbroken
from mediation_adapters.formats.report.labels import Labels
from mediation_adapters.formats.report.text import (
    as_json,
    detail,
    heading,
    indicator_lines,
    institutions,
)
from mediation_domain.reports import SMALL_COUNT, Period, Report, Shown

# `svg text` once painted every text, the legend's coloured ones too, near-black: CSS
# outranks SVG's fill attribute. Only texts that do not say their colour are painted now.
_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; color: #1d1d1f; margin: 2rem auto;
  max-width: 64rem; padding: 0 1rem; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
h3 { font-size: 1rem; margin: 1.5rem 0 .25rem; }
p.note { color: #555; margin: .2rem 0; }
.small-print { margin: .4rem 0 0; } .small-print p { color: #555; font-size: 12px; margin: 0; }
.charts { display: flex; flex-wrap: wrap; gap: 1.5rem 2rem; margin-top: 1.5rem; }
figure { margin: 0; break-inside: avoid; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
svg text { font: 11px system-ui, sans-serif; } svg text:not([fill]) { fill: #1d1d1f; }
table { border-collapse: collapse; width: 100%; margin-top: .5rem; }
th, td { border-bottom: 1px solid #ddd; padding: .2rem .5rem; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
th[scope=rowgroup] { font-weight: 600; vertical-align: top; }
tr { break-inside: avoid; } tr.sub td:first-child { padding-left: 1.5rem; color: #444; }
@media print { body { margin: 0; max-width: none; font-size: 10pt; } h2 { break-after: avoid; } }
"""
REQUESTS, CLOSED, PALE, NEUTRAL = "#2b6cb0", "#c05621", "#a3bfe0", "#555555"
SERIES = (("requests", REQUESTS), ("closed", CLOSED))
# The month chart: its width, the room left of its plot, right of it and above it (for
# the partial month's name), the zero line, and a legend line's height.
_WIDTH, _LEFT, _RIGHT, _TOP, _AXIS, _ROW = 920, 44, 16, 24, 200, 18
_BAR_LABEL, _BAR_SPAN, _BAR_STEP = 210, 190, 22  # the bar charts' name column, bars, lines
_DASH = ' stroke-dasharray="3 2"'
_HATCH = (  # a month the period does not hold whole
    '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
    'patternTransform="rotate(45)"><rect width="6" height="6" fill="#f4f4f4"/>'
    '<line x1="0" y1="0" x2="0" y2="6" stroke="#bbb" stroke-width="2"/></pattern></defs>'
)
# A partner's tables besides the detail: the service by month, the places by quarter.
_PARTNER_TABLES = (("month",), ("neighbourhood",), ("domain",))


def render_html(report: Report, labels: Labels, by: Sequence[str]) -> str:
    """The page: the heading, the charts, the whole period's indicators, then the tables."""
    data = as_json(report, by)
    title, *notes = heading(report, labels)
    small = "" if report.exact else small_print(labels)
    charts, none = data["charts"], labels["none"]
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{labels.lang}"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        *(f'<p class="note">{unbroken(line)}</p>' for line in notes),
        '<div class="charts">',
        bar_chart(charts["neighbourhood"], "neighbourhood", labels, small),
        bar_chart(charts["domain"], "domain", labels, small),
        month_chart(charts["month"], labels, partial_months(report.period), small),
        "</div>",
        f"<h2>{escape(labels['total'])}</h2>",
        '<table id="total"><tbody>',
        *(
            f"<tr{' class=sub' if label.startswith(' ') else ''}><td>{escape(label.strip())}"
            f'</td><td class="n">{escape(value)}</td></tr>'
            for label, value in indicator_lines(report.total(), labels)
        ),
        f"</tbody></table>{small}",
    ]
    tables = [] if report.exact else [t for t in _PARTNER_TABLES if t != tuple(by)]
    for dims in tables:
        table = detail(report, labels, dims)
        parts += [titled_table(f"by-{dims[0]}", labels[f"by.{dims[0]}"], table, 1, none), small]
    parts.append(_institutions(report, labels, small))
    if by:
        header, body = detail(report, labels, by)
        # Grouped under the first grouping, in the rows' order (e.g. every neighbourhood's
        # domains together); within a group, rows that show something first, as `detail`.
        order = dict.fromkeys(labels.value(by[0], row[by[0]]) for row in data["rows"])
        rank = {name: i for i, name in enumerate(order)}
        body = sorted(body, key=lambda row: rank[row[0]])
        parts += [titled_table("rows", labels["rows"], (header, body), len(by), none), small]
    parts += [*activity_html(report, labels), "</body></html>"]
    return "\n".join(parts) + "\n"


def _institutions(report: Report, labels: Labels, small: str) -> str:
    """The cases involving each kind of institution, in a section (the small print if any)."""
    table = institutions(report, labels)
    none = labels["institution.none"]
    shown = titled_table("by-institution", labels["by.institution"], table, 1, none)
    return f'<section id="institutions">{shown}{small if table[1] else ""}</section>'


def partial_months(period: Period) -> dict[str, str]:
    """The months the period does not hold whole: "running" at as_of, or "cut" by its ends."""
    found = {}
    for month in period.months:
        first = date.fromisoformat(f"{month}-01")
        last = date(first.year + first.month // 12, first.month % 12 + 1, 1) - timedelta(days=1)
        over = datetime.combine(min(last, period.end) + timedelta(days=1), time(), period.zone)
        if period.as_of + timedelta(microseconds=1) < over:
            found[month] = "running"
        elif first < period.start or last > period.end:
            found[month] = "cut"
    return found


def shown(value: int | str) -> Shown:
    """A published count read back: 7, "< 5", "12-20", or ">= 5" (no upper bound)."""
    if isinstance(value, int):
        return Shown(value, value)
    if value.startswith("<"):
        return Shown(1, SMALL_COUNT - 1)
    if value.startswith(">="):
        return Shown(int(value[2:]), None)
    low, high = value.split("-")
    return Shown(int(low), int(high))


def _most(values: Sequence[Shown]) -> int:
    """The highest bound among `values` (a low end where there is no upper bound), 1 at least."""
    return max([v.low if v.high is None else v.high for v in values] + [1])


def _figure(name: str, title: str, width: int, svg: str, after: str) -> str:
    return (
        f'<figure id="chart-{name}" style="width:{width}px"><figcaption>{escape(title)}'
        f'</figcaption><svg xmlns="http://www.w3.org/2000/svg" role="img" '
        f'aria-label="{escape(title)}" width="{width}" {svg}</svg>{after}</figure>'
    )


def bar_chart(points: list[dict[str, Any]], dim: str, labels: Labels, after: str = "") -> str:
    """Requests by `dim`, as bars: a range's known part solid, then a band up to its high end."""
    values = [shown(p["requests"]) for p in points]
    top = _most(values)

    def x(value: float) -> float:
        return _BAR_LABEL + _BAR_SPAN * value / top

    marks = []
    for i, (point, value) in enumerate(zip(points, values, strict=True)):
        y, text, end = 4 + i * _BAR_STEP, labels.count(value), x(value.low)
        mark = f'<rect class="bar" x="{_BAR_LABEL}" y="{y}" height="16" fill="{REQUESTS}" '
        mark += f'width="{end - _BAR_LABEL:.1f}"/>'
        if value.high is None:  # an arrow on from the low end
            tip = max(end + 24, x(top) + 8)
            mark += (
                f'<g class="open"><line x1="{end:.1f}" x2="{tip - 6:.1f}" y1="{y + 8}" '
                f'y2="{y + 8}" stroke="{REQUESTS}" stroke-width="2"{_DASH}/><path fill='
                f'"{REQUESTS}" d="M{tip - 7:.1f} {y + 3}L{tip:.1f} {y + 8}L{tip - 7:.1f} '
                f'{y + 13}Z"/></g>'
            )
            end = tip
        elif not value.exact:
            mark += (
                f'<rect class="band" x="{end:.1f}" y="{y}" height="16" fill="{PALE}" '
                f'stroke="{REQUESTS}" width="{x(value.high) - end:.1f}"/>'
            )
            end = x(value.high)
        marks.append(
            f'<g class="bar" data-key="{escape(point[dim])}" data-value="{escape(text)}">'
            f'<text x="{_BAR_LABEL - 6}" y="{y + 13}" text-anchor="end">'
            f"{escape(labels.value(dim, point[dim]))}</text>{mark}"
            f'<text x="{end + 4:.1f}" y="{y + 13}" class="value">{escape(text)}</text></g>'
        )
    keys = _range_keys(values, "bar")
    below = 4 + len(points) * _BAR_STEP + (10 if keys else 0)
    legend = [
        _key(kind, NEUTRAL, labels[text], (0, below + 12 + j * _ROW))
        for j, (kind, text) in enumerate(keys)
    ]
    svg = f'height="{below + len(keys) * _ROW + 4}">{"".join(marks + legend)}'
    return _figure(dim, labels[f"chart.{dim}"], _BAR_LABEL + _BAR_SPAN + 70, svg, after)


def _range_keys(values: Sequence[Shown], band: str) -> list[tuple[str, str]]:
    """The legend lines a chart of `values` needs: ranges, figures with no upper bound."""
    keys = []
    if any(v.high is not None and not v.exact for v in values):
        keys.append((band, "chart.range"))
    if any(v.high is None for v in values):
        keys.append(("open", "chart.open"))
    return keys


def month_chart(
    points: list[dict[str, Any]], labels: Labels, partial: dict[str, str], after: str = ""
) -> str:
    """Requests and closures by month: points joined where exact, bands, arrows, hatching."""
    values = {series: [shown(p[series]) for p in points] for series, _ in SERIES}
    most = _most([v for column in values.values() for v in column])
    step = next(
        k * 10**e for e in range(len(str(most))) for k in (1, 2, 5) if most <= 5 * k * 10**e
    )
    top = math.ceil(most / step) * step  # a round number, ticked every `step`
    width = (_WIDTH - _LEFT - _RIGHT) / max(len(points), 1)  # a month's
    marks = [_HATCH]
    for i, point in enumerate(points):  # behind the rest
        kind = partial.get(point["month"])
        if kind:
            x, left = _x(i, points), i >= len(points) / 2
            name = (
                f'x="{x + width / 2:.1f}" text-anchor="end"' if left else f'x="{x - width / 2:.1f}"'
            )
            marks.append(
                f'<g class="partial" data-key="{point["month"]}" data-kind="{kind}"><rect '
                f'x="{x - width / 2:.1f}" y="{_TOP}" width="{width:.1f}" height="{_AXIS - _TOP}" '
                f'fill="url(#hatch)"/><text {name} y="{_TOP - 6}">'
                f"{escape(labels[f'partial.{kind}'])}</text></g>"
            )
    for tick in range(0, top + 1, step):
        y = _y(tick, top)
        marks.append(
            f'<line x1="{_LEFT}" x2="{_WIDTH - _RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="{"#999" if tick == 0 else "#e6e6e6"}"/><text x="{_LEFT - 6}" '
            f'y="{y + 4:.1f}" text-anchor="end">{tick}</text>'
        )
    for index in range(len(SERIES)):
        marks += _plotted(points, labels, index, top, partial)
    marks += _month_labels(points, labels)
    keys = _range_keys([v for column in values.values() for v in column], "band")
    keys += [
        ("partial", f"partial.{kind}") for kind in ("running", "cut") if kind in partial.values()
    ]
    below = _AXIS + 50
    legend = [
        _key("line", colour, labels[f"line.{series}"], (_LEFT + 170 * j, below), series)
        for j, (series, colour) in enumerate(SERIES)
    ]
    legend += [
        _key(kind, NEUTRAL, labels[text], (_LEFT, below + (j + 1) * _ROW))
        for j, (kind, text) in enumerate(keys)
    ]
    svg = f'height="{below + len(keys) * _ROW + 6}">{"".join(marks + legend)}'
    return _figure("month", labels["chart.month"], _WIDTH, svg, after)


def _plotted(
    points: list[dict[str, Any]], labels: Labels, index: int, top: int, partial: dict[str, str]
) -> list[str]:
    """One series: exact figures as points joined by a line, ranges as bands, arrows.

    The two series' bands and arrows stand a little apart, so that both show.
    """
    (name, colour), offset = SERIES[index], index * 6 - 3
    values = [shown(point[name]) for point in points]
    solid: list[str] = []
    dashed: list[str] = []  # a line into or out of a partial month
    for i in range(1, len(points)):
        if values[i - 1].exact and values[i].exact:
            ends = (points[i - 1]["month"], points[i]["month"])
            (dashed if set(ends) & set(partial) else solid).append(
                f"M{_x(i - 1, points):.1f} {_y(values[i - 1].low, top):.1f}"
                f"L{_x(i, points):.1f} {_y(values[i].low, top):.1f}"
            )
    marks = [
        f'<path class="line" data-series="{name}" fill="none" stroke="{colour}" '
        f'stroke-width="2"{extra} d="{"".join(d)}"/>'
        for d, extra in ((solid, ""), (dashed, ' stroke-dasharray="5 3"'))
        if d
    ]
    for i, (point, value) in enumerate(zip(points, values, strict=True)):
        x, text = _x(i, points), labels.count(value)
        if value.exact:
            fill = "#fff" if point["month"] in partial else colour
            mark = (
                f'<circle class="value" cx="{x:.1f}" cy="{_y(value.low, top):.1f}" r="3.5" '
                f'fill="{fill}" stroke="{colour}" stroke-width="1.5"/>'
            )
        else:  # a band or an arrow, its figure beside it (the requests' left, the others' right)
            mark = _uncertain(x + offset, value, colour, top)
            side = f'x="{x + offset + 8:.1f}"' if offset > 0 else f'x="{x + offset - 8:.1f}"'
            anchor = "" if offset > 0 else ' text-anchor="end"'
            mid = _y(value.low if value.high is None else (value.low + value.high) / 2, top)
            mark += f'<text {side}{anchor} y="{mid + 4:.1f}" fill="{colour}">{escape(text)}</text>'
        marks.append(
            f'<g class="point" data-series="{name}" data-key="{point["month"]}" '
            f'data-value="{escape(text)}">{mark}<title>{escape(text)}</title></g>'
        )
    return marks


def _uncertain(x: float, value: Shown, colour: str, top: int) -> str:
    """A range as a band from its low to its high end; no upper bound: an arrow up."""
    low = _y(value.low, top)
    if value.high is None:
        return (
            f'<g class="open"><line x1="{x - 5:.1f}" x2="{x + 5:.1f}" y1="{low:.1f}" '
            f'y2="{low:.1f}" stroke="{colour}" stroke-width="2"/><line x1="{x:.1f}" '
            f'x2="{x:.1f}" y1="{low:.1f}" y2="{_TOP + 6}" stroke="{colour}" stroke-width="2"'
            f'{_DASH}/><path fill="{colour}" d="M{x - 4:.1f} {_TOP + 7}L{x:.1f} {_TOP}'
            f'L{x + 4:.1f} {_TOP + 7}Z"/></g>'
        )
    high = _y(value.high, top)
    return (
        f'<rect class="band" x="{x - 5:.1f}" y="{high:.1f}" width="10" '
        f'height="{low - high:.1f}" fill="{colour}" fill-opacity=".25" stroke="{colour}"/>'
    )


def _key(kind: str, colour: str, text: str, at: tuple[float, float], series: str = "") -> str:
    """A legend line at `at` (x, baseline): a swatch drawn as the chart draws, then words."""
    x, y = at
    swatch = {
        "line": f'<line x1="{x}" x2="{x + 22}" y1="{y - 4}" y2="{y - 4}" stroke="{colour}" '
        f'stroke-width="2"/><circle cx="{x + 11}" cy="{y - 4}" r="3.5" fill="{colour}"/>',
        "band": f'<rect x="{x + 6}" y="{y - 11}" width="10" height="14" fill="{colour}" '
        f'fill-opacity=".25" stroke="{colour}"/>',
        "bar": f'<rect x="{x}" y="{y - 11}" width="10" height="14" fill="{REQUESTS}"/><rect '
        f'x="{x + 10}" y="{y - 11}" width="12" height="14" fill="{PALE}" stroke="{REQUESTS}"/>',
        "open": f'<line x1="{x + 11}" x2="{x + 11}" y1="{y + 3}" y2="{y - 7}" stroke="{colour}" '
        f'stroke-width="2"{_DASH}/><path fill="{colour}" d="M{x + 7} {y - 6}L{x + 11} {y - 13}'
        f'L{x + 15} {y - 6}Z"/>',
        "partial": f'<rect x="{x}" y="{y - 11}" width="22" height="14" fill="url(#hatch)" '
        'stroke="#bbb"/>',
    }[kind]
    paint = f' fill="{colour}"' if series else ""  # a series' words in its colour
    data = f' data-series="{series}"' if series else ""
    return (
        f'<g class="key" data-kind="{kind}"{data}>{swatch}<text x="{x + 28}" y="{y}"{paint}>'
        f"{escape(text)}</text></g>"
    )


def _month_labels(points: list[dict[str, Any]], labels: Labels) -> list[str]:
    """Under the axis: 12 months at most, evenly spaced; a year under the first and Januaries."""
    marks = []
    for i in range(0, len(points), max(1, math.ceil(len(points) / 12))):
        month, year = labels.value("month", points[i]["month"]).split(" ")
        x = f"{_x(i, points):.1f}"
        marks.append(f'<text x="{x}" y="{_AXIS + 14}" text-anchor="middle">{escape(month)}</text>')
        if i == 0 or points[i]["month"].endswith("-01"):
            marks.append(f'<text x="{x}" y="{_AXIS + 27}" text-anchor="middle">{year}</text>')
    return marks


def _x(i: int, points: Sequence[object]) -> float:
    """The middle of the `i`th month, across."""
    return _LEFT + (_WIDTH - _LEFT - _RIGHT) * (i + 0.5) / max(len(points), 1)


def _y(value: float, top: int) -> float:
    """Where the month chart draws `value`, up to `top`."""
    return _AXIS - (_AXIS - _TOP) * value / top
