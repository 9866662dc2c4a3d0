"""A report as a table, JSON, CSV or one self-contained HTML page with SVG charts.

French by default (the services are French), English on request. Every format shows the
same numbers: the HTML page's charts and tables are drawn from the rows JSON carries.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Sequence
from html import escape
from typing import Any

from mediation_domain.reports import (
    COUNTS,
    MEASURES,
    SMALL_COUNT,
    Report,
    Row,
    Shown,
    dimensions,
)
from mediation_domain.values import InterventionDomain

FORMATS = ("table", "json", "csv", "html")
CSV_DELIMITERS = {"fr": ";", "en": ","}
BYTE_ORDER_MARK = "\ufeff"
LANGUAGES = ("fr", "en")
DEFAULT_BY = ("neighbourhood", "domain", "month")

_LABELS: dict[str, dict[str, str]] = {
    "fr": {
        "title": "Rapport d'activité de la médiation sociale",
        "period": "Du {start} au {end}, selon l'historique au {as_of} ({zone})",
        "partner": "Vue partenaires : les comptes de 1 à 4 sont affichés « < 5 » ; un total "
        "qui en inclut est donné comme une fourchette.",
        "exact": "Vue interne : comptes exacts, à ne pas diffuser aux partenaires.",
        "total": "Ensemble de la période",
        "neighbourhood": "Quartier",
        "domain": "Domaine",
        "month": "Mois",
        "indicator": "Indicateur",
        "value": "Valeur",
        "chart.neighbourhood": "Demandes par quartier",
        "chart.domain": "Demandes par domaine",
        "chart.month": "Demandes et clôtures par mois",
        "rows": "Détail",
        "none": "aucune activité sur la période",
        "requests": "Demandes",
        "referral.resident": "  orientées par un habitant",
        "referral.landlord": "  orientées par un bailleur",
        "referral.school": "  orientées par un établissement scolaire",
        "referral.transport-operator": "  orientées par le transporteur",
        "referral.city": "  orientées par la ville",
        "referral.partner": "  orientées par un partenaire",
        "referral.mediator-on-patrol": "  repérées par un médiateur en tournée",
        "proposed": "Médiations proposées",
        "accepted": "Médiations acceptées (tous les consentements)",
        "refused": "Médiations refusées",
        "withdrawn": "Médiations interrompues",
        "withdrawn.party": "  par une partie",
        "withdrawn.mediator": "  par le médiateur",
        "withdrawn.service": "  par le service",
        "resolved": "Médiations menées à leur terme",
        "resolved.agreement": "  accord",
        "resolved.partial-agreement": "  accord partiel",
        "resolved.no-agreement": "  sans accord",
        "resolved.oriented-to-partner": "  orientation vers un partenaire",
        "closed": "Dossiers clos",
        "sessions": "Entretiens et rencontres",
        "sessions.individual-interview": "  entretiens individuels",
        "sessions.joint-session": "  rencontres de médiation",
        "open": "Dossiers en cours en fin de période",
        "open.0-30d": "  ouverts depuis 30 jours au plus",
        "open.31-90d": "  depuis 31 à 90 jours",
        "open.91-180d": "  depuis 91 à 180 jours",
        "open.181d+": "  depuis plus de 180 jours",
        "sessions_per_closed_case.mean": "Entretiens par dossier clos (moyenne)",
        "closure_days.median": "Jours de la demande à la clôture (médiane)",
        "closure_days.p90": "Jours de la demande à la clôture (9 sur 10 en moins de)",
        "open_age_days.median": "Ancienneté des dossiers en cours, en jours (médiane)",
        "detail": " : ",
        "short.requests": "Demandes",
        "short.proposed": "Proposées",
        "short.accepted": "Acceptées",
        "short.refused": "Refusées",
        "short.withdrawn": "Interrompues",
        "short.resolved": "Terminées",
        "short.open": "En cours",
        "line.requests": "demandes",
        "line.closed": "clôtures",
    },
    "en": {
        "title": "Social mediation activity report",
        "period": "From {start} to {end}, as the history stood at {as_of} ({zone})",
        "partner": "Partners' view: counts from 1 to 4 are shown as “< 5”; a total that "
        "includes any is given as a range.",
        "exact": "Internal view: exact counts, not for partners.",
        "total": "Whole period",
        "neighbourhood": "Neighbourhood",
        "domain": "Domain",
        "month": "Month",
        "indicator": "Indicator",
        "value": "Value",
        "chart.neighbourhood": "Requests by neighbourhood",
        "chart.domain": "Requests by domain",
        "chart.month": "Requests and closures by month",
        "rows": "Detail",
        "none": "no activity in the period",
        "requests": "Requests",
        "referral.resident": "  referred by a resident",
        "referral.landlord": "  referred by a landlord",
        "referral.school": "  referred by a school",
        "referral.transport-operator": "  referred by the transport operator",
        "referral.city": "  referred by the city",
        "referral.partner": "  referred by a partner",
        "referral.mediator-on-patrol": "  found by a mediator on patrol",
        "proposed": "Mediations proposed",
        "accepted": "Mediations accepted (every consent given)",
        "refused": "Mediations refused",
        "withdrawn": "Mediations withdrawn",
        "withdrawn.party": "  by a party",
        "withdrawn.mediator": "  by the mediator",
        "withdrawn.service": "  by the service",
        "resolved": "Mediations resolved",
        "resolved.agreement": "  agreement",
        "resolved.partial-agreement": "  partial agreement",
        "resolved.no-agreement": "  no agreement",
        "resolved.oriented-to-partner": "  oriented to a partner",
        "closed": "Cases closed",
        "sessions": "Sessions held",
        "sessions.individual-interview": "  individual interviews",
        "sessions.joint-session": "  joint sessions",
        "open": "Cases open at the end of the period",
        "open.0-30d": "  open for 30 days or less",
        "open.31-90d": "  for 31 to 90 days",
        "open.91-180d": "  for 91 to 180 days",
        "open.181d+": "  for more than 180 days",
        "sessions_per_closed_case.mean": "Sessions per closed case (mean)",
        "closure_days.median": "Days from request to closure (median)",
        "closure_days.p90": "Days from request to closure (90th percentile)",
        "open_age_days.median": "Age of open cases in days (median)",
        "detail": ": ",
        "short.requests": "Requests",
        "short.proposed": "Proposed",
        "short.accepted": "Accepted",
        "short.refused": "Refused",
        "short.withdrawn": "Withdrawn",
        "short.resolved": "Resolved",
        "short.open": "Open",
        "line.requests": "requests",
        "line.closed": "closures",
    },
}
_DOMAINS = {
    "fr": {
        "public-space-and-housing": "Espace public et habitat collectif",
        "access-to-rights": "Accès aux droits et aux services",
        "public-transport": "Transports en commun",
        "schools-and-youth": "Milieu scolaire et jeunesse",
        "residents-participation": "Participation des habitants",
    },
    "en": {
        "public-space-and-housing": "Public space and collective housing",
        "access-to-rights": "Access to rights and services",
        "public-transport": "Public transport",
        "schools-and-youth": "Schools and youth",
        "residents-participation": "Residents' participation",
    },
}
_MONTHS = {
    "fr": [
        *("janv.", "févr.", "mars", "avr.", "mai", "juin"),
        *("juil.", "août", "sept.", "oct.", "nov.", "déc."),
    ],
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
}
# The rows of the detail table: the main counts (every count is in JSON and CSV).
_EN_DASH = "\u2013"
_ROW_COUNTS = ("requests", "proposed", "accepted", "refused", "withdrawn", "resolved", "open")


class Labels:
    """The words of one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang
        self.words = _LABELS[lang]

    def __getitem__(self, key: str) -> str:
        return self.words[key]

    def column(self, name: str) -> str:
        """A count or measure named whole, as a column heading: a detail with its parent."""
        parent, dot, _ = name.partition(".")
        if not dot or name in MEASURES:
            return self.words[name]
        head = self.words["requests" if parent == "referral" else parent]
        return f"{head}{self.words['detail']}{self.words[name].strip()}"

    def value(self, dimension: str, value: str) -> str:
        """A neighbourhood, a domain or a month as a reader says it."""
        if dimension == "domain":
            return _DOMAINS[self.lang][value]
        if dimension == "month":
            year, month = value.split("-")
            return f"{_MONTHS[self.lang][int(month) - 1]} {year}"
        return value

    def number(self, value: float | None) -> str:
        """A measure, with the language's decimal mark ("—" when not shown)."""
        if value is None:
            return "—"
        text = f"{value:.1f}"
        return text.replace(".", ",") if self.lang == "fr" else text

    def count(self, shown: Shown) -> str:
        """A count: exact, "< 5", or a range with an en dash ("12\u201320")."""
        return str(shown).replace("-", _EN_DASH).replace(">=", "\u2265")


