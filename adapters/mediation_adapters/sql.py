"""One connection to the store's own database, beside eventsourcing's, for our side tables.

The audit ledger and the key store keep their tables in the same SQLite file or PostgreSQL
schema as the events. Both speak through `Database`: '?' placeholders, explicit
transactions, a lock so that one connection can serve several threads, and every driver
error turned into a one-line StoreError.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

from mediation_adapters.stores import (
    SQLITE_LOCK_TIMEOUT_SECONDS,
    StoreError,
    driver_error,
    env_for,
    owner_only,
    postgres_connection,
)

_CHECKPOINT_TRIES = 20
_CHECKPOINT_PAUSE_SECONDS = 0.05


class Database:
    """A connection in autocommit mode; `transaction()` groups statements, all or nothing.

    `existing=True` opens a SQLite file only if it is there (commands that inspect or
    change a store must not create an empty one at a mistyped path).
    """

    def __init__(self, env: dict[str, str], *, existing: bool = False) -> None:
        module = env["PERSISTENCE_MODULE"]
        self._errors: tuple[type[Exception], ...] = (sqlite3.Error, driver_error())
        with self._translated("cannot open the store"):
            if module == "eventsourcing.sqlite":
                self.dialect = "sqlite"
                self._connection: Any = _sqlite(env["SQLITE_DBNAME"], existing=existing)
                self._placeholder = "?"
            elif module == "eventsourcing.postgres":
                self.dialect = "postgresql"
                self._connection = _postgres(env)
                self._placeholder = "%s"
            else:
                message = "this needs a persistent store: sqlite:///... or postgresql://..."
                raise StoreError(message)
        self._lock = threading.RLock()
        self._depth = 0
        self._durability: int | None = None  # SQLite's synchronous level in WAL mode, else 0

    @classmethod
    def of(cls, url: str, *, existing: bool = False) -> Database:
        """The database the store URL names."""
        return cls(env_for(url), existing=existing)

    @property
    def blob(self) -> str:
        """The column type for bytes."""
        return "BYTEA" if self.dialect == "postgresql" else "BLOB"

    def has_table(self, name: str) -> bool:
        """True when the table exists (in the URL's schema, on PostgreSQL)."""
        if self.dialect == "sqlite":
            sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?"
        else:
            sql = "SELECT 1 WHERE to_regclass(?) IS NOT NULL"
        return bool(self.rows(sql, (name,)))

    def purge(self, table: str) -> bool:
        """Push overwritten rows of `table` out of where deleted bytes linger; True if done.

        SQLite: the old page images live on in the write-ahead log, so the log is
        checkpointed and truncated. A reader elsewhere can hold the log: the checkpoint is
        tried without waiting, for about a second, and False means the old bytes may stay
        in the -wal file until SQLite resets the log (run the erasure again when quiet).
        PostgreSQL: the table is vacuumed (old row versions may still sit in the server's
        WAL segments, archives and backups).
        """
        if self.dialect == "postgresql":
            self.execute(f'VACUUM "{table}"')  # our own table names, never input
            return True
        with self._lock, self._translated("cannot checkpoint the store"):
            self._connection.execute("PRAGMA busy_timeout = 0")  # never hold writers back
            try:
                for _ in range(_CHECKPOINT_TRIES):
                    busy, *_ = self._connection.execute(
                        "PRAGMA wal_checkpoint(TRUNCATE)"
                    ).fetchone()
                    if not busy:
                        return True
                    time.sleep(_CHECKPOINT_PAUSE_SECONDS)
                return False
            finally:
                timeout_ms = int(float(SQLITE_LOCK_TIMEOUT_SECONDS) * 1000)
                self._connection.execute(f"PRAGMA busy_timeout = {timeout_ms}")

    @contextmanager
    def unflushed(self) -> Iterator[None]:
        """Statements inside commit without waiting for the disk; later commits carry them.

        For rows that only matter once a later, flushed commit uses them (a new subject's
        key, then the event sealed with it). The log keeps its order, so that commit makes
        them durable too; a power loss can only lose such rows that nothing used yet.
        SQLite: `synchronous = NORMAL` for the block, in WAL mode only (elsewhere nothing
        changes). PostgreSQL: one transaction with `synchronous_commit` off. Inside a
        transaction already open, nothing changes: its other statements stay flushed.
        The argument assumes the events' own commits are flushed (eventsourcing's
        connections at SQLite's default FULL, PostgreSQL's `synchronous_commit` on).
        """
        if self._depth:
            yield
            return
        if self.dialect == "postgresql":
            with self.transaction():
                self.execute("SET LOCAL synchronous_commit = off")
                yield
            return
        with self._lock:
            if self._durability is None:  # read once: WAL stays WAL, and the level is ours
                mode, *_ = self.rows("PRAGMA journal_mode")[0]
                (level,) = self.rows("PRAGMA synchronous")[0]
                self._durability = int(level) if mode == "wal" else 0
            relaxed = self._durability > 1  # FULL or EXTRA, in WAL mode
            if relaxed:
                self.execute("PRAGMA synchronous = NORMAL")
            try:
                yield
            finally:
                if relaxed:
                    self.execute(f"PRAGMA synchronous = {self._durability}")

    def close(self) -> None:
        """Release the connection."""
        self._connection.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All or nothing; SQLite takes its write lock at the start (BEGIN IMMEDIATE)."""
        with self._lock:
            if self._depth:  # already inside: one transaction
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            self._depth = 1
            try:
                with self._translated("the store refused a change"):
                    if self.dialect == "postgresql":
                        with self._connection.transaction():
                            yield
                        return
                    self._connection.execute("BEGIN IMMEDIATE")
                    try:
                        yield
                    except BaseException:
                        self._connection.execute("ROLLBACK")
                        raise
                    self._connection.execute("COMMIT")
            finally:
                self._depth = 0

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        with self._lock, self._translated("the store refused a statement"):
            cursor = self._connection.execute(sql.replace("?", self._placeholder), params)
            return int(cursor.rowcount)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each row."""
        with self._lock, self._translated("the store refused a statement"):
            cursor = self._connection.cursor()
            cursor.executemany(sql.replace("?", self._placeholder), rows)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """The rows a query returns."""
        with self._lock, self._translated("the store refused a query"):
            cursor = self._connection.execute(sql.replace("?", self._placeholder), params)
            return list(cursor.fetchall())

    @contextmanager
    def _translated(self, what: str) -> Iterator[None]:
        try:
            yield
        except self._errors as error:
            detail = str(error).strip().splitlines()[0] if str(error).strip() else ""
            message = f"{what}: {detail or type(error).__name__}"
            raise StoreError(message) from error


def _sqlite(path: str, *, existing: bool) -> sqlite3.Connection:
    if existing and not Path(path).is_file():
        message = f"no store at {path}: check the path"
        raise StoreError(message)
    owner_only(path, create=not existing)
    target, uri = (f"file:{quote(path)}?mode=rw", True) if existing else (path, False)
    connection = sqlite3.connect(
        target,
        timeout=float(SQLITE_LOCK_TIMEOUT_SECONDS),
        isolation_level=None,
        check_same_thread=False,
        uri=uri,
    )
    connection.execute("PRAGMA secure_delete = ON")  # freed bytes are zeroed
    return connection


def _postgres(env: dict[str, str]) -> Any:  # noqa: ANN401 - a psycopg connection
    """Autocommit on the URL's schema: reads hold no locks; transactions are explicit."""
    import psycopg  # noqa: PLC0415 - an optional extra

    connection = postgres_connection(env)
    schema = psycopg.sql.Identifier(env.get("POSTGRES_SCHEMA", "public"))
    connection.execute(psycopg.sql.SQL("SET search_path TO {}").format(schema))
    return connection
