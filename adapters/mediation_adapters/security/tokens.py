"""Bearer tokens for the HTTP API, kept in a JSON file as SHA-256 digests, never in clear.

    {"tokens": [{"sha256": "<hex>", "role": "mediator", "identity": "med-1",
                 "expires": "2027-06-30T00:00:00+00:00"}, ...]}

`expires` is optional: a token without it lasts until its line is deleted (and the server
restarted); an expired token is refused like an unknown one.

A token is 32 random bytes (URL-safe base64), shown once when it is made; a fast digest is
enough to store it, since a token cannot be guessed the way a password can.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from mediation_adapters.security.files import replace_owner_only
from mediation_adapters.stores import StoreError
from mediation_domain import InvalidInputError
from mediation_domain.authorisation import Principal, Role


class TokenFileError(StoreError):
    """The token file is missing, unreadable or malformed."""


def digest(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class Tokens:
    """Who each token stands for."""

    def __init__(self, entries: dict[str, tuple[Principal, datetime | None]]) -> None:
        self._entries = entries

    @classmethod
    def load(cls, path: Path) -> Tokens:
        """Read a token file; a malformed one is a TokenFileError naming what is wrong."""
        rows = enumerate(_rows(path), start=1)
        return cls(dict(_entry(path, number, row) for number, row in rows))

    def principal(self, token: str) -> Principal | None:
        """Who presents `token`, or None for an unknown token."""
        wanted = digest(token)
        now = datetime.now(UTC)
        for sha, (principal, expires) in self._entries.items():
            if hmac.compare_digest(sha, wanted):
                return principal if expires is None or now < expires else None
        return None


def add_token(path: Path, role: str, identity: str, *, days: int | None = None) -> str:
    """Make a token for (role, identity), valid `days` days if given; return the token."""
    principal = Principal(Role.parse(role), identity)
    if days is not None and not 0 < days <= 3660:  # noqa: PLR2004 - ten years at most
        message = f"a token lasts 1 to 3660 days, not {days}"
        raise InvalidInputError(message)
    rows: list[dict[str, str]] = []
    if path.is_symlink():
        message = f"{path} is a symbolic link: refusing to write the token file through it"
        raise TokenFileError(message)
    if path.exists():
        Tokens.load(path)  # refuse to extend a malformed file
        rows = json.loads(path.read_text(encoding="utf-8"))["tokens"]
    token = secrets.token_urlsafe(32)
    row = {"sha256": digest(token), "role": principal.role.value, "identity": principal.identity}
    if days is not None:
        row["expires"] = (datetime.now(UTC) + timedelta(days=days)).isoformat(timespec="seconds")
    rows.append(row)
    replace_owner_only(path, json.dumps({"tokens": rows}, indent=2).encode(), "token file")
    return token


def _rows(path: Path) -> list[object]:
    """The token file's rows; a TokenFileError when it is missing, unreadable or not a list."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        message = f"no token file at {path}: create one with mediation tokens add"
        raise TokenFileError(message) from None
    except (OSError, ValueError, RecursionError) as error:  # JSON, UTF-8, digits, nesting
        message = f"cannot read the token file {path}: {error}"
        raise TokenFileError(message) from None
    rows = data.get("tokens") if isinstance(data, dict) else None
    if not isinstance(rows, list):
        message = f'the token file {path} must hold {{"tokens": [...]}}'
        raise TokenFileError(message)
    return rows


def _entry(path: Path, number: int, row: Any) -> tuple[str, tuple[Principal, datetime | None]]:  # noqa: ANN401 - any JSON
    """Row `number` of the token file: the token's digest, who it stands for, until when."""
    try:
        sha = str(row["sha256"]).lower()
        principal = Principal(Role.parse(row["role"]), str(row["identity"]))
        expires = _moment(row["expires"]) if row.get("expires") else None
    except (KeyError, TypeError, ValueError) as error:
        message = f"token {number} of {path} is malformed: {error}"
        raise TokenFileError(message) from None
    if len(sha) != 64 or any(c not in "0123456789abcdef" for c in sha):  # noqa: PLR2004
        message = f"token {number} of {path}: sha256 must be 64 hex digits"
        raise TokenFileError(message)
    return sha, (principal, expires)


def _moment(text: object) -> datetime:
    moment = datetime.fromisoformat(str(text))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