def render(report: Report, fmt: str, *, lang: str = "fr", by: Sequence[str] = DEFAULT_BY) -> str:
    """The report in `fmt` (table, json, csv or html), in `lang` (fr or en)."""
    renderers: dict[str, Callable[[Report, Labels, Sequence[str]], str]] = {
        "table": _table,
        "json": _json,
        "csv": _csv,
        "html": _html,
    }
    return renderers[fmt](report, Labels(lang), dimensions(by))


# JSON -----------------------------------------------------------------------------------


def as_json(report: Report, by: Sequence[str] = DEFAULT_BY) -> dict[str, Any]:
    """The report as a JSON object: stable codes, counts as numbers or "< 5" / "12-20"."""
    by = dimensions(by)
    period = report.period
    return {
        "period": {
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "as_of": period.as_of.isoformat(),
            "time_zone": str(period.zone),
        },
        "suppressed_below": None if report.exact else SMALL_COUNT,
        "by": list(by),
        "total": _row_json(report.total(), ()),
        "rows": [_row_json(row, tuple(by)) for row in report.rows(by)],
        "charts": {dim: _series(report, dim) for dim in ("neighbourhood", "domain", "month")},
    }


def _row_json(row: Row, by: tuple[str, ...]) -> dict[str, Any]:
    return dict(zip(by, row.key, strict=True)) | {
        "counts": {name: row.counts[name].to_json() for name in COUNTS if name in row.counts},
        "measures": row.measures,
    }


