"""The OpenAPI document, and the request-body schemas the server itself checks bodies with.

One source: each body schema below is both published at /openapi.json and enforced by
`check` (a validator for the small subset of JSON Schema used here), so the document
cannot drift from what the server accepts. The domain then checks meaning (a known
neighbourhood, a party of the case...) and answers 409 or 422 with a problem document.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mediation_domain import (
    CaseStatus,
    ConsentStatus,
    InterventionDomain,
    InvalidInputError,
    Outcome,
    ReferralSource,
    SessionKind,
    WithdrawnBy,
)
from mediation_domain.application import MOST_CASES
from mediation_domain.errors import quoted
from mediation_domain.values import MAX_NAME_LENGTH, MAX_PARTIES, MAX_TEXT_LENGTH

MAX_ITEMS = MAX_PARTIES
_ID = {"type": "string", "minLength": 1, "maxLength": 64}
_NAME = {"type": "string", "minLength": 1, "maxLength": MAX_NAME_LENGTH}
_CONTACT = {"type": "string", "maxLength": MAX_NAME_LENGTH}
_TEXT = {"type": "string", "maxLength": MAX_TEXT_LENGTH}
_CODE = {"type": "string", "minLength": 1, "maxLength": 40}


def _codes(vocabulary: Any) -> dict[str, Any]:  # noqa: ANN401 - an Enum class
    return {"type": "string", "enum": [member.value for member in vocabulary]}


def _body(required: list[str], **properties: Any) -> dict[str, Any]:  # noqa: ANN401
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }


def _ids() -> dict[str, Any]:
    return {"type": "array", "items": _ID, "maxItems": MAX_ITEMS}


PARTY = _body(["name"], name=_NAME, party_id=_ID, contact=_CONTACT)


def _request_body(neighbourhood: dict[str, Any]) -> dict[str, Any]:
    return _body(
        ["domain", "neighbourhood", "referral", "parties"],
        domain=_codes(InterventionDomain),
        neighbourhood=neighbourhood,
        referral=_codes(ReferralSource),
        parties={"type": "array", "items": PARTY, "minItems": 1, "maxItems": MAX_ITEMS},
        summary=_TEXT,
    )


# What the server checks bodies with: the neighbourhood's spelling is left to the domain,
# which accepts any case and accents ("saint-eloi"); the document lists the canonical names.
BODIES: dict[str, dict[str, Any]] = {
    "Request": _request_body({"type": "string", "minLength": 1, "maxLength": 100}),
    "Party": PARTY,
    "Assignment": _body(["mediator"], mediator=_ID, ties=_ids(), waived_by=_ids()),
    "MediatorWithdrawal": _body(["mediator", "reason"], mediator=_ID, reason=_CODE),
    "Consent": _body(
        ["party", "decision"],
        party=_ID,
        decision={"type": "string", "enum": ["give", "withdraw", "refuse"]},
    ),
    "Session": _body(
        ["kind", "attendees"],
        kind=_codes(SessionKind),
        attendees={"type": "array", "items": _ID, "minItems": 1, "maxItems": MAX_ITEMS},
        held_on={"type": "string", "format": "date"},
        notes=_TEXT,
    ),
    "Withdrawal": _body(["by", "reason"], by=_codes(WithdrawnBy), reason=_CODE),
    "Resolution": _body(["outcome"], outcome=_codes(Outcome)),
    "Erasure": _body([], reason=_CODE),
}

_NULLABLE_STRING = {"type": ["string", "null"]}
_CASE: dict[str, Any] = {
    "type": "object",
    "required": ["case_id", "version", "status", "parties", "sessions"],
    "properties": {
        "case_id": {"type": "string", "format": "uuid"},
        "version": {"type": "integer", "minimum": 1},
        "status": _codes(CaseStatus),
        "domain": _codes(InterventionDomain),
        "neighbourhood": {"type": "string"},
        "referral": _codes(ReferralSource),
        "summary": {"type": "string"},
        "parties": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name", "consent", "contact"],
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "consent": _codes(ConsentStatus),
                    "contact": {"type": "string"},
                },
            },
        },
        "mediator": _NULLABLE_STRING,
        "sessions": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "kind": _codes(SessionKind),
                    "attendees": {"type": "array", "items": {"type": "string"}},
                    "held_on": {"type": "string", "format": "date"},
                    "notes": {"type": "string"},
                },
            },
        },
        "outcome": {"type": ["string", "null"], "enum": [*(o.value for o in Outcome), None]},
        "withdrawn_by": {
            "type": ["string", "null"],
            "enum": [*(w.value for w in WithdrawnBy), None],
        },
        "withdrawal_reason": _NULLABLE_STRING,
        "requested_at": {"type": "string"},
        "updated_at": {"type": "string"},
        "erased": {"type": "array", "items": {"type": "string"}},
        "consenting": {"type": "array", "items": {"type": "string"}},
    },
}
_COUNT = {"oneOf": [{"type": "integer", "minimum": 0}, {"type": "string", "enum": ["< 5"]}]}
_SHOWN = {
    "oneOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": "^(< 5|[0-9]+-[0-9]+|>= [0-9]+)$"},
    ]
}
_REPORT_ROW = {
    "type": "object",
    "required": ["counts", "measures"],
    "properties": {
        "neighbourhood": {"type": "string"},
        "domain": _codes(InterventionDomain),
        "month": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}$"},
        "counts": {"type": "object", "additionalProperties": _SHOWN},
        "measures": {"type": "object", "additionalProperties": {"type": ["number", "null"]}},
    },
}
_REPORT = {
    "type": "object",
    "required": ["period", "suppressed_below", "by", "total", "rows", "charts"],
    "properties": {
        "period": {"type": "object"},
        "suppressed_below": {"type": ["integer", "null"]},
        "by": {"type": "array", "items": {"type": "string"}},
        "total": _REPORT_ROW,
        "rows": {"type": "array", "items": _REPORT_ROW},
        "charts": {"type": "object"},
    },
}
REPORT_MEDIA = {
    "json": "application/json",
    "csv": "text/csv",
    "html": "text/html",
    "table": "text/plain",
}
_REPORT_PARAMS = [
    {"name": name, "in": "query", "required": False, "description": text, "schema": schema}
    for name, text, schema in (
        ("from", "first month or day, YYYY-MM[-DD]", {"type": "string", "maxLength": 10}),
        ("to", "last month or day, YYYY-MM[-DD]", {"type": "string", "maxLength": 10}),
        ("as_of", "the history as it stood then", {"type": "string", "maxLength": 40}),
        ("by", "rows by neighbourhood,domain,month", {"type": "string", "maxLength": 40}),
        ("exact", "exact counts (not for partners)", {"type": "string", "enum": ["true", "false"]}),
        (
            "format",
            "json, csv, html or table",
            {"type": "string", "enum": ["json", "csv", "html", "table"]},
        ),
        ("lang", "fr or en", {"type": "string", "enum": ["fr", "en"]}),
    )
]
_ERASURE = {
    "type": "object",
    "required": ["subject", "cases", "key_deleted", "recorded", "in_clear", "purge"],
    "properties": {
        "subject": {"type": "string"},
        "cases": {"type": "array", "items": {"type": "string", "format": "uuid"}},
        "key_deleted": {"type": "boolean"},
        "recorded": {"type": "integer"},
        "in_clear": {"type": "integer"},
        "purge": {
            "type": "string",
            "enum": ["done", "pending"],
            "description": "pending (status 202): the deleted key's old bytes may still sit in "
            "the store's log, held by another reader; the server retries until they are "
            "gone, and a new POST answers 200 with done once they are",
        },
    },
}
_PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "rule": {"type": "string"},
    },
}


def check(schema: dict[str, Any], value: Any, where: str = "body") -> None:  # noqa: ANN401
    """Raise InvalidInputError (one line) where `value` breaks `schema` (our subset)."""
    broken = _broken(schema, value, where)
    if broken:
        raise InvalidInputError(broken)


def _broken(schema: dict[str, Any], value: Any, where: str) -> str | None:  # noqa: ANN401, C901, PLR0911, PLR0912
    kind = schema.get("type")
    if kind == "object":
        if not isinstance(value, dict):
            return f"{where} must be a JSON object"
        properties = schema.get("properties", {})
        missing = [name for name in schema.get("required", []) if name not in value]
        if missing:
            return f"{where}.{missing[0]} is required"
        for name, item in value.items():
            if name not in properties:
                return f"{where}: unknown field {quoted(name)}"
            found = _broken(properties[name], item, f"{where}.{name}")
            if found:
                return found
    elif kind == "array":
        if not isinstance(value, list):
            return f"{where} must be a list"
        if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", MAX_ITEMS):
            return f"{where} has {len(value)} items, out of bounds"
        for number, item in enumerate(value):
            found = _broken(schema["items"], item, f"{where}[{number}]")
            if found:
                return found
    elif kind == "string":
        if not isinstance(value, str):
            return f"{where} must be a string"
        if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", 10**6):
            return f"{where} has {len(value)} characters, out of bounds"
        if "enum" in schema and value not in schema["enum"]:
            return f"{where} must be one of: {', '.join(schema['enum'])}"
    return None


def _operation(  # noqa: PLR0913 - the parts of an OpenAPI operation
    summary: str,
    roles: str,
    *,
    body: str | None = None,
    ok: dict[str, Any] | None = None,
    status: str = "200",
    params: list[dict[str, Any]] | None = None,
    if_match: bool = False,
    media: str = "application/json",
    more_media: Sequence[str] = (),
    also: dict[str, str] | None = None,
) -> dict[str, Any]:
    parameters = list(params or [])
    if if_match:
        parameters.append(
            {
                "name": "If-Match",
                "in": "header",
                "required": False,
                "description": 'the ETag of the case as last read ("3"): 412 if it changed',
                "schema": {"type": "string", "maxLength": 100},
            }
        )
    operation: dict[str, Any] = {
        "summary": summary,
        "description": f"Roles: {roles}.",
        "parameters": parameters,
        "responses": {
            status: {
                "description": "done",
                "content": {
                    media: {"schema": ok or {}},
                    **{other: {"schema": {"type": "string"}} for other in more_media},
                },
            },
            "default": {
                "description": "a refusal, as RFC 9457 problem details",
                "content": {"application/problem+json": {"schema": _PROBLEM}},
            },
        },
    }
    for other, description in (also or {}).items():  # another success, same content
        operation["responses"][other] = operation["responses"][status] | {
            "description": description
        }
    if body:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{body}"}}},
        }
    return operation


_CASE_ID = {"name": "case_id", "in": "path", "required": True, "schema": {"type": "string"}}
_CASE_REF = {"$ref": "#/components/schemas/Case"}
_AFTER_REF = {"$ref": "#/components/schemas/CaseAfterCommand"}
# A command's answer: the case as the command left it, and whether it recorded anything
# (false: it would have changed nothing, e.g. a consent given twice, and stored nothing).
_RECORDED = {
    "type": "boolean",
    "description": "false when the command changed nothing and stored nothing",
}
_AFTER_COMMAND: dict[str, Any] = {
    "type": "object",
    "required": [*_CASE["required"], "recorded"],
    "properties": {**_CASE["properties"], "recorded": _RECORDED},
}


def _paged(operation: dict[str, Any]) -> dict[str, Any]:
    """`operation`, whose answer carries a Link to the next page when there is one."""
    operation["responses"]["200"]["headers"] = {
        "Link": {
            "description": '<...&after=CURSOR>; rel="next" (RFC 8288), while more follow',
            "schema": {"type": "string"},
        }
    }
    return operation


def _query(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


def document(neighbourhoods: Sequence[str]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API, for a service with these neighbourhoods."""
    place = {"type": "string", "enum": list(neighbourhoods)}
    bodies = BODIES | {"Request": _request_body(place)}

    def command(summary: str, body: str, roles: str = "coordinator, the case's mediator") -> Any:  # noqa: ANN401
        return {
            "post": _operation(
                summary, roles, body=body, ok=_AFTER_REF, params=[_CASE_ID], if_match=True
            )
        }

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mediation-domain",
            "version": "1",
            "description": (
                "Social mediation cases. Bearer tokens map to a role: mediator (their cases), "
                "coordinator (all), partner (aggregated report), auditor (pseudonymised "
                "export). Refusals are RFC 9457 problem details."
            ),
        },
        "security": [{"bearer": []}],
        "paths": {
            "/cases": {
                "get": _paged(
                    _operation(
                        "List cases in request order, a page at a time (a mediator sees "
                        "their own); a Link header with rel=next gives the next page",
                        "coordinator, mediator",
                        ok={"type": "array", "items": _CASE_REF},
                        params=[
                            _query("status", _codes(CaseStatus)),
                            _query("neighbourhood", place),
                            _query("domain", _codes(InterventionDomain)),
                            _query(
                                "limit",
                                {"type": "integer", "minimum": 1, "maximum": MOST_CASES},
                            ),
                            _query("after", {"type": "string", "pattern": "^[0-9]{1,18}$"}),
                        ],
                    )
                ),
                "post": _operation(
                    "Open a case", "coordinator", body="Request", ok=_AFTER_REF, status="201"
                ),
            },
            "/cases/{case_id}": {
                "get": _operation(
                    "Read a case (ETag: its version)",
                    "coordinator, the case's mediator",
                    ok=_CASE_REF,
                    params=[_CASE_ID],
                )
            },
            "/cases/{case_id}/parties": command("Add a party", "Party"),
            "/cases/{case_id}/assignment": command(
                "Assign a mediator", "Assignment", roles="coordinator"
            ),
            "/cases/{case_id}/mediator-withdrawal": command(
                "The mediator refuses or withdraws", "MediatorWithdrawal"
            ),
            "/cases/{case_id}/consents": command(
                "A party gives, withdraws or refuses consent", "Consent"
            ),
            "/cases/{case_id}/sessions": command("Record a session", "Session"),
            "/cases/{case_id}/withdrawal": command("End before a resolution", "Withdrawal"),
            "/cases/{case_id}/resolution": command("End with an outcome", "Resolution"),
            "/subjects/{subject}/erasure": {
                "post": _operation(
                    "Erase a data subject's personal data for good (202 while the deleted "
                    "key's old bytes wait to be purged from the store's log)",
                    "coordinator",
                    body="Erasure",
                    ok=_ERASURE,
                    also={"202": "erased; the purge of the key's old bytes is pending"},
                    params=[
                        {
                            "name": "subject",
                            "in": "path",
                            "required": True,
                            "schema": {"type": "string", "maxLength": 64},
                        }
                    ],
                )
            },
            "/report": {
                "get": _operation(
                    "Activity indicators by neighbourhood, domain and month (partners' view "
                    "unless exact=true: counts from 1 to 4 shown as '< 5', whole months)",
                    "coordinator, partner (partners' view only)",
                    ok=_REPORT,
                    params=_REPORT_PARAMS,
                    more_media=[media for media in REPORT_MEDIA.values() if "json" not in media],
                )
            },
            "/audit/export": {
                "get": _operation(
                    "The pseudonymised history for auditors (JSON Lines, format v1)",
                    "auditor, coordinator",
                    ok={"type": "string"},
                    media="application/x-ndjson",
                )
            },
        },
        "components": {
            "schemas": {"Case": _CASE, "CaseAfterCommand": _AFTER_COMMAND, **bodies},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
