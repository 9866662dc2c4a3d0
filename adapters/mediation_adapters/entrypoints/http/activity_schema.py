"""The activities' body schemas: rounds, collective actions, watch reports, orientations.

As for cases (`schema`): each request body here is both checked by the server and
published at /openapi.json; each answer's schema says which fields the server sends. The
vocabularies are published once each (`VOCABULARIES`, components of the document), so
that a generated client has one type for each.
"""

from __future__ import annotations

from typing import Any

import attrs

from mediation_adapters.entrypoints.http.schema import body, codes
from mediation_domain import InterventionDomain
from mediation_domain.activity_values import (
    MAX_COUNT,
    MAX_LINE_LENGTH,
    MAX_PARTNERS,
    AccessNeed,
    ActionKind,
    ContactKind,
    OrientationOutcome,
    PartnerKind,
    SharedItem,
    WatchAnswer,
    WatchKind,
    WatchStatus,
)
from mediation_domain.rules.activities import MAX_TEAM
from mediation_domain.values import MAX_NAME_LENGTH

_ID = {"type": "string", "minLength": 1, "maxLength": 64}
_UUID = {"type": "string", "format": "uuid"}
_DAY = {"type": "string", "format": "date", "maxLength": 40}
# A round's times: the years the core accepts (2000 to 2999), with their offset. A time
# without one would be read in the server's zone, not the service's: refused (RFC 3339).
_MOMENT = {
    "type": "string",
    "format": "date-time",
    "maxLength": 40,
    "pattern": "^2[0-9]{3}-[0-9]{2}-[0-9]{2}[Tt ][0-9:.,]+([Zz]|[+-][0-9]{2}(:?[0-9]{2})?)$",
    "description": "a date and time of the years 2000 to 2999 with its offset (give an "
    "offset, e.g. 2026-11-27T16:00:00+01:00)",
}
_COUNT = {"type": "integer", "minimum": 0, "maximum": MAX_COUNT}
_TEAM = {"type": "array", "items": _ID, "maxItems": MAX_TEAM}
OPEN = {"type": "string", "enum": ["true", "false"]}  # GET /watch-reports?open=


def _counts(vocabulary: Any) -> dict[str, Any]:  # noqa: ANN401 - an Enum class
    """How many of each kind: an object whose keys are the vocabulary's codes."""
    properties = {member.value: _COUNT for member in vocabulary}
    return {"type": "object", "properties": properties, "additionalProperties": False}


def _list(vocabulary: Any, most: int) -> dict[str, Any]:  # noqa: ANN401 - an Enum class
    return {"type": "array", "items": codes(vocabulary), "maxItems": most}