def _series(report: Report, dim: str) -> list[dict[str, Any]]:
    """One chart's points: every neighbourhood, domain or month of the period, zeros too."""
    found = {row.key[0]: row for row in report.rows([dim])}
    if dim == "month":
        keys = report.period.months
    elif dim == "domain":
        keys = [domain.value for domain in InterventionDomain]
    else:
        keys = sorted(found)
    zero = Shown(0, 0)
    return [
        {
            dim: key,
            "requests": (found[key].counts["requests"] if key in found else zero).to_json(),
            "closed": (found[key].counts["closed"] if key in found else zero).to_json(),
        }
        for key in keys
    ]


def _json(report: Report, _: Labels, by: Sequence[str]) -> str:
    return json.dumps(as_json(report, by), ensure_ascii=False, indent=2) + "\n"


# CSV and table --------------------------------------------------------------------------


def _csv(report: Report, labels: Labels, by: Sequence[str]) -> str:
    """The rows for a spreadsheet, as the file's language writes them.

    French separates with semicolons (its decimal mark is the comma, as French spreadsheets
    expect), English with commas; the UTF-8 byte order mark tells spreadsheets the encoding.
    """
    out = io.StringIO()
    out.write(BYTE_ORDER_MARK)
    writer = csv.writer(out, delimiter=CSV_DELIMITERS[labels.lang], lineterminator="\n")
    writer.writerow([*(labels[d] for d in by), *map(labels.column, (*COUNTS, *MEASURES))])
    rows = [*report.rows(by), report.total()]
    for row in rows:
        if row is rows[-1]:  # the whole period: its label under the first grouping
            key = [labels["total"], *[""] * (len(by) - 1)] if by else []
        else:
            key = [labels.value(d, v) for d, v in zip(by, row.key, strict=True)]
        writer.writerow(
            [
                *key,
                *(_csv_count(row.counts[n]) if n in row.counts else "" for n in COUNTS),
                *(
                    "" if row.measures[m] is None else labels.number(row.measures[m])
                    for m in MEASURES
                ),
            ]
        )
    return out.getvalue()


def _csv_count(shown: Shown) -> int | str:
    """A count for a spreadsheet: a number, or text it will not take for a date (en dash)."""
    value = shown.to_json()
    return value if isinstance(value, int) else str(value).replace("-", _EN_DASH)


def _heading(report: Report, labels: Labels) -> list[str]:
    period = report.period
    when = period.as_of.astimezone(period.zone).strftime("%Y-%m-%d %H:%M")
    return [
        labels["title"],
        labels["period"].format(
            start=period.start.isoformat(), end=period.end.isoformat(), as_of=when, zone=period.zone
        ),
        labels["exact"] if report.exact else labels["partner"],
    ]


def _indicator_lines(row: Row, labels: Labels) -> list[tuple[str, str]]:
    lines = [
        (labels[name], labels.count(row.counts[name])) for name in COUNTS if name in row.counts
    ]
    return lines + [(labels[m], labels.number(row.measures[m])) for m in MEASURES]


def _table(report: Report, labels: Labels, by: Sequence[str]) -> str:
    lines = [*_heading(report, labels), "", labels["total"]]
    pairs = _indicator_lines(report.total(), labels)
    width = max(len(label) for label, _ in pairs)
    lines += [f"  {label:<{width}}  {value:>9}" for label, value in pairs]
    if by:
        header, body = _detail(report, labels, by)
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        lines += ["", labels["rows"]]
        for cells in [header, *body]:
            lines.append(
                "  ".join(
                    c.ljust(w) if i < len(by) else c.rjust(w)
                    for i, (c, w) in enumerate(zip(cells, widths, strict=True))
                ).rstrip()
            )
        if not body:
            lines.append(labels["none"])
    return "\n".join(lines) + "\n"


