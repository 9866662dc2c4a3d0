"""The activities' endpoints: parse the request, call the service layer, print the answer.

Rounds, collective actions, watch reports and orientations, as `endpoints` serves cases:
the sender's role is refused first (403), a body is checked against its schema, the
service layer applies the policy (a mediator records the work they took part in; another
mediator's orientation is not found), and the answer is the activity as its schema in
`activity_schema` publishes it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mediation_adapters.entrypoints.http.activity_schema import (
    ACTIVITY_BODIES,
    ANSWERS,
    COLLECTIONS,
    ORIENTATIONS,
    STEPS,
    Collection,
    Step,
)
from mediation_adapters.entrypoints.http.parsing import path_id, read_json
from mediation_adapters.entrypoints.http.problems import Problem
from mediation_adapters.entrypoints.http.schema import BODIES, check
from mediation_domain.application.service import PrincipalService
from mediation_domain.authorisation import Action
from mediation_domain.errors import CaseNotFoundError

if TYPE_CHECKING:
    from mediation_adapters.entrypoints.http.endpoints import Api

Endpoint = Callable[[Request], Awaitable[Response]]

# The fields an answer names otherwise than the activity index: {answer: {field: index's}}.
_SOURCES = {
    "CollectiveAction": {"kind": "action", "held_on": "on"},
    "WatchReport": {"kind": "watch", "reported_on": "on"},
    "Orientation": {"by": "mediator", "oriented_on": "on", "follow_up_on": "due"},
}
_SOURCES["OrientationRead"] = _SOURCES["Orientation"]
# What records an activity of each kind: the body's fields are the call's arguments.
_RECORD: dict[str, Callable[..., dict[str, Any]]] = {
    "round": PrincipalService.record_round,
    "action": PrincipalService.record_action,
    "watch": PrincipalService.report_watch,
    "orientation": PrincipalService.orient,
}
# What records each step, with the role it takes: the body's fields are the arguments.
_STEP_CALLS: dict[str, tuple[Action, Callable[..., dict[str, Any]]]] = {
    "acknowledgeWatchReport": (Action.RECORD_ACTIVITY, PrincipalService.acknowledge_watch),
    "closeWatchReport": (Action.RECORD_ACTIVITY, PrincipalService.close_watch),
    "recordFollowUp": (Action.FOLLOW_UP, PrincipalService.follow_up),
}


def render(found: dict[str, Any], answer: str) -> dict[str, Any]:
    """The activity index's document `found`, as the schema `answer` publishes it."""
    sources = _SOURCES.get(answer, {})
    return {name: found[sources.get(name, name)] for name in ANSWERS[answer]["properties"]}


