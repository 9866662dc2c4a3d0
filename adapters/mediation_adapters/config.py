"""The adapters' settings, read once from the environment (README's table lists every one).

The core's own settings (MEDIATION_NEIGHBOURHOODS, MEDIATION_SNAPSHOT_EVERY) are passed to
the application as its environment, where an embedder may also set them.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import attrs

from mediation_adapters.storage.errors import StoreKeyError
from mediation_domain.errors import InvalidInputError, quoted
from mediation_domain.privacy import KEY_BYTES
from mediation_domain.reports import Period

DEFAULT_STORE = "sqlite:///./mediation.sqlite3"
STORE_KEY_VARIABLE = "MEDIATION_STORE_KEY"
STORE_KEY_FILE_VARIABLE = "MEDIATION_STORE_KEY_FILE"
CORE_SETTINGS = ("MEDIATION_NEIGHBOURHOODS", "MEDIATION_SNAPSHOT_EVERY")


@attrs.frozen
class Settings:
    """Everything the CLI and the HTTP server read from the environment, read once."""

    store: str = DEFAULT_STORE  # MEDIATION_STORE
    store_key_text: str = ""  # MEDIATION_STORE_KEY (base64)
    store_key_file: str = ""  # MEDIATION_STORE_KEY_FILE
    seal_every: str = ""  # MEDIATION_SEAL_EVERY: records between automatic checkpoints
    audit_private_key: str = ""  # MEDIATION_AUDIT_PRIVATE_KEY
    audit_public_key: str = ""  # MEDIATION_AUDIT_PUBLIC_KEY
    time_zone: str = ""  # MEDIATION_TIMEZONE (default Europe/Paris)
    retention: str = "2y"  # MEDIATION_RETENTION: the active period, from the last contact
    archive_period: str = "5y"  # MEDIATION_ARCHIVE_PERIOD: then in the archive ("0": none)
    tokens: str = "tokens.json"  # MEDIATION_TOKENS
    acting_as: str = "coordinator:operator"  # MEDIATION_AS
    core: Mapping[str, str] = attrs.field(factory=dict)  # the core's, passed on as they are

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """The settings `environ` gives (unset ones at their defaults)."""
        given = {
            field: environ[variable]
            for field, variable in _VARIABLES.items()
            if environ.get(variable, "")
        }
        core = {name: environ[name] for name in CORE_SETTINGS if environ.get(name, "")}
        return cls(**given, core=core)

    def store_key(self) -> bytes | None:
        """The store key from MEDIATION_STORE_KEY or MEDIATION_STORE_KEY_FILE, if one is set."""
        if self.store_key_text and self.store_key_file:
            message = f"set {STORE_KEY_VARIABLE} or {STORE_KEY_FILE_VARIABLE}, not both"
            raise StoreKeyError(message)
        if self.store_key_file:
            return read_store_key(Path(self.store_key_file))
        return (
            parse_store_key(self.store_key_text, STORE_KEY_VARIABLE)
            if self.store_key_text
            else None
        )

    def sealing_every(self) -> int | None:
        """MEDIATION_SEAL_EVERY as a number of records, None when unset."""
        text = self.seal_every.strip()
        if not text:
            return None
        if not (text.isascii() and text.isdigit() and len(text) <= 9 and int(text) >= 1):  # noqa: PLR2004
            message = f"MEDIATION_SEAL_EVERY={quoted(text)}: expected a number of records"
            raise InvalidInputError(message)
        return int(text)


_VARIABLES = {
    "store": "MEDIATION_STORE",
    "store_key_text": STORE_KEY_VARIABLE,
    "store_key_file": STORE_KEY_FILE_VARIABLE,
    "seal_every": "MEDIATION_SEAL_EVERY",
    "audit_private_key": "MEDIATION_AUDIT_PRIVATE_KEY",
    "audit_public_key": "MEDIATION_AUDIT_PUBLIC_KEY",
    "time_zone": "MEDIATION_TIMEZONE",
    "retention": "MEDIATION_RETENTION",
    "archive_period": "MEDIATION_ARCHIVE_PERIOD",
    "tokens": "MEDIATION_TOKENS",
    "acting_as": "MEDIATION_AS",
}


def parse_store_key(text: str, source: str) -> bytes:
    """A store key from its base64 text (32 bytes once decoded)."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        message = f"{source} is not a store key: expected {KEY_BYTES} bytes in base64"
        raise StoreKeyError(message)
    return key


def read_store_key(path: Path) -> bytes:
    """The store key in a key file."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        message = f"cannot read the store key file {path}: {getattr(error, 'strerror', error)}"
        raise StoreKeyError(message) from None
    return parse_store_key(text, f"the key file {path}")


# The service's time -------------------------------------------------------------------

DEFAULT_TIME_ZONE = "Europe/Paris"  # months and days are the service's, not UTC's
# An IANA zone's name (Europe/Paris, America/Argentina/Buenos_Aires): checked before the
# name reaches ZoneInfo, which reads it as a path.
_ZONE_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_+-]{0,29}(?:/[A-Za-z0-9_+-]{1,30}){0,2}")


def time_zone(name: str | None = None) -> ZoneInfo:
    """The zone months are counted in: `name` (MEDIATION_TIMEZONE), else Europe/Paris."""
    chosen = name or DEFAULT_TIME_ZONE
    message = f"unknown time zone {quoted(chosen)}: use a name such as Europe/Paris"
    if not _ZONE_NAME.fullmatch(chosen):
        raise InvalidInputError(message)
    try:
        return ZoneInfo(chosen)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise InvalidInputError(message) from None


def report_period(
    start: str | None,
    end: str | None,
    as_of: str | None = None,
    *,
    exact: bool,
    zone: ZoneInfo | None = None,
) -> Period:
    """The period a user asked for, from texts (YYYY-MM or YYYY-MM-DD; as_of also a time).

    A day as `as_of` means its end; a time without an offset is the service's time. A
    partners' report (not `exact`) covers whole quarters, all over at `as_of`.
    """
    now = datetime.now(UTC)  # the clock and the zone are ours; the rule is `Period.asked`
    return Period.asked(start, end, as_of, exact=exact, zone=zone or time_zone(), now=now)
