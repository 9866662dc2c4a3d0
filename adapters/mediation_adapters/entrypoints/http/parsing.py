"""What every endpoint reads of a request: its JSON body as its schema says, the ids in its path."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from starlette.requests import ClientDisconnect, Request

from mediation_adapters.entrypoints.http.problems import Problem
from mediation_adapters.entrypoints.http.schema import check
from mediation_domain.errors import quoted

MAX_BODY_BYTES = 64 * 1024


async def read_json(request: Request, schema: dict[str, Any]) -> dict[str, Any]:
    """The request's JSON body, checked against `schema` (problems 400, 413, 415, 422)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        raise Problem(415, "unsupported-media-type", "send application/json")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise Problem(413, "too-large", f"the body is over {MAX_BODY_BYTES} bytes")
    raw = bytearray()
    try:
        async for chunk in request.stream():
            raw += chunk
            if len(raw) > MAX_BODY_BYTES:
                raise Problem(413, "too-large", f"the body is over {MAX_BODY_BYTES} bytes")
    except ClientDisconnect:
        raise Problem(400, "malformed-request", "the client left before its body ended") from None
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise Problem(400, "malformed-request", "the body is not JSON (UTF-8)") from None
    check(schema, body)
    return body  # type: ignore[no-any-return]


def path_id(request: Request, name: str, word: str) -> str:
    """The id the path parameter `name` gives; one that names nothing is not found (404)."""
    text: str = request.path_params[name]
    try:
        UUID(text)
    except ValueError:
        raise Problem(404, "not-found", f"no {word} {quoted(text)}") from None
    return text
