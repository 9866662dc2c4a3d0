"""The OpenAPI 3.1 document of the API, built from the body schemas the server checks with."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from mediation_adapters.entrypoints.http.activity_openapi import (
    activity_components,
    activity_paths,
    referred,
)
from mediation_adapters.entrypoints.http.operations import operation, query
from mediation_adapters.entrypoints.http.report_schema import (
    REPORT,
    REPORT_COMPONENTS,
    REPORT_MEDIA,
)
from mediation_adapters.entrypoints.http.schema import (
    AFTER_COMMAND,
    BODIES,
    CASE,
    ERASURE,
    INSTITUTION,
    PROBLEM_DETAILS,
    codes,
    request_body,
)
from mediation_adapters.formats.report import CSV_TABLES
from mediation_domain import CaseStatus, InterventionDomain, Outcome, WithdrawnBy
from mediation_domain.activity_values import PartnerKind
from mediation_domain.application import MOST_CASES

_REPORT_PARAMS = [
    {"name": name, "in": "query", "required": False, "description": text, "schema": schema}
    for name, text, schema in (
        ("from", "first month or day, YYYY-MM[-DD]", {"type": "string", "maxLength": 10}),
        ("to", "last month or day, YYYY-MM[-DD]", {"type": "string", "maxLength": 10}),
        ("as_of", "the history as it stood then", {"type": "string", "maxLength": 40}),
        (
            "by",
            (
                "rows by neighbourhood,domain,month (default: all three; partners: "
                "neighbourhood,domain, as they get places by quarter, never by month)"
            ),
            {"type": "string", "maxLength": 40},
        ),
        ("exact", "exact counts (not for partners)", {"type": "string", "enum": ["true", "false"]}),
        ("lang", "fr or en", {"type": "string", "enum": ["fr", "en"]}),
    )
]
_CSV_TABLE = query(
    "table",
    {"type": "string", "enum": list(CSV_TABLES)},
    "what the file holds: the cases' table (the default), or the activities' tables "
    "(rounds, watch reports, orientations, collective actions)",
)


_ETAG = {
    "ETag": {
        "description": 'the case\'s version, as a strong ETag ("3"): send it back as If-Match',
        "schema": {"type": "string"},
    }
}
_LOCATION = {
    "Location": {"description": "the new case: /cases/{case_id}", "schema": {"type": "string"}}
}


_CASE_ID = {
    "name": "case_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string", "format": "uuid"},
}
_CASE_REF = {"$ref": "#/components/schemas/Case"}
_AFTER_REF = {"$ref": "#/components/schemas/CaseAfterCommand"}


def _paged(listing: dict[str, Any]) -> dict[str, Any]:
    """`listing`, whose answer carries a Link to the next page when there is one."""
    listing["responses"]["200"]["headers"] = {
        "Link": {
            "description": '<...&after=CURSOR>; rel="next" (RFC 8288), while more follow',
            "schema": {"type": "string"},
        }
    }
    return listing


def _shared(body: dict[str, Any], field: str, component: str) -> dict[str, Any]:
    """`body` with `field`'s schema the shared component (the same enum, referred to)."""
    properties = body["properties"] | {field: {"$ref": f"#/components/schemas/{component}"}}
    return body | {"properties": properties}


def _published(shared: dict[str, Any]) -> dict[str, Any]:
    """Each of the `shared` schemas, the others it holds referred to (never itself)."""
    return {
        name: referred(schema, {other: s for other, s in shared.items() if other != name})
        for name, schema in shared.items()
    }


