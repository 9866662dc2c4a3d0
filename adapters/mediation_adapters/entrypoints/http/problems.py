"""Refusals as RFC 9457 problem documents: the domain's typed errors and the store's failures."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from eventsourcing.domain import EventSourcingError
from eventsourcing.persistence import PersistenceError
from eventsourcing.utils import TopicError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from mediation_adapters.storage import StoreError, first_line
from mediation_domain import (
    CaseClosedError,
    CaseNotFoundError,
    ConcurrencyError,
    ConsentError,
    InvalidInputError,
    LifecycleError,
    MediationError,
    NeutralityError,
)
from mediation_domain.authorisation import NotAllowedError
from mediation_domain.errors import StaleVersionError, shortened
from mediation_domain.privacy import SubjectErasedError, SubjectNotFoundError

PROBLEM = "application/problem+json"

# Each domain refusal: (HTTP status, stable problem type). The first match wins.
_REFUSALS: tuple[tuple[type[MediationError], int, str], ...] = (
    (NotAllowedError, 403, "forbidden"),
    (StaleVersionError, 412, "stale-version"),
    (ConcurrencyError, 409, "concurrency"),
    (ConsentError, 409, "consent"),
    (NeutralityError, 409, "neutrality"),
    (CaseClosedError, 409, "case-closed"),
    (LifecycleError, 409, "lifecycle"),
    (CaseNotFoundError, 404, "not-found"),
    (SubjectNotFoundError, 404, "not-found"),
    (SubjectErasedError, 422, "subject-erased"),
    (StoreError, 503, "store-unavailable"),
    (InvalidInputError, 422, "invalid-input"),
)
_TITLES = {
    400: "Malformed request",
    401: "Authentication required",
    403: "Not allowed for this role",
    404: "Not found",
    405: "Method not allowed",
    409: "Refused by the case's rules",
    412: "The case changed",
    413: "Request too large",
    415: "Unsupported media type",
    422: "Invalid input",
    503: "Store unavailable",
}


class Problem(Exception):  # noqa: N818 - it is what RFC 9457 calls it
    """A refusal to send as problem details."""

    def __init__(self, status: int, kind: str, detail: str, *, rule: str = "") -> None:
        super().__init__(detail)
        self.status, self.kind, self.detail, self.rule = status, kind, detail, rule


def problem_response(problem: Problem, headers: dict[str, str] | None = None) -> JSONResponse:
    """The problem document, with the headers its status calls for."""
    # A detail may quote what the client sent, lone surrogates included: kept printable.
    detail = shortened(problem.detail.encode("utf-8", "backslashreplace").decode("utf-8"))
    body: dict[str, Any] = {
        "type": f"/problems/{problem.kind}",
        "title": "Busy" if problem.kind == "busy" else _TITLES.get(problem.status, "Refused"),
        "status": problem.status,
        "detail": detail,
    }
    if problem.rule:
        body["rule"] = problem.rule
    headers = dict(headers or {})
    if problem.status == 401:  # noqa: PLR2004
        headers["WWW-Authenticate"] = 'Bearer realm="mediation"'
    if problem.kind == "concurrency":
        headers["Retry-After"] = "0"  # reload the case and send the command again
    if problem.kind == "store-unavailable":
        headers.setdefault("Retry-After", "1")
    if problem.kind == "busy":
        headers.setdefault("Retry-After", "5")
    return JSONResponse(body, status_code=problem.status, headers=headers, media_type=PROBLEM)


def _refusal(error: MediationError) -> Problem:
    for kind, status, name in _REFUSALS:
        if isinstance(error, kind):
            return Problem(status, name, error.message, rule=error.rule)
    return Problem(422, "invalid-input", error.message, rule=error.rule)  # pragma: no cover


def wrapped(
    endpoint: Callable[[Request], Awaitable[Response]],
) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint, with its refusals and the store's failures as problem documents."""

    async def guarded(request: Request) -> Response:
        try:
            return await endpoint(request)
        except Problem as problem:
            return problem_response(problem)
        except MediationError as error:
            return problem_response(_refusal(error))
        except (EventSourcingError, TopicError) as failure:  # a record altered or foreign
            if isinstance(failure, PersistenceError):  # e.g. a lock held too long
                detail = first_line(failure)
            else:
                detail = f"a stored record cannot be read ({type(failure).__name__})"
            unavailable = Problem(503, "store-unavailable", f"the store did not answer: {detail}")
            return problem_response(unavailable)

    return guarded