def _detail(report: Report, labels: Labels, by: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    """The detail table's header and rows: the groupings, then the main counts as shown."""
    header = [labels[d] for d in by] + [labels[f"short.{c}"] for c in _ROW_COUNTS]
    body = [
        [labels.value(d, v) for d, v in zip(by, row.key, strict=True)]
        + [labels.count(row.counts[c]) if c in row.counts else "—" for c in _ROW_COUNTS]
        for row in report.rows(by)
    ]
    return header, body


# HTML -----------------------------------------------------------------------------------

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


def _html(report: Report, labels: Labels, by: Sequence[str]) -> str:
    # The charts draw the published figures (the JSON's "< 5", "12-20"), not the bounds
    # behind them: a hidden count's worked-out bounds can be narrower than what is shown.
    data = as_json(report, by)
    heading = _heading(report, labels)
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{labels.lang}"><head><meta charset="utf-8">',
        f"<title>{escape(heading[0])}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(heading[0])}</h1>",
        *(f'<p class="note">{escape(line)}</p>' for line in heading[1:]),
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
            for label, value in _indicator_lines(report.total(), labels)
        ),
        "</tbody></table>",
    ]
    if by:
        header, body = _detail(report, labels, by)

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


def _bounds(value: int | str) -> tuple[int, int]:
    """The low and high ends of a published count."""
    if isinstance(value, int):
        return value, value
    if value.startswith("<"):
        return 1, SMALL_COUNT - 1
    if value.startswith(">="):  # no upper bound: drawn to its low end only
        return int(value[2:]), int(value[2:])
    low, high = value.split("-")
    return int(low), int(high)


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


def _shown(value: int | str) -> Shown:
    if isinstance(value, str) and value.startswith(">="):
        return Shown(int(value[2:]), None)
    low, high = _bounds(value)
    return Shown(low, high)


def _line(points: list[dict[str, Any]], labels: Labels) -> str:
    """Requests and closures by month; a range is drawn at its middle, its span as a bar."""
    width, height, left, bottom = 560, 236, 40, 56
    span = max(len(points) - 1, 1)
    top = max([_bounds(p[s])[1] for p in points for s in ("requests", "closed")] + [1])

    def x(i: int) -> float:
        return left + (width - left - 20) * i / span

    def y(value: float) -> float:
        return height - bottom - (height - bottom - 16) * value / top

    marks = [
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - 10}" y2="{y(0):.1f}" stroke="#999"/>',
        f'<text x="{left - 6}" y="{y(top) + 4:.1f}" text-anchor="end">{top}</text>',
        f'<text x="{left - 6}" y="{y(0) + 4:.1f}" text-anchor="end">0</text>',
    ]
    for series, colour in (("requests", _BAR), ("closed", _LINE_CLOSED)):
        middles = [sum(_bounds(p[series])) / 2 for p in points]
        path = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(middles))
        marks.append(
            f'<polyline class="line" data-series="{series}" fill="none" stroke="{colour}" '
            f'stroke-width="2" points="{path}"/>'
        )
        for i, point in enumerate(points):
            low, high = _bounds(point[series])
            shown = labels.count(_shown(point[series]))
            marks.append(
                f'<g class="point" data-series="{series}" data-key="{point["month"]}" '
                f'data-value="{escape(shown)}"><line x1="{x(i):.1f}" x2="{x(i):.1f}" '
                f'y1="{y(low):.1f}" y2="{y(high):.1f}" stroke="{colour}" stroke-width="4" '
                f'opacity=".35"/><circle cx="{x(i):.1f}" cy="{y(middles[i]):.1f}" r="3" '
                f'fill="{colour}"><title>{escape(shown)}</title></circle></g>'
            )
    every = max(1, len(points) // 12 + (len(points) % 12 > 0))
    for i, point in enumerate(points):
        if i % every:
            continue
        month, year = labels.value("month", point["month"]).split(" ")
        marks.append(
            f'<text x="{x(i):.1f}" y="{height - bottom + 14}" text-anchor="middle">'
            f"{escape(month)}</text>"
        )
        if i == 0 or point["month"].endswith("-01"):
            year_y = height - bottom + 27
            marks.append(f'<text x="{x(i):.1f}" y="{year_y}" text-anchor="middle">{year}</text>')
    legend = (
        f'<text x="{left}" y="{height - 6}" fill="{_BAR}">— '
        f"{escape(labels['line.requests'])}</text>"
        f'<text x="{left + 120}" y="{height - 6}" fill="{_LINE_CLOSED}">— '
        f"{escape(labels['line.closed'])}</text>"
    )
    title = labels["chart.month"]
    return (
        f'<figure id="chart-month"><figcaption>{escape(title)}</figcaption>'
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{escape(title)}" '
        f'width="{width}" height="{height}">{"".join(marks)}{legend}</svg></figure>'
    )