def document(neighbourhoods: Sequence[str]) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API, for a service with these neighbourhoods."""
    place = {"type": "string", "enum": list(neighbourhoods)}
    bodies = BODIES | {"Request": request_body(place)}
    bodies = {  # the same enums as the Case's, shared: one generated type each
        **bodies,
        "Resolution": _shared(bodies["Resolution"], "outcome", "Outcome"),
        "Withdrawal": _shared(bodies["Withdrawal"], "by", "WithdrawnBy"),
    }
    # An institution, in a body or a case, is one shared schema: one generated type.
    institution = {"Institution": INSTITUTION}

    def command(
        operation_id: str, summary: str, body: str, roles: str = "coordinator, the case's mediator"
    ) -> Any:  # noqa: ANN401
        done = operation(
            operation_id, summary, roles, body=body, ok=_AFTER_REF, params=[_CASE_ID], if_match=True
        )
        done["responses"]["200"]["headers"] = _ETAG
        return {"post": done}

    read = operation(
        "readCase",
        "Read a case (ETag: its version; If-Match: 412 unless it is still that version)",
        "coordinator, the case's mediator",
        ok=_CASE_REF,
        params=[_CASE_ID],
        if_match=True,
    )
    read["responses"]["200"]["headers"] = _ETAG
    opened = operation(
        "openCase", "Open a case", "coordinator", body="Request", ok=_AFTER_REF, status="201"
    )
    opened["responses"]["201"]["headers"] = _ETAG | _LOCATION

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "mediation-domain",
            "version": "1",
            "description": (
                "Social mediation cases, and the rest of a mediator's work: proximity rounds, "
                "collective actions, watch reports, orientations. Bearer tokens map to a "
                "role: mediator (their cases and orientations, the work they took part in), "
                "coordinator (all), partner (aggregated report), auditor (pseudonymised "
                "export). Refusals are RFC 9457 problem details."
            ),
        },
        "security": [{"bearer": []}],
        "paths": {
            "/cases": {
                "get": _paged(
                    operation(
                        "listCases",
                        "List cases in request order, a page at a time (a mediator sees "
                        "their own; a coordinator may filter by mediator); a Link header "
                        "with rel=next gives the next page; each parameter at most once",
                        "coordinator, mediator",
                        ok={"type": "array", "items": _CASE_REF},
                        params=[
                            query("status", codes(CaseStatus)),
                            query("neighbourhood", place),
                            query("domain", codes(InterventionDomain)),
                            query("mediator", {"type": "string", "minLength": 1, "maxLength": 64}),
                            query(
                                "limit",
                                {"type": "integer", "minimum": 1, "maximum": MOST_CASES},
                            ),
                            query("after", {"type": "string", "pattern": "^[0-9]{1,18}$"}),
                        ],
                    )
                ),
                "post": opened,
            },
            "/cases/{case_id}": {"get": read},
            "/cases/{case_id}/parties": command("addParty", "Add a party", "Party"),
            "/cases/{case_id}/assignment": command(
                "assignMediator", "Assign a mediator", "Assignment", roles="coordinator"
            ),
            "/cases/{case_id}/mediator-withdrawal": command(
                "withdrawMediator", "The mediator refuses or withdraws", "MediatorWithdrawal"
            ),
            "/cases/{case_id}/consents": command(
                "recordConsent", "A party gives, withdraws or refuses consent", "Consent"
            ),
            "/cases/{case_id}/sessions": command("recordSession", "Record a session", "Session"),
            "/cases/{case_id}/withdrawal": command(
                "withdrawCase", "End before a resolution", "Withdrawal"
            ),
            "/cases/{case_id}/resolution": command(
                "resolveCase", "End with an outcome", "Resolution"
            ),
            "/cases/{case_id}/archive-reads": {
                "post": operation(
                    "readArchivedCase",
                    "Read an archived case with its personal values, stating why (a reason "
                    "code): the read is recorded first, in the audit (404: not in the archive)",
                    "coordinator",
                    body="ArchiveRead",
                    ok=_CASE_REF,
                    params=[_CASE_ID],
                    problems=(400, 403, 404, 422),
                )
            },
            "/subjects/{subject}/erasure": {
                "post": operation(
                    "eraseSubject",
                    "Erase a data subject's personal data for good (202 while the deleted "
                    "key's old bytes wait to be purged from the store's log)",
                    "coordinator",
                    body="Erasure",
                    ok=ERASURE,
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
                "get": operation(
                    "getReport",
                    "Activity indicators as JSON, by neighbourhood, domain and month, then the "
                    "activities' (partners' view unless exact=true: counts from 1 to 4 shown "
                    "as '< 5', whole finished quarters, neighbourhoods and domains by quarter)",
                    "coordinator, partner (partners' view only)",
                    ok=referred(REPORT, REPORT_COMPONENTS),
                    params=_REPORT_PARAMS,
                )
            },
            **{
                f"/report/{fmt}": {
                    "get": operation(
                        f"getReport{fmt.title()}",
                        f"The same report as {fmt} ({media})",
                        "coordinator, partner (partners' view only)",
                        ok={"type": "string"},
                        params=[*_REPORT_PARAMS, *([_CSV_TABLE] if fmt == "csv" else [])],
                        media=media,
                    )
                }
                for fmt, media in REPORT_MEDIA.items()
                if fmt != "json"
            },
            "/audit/export": {
                "get": operation(
                    "exportAudit",
                    "The pseudonymised history for auditors (JSON Lines, audit format 2: "
                    "up to the latest signed checkpoint; docs/audit-format.md); sent as "
                    "application/octet-stream to a client that accepts it",
                    "auditor, coordinator",
                    ok={"type": "string"},
                    media="application/x-ndjson",
                    more_media=["application/octet-stream"],
                )
            },
            **activity_paths(),
        },
        "components": {
            "schemas": {
                "Case": referred(CASE, institution),
                "CaseAfterCommand": referred(AFTER_COMMAND, institution),
                "Problem": PROBLEM_DETAILS,
                "Outcome": codes(Outcome),
                "WithdrawnBy": codes(WithdrawnBy),
                "Institution": referred(INSTITUTION, {"PartnerKind": codes(PartnerKind)}),
                **referred(bodies, institution),
                **activity_components(place),
                **_published(REPORT_COMPONENTS),
            },
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
