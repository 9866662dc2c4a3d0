"""Store URLs (memory://, sqlite:///path) mapped to eventsourcing's persistence settings."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from eventsourcing.persistence import PersistenceError

from mediation_domain import InvalidInputError, Mediations
from mediation_domain.privacy import Sealer

DEFAULT_STORE = "sqlite:///./mediation.sqlite3"
SQLITE_LOCK_TIMEOUT_SECONDS = "10"


class StoreError(InvalidInputError):
    """The store URL is malformed or unsupported, or the store cannot be opened."""


def env_for(url: str) -> dict[str, str]:
    """The eventsourcing settings that select the store `url` names.

    memory://                  in this process only (tests, trials)
    sqlite:///relative/path    a file relative to the working directory
    sqlite:////absolute/path   an absolute path (four slashes)
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        message = f"invalid store URL {url!r}: expected memory:// or sqlite:///path"
        raise StoreError(message)
    if scheme == "memory":
        if rest:
            message = f"invalid store URL {url!r}: memory:// takes no path"
            raise StoreError(message)
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if scheme == "sqlite":
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": _sqlite_path(url, rest),
            "SQLITE_LOCK_TIMEOUT": SQLITE_LOCK_TIMEOUT_SECONDS,
        }
    message = f"unsupported store {scheme!r} in {url!r}: use memory:// or sqlite:///path"
    raise StoreError(message)


def _sqlite_path(url: str, rest: str) -> str:
    if not rest.startswith("/") or rest == "/":
        message = f"invalid SQLite URL {url!r}: expected sqlite:///path/to/file.sqlite3"
        raise StoreError(message)
    path = rest[1:]
    if path == ":memory:":
        return path
    parent = Path(path).parent
    if not parent.is_dir():
        message = f"cannot open {url!r}: directory {parent} does not exist"
        raise StoreError(message)
    return path


def open_store(url: str = DEFAULT_STORE, *, sealer: Sealer | None = None) -> Mediations:
    """A Mediations application on the store `url`, tables created on first use."""
    env = env_for(url)
    try:
        return Mediations(env=env, sealer=sealer)
    except (PersistenceError, sqlite3.Error, OSError) as error:
        detail = str(error).splitlines()[0] if str(error) else type(error).__name__
        message = f"cannot open store {url!r}: {detail}"
        raise StoreError(message) from error
