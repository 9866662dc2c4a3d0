"""The request- and response-body schemas, and the validator the server checks bodies with.

One source: each body schema below is both published at /openapi.json (`openapi.document`)
and enforced by `check` (a validator for the small subset of JSON Schema used here), so the
document cannot drift from what the server accepts. The domain then checks meaning (a known
neighbourhood, a party of the case...) and answers 409 or 422 with a problem document.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
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
from mediation_domain.activity_values import PartnerKind
from mediation_domain.errors import quoted
from mediation_domain.values import MAX_NAME_LENGTH, MAX_PARTIES, MAX_TEXT_LENGTH

MAX_ITEMS = MAX_PARTIES
_ID = {"type": "string", "minLength": 1, "maxLength": 64}
_NAME = {"type": "string", "minLength": 1, "maxLength": MAX_NAME_LENGTH}
_CONTACT = {"type": "string", "maxLength": MAX_NAME_LENGTH}
_TEXT = {"type": "string", "maxLength": MAX_TEXT_LENGTH}
_CODE = {"type": "string", "minLength": 1, "maxLength": 40}


def codes(vocabulary: Any) -> dict[str, Any]:  # noqa: ANN401 - an Enum class
    """A string, one of the values of `vocabulary`."""
    return {"type": "string", "enum": [member.value for member in vocabulary]}


def body(required: list[str], **properties: Any) -> dict[str, Any]:  # noqa: ANN401
    """A request body: an object of these properties (`required` among them), no other."""
    return {
        "type": "object",
        "required": required,
        "properties": properties,
        "additionalProperties": False,
    }


def _ids() -> dict[str, Any]:
    return {"type": "array", "items": _ID, "maxItems": MAX_ITEMS}


# The institution a party is (absent: a person), its name in clear; the party's name and
# contact are then those of the person who represents it (sealed).
INSTITUTION = body(["kind", "name"], kind=codes(PartnerKind), name=_NAME)
PARTY = body(["name"], name=_NAME, party_id=_ID, contact=_CONTACT, institution=INSTITUTION)


def request_body(neighbourhood: dict[str, Any]) -> dict[str, Any]:
    """The body opening a case, its neighbourhood as `neighbourhood` says."""
    return body(
        ["domain", "neighbourhood", "referral", "parties"],
        domain=codes(InterventionDomain),
        neighbourhood=neighbourhood,
        referral=codes(ReferralSource),
        parties={"type": "array", "items": PARTY, "minItems": 1, "maxItems": MAX_ITEMS},
        summary=_TEXT,
    )


# What the server checks bodies with: the neighbourhood's spelling is left to the domain,
# which accepts any case and accents ("saint-eloi"); the document lists the canonical names.
BODIES: dict[str, dict[str, Any]] = {
    "Request": request_body({"type": "string", "minLength": 1, "maxLength": 100}),
    "Party": PARTY,
    "Assignment": body(["mediator"], mediator=_ID, ties=_ids(), waived_by=_ids()),
    "MediatorWithdrawal": body(["mediator", "reason"], mediator=_ID, reason=_CODE),
    "Consent": body(
        ["party", "decision"],
        party=_ID,
        decision={"type": "string", "enum": ["give", "withdraw", "refuse"]},
    ),
    "Session": body(
        ["kind", "attendees"],
        kind=codes(SessionKind),
        attendees={"type": "array", "items": _ID, "minItems": 1, "maxItems": MAX_ITEMS},
        held_on={"type": "string", "format": "date"},
        notes=_TEXT,
    ),
    "Withdrawal": body(["by", "reason"], by=codes(WithdrawnBy), reason=_CODE),
    "Resolution": body(["outcome"], outcome=codes(Outcome)),
    "Erasure": body([], reason=_CODE),
    # Why an archived record is read: a code, recorded with the read (free text refused).
    "ArchiveRead": body(["reason"], reason=_CODE),
}

_NULLABLE_STRING = {"type": ["string", "null"]}
CASE: dict[str, Any] = {
    "type": "object",
    # Every field is always sent (null where it has no value): a generated client need
    # not test each for absence.
    "required": [
        *("case_id", "version", "status", "domain", "neighbourhood", "referral", "summary"),
        *("parties", "mediator", "sessions", "outcome", "withdrawn_by", "withdrawal_reason"),
        *("requested_at", "updated_at", "erased", "consenting"),
    ],
    "properties": {
        "case_id": {"type": "string", "format": "uuid"},
        "version": {"type": "integer", "minimum": 1},
        "status": codes(CaseStatus),
        "domain": codes(InterventionDomain),
        "neighbourhood": {"type": "string"},
        "referral": codes(ReferralSource),
        "summary": {"type": "string"},
        "parties": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["id", "name", "consent", "contact", "institution"],
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "consent": codes(ConsentStatus),
                    "contact": {"type": "string"},
                    # null: a person
                    "institution": {"anyOf": [INSTITUTION, {"type": "null"}]},
                },
            },
        },
        "mediator": _NULLABLE_STRING,
        "sessions": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["kind", "attendees", "held_on", "notes"],
                "properties": {
                    "kind": codes(SessionKind),
                    "attendees": {"type": "array", "items": {"type": "string"}},
                    "held_on": {"type": "string", "format": "date"},
                    "notes": {"type": "string"},
                },
            },
        },
        # One enum each, shared (components), null beside it: a generator makes one type.
        "outcome": {"anyOf": [{"$ref": "#/components/schemas/Outcome"}, {"type": "null"}]},
        "withdrawn_by": {"anyOf": [{"$ref": "#/components/schemas/WithdrawnBy"}, {"type": "null"}]},
        "withdrawal_reason": _NULLABLE_STRING,
        "requested_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
        "erased": {"type": "array", "items": {"type": "string"}},
        "consenting": {"type": "array", "items": {"type": "string"}},
    },
}
ERASURE = {
    "type": "object",
    "required": [
        "subject",
        "cases",
        "orientations",
        "key_deleted",
        "recorded",
        "in_clear",
        "purge",
    ],
    "properties": {
        "subject": {"type": "string"},
        "cases": {"type": "array", "items": {"type": "string", "format": "uuid"}},
        "orientations": {
            "type": "array",
            "items": {"type": "string", "format": "uuid"},
            "description": "the orientations whose person the subject was",
        },
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
PROBLEM_DETAILS = {
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

# A command's answer: the case as the command left it, and whether it recorded anything
# (false: it would have changed nothing, e.g. a consent given twice, and stored nothing).
_RECORDED = {
    "type": "boolean",
    "description": "false when the command changed nothing and stored nothing",
}
AFTER_COMMAND: dict[str, Any] = {
    "type": "object",
    "required": [*CASE["required"], "recorded"],
    "properties": {**CASE["properties"], "recorded": _RECORDED},
}


def check(schema: dict[str, Any], value: Any, where: str = "body") -> None:  # noqa: ANN401
    """Raise InvalidInputError (one line) where `value` breaks `schema` (our subset)."""
    broken = _broken(schema, value, where)
    if broken:
        raise InvalidInputError(broken)


def _broken(schema: dict[str, Any], value: object, where: str) -> str | None:
    kind = schema.get("type")
    kinds = [kind] if isinstance(kind, str) else list(kind or [])
    if value is None and "null" in kinds:
        return None
    # What each type checked says (a number, or no type at all: nothing); any one passes.
    found = [_BY_TYPE[name](schema, value, where) for name in kinds if name in _BY_TYPE]
    return None if not found or None in found else found[0]


def _first(found: Iterable[str | None]) -> str | None:
    """The first thing found broken, looking no further."""
    return next((line for line in found if line), None)


def _broken_object(schema: dict[str, Any], value: object, where: str) -> str | None:
    if not isinstance(value, dict):
        return f"{where} must be a JSON object"
    properties = schema.get("properties", {})
    missing = [name for name in schema.get("required", []) if name not in value]
    if missing:
        return f"{where}.{missing[0]} is required"
    return _first(
        _broken(properties[name], item, f"{where}.{name}")
        if name in properties
        else f"{where}: unknown field {quoted(name)}"
        for name, item in value.items()
    )


def _broken_array(schema: dict[str, Any], value: object, where: str) -> str | None:
    if not isinstance(value, list):
        return f"{where} must be a list"
    if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", MAX_ITEMS):
        return f"{where} has {len(value)} items, out of bounds"
    return _first(
        _broken(schema["items"], item, f"{where}[{number}]") for number, item in enumerate(value)
    )


def _broken_string(schema: dict[str, Any], value: object, where: str) -> str | None:
    if not isinstance(value, str):
        return f"{where} must be a string"
    if not schema.get("minLength", 0) <= len(value) <= schema.get("maxLength", 10**6):
        return f"{where} has {len(value)} characters, out of bounds"
    if "enum" in schema and value not in schema["enum"]:
        return f"{where} must be one of: {', '.join(schema['enum'])}"
    if "pattern" in schema and not re.search(schema["pattern"], value):
        return f"{where} must be {schema.get('description') or 'like ' + schema['pattern']}"
    return None


def _broken_integer(schema: dict[str, Any], value: object, where: str) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{where} must be a whole number"
    if not schema.get("minimum", -(10**18)) <= value <= schema.get("maximum", 10**18):
        return f"{where} is {value}, out of bounds"
    return None


# What `_broken` checks of a value, by its schema's "type" (any other type: nothing).
_BY_TYPE: dict[str, Callable[[dict[str, Any], object, str], str | None]] = {
    "object": _broken_object,
    "array": _broken_array,
    "string": _broken_string,
    "integer": _broken_integer,
}
