"""The report's JSON schema, as GET /report sends it: the cases' figures, then the activities'.

The report is only ever sent, never checked: the schema says what a client may read
(`formats.report.text.as_json` and `formats.report.activities.activities_json` make it).
Counts are numbers, or ranges as text in the partners' view ("< 5", "5-12", ">= 35").
Objects whose keys are codes (counts, measures, hours by slot) take any code, and the
report and its parts leave room for figures added later (`additionalProperties`).
"""

from __future__ import annotations

from typing import Any

from mediation_adapters.entrypoints.http.schema import codes
from mediation_domain import InterventionDomain

_SHOWN = {
    "oneOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": "^(< 5|[0-9]+-[0-9]+|>= [0-9]+)$"},
    ]
}
_MONTH = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"}
_QUARTER = {"type": "string", "pattern": "^[0-9]{4}-Q[1-4]$"}
_COUNTS = {"type": "object", "additionalProperties": _SHOWN}
_MEASURES = {"type": "object", "additionalProperties": {"type": ["number", "null"]}}


_REPORT_ROW = {
    "type": "object",
    "required": ["counts", "measures"],
    "properties": {
        "neighbourhood": {"type": "string"},
        "domain": codes(InterventionDomain),
        "month": _MONTH,
        "counts": _COUNTS,
        "measures": _MEASURES,
    },
}
_POINT = {"requests": _SHOWN, "closed": _SHOWN}
_CHARTS = {  # what each chart draws: a point per neighbourhood, domain or month
    "neighbourhood": {
        "type": "object",
        "required": ["neighbourhood", "requests", "closed"],
        "properties": {"neighbourhood": {"type": "string"}, **_POINT},
    },
    "domain": {
        "type": "object",
        "required": ["domain", "requests", "closed"],
        "properties": {"domain": codes(InterventionDomain), **_POINT},
    },
    "month": {
        "type": "object",
        "required": ["month", "requests", "closed"],
        "properties": {"month": _MONTH, **_POINT},
    },
}

# The activities' figures: a section per family, its rows keyed by the family's code.
_SLOTS = {
    "type": "string",
    "enum": ["month", "quarter"],
    "description": "what a slot is: a month (exact counts) or a quarter (the partners' view)",
}
ACTIVITY_ROW: dict[str, Any] = {
    "type": "object",
    "required": ["counts", "measures"],
    "description": "a row of its family's code (neighbourhood, partner, need or action), "
    "or the service's in one slot (month or quarter); a section's total has no key",
    "properties": {
        **{key: {"type": "string"} for key in ("neighbourhood", "partner", "need", "action")},
        "month": _MONTH,
        "quarter": _QUARTER,
        "counts": _COUNTS,
        "measures": _MEASURES,
    },
}
ACTIVITY_SECTION: dict[str, Any] = {
    "type": "object",
    "required": ["rows", "total", "by", "slots"],
    "properties": {
        "rows": {"type": "array", "items": ACTIVITY_ROW},
        "total": ACTIVITY_ROW,
        "by": _SLOTS,
        "slots": {"type": "array", "items": ACTIVITY_ROW},
    },
}
_HOURS_BY_SLOT = {"type": "object", "additionalProperties": {"type": "number"}}
PRESENCE_HOURS: dict[str, Any] = {
    "type": "object",
    "required": ["by", "neighbourhoods", "bus", "total"],
    "description": "hours of presence by neighbourhood and slot; bus: those on buses again, "
    "a part of the total (not added to it)",
    "properties": {
        "by": _SLOTS,
        "neighbourhoods": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["neighbourhood", "hours"],
                "properties": {"neighbourhood": {"type": "string"}, "hours": _HOURS_BY_SLOT},
            },
        },
        "bus": _HOURS_BY_SLOT,
        "total": _HOURS_BY_SLOT,
    },
}
PRESENCE_SECTION = ACTIVITY_SECTION | {
    "required": [*ACTIVITY_SECTION["required"], "hours"],
    "properties": ACTIVITY_SECTION["properties"] | {"hours": PRESENCE_HOURS},
}
_FAMILIES = ("watch", "orientations", "actions")
ACTIVITIES: dict[str, Any] = {
    "type": "object",
    "required": ["presence", *_FAMILIES],
    "description": "rounds (presence), watch reports, orientations, collective actions",
    "properties": {"presence": PRESENCE_SECTION} | dict.fromkeys(_FAMILIES, ACTIVITY_SECTION),
    "additionalProperties": True,
}

REPORT: dict[str, Any] = {
    "type": "object",
    "required": ["period", "suppressed_below", "by", "total", "rows", "charts"],
    "properties": {
        "period": {
            "type": "object",
            "required": ["from", "to", "as_of", "time_zone"],
            "properties": {
                "from": {"type": "string", "format": "date"},
                "to": {"type": "string", "format": "date"},
                "as_of": {"type": "string", "format": "date-time"},
                "time_zone": {"type": "string"},
            },
        },
        "suppressed_below": {"type": ["integer", "null"]},
        "by": {"type": "array", "items": {"type": "string"}},
        "total": _REPORT_ROW,
        "rows": {"type": "array", "items": _REPORT_ROW},
        "charts": {
            "type": "object",
            "required": list(_CHARTS),
            "properties": {
                name: {"type": "array", "items": point} for name, point in _CHARTS.items()
            },
            "additionalProperties": True,
        },
        "activities": ACTIVITIES,
    },
    "additionalProperties": True,  # figures added later: a client reads what it knows
}
# Published once each in the document, referred to from the report (`openapi.document`).
REPORT_COMPONENTS: dict[str, dict[str, Any]] = {
    "ActivityRow": ACTIVITY_ROW,
    "ActivitySlots": _SLOTS,
    "ActivitySection": ACTIVITY_SECTION,
    "PresenceHours": PRESENCE_HOURS,
    "PresenceSection": PRESENCE_SECTION,
    "ReportActivities": ACTIVITIES,
}
REPORT_MEDIA = {
    "json": "application/json",
    "csv": "text/csv",
    "html": "text/html",
    "table": "text/plain",
}
