"""Store URLs (memory://, sqlite:///path, postgresql://...) mapped to eventsourcing's settings."""

from __future__ import annotations

import base64
import contextlib
import fcntl
import os
import re
import sqlite3
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

from eventsourcing.persistence import PersistenceError

from mediation_domain import InvalidInputError, Mediations
from mediation_domain.errors import quoted
from mediation_domain.privacy import KeyedSealer, MemoryKeyStore, Sealer

DEFAULT_STORE = "sqlite:///./mediation.sqlite3"
SQLITE_LOCK_TIMEOUT_SECONDS = "10"
POSTGRES_CONNECT_TIMEOUT_SECONDS = "5"
_SCHEMA = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class StoreError(InvalidInputError):
    """The store URL is malformed or unsupported, or the store cannot be opened."""


class StoreModeError(StoreError):
    """A store file is open to other users than its owner."""


class StoreKeyError(StoreError):
    """The store key is missing, malformed, or not the one that opens this store."""


def env_for(url: str) -> dict[str, str]:
    """The eventsourcing settings that select the store `url` names.

    memory://                  in this process only (tests, trials)
    sqlite:///relative/path    a file relative to the working directory
    sqlite:////absolute/path   an absolute path (four slashes)
    postgresql://user:password@host:port/dbname?schema=name   (extra mediation-domain[postgres])
    """
    scheme, separator, rest = url.partition("://")
    if not separator:
        message = f"invalid store URL {quoted(url)}: expected memory:// or sqlite:///path"
        raise StoreError(message)
    if scheme == "memory":
        if rest:
            message = f"invalid store URL {quoted(url)}: memory:// takes no path"
            raise StoreError(message)
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if scheme == "sqlite":
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": _sqlite_path(url, rest),
            "SQLITE_LOCK_TIMEOUT": SQLITE_LOCK_TIMEOUT_SECONDS,
        }
    if scheme in {"postgresql", "postgres"}:
        return _postgres_env(url)
    message = (
        f"unsupported store {quoted(scheme)} in {quoted(redacted(url))}: "
        "use memory://, sqlite:///path or postgresql://user@host/dbname"
    )
    raise StoreError(message)


def redacted(url: str) -> str:
    """`url` without its password, for messages and logs."""
    return re.sub(r"(://[^:/@]*):[^@/]*@", r"\1:***@", url)


def _postgres_env(url: str) -> dict[str, str]:
    parts = urlsplit(url)
    try:
        port = str(parts.port or 5432)
    except ValueError:
        message = f"invalid PostgreSQL URL {quoted(redacted(url))}: the port is not a number"
        raise StoreError(message) from None
    dbname = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not dbname or "/" in dbname:
        message = f"invalid PostgreSQL URL {quoted(redacted(url))}: expected postgresql://user@host/dbname"
        raise StoreError(message)
    env = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": parts.hostname,
        "POSTGRES_PORT": port,
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_CONNECT_TIMEOUT": POSTGRES_CONNECT_TIMEOUT_SECONDS,
    }
    schema = _schema(parts, url)
    if schema:
        env["POSTGRES_SCHEMA"] = schema
    return env


def _schema(parts: SplitResult, url: str) -> str:
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {"schema"})
    if unknown:
        message = (
            f"unknown option {quoted(unknown[0])} in {quoted(redacted(url))}: "
            f"only ?schema= is understood"
        )
        raise StoreError(message)
    schemas = query.get("schema", [""])
    if len(schemas) > 1:
        message = (
            f"invalid store URL {quoted(redacted(url))}: ?schema= is given {len(schemas)} times"
        )
        raise StoreError(message)
    schema = schemas[0]
    if schema and not _SCHEMA.fullmatch(schema):
        message = f"invalid schema {quoted(schema)}: use lowercase letters, digits and '_'"
        raise StoreError(message)
    return schema


def postgres_connection(env: dict[str, str]) -> Any:  # noqa: ANN401 - a psycopg connection
    """A psycopg connection (autocommit) to the database `env` names; StoreError if none.

    `env` is what `env_for` gives for a postgresql:// URL.
    """
    try:
        import psycopg  # noqa: PLC0415 - an optional extra, needed for PostgreSQL only
    except ImportError:
        message = "PostgreSQL needs the postgres extra: pip install 'mediation-domain[postgres]'"
        raise StoreError(message) from None
    try:
        return psycopg.connect(
            dbname=env["POSTGRES_DBNAME"],
            host=env["POSTGRES_HOST"],
            port=env["POSTGRES_PORT"],
            user=env["POSTGRES_USER"],
            password=env["POSTGRES_PASSWORD"],
            connect_timeout=int(env["POSTGRES_CONNECT_TIMEOUT"]),
            autocommit=True,
        )
    except psycopg.Error as error:
        detail = str(error).strip().splitlines()[0]
        message = (
            f"cannot connect to PostgreSQL {env['POSTGRES_HOST']}:{env['POSTGRES_PORT']}/"
            f"{env['POSTGRES_DBNAME']}: {detail}"
        )
        raise StoreError(message) from None


@contextmanager
def _schema_ready(env: dict[str, str]) -> Iterator[None]:
    """Create the URL's schema if missing, and hold a lock while the tables are created.

    eventsourcing creates tables, not schemas; and two processes creating the same tables
    at once make PostgreSQL fail with "tuple concurrently updated": the advisory lock
    makes offices that start together take turns.
    """
    schema = env.get("POSTGRES_SCHEMA", "public")
    with postgres_connection(env) as connection:
        key = f"mediation-domain tables in {schema}"
        connection.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
        try:
            connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')  # a checked name
            yield
        finally:
            connection.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))


