"""A report as one self-contained HTML page: its tables, and SVG charts of its figures."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

from mediation_adapters.formats.report.labels import Labels
from mediation_adapters.formats.report.text import as_json, detail, heading, indicator_lines
from mediation_domain.reports import SMALL_COUNT, Report, Shown

_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; color: #1d1d1f; margin: 2rem auto; max-width: 60rem; }
h1 { font-size: 1.5rem; margin-bottom: .25rem; } h2 { font-size: 1.1rem; margin-top: 2rem; }
p.note { color: #555; margin: .2rem 0; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; break-inside: avoid; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
svg text { font: 11px system-ui, sans-serif; fill: #1d1d1f; }
table { border-collapse: collapse; width: 100%; margin-top: .5rem; }
th, td { border-bottom: 1px solid #ddd; padding: .2rem .5rem; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr { break-inside: avoid; } tr.sub td:first-child { padding-left: 1.5rem; color: #444; }
@media print { body { margin: 0; max-width: none; font-size: 10pt; } h2 { break-after: avoid; } }
"""
_BAR, _BAR_RANGE, _LINE_CLOSED = "#2b6cb0", "#a3bfe0", "#c05621"
_LINES = (("requests", _BAR), ("closed", _LINE_CLOSED))
# The line chart's size, and the room it leaves left of and under its axes for the labels.
_WIDTH, _HEIGHT, _LEFT, _BOTTOM = 560, 236, 40, 56


