"""The API's endpoints: parse the request, call the service layer, print the answer."""

from __future__ import annotations

import asyncio
import logging
import re
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from mediation_adapters.bootstrap import service
from mediation_adapters.config import report_period
from mediation_adapters.entrypoints.http.openapi import document
from mediation_adapters.entrypoints.http.parsing import path_id, read_json
from mediation_adapters.entrypoints.http.problems import Problem
from mediation_adapters.entrypoints.http.report_schema import REPORT_MEDIA
from mediation_adapters.entrypoints.http.schema import BODIES
from mediation_adapters.formats.export_writer import write_export
from mediation_adapters.formats.report import CSV_TABLES, FORMATS, LANGUAGES, default_by, render
from mediation_adapters.security.tokens import Tokens
from mediation_domain import CaseView, Mediations
from mediation_domain.application import MOST_CASES
from mediation_domain.application.service import PrincipalService, Recorded
from mediation_domain.authorisation import Action, Principal
from mediation_domain.errors import CaseNotFoundError, quoted
from mediation_domain.reports import dimensions

_log = logging.getLogger("mediation.http")
PURGE_RETRY_SECONDS = 1.0
REPORTS_WAITING = 4  # report requests at once (one computed, the others waiting); then 503


class Api:
    """The endpoints over one store, authenticating with its tokens, dating in its zone."""

    def __init__(self, mediations: Mediations, tokens: Tokens, zone: ZoneInfo) -> None:
        self.mediations, self.tokens, self.zone = mediations, tokens, zone
        self.service = service(mediations)
        self._purging: asyncio.Task[None] | None = None
        self._report_slot = asyncio.Semaphore(1)
        self.reports_waiting = 0  # requests for a report, computing or waiting to

    # Authentication -----------------------------------------------------------------------

    def principal(self, request: Request, *query: str) -> Principal:
        """Who sends the request (401 otherwise); then only the query parameters `query`."""
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        found = self.tokens.principal(token.strip()) if scheme.lower() == "bearer" else None
        if found is None:
            raise Problem(401, "unauthenticated", "give a valid bearer token")
        unknown = set(request.query_params) - set(query)
        if unknown:
            raise Problem(422, "invalid-input", f"unknown query parameter {quoted(min(unknown))}")
        repeated = sorted(
            k for k in set(request.query_params) if len(request.query_params.getlist(k)) > 1
        )
        if repeated:  # one value each: none silently wins over another
            raise Problem(
                422, "invalid-input", f"query parameter {quoted(repeated[0])} given twice"
            )
        return found

    def desk(self, request: Request, action: Action, *query: str) -> PrincipalService:
        """The service as the request's sender may call it.

        Their role is refused at once (403) if it may never take `action`, before the
        request is read further.
        """
        desk = self.service.for_principal(self.principal(request, *query))
        desk.require(action)
        return desk

    # Endpoints ----------------------------------------------------------------------------

    async def list_cases(self, request: Request) -> Response:
        """GET /cases: a page of the cases the sender may see, with a Link to the next one."""
        query_names = ("status", "neighbourhood", "domain", "mediator", "limit", "after")
        desk = self.desk(request, Action.LIST_CASES, *query_names)
        query = request.query_params
        limit = query.get("limit", str(MOST_CASES))
        if not (limit.isascii() and limit.isdigit() and len(limit) <= len(str(MOST_CASES))):
            message = f"limit must be a whole number from 1 to {MOST_CASES}, not {quoted(limit)}"
            raise Problem(422, "invalid-input", message)
        page = await run_in_threadpool(
            desk.cases_page,
            status=query.get("status"),
            neighbourhood=query.get("neighbourhood"),
            domain=query.get("domain"),
            mediator=query.get("mediator"),
            after=query.get("after"),
            limit=int(limit),
        )
        response = JSONResponse([view.to_dict() for view in page.cases])
        if page.after is not None:  # RFC 8288: the next page, with the same filters
            following = request.url.include_query_params(after=page.after, limit=limit)
            response.headers["link"] = f'<{following.path}?{following.query}>; rel="next"'
        return response

    async def request_case(self, request: Request) -> Response:
        """POST /cases: open a case."""
        desk = self.desk(request, Action.REQUEST)
        body = await read_json(request, BODIES["Request"])
        parties = body["parties"]
        named = sum("party_id" in party for party in parties)
        if named not in {0, len(parties)}:
            raise Problem(422, "invalid-input", "give a party_id to every party, or to none")

        def run() -> CaseView:
            return desk.request_mediation(
                domain=body["domain"],
                neighbourhood=body["neighbourhood"],
                referral=body["referral"],
                parties=[p["name"] for p in parties],
                party_ids=[p["party_id"] for p in parties] if named else None,
                contacts=[p.get("contact", "") for p in parties],
                institutions=[_institution(p) for p in parties],
                summary=body.get("summary", ""),
            ).case

        view = await run_in_threadpool(run)
        response = _case_response(view, status=201, recorded=True)
        response.headers["Location"] = f"/cases/{view.case_id}"
        return response

    async def read_case(self, request: Request) -> Response:
        """GET /cases/{case_id}: the case, its version as ETag."""
        desk = self.desk(request, Action.READ_CASE)  # the role first, then the headers
        expected = _if_match(request)
        view = await run_in_threadpool(desk.get_case, _case_id(request), expected_version=expected)
        return _case_response(view)

    def command(
        self,
        body_name: str,
        action: Action,
        act: Callable[[PrincipalService, str, dict[str, Any], int | None], Recorded],
    ) -> Callable[[Request], Awaitable[Response]]:
        """POST /cases/{case_id}/...: the endpoint of a command, `act` on the checked body."""

        async def endpoint(request: Request) -> Response:
            desk = self.desk(request, action)
            body = await read_json(request, BODIES[body_name])
            expected = _if_match(request)
            # The service acts on the version whose mediator it checked (If-Match: on that
            # one only): a case reassigned meanwhile is a conflict, never a command
            # recorded on someone else's case.
            done = await run_in_threadpool(act, desk, _case_id(request), body, expected)
            return _case_response(done.case, recorded=done.recorded)

        return endpoint

    async def read_archived_case(self, request: Request) -> Response:
        """POST /cases/{case_id}/archive-reads: an archived case, the read recorded first."""
        desk = self.desk(request, Action.READ_ARCHIVE)
        body = await read_json(request, BODIES["ArchiveRead"])
        case_id = path_id(request, "case_id", "archived case")
        view = await run_in_threadpool(_archived_case, desk, case_id, body["reason"])
        return JSONResponse(view.to_dict())

    async def erase(self, request: Request) -> Response:
        """POST /subjects/{subject}/erasure: erase a data subject's personal data."""
        desk = self.desk(request, Action.ERASE)
        body = await read_json(request, BODIES["Erasure"])
        erasure = await run_in_threadpool(
            desk.erase_subject,
            request.path_params["subject"],
            reason=body.get("reason", "data-subject-request"),
        )
        answer = erasure.to_dict()
        if erasure.purged:
            return JSONResponse(answer)
        # Another connection holds the SQLite log: the deleted key's old bytes may stay in
        # it until a purge goes through. Accepted, not done: retried here until it does.
        self.purge_in_background()
        return JSONResponse(answer, status_code=202, headers={"Retry-After": "1"})

    def purge_in_background(self) -> None:
        """Retry the key store's purge every second until it succeeds (one task at most)."""
        if self._purging is None or self._purging.done():
            self._purging = asyncio.get_running_loop().create_task(self._purge_until_done())

    async def _purge_until_done(self) -> None:
        tries = 0
        while not await run_in_threadpool(self.mediations.sealer.purge):
            tries += 1
            if tries % 60 == 0:
                _log.warning("erased keys' old bytes still held in the store's log by a reader")
            await asyncio.sleep(PURGE_RETRY_SECONDS)
        _log.info("erased keys' old bytes purged from the store's files")

    async def report(self, request: Request) -> Response:
        """GET /report (JSON) or /report/{csv,html,table}: the activity report.

        The format by path gives each its own operation (one media type each, as client
        generators need); `?format=` is still read, not both.
        """
        desk = self.desk(request, Action.REPORT, *_REPORT_QUERY)
        query = request.query_params
        exact = _flag(query.get("exact", "false"), "exact")
        if exact:
            desk.require(Action.REPORT_EXACT)  # refused before the query is read further
        path_format = request.path_params.get("format")
        if path_format and "format" in query:
            raise Problem(422, "invalid-input", "give the format in the path or the query, once")
        fmt, lang = path_format or query.get("format", "json"), query.get("lang", "fr")
        table = query.get("table", "cases")  # a CSV file's; the other formats hold both
        if fmt not in FORMATS or lang not in LANGUAGES or table not in CSV_TABLES:
            message = (
                f"format is one of {', '.join(FORMATS)}; lang is one of {', '.join(LANGUAGES)}; "
                f"table is one of {', '.join(CSV_TABLES)}"
            )
            raise Problem(422, "invalid-input", message)
        asked = query.get("by")  # checked first
        by = dimensions(asked.split(",")) if asked else default_by(exact=exact)
        period = report_period(
            query.get("from"), query.get("to"), query.get("as_of"), exact=exact, zone=self.zone
        )

        def run() -> str:
            report = desk.report(period, exact=exact)
            return render(report, fmt, lang=lang, by=by, table=table)

        text = await self.one_report_at_a_time(run)
        return Response(text, media_type=REPORT_MEDIA[fmt])

    async def one_report_at_a_time(self, compute: Callable[[], str]) -> str:
        """Compute a report once no other is being computed; 503 when too many wait.

        A report is CPU work in a thread: several at once would hold the event loop (and
        every other client) back as long as they run. One at a time, a few waiting.
        """
        if self.reports_waiting >= REPORTS_WAITING:
            message = "other reports are being computed: try again in a few seconds"
            raise Problem(503, "busy", message)
        self.reports_waiting += 1
        try:
            async with self._report_slot:
                return await run_in_threadpool(compute)
        finally:
            self.reports_waiting -= 1

    async def audit_export(self, request: Request) -> Response:
        """GET /audit/export: the pseudonymised history, as JSON Lines."""
        self.desk(request, Action.AUDIT)
        spooled = await run_in_threadpool(self._export)
        # JSON Lines; as application/octet-stream to a client that asks for it (generators
        # read bytes, not x-ndjson).
        bytes_asked = "application/octet-stream" in request.headers.get("accept", "")
        media = "application/octet-stream" if bytes_asked else "application/x-ndjson"
        return StreamingResponse(_chunks(spooled), media_type=media)

    def _export(self) -> Any:  # noqa: ANN401 - a spooled temporary file
        spooled = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024, mode="w+")  # noqa: SIM115
        write_export(self.mediations, spooled)
        spooled.seek(0)
        return spooled

    async def openapi(self, _: Request) -> Response:
        """GET /openapi.json: the OpenAPI document."""
        return JSONResponse(document(self.mediations.neighbourhoods.names))