def _sqlite_path(url: str, rest: str) -> str:
    if not rest.startswith("/") or rest == "/":
        message = f"invalid SQLite URL {quoted(url)}: expected sqlite:///path/to/file.sqlite3"
        raise StoreError(message)
    path = rest[1:]
    if ":memory:" in path or "mode=memory" in path:
        # SQLite's in-memory database keeps nothing once closed: every command would
        # record into a store that is gone when it exits.
        message = f"invalid SQLite URL {quoted(url)}: a SQLite memory database keeps nothing; use memory://"
        raise StoreError(message)
    parent = Path(path).parent
    if not parent.is_dir():
        message = f"cannot open {quoted(url)}: directory {quoted(str(parent))} does not exist"
        raise StoreError(message)
    return path


def open_store(
    url: str = DEFAULT_STORE, *, store_key: bytes | None = None, sealer: Sealer | None = None
) -> Mediations:
    """A Mediations application on the store `url`, tables created on first use.

    Personal values are sealed with per-subject keys kept in the same database. With a
    `store_key` (32 bytes; see `keystores.load_store_key`) a new store is encrypted at rest,
    and an encrypted store opens; a wrong or missing key is a StoreError.
    """
    env = env_for(url)
    module = env["PERSISTENCE_MODULE"]
    if module == "eventsourcing.popo":
        if store_key is not None:
            raise StoreError("a memory:// store is not written anywhere: it takes no store key")
        return Mediations(env=env, sealer=sealer)
    if module == "eventsourcing.sqlite":
        owner_only(env["SQLITE_DBNAME"], create=True)
    setting_up = {"eventsourcing.postgres": _schema_ready, "eventsourcing.sqlite": _file_locked}
    try:
        with setting_up[module](env):
            return _open_with_keys(env, store_key, sealer)
    except (StoreKeyError, StoreModeError):
        raise
    except StoreError as error:
        detail = error.message.rpartition(": ")[2]
        message = f"cannot open store {quoted(redacted(url))}: {detail}"
        raise StoreError(message) from error
    except (PersistenceError, sqlite3.Error, OSError, driver_error()) as error:
        detail = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        message = f"cannot open store {quoted(redacted(url))}: {detail}"
        raise StoreError(message) from error


def _open_with_keys(
    env: dict[str, str], store_key: bytes | None, sealer: Sealer | None
) -> Mediations:
    from mediation_adapters.keystores import SqlKeyStore, StoreKeys  # noqa: PLC0415 - cycle
    from mediation_adapters.sql import Database  # noqa: PLC0415 - it builds on this module

    def holds_events() -> bool:
        probe = Mediations(env=env, sealer=KeyedSealer(MemoryKeyStore()))  # never seals
        try:
            return probe.recorder.max_notification_id() is not None
        finally:
            probe.close()

    db = Database(env)
    try:
        data_key = StoreKeys(db).data_key(store_key, holds_events)
        if data_key is not None:
            env = env | {
                "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
                "CIPHER_KEY": base64.b64encode(data_key).decode("ascii"),
            }
        app = Mediations(
            env=env, sealer=sealer or KeyedSealer(SqlKeyStore(db, data_key, beside_events=True))
        )
    except BaseException:
        db.close()
        raise
    app.on_close.append(db.close)
    return app


_SQLITE_FILES = ("", "-wal", "-shm", "-journal")


def owner_only(path: str, *, create: bool = False) -> None:
    """Hold a SQLite store's files to mode 0600: they keep the data keys beside the values.

    A new store file is made 0600 before SQLite opens it (SQLite gives its -wal and -shm
    files the mode of the database file). An existing file that others may read or write
    is refused: widening it again after the refusal is the operator's deliberate act.
    """
    for suffix in _SQLITE_FILES:
        try:
            if create and not suffix:
                with contextlib.suppress(FileExistsError):
                    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                    os.close(os.open(path, flags, 0o600))
            mode = stat.S_IMODE(Path(path + suffix).stat().st_mode)
        except FileNotFoundError:
            continue
        except OSError as error:
            message = f"cannot open the store file {quoted(path + suffix)}: {error.strerror}"
            raise StoreError(message) from None
        if mode & 0o077:
            message = (
                f"the store file {path + suffix} is open to other users (mode {mode:04o}), and "
                f"it holds the data keys: chmod 600 {path}*"
            )  # a path SQLite opened: no longer than the system allows
            raise StoreModeError(message)


@contextmanager
def _file_locked(env: dict[str, str]) -> Iterator[None]:
    """Let processes opening one SQLite file take turns while it is set up (WAL, tables).

    The lock is taken on the file's directory, never on the database file: closing any
    descriptor of the database file would drop the POSIX locks SQLite holds on it for this
    process's connections (SQLite's "how to corrupt" guide, section 2.2), and another
    process could then checkpoint and reset the WAL under them ("disk I/O error").
    """
    path = env["SQLITE_DBNAME"]
    directory = os.open(Path(path).resolve().parent, os.O_RDONLY)
    try:
        fcntl.flock(directory, fcntl.LOCK_EX)
        yield
    finally:
        os.close(directory)  # closing releases the flock


def driver_error() -> type[Exception]:
    """The PostgreSQL driver's base error when it is installed (never raised otherwise)."""
    try:
        import psycopg  # noqa: PLC0415 - an optional extra
    except ImportError:
        return PersistenceError
    return psycopg.Error