def render_html(report: Report, labels: Labels, by: Sequence[str]) -> str:
    """The page: the heading, the charts, the whole period's indicators, then the detail."""
    # The charts draw the published figures (the JSON's "< 5", "12-20"), not the bounds
    # behind them: a hidden count's worked-out bounds can be narrower than what is shown.
    data = as_json(report, by)
    title, *notes = heading(report, labels)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{labels.lang}"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        *(f'<p class="note">{escape(line)}</p>' for line in notes),
        '<div class="charts">',
        _bars(data["charts"]["neighbourhood"], "neighbourhood", labels),
        _bars(data["charts"]["domain"], "domain", labels),
        _line(data["charts"]["month"], labels),
        "</div>",
        f"<h2>{escape(labels['total'])}</h2>",
        '<table id="total"><tbody>',
        *(
            f"<tr{' class=sub' if label.startswith(' ') else ''}><td>{escape(label.strip())}"
            f'</td><td class="n">{escape(value)}</td></tr>'
            for label, value in indicator_lines(report.total(), labels)
        ),
        "</tbody></table>",
    ]
    if by:
        header, body = detail(report, labels, by)

        def cells(tag: str, texts: list[str]) -> str:
            numeric = ' class="n"'  # the counts, right-aligned
            return "".join(
                f"<{tag}{numeric if i >= len(by) else ''}>{escape(text)}</{tag}>"
                for i, text in enumerate(texts)
            )

        parts += [f"<h2>{escape(labels['rows'])}</h2>", '<table id="rows"><thead>']
        parts += [f"<tr>{cells('th', header)}</tr></thead><tbody>"]
        parts += [f"<tr>{cells('td', row)}</tr>" for row in body]
        parts.append("</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _shown(value: int | str) -> Shown:
    """A published count read back: 7, "< 5", "12-20", or ">= 5" (no upper bound)."""
    if isinstance(value, int):
        return Shown(value, value)
    if value.startswith("<"):
        return Shown(1, SMALL_COUNT - 1)
    if value.startswith(">="):
        return Shown(int(value[2:]), None)
    low, high = value.split("-")
    return Shown(int(low), int(high))


def _bounds(value: int | str) -> tuple[int, int]:
    """The low and high ends of a published count (with no upper bound: its low end)."""
    shown = _shown(value)
    return shown.low, shown.low if shown.high is None else shown.high


def _bars(points: list[dict[str, Any]], dim: str, labels: Labels) -> str:
    """Horizontal bars; a count given as a range is drawn to its low end, then paler."""
    label_width, bar_width, step = 230, 250, 22
    top = max([_bounds(p["requests"])[1] for p in points] + [1])
    height = step * len(points) + 6
    marks = []
    for i, point in enumerate(points):
        low, high = _bounds(point["requests"])
        y = 4 + i * step
        shown = labels.count(_shown(point["requests"]))
        name = labels.value(dim, point[dim])
        marks.append(
            f'<g class="bar" data-key="{escape(point[dim])}" data-value="{escape(shown)}">'
            f'<text x="{label_width - 6}" y="{y + 13}" text-anchor="end">{escape(name)}</text>'
            f'<rect x="{label_width}" y="{y}" height="16" fill="{_BAR_RANGE}" '
            f'width="{bar_width * high / top:.1f}"/>'
            f'<rect x="{label_width}" y="{y}" height="16" fill="{_BAR}" '
            f'width="{bar_width * low / top:.1f}"/>'
            f'<text x="{label_width + bar_width * high / top + 4:.1f}" y="{y + 13}" '
            f'class="value">{escape(shown)}</text></g>'
        )
    title = labels[f"chart.{dim}"]
    return (
        f'<figure id="chart-{dim}"><figcaption>{escape(title)}</figcaption>'
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'width="{label_width + bar_width + 60}" height="{height}">{"".join(marks)}</svg></figure>'
    )


def _line(points: list[dict[str, Any]], labels: Labels) -> str:
    """Requests and closures by month; a range is drawn at its middle, its span as a bar."""
    top = max([_bounds(p[s])[1] for p in points for s, _ in _LINES] + [1])
    axis = _y(0, top)
    marks = [
        f'<line x1="{_LEFT}" y1="{axis:.1f}" x2="{_WIDTH - 10}" y2="{axis:.1f}" stroke="#999"/>',
        f'<text x="{_LEFT - 6}" y="{_y(top, top) + 4:.1f}" text-anchor="end">{top}</text>',
        f'<text x="{_LEFT - 6}" y="{axis + 4:.1f}" text-anchor="end">0</text>',
    ]
    for series, colour in _LINES:
        marks += _plotted(points, series, colour, top, labels)
    marks += _month_labels(points, labels)
    legend = (
        f'<text x="{_LEFT}" y="{_HEIGHT - 6}" fill="{_BAR}">— '
        f"{escape(labels['line.requests'])}</text>"
        f'<text x="{_LEFT + 120}" y="{_HEIGHT - 6}" fill="{_LINE_CLOSED}">— '
        f"{escape(labels['line.closed'])}</text>"
    )
    title = labels["chart.month"]
    return (
        f'<figure id="chart-month"><figcaption>{escape(title)}</figcaption>'
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'width="{_WIDTH}" height="{_HEIGHT}">{"".join(marks)}{legend}</svg></figure>'
    )


def _plotted(
    points: list[dict[str, Any]], series: str, colour: str, top: int, labels: Labels
) -> list[str]:
    """One series: a line through the middles, and at each month its span and its value."""
    middles = [sum(_bounds(p[series])) / 2 for p in points]
    path = " ".join(f"{_x(i, points):.1f},{_y(v, top):.1f}" for i, v in enumerate(middles))
    marks = [
        (
            f'<polyline class="line" data-series="{series}" fill="none" stroke="{colour}" '
            f'stroke-width="2" points="{path}"/>'
        )
    ]
    for i, point in enumerate(points):
        low, high = _bounds(point[series])
        shown = labels.count(_shown(point[series]))
        x = f"{_x(i, points):.1f}"
        marks.append(
            f'<g class="point" data-series="{series}" data-key="{point["month"]}" '
            f'data-value="{escape(shown)}"><line x1="{x}" x2="{x}" '
            f'y1="{_y(low, top):.1f}" y2="{_y(high, top):.1f}" stroke="{colour}" stroke-width="4" '
            f'opacity=".35"/><circle cx="{x}" cy="{_y(middles[i], top):.1f}" r="3" '
            f'fill="{colour}"><title>{escape(shown)}</title></circle></g>'
        )
    return marks


def _month_labels(points: list[dict[str, Any]], labels: Labels) -> list[str]:
    """Under the axis: 12 months at most, evenly spaced; a year under the first and Januaries."""
    below = _HEIGHT - _BOTTOM  # the axis
    marks = []
    for i in range(0, len(points), max(1, math.ceil(len(points) / 12))):
        month, year = labels.value("month", points[i]["month"]).split(" ")
        x = f"{_x(i, points):.1f}"
        marks.append(f'<text x="{x}" y="{below + 14}" text-anchor="middle">{escape(month)}</text>')
        if i == 0 or points[i]["month"].endswith("-01"):
            marks.append(f'<text x="{x}" y="{below + 27}" text-anchor="middle">{year}</text>')
    return marks


def _x(i: int, points: Sequence[object]) -> float:
    """Where the line chart draws its `i`th point, across."""
    return _LEFT + (_WIDTH - _LEFT - 20) * i / max(len(points) - 1, 1)


def _y(value: float, top: int) -> float:
    """Where the line chart draws `value`, up to `top`."""
    return _HEIGHT - _BOTTOM - (_HEIGHT - _BOTTOM - 16) * value / top