class ActivityEndpoints:
    """The activities' endpoints, authenticating as the cases' do (`Api.desk`)."""

    def __init__(self, api: Api) -> None:
        self.api = api

    def routes(self) -> dict[str, dict[str, Endpoint]]:
        """Each path of the activities, with its endpoint for each method."""
        routes: dict[str, dict[str, Endpoint]] = {}
        for collection in COLLECTIONS:
            routes[collection.path] = {
                "GET": self.lister(collection),
                "POST": self.recorder(collection),
            }
            one = self.orientation if collection is ORIENTATIONS else self.reader(collection)
            routes[collection.one] = {"GET": one}
        routes[f"{ORIENTATIONS.one}/archive-reads"] = {"POST": self.archived_orientation}
        return routes | {step.path: {"POST": self.step(step)} for step in STEPS}

    def recorder(self, collection: Collection) -> Endpoint:
        """POST /rounds, /actions, /watch-reports, /orientations: 201, Location: its path."""
        record = _RECORD[collection.kind]

        async def endpoint(request: Request) -> Response:
            desk = self.api.desk(request, Action.RECORD_ACTIVITY)
            body = await read_json(request, ACTIVITY_BODIES[collection.body])
            found = await run_in_threadpool(record, desk, **body)
            location = {"Location": f"{collection.path}/{found['id']}"}
            answer = render(found, collection.answer)
            return JSONResponse(answer, status_code=201, headers=location)

        return endpoint

    def lister(self, collection: Collection) -> Endpoint:
        """GET /rounds, ...: those the sender may see (?open=true, ?due=: those asked)."""

        async def endpoint(request: Request) -> Response:
            desk = self.api.desk(request, Action.READ_ACTIVITIES, *collection.query)
            asked = dict(request.query_params)
            for name, value in asked.items():
                check(collection.query[name], value, name)
            found = await run_in_threadpool(_listed, desk, collection.kind, asked)
            return JSONResponse([render(item, collection.answer) for item in found])

        return endpoint

    def reader(self, collection: Collection) -> Endpoint:
        """GET /rounds/{round_id}, ...: one activity of the collection."""

        async def endpoint(request: Request) -> Response:
            desk = self.api.desk(request, Action.READ_ACTIVITIES)
            activity_id = path_id(request, collection.id_name, collection.word)
            found = await run_in_threadpool(_one_of, desk, collection, activity_id)
            return JSONResponse(render(found, collection.answer))

        return endpoint

    async def orientation(self, request: Request) -> Response:
        """GET /orientations/{orientation_id}: its facts and its person's name."""
        desk = self.api.desk(request, Action.READ_ACTIVITIES)  # a partner's: may not read them
        orientation_id = path_id(request, ORIENTATIONS.id_name, ORIENTATIONS.word)
        found = await run_in_threadpool(_named, desk, orientation_id)
        return JSONResponse(render(found, "OrientationRead"))

    async def archived_orientation(self, request: Request) -> Response:
        """POST /orientations/{orientation_id}/archive-reads: with its person's name."""
        desk = self.api.desk(request, Action.READ_ARCHIVE)
        body = await read_json(request, BODIES["ArchiveRead"])
        orientation_id = path_id(request, ORIENTATIONS.id_name, "archived orientation")
        found = await run_in_threadpool(_archived, desk, orientation_id, body["reason"])
        return JSONResponse(render(found, "OrientationRead"))

    def step(self, step: Step) -> Endpoint:
        """POST /watch-reports/{report_id}/closing, ...: a step, answered with the activity."""
        action, act = _STEP_CALLS[step.operation_id]
        collection = step.collection

        async def endpoint(request: Request) -> Response:
            desk = self.api.desk(request, action)
            body = await read_json(request, ACTIVITY_BODIES[step.body])
            activity_id = path_id(request, collection.id_name, collection.word)
            found = await run_in_threadpool(act, desk, activity_id, **body)
            return JSONResponse(render(found, collection.answer))

        return endpoint


def _listed(desk: PrincipalService, kind: str, asked: dict[str, str]) -> list[dict[str, Any]]:
    """The list asked for: the open watch reports, the orientations due, or every one."""
    if asked.get("open") == "true":
        return desk.open_watch_reports()
    if "due" in asked:
        return desk.orientations_due(asked["due"])
    return desk.list_activities(kind)


def _one_of(desk: PrincipalService, collection: Collection, activity_id: str) -> dict[str, Any]:
    """The activity, if it is one of `collection`; any other id is answered alike (404)."""
    try:
        found = desk.get_activity(activity_id)
    except CaseNotFoundError:
        # Absent, or an orientation hidden from the sender: one answer for both, and for an
        # activity of another kind, so that the answer tells nothing of what the id is.
        found = {"kind": None}
    if found["kind"] != collection.kind:
        raise Problem(404, "not-found", f"no {collection.word} {activity_id}")
    return found


def _archived(desk: PrincipalService, orientation_id: str, reason: str) -> dict[str, Any]:
    """The archived orientation and its person's name, read for `reason` (else 404)."""
    missing = Problem(404, "not-found", f"no archived orientation {orientation_id}")
    try:  # the service records nothing for an id of another kind, nor one not archived
        name = desk.read_archived_person(orientation_id, reason=reason)
    except CaseNotFoundError:
        raise missing from None
    return desk.get_activity(orientation_id) | {"person_name": name}


def _named(desk: PrincipalService, orientation_id: str) -> dict[str, Any]:
    """The orientation and its person's name: its mediator's or the coordinator's (else 404)."""
    name = desk.orientation_person(orientation_id)  # refused first: hidden as if absent
    return desk.get_activity(orientation_id) | {"person_name": name}
