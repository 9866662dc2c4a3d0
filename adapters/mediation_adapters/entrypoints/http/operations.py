"""The parts the OpenAPI document's operations are built from: responses, problems, queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

_BYTES = {"type": "string", "format": "binary"}  # a generated client reads bytes (a File)
_PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
# The refusals an operation declares by status (any other still comes as `default`).
PROBLEMS = {
    400: "the body is not UTF-8 JSON",
    403: "the role may never do this",
    404: "no such resource, or one the sender may not see",
    409: "the rules refuse the step (`rule` names the rule), or a lost race",
    412: "If-Match names an older version",
    422: "a field the schema or the domain refuses",
}


def operation(  # noqa: PLR0913 - the parts of an OpenAPI operation
    operation_id: str,
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
    problems: Sequence[int] = (),
) -> dict[str, Any]:
    """An operation: its success (`status`, `also`), the problems it declares, its input."""
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
        "operationId": operation_id,
        "summary": summary,
        "description": f"Roles: {roles}.",
        "parameters": parameters,
        "responses": {
            status: {
                "description": "done",
                "content": {
                    media: {"schema": ok or {}},
                    **{other: {"schema": _BYTES} for other in more_media},
                },
            },
            **{
                str(code): {"description": PROBLEMS[code], "content": _PROBLEM} for code in problems
            },
            "default": {
                "description": "a refusal, as RFC 9457 problem details",
                "content": _PROBLEM,
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


def query(name: str, schema: dict[str, Any], description: str = "") -> dict[str, Any]:
    """An optional query parameter."""
    parameter = {"name": name, "in": "query", "required": False, "schema": schema}
    return parameter | ({"description": description} if description else {})
