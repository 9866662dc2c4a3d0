"""One connection to the store's own database, beside eventsourcing's, for our side tables.

The audit ledger and the key store keep their tables in the same SQLite file or PostgreSQL
schema as the events. Both speak through `Database`: '?' placeholders, explicit
transactions, and a lock so that one connection can serve several threads.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from mediation_adapters.stores import (
    SQLITE_LOCK_TIMEOUT_SECONDS,
    StoreError,
    env_for,
    postgres_connection,
)

_CHECKPOINT_TRIES = 20


class Database:
    """A connection in autocommit mode; `transaction()` groups statements, all or nothing."""

    def __init__(self, env: dict[str, str]) -> None:
        module = env["PERSISTENCE_MODULE"]
        if module == "eventsourcing.sqlite":
            self.dialect = "sqlite"
            self._connection: Any = sqlite3.connect(
                env["SQLITE_DBNAME"],
                timeout=float(SQLITE_LOCK_TIMEOUT_SECONDS),
                isolation_level=None,
                check_same_thread=False,
            )
            self._placeholder = "?"
            self._connection.execute("PRAGMA secure_delete = ON")  # freed bytes are zeroed
        elif module == "eventsourcing.postgres":
            self.dialect = "postgresql"
            self._connection = _postgres(env)
            self._placeholder = "%s"
        else:
            message = "this needs a persistent store: sqlite:///... or postgresql://..."
            raise StoreError(message)
        self._lock = threading.RLock()
        self._depth = 0

    @classmethod
    def of(cls, url: str) -> Database:
        """The database the store URL names."""
        return cls(env_for(url))

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
        """Push overwritten rows of `table` out of where deleted bytes linger.

        SQLite: the old page images live on in the write-ahead log until a checkpoint, so
        the log is checkpointed and truncated. PostgreSQL: the table is vacuumed (its old
        row versions may still sit in the server's WAL segments and backups).
        """
        if self.dialect == "sqlite":
            # A reader in another process can hold the log for a moment: retry for a second.
            # If it still holds it, the bytes go at the next checkpoint (SQLite's own, or
            # running the erasure again); returns whether the log was truncated now.
            for _ in range(_CHECKPOINT_TRIES):
                busy, *_ = self.rows("PRAGMA wal_checkpoint(TRUNCATE)")[0]
                if not busy:
                    return True
                time.sleep(0.05)
            return False
        self.execute(f'VACUUM "{table}"')  # our own table names, never input
        return True

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
        with self._lock:
            cursor = self._connection.execute(sql.replace("?", self._placeholder), params)
            return int(cursor.rowcount)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each row."""
        with self._lock:
            cursor = self._connection.cursor()
            cursor.executemany(sql.replace("?", self._placeholder), rows)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """The rows a query returns."""
        with self._lock:
            cursor = self._connection.execute(sql.replace("?", self._placeholder), params)
            return list(cursor.fetchall())


def _postgres(env: dict[str, str]) -> Any:  # noqa: ANN401 - a psycopg connection
    """Autocommit on the URL's schema: reads hold no locks; transactions are explicit."""
    import psycopg  # noqa: PLC0415 - an optional extra

    connection = postgres_connection(env)
    schema = psycopg.sql.Identifier(env.get("POSTGRES_SCHEMA", "public"))
    connection.execute(psycopg.sql.SQL("SET search_path TO {}").format(schema))
    return connection
