"""One DB-API connection beside eventsourcing's, and what differs between SQL databases.

The ports' tables (keys, ledger, projections) live in the same database as the events.
Every statement is written with `?` placeholders and portable SQL; a `Dialect` says what
differs (placeholders, column types, upserts, how to begin a write, how to purge freed
bytes), and `Database` runs statements under a lock, groups them in transactions, and
turns every driver error into a one-line StoreError.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from mediation_adapters.storage.errors import StoreError, first_line


class Dialect:
    """A SQL database as the ports' tables need it; subclass it for a new database.

    `connect` must return a DB-API 2 connection in autocommit mode: `Database` opens the
    transactions itself.
    """

    name = "sql"
    placeholder = "?"  # or "%s" for drivers of the pyformat style
    key = "VARCHAR(255)"  # a text primary key
    text = "TEXT"  # a long text (a JSON document)
    blob = "BLOB"
    for_update = " FOR UPDATE"  # locks the rows a select in a write transaction reads
    errors: tuple[type[Exception], ...] = ()  # the driver's errors
    # Whether a UNION ALL may end with a parenthesised select that has its own ORDER BY
    # and LIMIT (PostgreSQL, MariaDB; not SQLite): else it is read from a subquery.
    parenthesised_union = False

    def connect(self) -> Any:  # noqa: ANN401 - a DB-API connection
        """A new connection, in autocommit mode."""
        raise NotImplementedError

    def quote(self, name: str) -> str:
        """`name` as an identifier, where it is a reserved word (`key`)."""
        return f'"{name}"'

    def begin(self, cursor: Any, *, write: bool) -> None:  # noqa: ANN401, ARG002
        """Start a transaction (`write`: one that will write)."""
        cursor.execute("BEGIN")

    def snapshot(self, cursor: Any) -> None:  # noqa: ANN401
        """Make the transaction just begun read one snapshot of the database throughout."""

    def insert_ignore(
        self,
        table: str,
        columns: Sequence[str],
        key: Sequence[str],
        *,
        rows: int = 1,
        returning: str | None = None,
    ) -> str:
        """INSERT of `rows` rows, each doing nothing when a row with its `key` exists.

        With `returning`, the statement returns that column of the rows it inserted.
        Column names are given bare: the dialect quotes them.
        """
        values = ", ".join([f"({', '.join('?' * len(columns))})"] * rows)
        ending = f" RETURNING {returning}" if returning else ""
        names = ", ".join(map(self.quote, columns))
        return (
            f"INSERT INTO {table} ({names}) VALUES {values}"  # noqa: S608
            f" ON CONFLICT ({', '.join(map(self.quote, key))}) DO NOTHING{ending}"
        )

    def upsert(self, table: str, columns: Sequence[str], key: Sequence[str]) -> str:
        """INSERT of one row that replaces the other columns of a row with the same `key`."""
        marks = ", ".join("?" * len(columns))
        update = ", ".join(
            f"{self.quote(c)} = excluded.{self.quote(c)}" for c in columns if c not in key
        )
        return (
            f"INSERT INTO {table} ({', '.join(map(self.quote, columns))}) VALUES ({marks})"  # noqa: S608
            f" ON CONFLICT ({', '.join(map(self.quote, key))}) DO UPDATE SET {update}"
        )

    @contextmanager
    def creating(self, db: Database) -> Iterator[None]:  # noqa: ARG002
        """Hold whatever lock makes CREATE ... IF NOT EXISTS safe when processes race."""
        yield

    def has_table(self, db: Database, name: str) -> bool:
        """True when the table exists."""
        rows = db.rows(
            "SELECT 1 FROM information_schema.tables WHERE table_name = ?"
            " AND table_schema = current_schema()",
            (name,),
        )
        return bool(rows)

    def analyze(self, db: Database, table: str) -> None:
        """Gather the planner's statistics on `table`, which grew (none by default)."""

    def purge(self, db: Database, table: str) -> bool:  # noqa: ARG002
        """Push the old bytes of changed rows of `table` out of the files; True when done."""
        return True

    @contextmanager
    def unflushed(self, db: Database) -> Iterator[None]:  # noqa: ARG002
        """Statements inside may commit without waiting for the disk (see SqlKeyStore)."""
        yield


