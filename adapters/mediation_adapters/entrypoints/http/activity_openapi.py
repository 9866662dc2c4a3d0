"""The activities' part of the OpenAPI document: their paths, bodies, answers and vocabularies."""

from __future__ import annotations

from typing import Any

from mediation_adapters.entrypoints.http.activity_schema import (
    ANSWERS,
    COLLECTIONS,
    ORIENTATIONS,
    STEPS,
    VOCABULARIES,
    Collection,
    Step,
    activity_bodies,
)
from mediation_adapters.entrypoints.http.operations import operation, query

_EITHER = "coordinator, mediator"
_RECORDED_BY = {  # who may record one, beyond the role
    "round": "coordinator, mediator (one of its team)",
    "action": "coordinator, mediator (one of its team)",
    "watch": _EITHER,
    "orientation": "coordinator (naming the mediator, by), mediator (as themselves)",
}
_FOLLOWERS = "coordinator, the orientation's mediator"
_LISTS = {
    "round": "List the proximity rounds, in the order recorded",
    "action": "List the collective actions, in the order recorded",
    "watch": "List the watch reports, in the order recorded; open=true: those a partner has "
    "not closed yet, oldest first",
    "orientation": "List the orientations (a mediator: their own), in the order recorded; "
    "due=YYYY-MM-DD: the open ones whose follow-up is due by that day, soonest first",
}
_QUERIES = {
    "open": "true: only the reports a partner has not closed yet (false, the default: all)",
    "due": "only the open orientations whose follow-up is due on or before this day",
}


def referred(schema: Any, shared: dict[str, Any]) -> Any:  # noqa: ANN401 - a schema's part
    """`schema` with each of the `shared` schemas it holds replaced by a reference to it."""
    for name, vocabulary in shared.items():
        if schema == vocabulary:
            return {"$ref": f"#/components/schemas/{name}"}
    if isinstance(schema, dict):
        return {key: referred(value, shared) for key, value in schema.items()}
    if isinstance(schema, list):
        return [referred(item, shared) for item in schema]
    return schema


def activity_components(place: dict[str, Any]) -> dict[str, Any]:
    """The activities' schemas, their neighbourhoods as `place` lists them (one enum)."""
    shared = VOCABULARIES | {"Neighbourhood": place}
    schemas: dict[str, Any] = referred(activity_bodies(place) | ANSWERS, shared)
    return shared | schemas


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _one(collection: Collection) -> dict[str, Any]:
    return {
        "name": collection.id_name,
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": "uuid"},
    }


def _collection(collection: Collection) -> dict[str, Any]:
    """GET and POST on the collection, GET on one of it."""
    noun, answer = collection.noun, _ref(collection.answer)
    recorded = operation(
        f"record{noun}",
        f"Record a {collection.word} (201, Location: where to read it)",
        _RECORDED_BY[collection.kind],
        body=collection.body,
        ok=answer,
        status="201",
        problems=(400, 403, 404, 422) if collection is ORIENTATIONS else (400, 403, 422),
    )
    recorded["responses"]["201"]["headers"] = {
        "Location": {
            "description": f"the new {collection.word}: {collection.one}",
            "schema": {"type": "string"},
        }
    }
    listed = operation(
        f"list{noun}s",
        _LISTS[collection.kind],
        "coordinator, mediator (their own)" if collection is ORIENTATIONS else _EITHER,
        ok={"type": "array", "items": answer},
        params=[query(name, schema, _QUERIES[name]) for name, schema in collection.query.items()],
        problems=(403, 422),
    )
    read_by, read_as = "coordinator, mediator", answer
    if collection is ORIENTATIONS:  # its person's name: for its mediator and the coordinator
        read_by, read_as = _FOLLOWERS, _ref("OrientationRead")
    read = operation(
        f"read{noun}",
        f"Read a {collection.word}",
        read_by,
        ok=read_as,
        params=[_one(collection)],
        problems=(403, 404),
    )
    return {
        collection.path: {"get": listed, "post": recorded},
        collection.one: {"get": read},
    }


def _step(step: Step) -> dict[str, Any]:
    """POST on one of a collection: a later step recorded on it, answered with it."""
    roles = _FOLLOWERS if step.collection is ORIENTATIONS else _EITHER
    return {
        "post": operation(
            step.operation_id,
            step.summary,
            roles,
            body=step.body,
            ok=_ref(step.collection.answer),
            params=[_one(step.collection)],
            problems=(400, 403, 404, 409, 422),
        )
    }


def activity_paths() -> dict[str, Any]:
    """The activities' paths: rounds, collective actions, watch reports, orientations."""
    paths: dict[str, Any] = {}
    for collection in COLLECTIONS:
        paths |= _collection(collection)
    archived = operation(
        "readArchivedOrientation",
        "Read an archived orientation with its person's name, stating why (a reason code): "
        "the read is recorded first, in the audit (404: not in the archive)",
        "coordinator",
        body="ArchiveRead",
        ok=_ref("OrientationRead"),
        params=[_one(ORIENTATIONS)],
        problems=(400, 403, 404, 422),
    )
    archive = {f"{ORIENTATIONS.one}/archive-reads": {"post": archived}}
    return paths | {step.path: _step(step) for step in STEPS} | archive