def join_party(desk: PrincipalService, case: str, body: dict[str, Any], v: int | None) -> Recorded:
    """POST /cases/{case_id}/parties: a party joins, a person or an institution."""
    return desk.join_party(
        case,
        name=body["name"],
        party_id=body.get("party_id"),
        contact=body.get("contact", ""),
        institution=_institution(body),
        expected_version=v,
    )


def _institution(party: dict[str, Any]) -> tuple[str, str] | None:
    """The institution a party of a body is, as (kind, name); None for a person."""
    given = party.get("institution")
    return None if given is None else (given["kind"], given["name"])


def _archived_case(desk: PrincipalService, case_id: str, reason: str) -> CaseView:
    """The archived case, read for `reason`; absent or not archived alike (404)."""
    try:  # the service records nothing for an id of another kind, nor one not archived
        return desk.read_archived_case(case_id, reason=reason)
    except CaseNotFoundError:
        raise Problem(404, "not-found", f"no archived case {case_id}") from None


def _case_id(request: Request) -> str:
    """The case the path names: a path naming no case at all is not found, like any other."""
    return path_id(request, "case_id", "case")


def _flag(value: str, name: str) -> bool:
    if value not in {"true", "false"}:
        raise Problem(422, "invalid-input", f"{name} is true or false, not {quoted(value)}")
    return value == "true"