class Database:
    """A connection in autocommit mode; `transaction()` groups statements, all or nothing.

    A lock lets one connection serve several threads: statements and transactions take
    turns.
    """

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        with self._translated("cannot open the store"):
            self._connection = dialect.connect()
        self._lock = threading.RLock()
        self._depth = 0
        self._locks_ready = False
        self._closed = False

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the number of rows it changed."""
        with self._lock, self._translated("the store refused a statement"):
            cursor = self._connection.cursor()
            cursor.execute(self._sql(sql), tuple(params))
            return int(cursor.rowcount)

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        """Run one statement for each row."""
        if rows:
            with self._lock, self._translated("the store refused a statement"):
                self._connection.cursor().executemany(self._sql(sql), [tuple(r) for r in rows])

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """The rows a query returns."""
        with self._lock, self._translated("the store refused a query"):
            cursor = self._connection.cursor()
            cursor.execute(self._sql(sql), tuple(params))
            return list(cursor.fetchall())

    @contextmanager
    def transaction(self, *, write: bool = True, snapshot: bool = False) -> Iterator[None]:
        """All or nothing; nested, it joins the transaction already open.

        `snapshot`: every read inside sees the database as it was at the first one.
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield
                finally:
                    self._depth -= 1
                return
            cursor = self._connection.cursor()
            with self._translated("the store refused a change"):
                self.dialect.begin(cursor, write=write)
                if snapshot:
                    self.dialect.snapshot(cursor)
            self._depth = 1
            try:
                yield
            except BaseException:
                self._depth = 0
                with self._translated("the store refused a rollback"):
                    cursor.execute("ROLLBACK")
                raise
            self._depth = 0
            with self._translated("the store refused a change"):
                cursor.execute("COMMIT")

    def create(self, *statements: str) -> None:
        """Run CREATE ... IF NOT EXISTS statements, safely when other processes race."""
        with self._lock, self.dialect.creating(self):
            for statement in statements:
                self.execute(statement)

    @contextmanager
    def locked(self, name: str) -> Iterator[None]:
        """A write transaction that holds the lock `name` until it ends.

        The lock is a row of mediation_locks, read FOR UPDATE (SQLite: its write lock,
        taken as the transaction begins): processes that take the same lock take turns.
        """
        if not self._locks_ready:
            self.create(
                f"CREATE TABLE IF NOT EXISTS mediation_locks (name {self.dialect.key} PRIMARY KEY)"
            )
            self._locks_ready = True
        self.execute(self.dialect.insert_ignore("mediation_locks", ("name",), ("name",)), (name,))
        with self.transaction(write=True):
            lock = f"SELECT name FROM mediation_locks WHERE name = ?{self.dialect.for_update}"  # noqa: S608
            self.rows(lock, (name,))
            yield

    @property
    def in_transaction(self) -> bool:
        """True inside `transaction()`."""
        return self._depth > 0

    @property
    def connection(self) -> Any:  # noqa: ANN401 - the driver's
        """The driver's connection, for a dialect's own statements (hold the lock)."""
        return self._connection

    @property
    def lock(self) -> threading.RLock:
        """The lock statements take turns under."""
        return self._lock

    def close(self) -> None:
        """Release the connection (again: nothing)."""
        with self._lock, self._translated("cannot close the store"):
            if not self._closed:
                self._closed = True
                self._connection.close()

    def _sql(self, sql: str) -> str:
        return (
            sql if self.dialect.placeholder == "?" else sql.replace("?", self.dialect.placeholder)
        )

    @contextmanager
    def _translated(self, what: str) -> Iterator[None]:
        try:
            yield
        except self.dialect.errors as error:
            message = f"{what}: {first_line(error)}"
            raise StoreError(message) from error
