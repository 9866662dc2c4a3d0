"""The pieces every table of the HTML page is made of: a titled table, the small print."""

from __future__ import annotations

from collections import Counter
from html import escape

from mediation_adapters.formats.report.labels import Labels


def small_print(labels: Labels, small: str = "legend.small") -> str:
    """What a partner reads under every chart and table: what "< 5" and a range are.

    `small`: the words for "< 5" (the cases', or the activities' `activities.legend`).
    """
    lines = "".join(f"<p>{unbroken(labels[k])}</p>" for k in (small, "legend.range"))
    return f'<div class="small-print">{lines}</div>'


def unbroken(text: str) -> str:
    """`text` escaped, with no line break inside "< 5", nor before French ":", ";" or "»"."""
    for space in ("< 5", "« ", " »", " :", " ;"):
        text = text.replace(space, space.replace(" ", "\u00a0"))
    return escape(text)


def titled_table(  # noqa: PLR0913 - the table, its name and title, and how to head it
    name: str,
    title: str,
    table: tuple[list[str], list[list[str]]],
    keys: int,
    none: str,
    *,
    level: int = 2,
    note: str = "",
) -> str:
    """A titled table; with more than one grouping, rows grouped under the first one's name.

    `level`: the title's heading level (h2; a section's tables, h3); `note`: a line under it.
    """
    header, body = table
    cells = "".join(
        f"<th{' class=n' if i >= keys else ''}>{escape(h)}</th>" for i, h in enumerate(header)
    )
    title_html = f"<h{level}>{escape(title)}</h{level}>"
    if note:
        title_html += f'<p class="note">{unbroken(note)}</p>'
    parts = [f'{title_html}<table id="{name}"><thead><tr>{cells}</tr></thead><tbody>']
    if not body:
        parts.append(f'<tr><td colspan="{len(header)}">{escape(none)}</td></tr>')
    sizes = Counter(row[0] for row in body)
    for i, row in enumerate(body):
        if keys == 1:
            parts.append("<tr>")
        elif i == 0 or body[i - 1][0] != row[0]:  # a group's first row: its own tbody, named
            parts.append(f'</tbody><tbody><tr><th scope="rowgroup" rowspan="{sizes[row[0]]}">')
            parts.append(f"{escape(row[0])}</th>")
        else:
            parts.append("<tr>")
        parts += [
            f"<td{' class=n' if j >= keys else ''}>{escape(text)}</td>"
            for j, text in enumerate(row)
            if j or keys == 1
        ]
        parts.append("</tr>")
    return "".join([*parts, "</tbody></table>"])
