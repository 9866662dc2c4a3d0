"""The ASGI application: the routes to the endpoints, and the handlers of what they raise."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from mediation_adapters.config import time_zone
from mediation_adapters.entrypoints.http.activity_endpoints import ActivityEndpoints
from mediation_adapters.entrypoints.http.endpoints import Api, join_party
from mediation_adapters.entrypoints.http.problems import Problem, problem_response, wrapped
from mediation_adapters.security.tokens import Tokens
from mediation_domain import Mediations
from mediation_domain.application.service import PrincipalService, Recorded
from mediation_domain.authorisation import Action

_log = logging.getLogger("mediation.http")


def _consent(desk: PrincipalService, case: str, body: dict[str, Any], v: int | None) -> Recorded:
    act = {
        "give": desk.give_consent,
        "withdraw": desk.withdraw_consent,
        "refuse": desk.refuse_consent,
    }[body["decision"]]
    return act(case, party=body["party"], expected_version=v)


def _mediator_withdraws(
    desk: PrincipalService, case: str, body: dict[str, Any], v: int | None
) -> Recorded:
    return desk.withdraw_mediator(
        case, mediator=body["mediator"], reason=body["reason"], expected_version=v
    )


def _by_method(
    **endpoints: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """One route, one endpoint per method: a 405 then lists every method of the path."""

    async def dispatch(request: Request) -> Response:
        method = "GET" if request.method == "HEAD" else request.method
        return await endpoints[method](request)

    return dispatch


def create_app(
    mediations: Mediations, tokens: Tokens, *, zone: ZoneInfo | None = None
) -> Starlette:
    """The ASGI application over `mediations`, authenticating with `tokens`."""
    api = Api(mediations, tokens, zone or time_zone())
    commands: dict[str, tuple[str, Action, Any]] = {
        "parties": ("Party", Action.ACT_ON_CASE, join_party),
        "assignment": (
            "Assignment",
            Action.ASSIGN,
            lambda desk, case, body, v: desk.assign_mediator(
                case,
                mediator=body["mediator"],
                ties=body.get("ties", []),
                waived_by=body.get("waived_by", []),
                expected_version=v,
            ),
        ),
        "mediator-withdrawal": (
            "MediatorWithdrawal",
            Action.MEDIATOR_WITHDRAWS,
            _mediator_withdraws,
        ),
        "consents": ("Consent", Action.ACT_ON_CASE, _consent),
        "sessions": (
            "Session",
            Action.ACT_ON_CASE,
            lambda desk, case, body, v: desk.hold_session(
                case,
                kind=body["kind"],
                attendees=body["attendees"],
                held_on=body.get("held_on"),
                notes=body.get("notes", ""),
                expected_version=v,
            ),
        ),
        "withdrawal": (
            "Withdrawal",
            Action.ACT_ON_CASE,
            lambda desk, case, body, v: desk.withdraw(
                case, by=body["by"], reason=body["reason"], expected_version=v
            ),
        ),
        "resolution": (
            "Resolution",
            Action.ACT_ON_CASE,
            lambda desk, case, body, v: desk.resolve(
                case, outcome=body["outcome"], expected_version=v
            ),
        ),
    }
    routes = [
        Route("/openapi.json", wrapped(api.openapi), methods=["GET"]),
        Route(
            "/cases",
            _by_method(GET=wrapped(api.list_cases), POST=wrapped(api.request_case)),
            methods=["GET", "POST"],
        ),
        Route("/cases/{case_id}", wrapped(api.read_case), methods=["GET"]),
        *(
            Route(f"/cases/{{case_id}}/{path}", wrapped(api.command(*spec)), methods=["POST"])
            for path, spec in commands.items()
        ),
        Route("/cases/{case_id}/archive-reads", wrapped(api.read_archived_case), methods=["POST"]),
        Route("/subjects/{subject}/erasure", wrapped(api.erase), methods=["POST"]),
        Route("/report", wrapped(api.report), methods=["GET"]),
        Route("/report/{format}", wrapped(api.report), methods=["GET"]),
        Route("/audit/export", wrapped(api.audit_export), methods=["GET"]),
        *(
            Route(
                path,
                _by_method(**{method: wrapped(e) for method, e in endpoints.items()}),
                methods=list(endpoints),
            )
            for path, endpoints in ActivityEndpoints(api).routes().items()
        ),
    ]

    async def http_error(_: Request, error: Exception) -> Response:
        status = getattr(error, "status_code", 500)
        kind = {404: "not-found", 405: "method-not-allowed"}.get(status, "malformed-request")
        detail = str(getattr(error, "detail", "refused"))
        return problem_response(Problem(status, kind, detail), getattr(error, "headers", None))

    async def unexpected(request: Request, error: Exception) -> Response:
        # A bug: logged in full for the operator, one line for the client.
        _log.error("%s %s failed", request.method, request.url.path, exc_info=error)
        detail = f"an unexpected {type(error).__name__}: reported in the server's log"
        return problem_response(Problem(500, "internal", detail))

    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_error, Exception: unexpected},
    )
    app.state.api = api
    # Starlette would answer /cases/ID/ with a redirect to an absolute URL built from the
    # Host header, before authentication: a trailing slash is a 404 like any unknown path.
    app.router.redirect_slashes = False
    return app