_REPORT_QUERY = ("from", "to", "as_of", "by", "exact", "format", "lang", "table")


def _chunks(spooled: Any) -> Iterator[str]:  # noqa: ANN401
    try:
        while chunk := spooled.read(64 * 1024):
            yield chunk
    finally:
        spooled.close()


def _case_response(
    view: CaseView, status: int = 200, *, recorded: bool | None = None
) -> JSONResponse:
    """The case, with its version as ETag; a command's answer says whether it recorded."""
    body = view.to_dict() if recorded is None else view.to_dict() | {"recorded": recorded}
    return JSONResponse(body, status_code=status, headers={"ETag": f'"{view.version}"'})


_STRONG_TAG = re.compile(r'"([0-9]{1,12})"')


def _if_match(request: Request) -> int | None:
    """The version If-Match names; a weak tag never matches (RFC 9110 strong comparison)."""
    header = request.headers.get("if-match")
    if header is None or header.strip() == "*":
        return None
    tag = header.strip()
    if tag.startswith("W/"):
        raise Problem(412, "stale-version", 'If-Match takes the strong ETag of a case, like "3"')
    found = _STRONG_TAG.fullmatch(tag)
    if found is None:
        message = f'If-Match {quoted(header[:40])} is not a case\'s ETag (like "3")'
        raise Problem(400, "malformed-request", message)
    return int(found[1])