def _or_null(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


# Published once each, referred to wherever they appear (`activity_openapi.referred`).
VOCABULARIES: dict[str, dict[str, Any]] = {
    "InterventionDomain": codes(InterventionDomain),
    "ActionKind": codes(ActionKind),
    "PartnerKind": codes(PartnerKind),
    "WatchKind": codes(WatchKind),
    "WatchStatus": codes(WatchStatus),
    "WatchAnswer": codes(WatchAnswer),
    "AccessNeed": codes(AccessNeed),
    "SharedItem": codes(SharedItem),
    "OrientationOutcome": codes(OrientationOutcome),
    "OrientationStatus": {"type": "string", "enum": ["open", "settled"]},
    "ContactCounts": _counts(ContactKind),
    "ObservedCounts": _counts(InterventionDomain),
}


def activity_bodies(neighbourhood: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The activities' request bodies, their neighbourhood as `neighbourhood` says."""
    return {
        "NewRound": body(
            ["neighbourhood", "started_at", "ended_at", "team"],
            neighbourhood=neighbourhood,
            bus_line={
                "type": ["string", "null"],
                "maxLength": MAX_LINE_LENGTH,
                "description": 'the bus line ridden; null, "" or absent: on foot',
            },
            started_at=_MOMENT,
            ended_at=_MOMENT,
            team=_TEAM | {"minItems": 1},
            contacts=VOCABULARIES["ContactCounts"],
            observed=VOCABULARIES["ObservedCounts"],
        ),
        "NewAction": body(
            ["kind", "domain", "neighbourhood", "attendance"],
            kind=codes(ActionKind),
            domain=codes(InterventionDomain),
            neighbourhood=neighbourhood,
            attendance=_COUNT,
            held_on=_DAY,
            partners=_list(PartnerKind, MAX_PARTNERS),
            team=_TEAM,
        ),
        "NewWatchReport": body(
            ["kind", "domain", "neighbourhood", "partner"],
            kind=codes(WatchKind),
            domain=codes(InterventionDomain),
            neighbourhood=neighbourhood,
            partner=codes(PartnerKind),
            reported_on=_DAY,
        ),
        "WatchAcknowledgement": body([], on=_DAY),
        "WatchClosing": body(["answer"], answer=codes(WatchAnswer), on=_DAY),
        "NewOrientation": body(
            ["need", "partner", "neighbourhood", "follow_up_on"],
            need=codes(AccessNeed),
            partner=codes(PartnerKind),
            neighbourhood=neighbourhood,
            follow_up_on=_DAY,
            by=_ID,
            oriented_on=_DAY,
            name={"type": "string", "minLength": 1, "maxLength": MAX_NAME_LENGTH},
            shared=_list(SharedItem, len(SharedItem)),
            case_id=_UUID,
        ),
        "FollowUp": body(["outcome"], outcome=codes(OrientationOutcome), on=_DAY, next_on=_DAY),
    }


# What the server checks bodies with: any spelling of a neighbourhood, as for cases.
ACTIVITY_BODIES = activity_bodies({"type": "string", "minLength": 1, "maxLength": 100})


def _answer(**properties: Any) -> dict[str, Any]:  # noqa: ANN401
    """An answer's schema: every field always sent (null where it has no value)."""
    return {
        "type": "object",
        "required": ["id", *properties],
        "properties": {"id": _UUID, **properties},
    }


_DAY_OR_NULL = _or_null({"type": "string", "format": "date"})
_ORIENTATION = _answer(
    by={"type": "string"},
    need=codes(AccessNeed),
    partner=codes(PartnerKind),
    neighbourhood={"type": "string"},
    oriented_on={"type": "string", "format": "date"},
    follow_up_on=_DAY_OR_NULL | {"description": "the next follow-up's day; null once settled"},
    status=VOCABULARIES["OrientationStatus"],
    outcome=_or_null(codes(OrientationOutcome)),
    last_contact_on={"type": "string", "format": "date"},
    follow_ups={"type": "integer", "minimum": 0},
    shared={"type": "array", "items": codes(SharedItem)},
    case=_or_null(_UUID),
    subject={
        "type": ["string", "null"],
        "description": "the named person's pseudonymous id (null when anonymous): the "
        "subject of POST /subjects/{subject}/erasure",
    },
    erased={"type": "boolean"},
)
_PERSON_NAME = {
    "type": ["string", "null"],
    "description": "the person's name (null when anonymous; [erased] once erased)",
}
ANSWERS: dict[str, dict[str, Any]] = {
    "Round": _answer(
        neighbourhood={"type": "string"},
        bus_line={"type": ["string", "null"], "description": "null: on foot"},
        started_at={"type": "string", "format": "date-time"},
        ended_at={"type": "string", "format": "date-time"},
        team={"type": "array", "items": {"type": "string"}},
        contacts=VOCABULARIES["ContactCounts"],
        observed=VOCABULARIES["ObservedCounts"],
    ),
    "CollectiveAction": _answer(
        kind=codes(ActionKind),
        domain=codes(InterventionDomain),
        neighbourhood={"type": "string"},
        held_on={"type": "string", "format": "date"},
        attendance={"type": "integer", "minimum": 0},
        partners={"type": "array", "items": codes(PartnerKind)},
        team={"type": "array", "items": {"type": "string"}},
    ),
    "WatchReport": _answer(
        kind=codes(WatchKind),
        domain=codes(InterventionDomain),
        neighbourhood={"type": "string"},
        partner=codes(PartnerKind),
        reported_on={"type": "string", "format": "date"},
        status=codes(WatchStatus),
        acknowledged_on=_DAY_OR_NULL,
        closed_on=_DAY_OR_NULL,
        answer=_or_null(codes(WatchAnswer)),
    ),
    "Orientation": _ORIENTATION,
    # An orientation read alone, by its mediator or the coordinator: with the person's name.
    "OrientationRead": _ORIENTATION
    | {
        "required": [*_ORIENTATION["required"], "person_name"],
        "properties": _ORIENTATION["properties"] | {"person_name": _PERSON_NAME},
    },
}


@attrs.frozen
class Collection:
    """Where the activities of one kind are, and what their bodies and answers are."""

    path: str  # "/rounds"; one is at "/rounds/{id_name}"
    kind: str  # the activity index's kind: round, action, watch, orientation
    word: str  # what a problem calls one: "no round ..."
    noun: str  # in operation ids: recordRound, listRounds, readRound
    id_name: str  # the path parameter naming one
    body: str  # the request body recording one
    answer: str  # the schema of one, as the server sends it
    query: dict[str, dict[str, Any]] = attrs.field(factory=dict)  # the list's parameters

    @property
    def one(self) -> str:
        """The path of one of them: /rounds/{round_id}."""
        return f"{self.path}/{{{self.id_name}}}"


ROUNDS = Collection("/rounds", "round", "round", "Round", "round_id", "NewRound", "Round")
ACTIONS = Collection(
    "/actions",
    "action",
    "collective action",
    "Action",
    "action_id",
    "NewAction",
    "CollectiveAction",
)
WATCH_REPORTS = Collection(
    *("/watch-reports", "watch", "watch report", "WatchReport", "report_id"),
    *("NewWatchReport", "WatchReport"),
    query={"open": OPEN},
)
ORIENTATIONS = Collection(
    *("/orientations", "orientation", "orientation", "Orientation", "orientation_id"),
    *("NewOrientation", "Orientation"),
    query={"due": {"type": "string", "format": "date", "maxLength": 40}},
)
COLLECTIONS = (ROUNDS, ACTIONS, WATCH_REPORTS, ORIENTATIONS)


@attrs.frozen
class Step:
    """A later step recorded on one activity: POST to a path below it, answered with it."""

    collection: Collection
    name: str  # below one: /watch-reports/{report_id}/acknowledgement
    body: str
    operation_id: str
    summary: str

    @property
    def path(self) -> str:
        """Where it is posted."""
        return f"{self.collection.one}/{self.name}"


STEPS = (
    Step(
        *(WATCH_REPORTS, "acknowledgement", "WatchAcknowledgement", "acknowledgeWatchReport"),
        "The partner acknowledged the report (today unless on)",
    ),
    Step(
        *(WATCH_REPORTS, "closing", "WatchClosing", "closeWatchReport"),
        "The partner answered, which closes the report (today unless on)",
    ),
    Step(
        *(ORIENTATIONS, "follow-ups", "FollowUp", "recordFollowUp"),
        "Record a follow-up's outcome (today unless on; in-progress: with next_on)",
    ),
)
