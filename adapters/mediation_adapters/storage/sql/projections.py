"""The ProjectionStore port on tables of the store's database.

mediation_projections holds each projection's state (version, position, secret); each
declared table is `mediation_p_<table>` (k, seq, doc, and an `f_<field>` column for each
field it is queried by, indexed with seq). Writing holds the projection's lock
(`Database.locked`); reading and scanning read one snapshot.
"""

from __future__ import annotations

import contextlib
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from mediation_adapters.storage.errors import StoreError
from mediation_adapters.storage.sql.database import Database
from mediation_domain.ports import OPERATORS, Condition, ProjectionState, Row

STATE = "mediation_projections"
_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}")
_CHUNK = 500
_STATE_COLUMNS = ("version", "position", "secret")
_FIRST_ANALYSIS = 1000  # rows changed in a table before its statistics are first gathered
SCAN_CHUNK = 5000


def table_name(table: str) -> str:
    """The SQL table behind a projection's table."""
    return f"mediation_p_{table}"


def _checked(name: str, what: str) -> str:
    if not _NAME.fullmatch(name):
        message = f"invalid {what} name {name!r}: use [a-z][a-z0-9_]*, at most 40 characters"
        raise StoreError(message)
    return name


class SqlProjectionStore:
    """Projections' state and tables beside the events."""

    def __init__(self, db: Database) -> None:
        self._db = db
        self._changed: dict[str, int] = {}  # rows put or deleted by table, since emptied
        self._next_analysis: dict[str, int] = {}
        self._counting = threading.Lock()
        self._fields: dict[str, tuple[str, ...]] = {}
        self._tables: dict[str, list[str]] = {}
        db.create(
            f"CREATE TABLE IF NOT EXISTS {STATE} (name {db.dialect.key} PRIMARY KEY,"
            f" version INTEGER, position BIGINT, secret {db.dialect.blob})"
        )

    def declare(self, projection: str, tables: Mapping[str, Sequence[str]]) -> None:
        """Create the projection's tables and their indexes unless they exist."""
        dialect = self._db.dialect
        for table, fields in tables.items():
            name = table_name(_checked(table, "table"))
            columns = "".join(f", f_{_checked(f, 'field')} {dialect.key}" for f in fields)
            indexes = [
                f"CREATE INDEX IF NOT EXISTS {name}_{field} ON {name} ({order})"
                for field, order in [
                    ("seq", "seq"),
                    *((f"f_{f}", f"f_{f}, seq") for f in fields),
                ]
            ]
            self._db.create(
                f"CREATE TABLE IF NOT EXISTS {name} (k {dialect.key} PRIMARY KEY,"
                f" seq BIGINT NOT NULL, doc {dialect.text} NOT NULL{columns})",
                *indexes,
            )
            self._fields[table] = tuple(fields)
        self._tables[projection] = list(tables)

    @contextmanager
    def reading(self, projection: str) -> Iterator[SqlProjectionTransaction]:
        """A transaction that only reads one snapshot, without the lock."""
        with self._db.transaction(write=False, snapshot=True):
            yield SqlProjectionTransaction(self, projection)

    @contextmanager
    def writing(self, projection: str) -> Iterator[SqlProjectionTransaction]:
        """A transaction holding the projection's lock: all its changes, or none."""
        tx = SqlProjectionTransaction(self, projection)
        with self._db.locked(f"projection {projection}"):
            yield tx
        if not self._db.in_transaction:  # inside another, a failed ANALYZE would undo it
            self._keep_statistics(tx)

    def _keep_statistics(self, tx: SqlProjectionTransaction) -> None:
        """Have the database gather its planner's statistics on tables that grew (Dialect.analyze).

        A table the planner has no statistics of (a table just filled by a rebuild; a
        PostgreSQL server without autovacuum) is read by its guesses: a page of 50 rows
        among 1M events took 7 to 32 ms instead of 0.1 to 0.6. Each table is analysed once
        this store has changed `_FIRST_ANALYSIS` of its rows since it was last emptied,
        then each time their number doubles: about twenty times over a rebuild of a
        million rows.
        """
        due: list[str] = []
        with self._counting:  # threads share the store
            for table in tx.emptied:
                self._changed.pop(table, None)
                self._next_analysis.pop(table, None)
            for table, count in tx.changed.items():
                total = self._changed[table] = self._changed.get(table, 0) + count
                if total >= self._next_analysis.get(table, _FIRST_ANALYSIS):
                    self._next_analysis[table] = 2 * total
                    due.append(table)
        for table in due:
            with contextlib.suppress(StoreError):  # the change is made: plans may wait
                self._db.dialect.analyze(self._db, table_name(table))

    def scan(self, table: str) -> Iterator[Row]:
        """Every row of `table`, a chunk at a time, from one snapshot."""
        fields = self._fields[table]
        columns = "".join(f", f_{field}" for field in fields)
        with self._db.transaction(write=False, snapshot=True):
            after = ""
            while rows := self._db.rows(
                f"SELECT k, seq, doc{columns} FROM {table_name(table)} WHERE k > ?"  # noqa: S608
                " ORDER BY k LIMIT ?",
                (after, SCAN_CHUNK),
            ):
                yield from (_row(row, fields) for row in rows)
                after = rows[-1][0]

    def close(self) -> None:
        """Release the connection."""
        self._db.close()

    # For the transactions ------------------------------------------------------------------

    @property
    def db(self) -> Database:
        """The connection."""
        return self._db

    def fields(self, table: str) -> tuple[str, ...]:
        """The fields `table` was declared with."""
        try:
            return self._fields[table]
        except KeyError:
            message = f"the projection table {table!r} was not declared"
            raise StoreError(message) from None

    def tables(self, projection: str) -> list[str]:
        """The tables `projection` declared."""
        return self._tables.get(projection, [])


class SqlProjectionStoreWithLog(SqlProjectionStore):
    """A projection store that reads a page and where the log ends in one statement.

    `log_end`: a query of the log's last notification id, in the same database (e.g.
    `SELECT MAX(notification_id) FROM events`). See ports.SelectAtLogEnd.
    """

    def __init__(self, db: Database, *, log_end: str) -> None:
        super().__init__(db)
        self._log_end = log_end

    def select_at_log_end(
        self,
        projection: str,
        table: str,
        where: Sequence[Condition] = (),
        *,
        after: int | None = None,
        limit: int = 100,
    ) -> tuple[ProjectionState | None, int, list[tuple[str, Row]]]:
        """The projection's state, the log's end and a select, in one statement.

        One statement reads one snapshot (PostgreSQL, MariaDB, SQLite alike): no
        transaction is needed to keep the three together. A row of the state and the
        log's end, then the select's rows (UNION ALL): joined instead, the same read took
        twice as long on MariaDB (0.58 ms, a temporary table).
        """
        fields = self.fields(table)
        if self._db.dialect.parenthesised_union:
            page, params = _selecting(table, fields, where, after, limit, blanks=4)
            member = f"({page})"
        else:
            page, params = _selecting(table, fields, where, after, limit)
            member = f"SELECT NULL, NULL, NULL, NULL, page.* FROM ({page}) page"  # noqa: S608
        state = ", ".join(f"(SELECT {c} FROM {STATE} WHERE name = ?)" for c in _STATE_COLUMNS)  # noqa: S608
        blanks = ", NULL" * (3 + len(fields))
        rows = self._db.rows(
            f"SELECT ({self._log_end}), {state}{blanks} UNION ALL {member}",
            [*[projection] * len(_STATE_COLUMNS), *params],
        )
        head = next(row for row in rows if row[4] is None)
        end, version, position, secret = head[:4]
        found = sorted(
            ((row[4], _row(row[4:], fields)) for row in rows if row[4] is not None),
            key=lambda found: found[1].seq,  # stable: as the select gave them, by seq
        )
        return _state(version, position, secret), int(end or 0), found


class SqlProjectionTransaction:
    """One transaction on a projection (see ProjectionTransaction)."""

    def __init__(self, store: SqlProjectionStore, projection: str) -> None:
        self._store, self._db, self._name = store, store.db, projection
        self.changed: dict[str, int] = {}  # rows put or deleted, by table
        self.emptied: set[str] = set()  # tables emptied by a reset

    def state(self) -> ProjectionState | None:
        """The projection's state, None if never reset."""
        rows = self._db.rows(
            f"SELECT version, position, secret FROM {STATE} WHERE name = ?",  # noqa: S608
            (self._name,),
        )
        return _state(*rows[0]) if rows else None

    def reset(self, version: int, secret: bytes) -> None:
        """Empty the projection's tables and forget its position."""
        for table in self._store.tables(self._name):
            self._db.execute(f"DELETE FROM {table_name(table)}")  # noqa: S608
            self.emptied.add(table)
            self.changed.pop(table, None)
        self._db.execute(
            self._db.dialect.upsert(STATE, ("name", "version", "position", "secret"), ("name",)),
            (self._name, version, None, secret),
        )

    def advance(self, position: int) -> None:
        """Every notification up to `position` is folded in."""
        self._db.execute(f"UPDATE {STATE} SET position = ? WHERE name = ?", (position, self._name))  # noqa: S608

    def get(self, table: str, keys: Sequence[str]) -> dict[str, Row]:
        """The rows with those keys."""
        fields = self._store.fields(table)
        columns = "".join(f", f_{field}" for field in fields)
        found: dict[str, Row] = {}
        for start in range(0, len(keys), _CHUNK):
            chunk = list(keys[start : start + _CHUNK])
            marks = ", ".join("?" * len(chunk))
            for row in self._db.rows(
                f"SELECT k, seq, doc{columns} FROM {table_name(table)} WHERE k IN ({marks})",  # noqa: S608
                chunk,
            ):
                found[row[0]] = _row(row, fields)
        return found

    def put(self, table: str, rows: Mapping[str, Row]) -> None:
        """Insert or replace rows by key."""
        fields = self._store.fields(table)
        columns = ("k", "seq", "doc", *(f"f_{field}" for field in fields))
        statement = self._db.dialect.upsert(table_name(table), columns, ("k",))
        self.changed[table] = self.changed.get(table, 0) + len(rows)
        self._db.executemany(
            statement,
            [
                (key, row.seq, row.doc, *(row.fields.get(field) for field in fields))
                for key, row in rows.items()
            ],
        )

    def delete(self, table: str, keys: Sequence[str]) -> None:
        """Remove the rows with those keys."""
        self.changed[table] = self.changed.get(table, 0) + len(keys)
        for start in range(0, len(keys), _CHUNK):
            chunk = list(keys[start : start + _CHUNK])
            marks = ", ".join("?" * len(chunk))
            self._db.execute(f"DELETE FROM {table_name(table)} WHERE k IN ({marks})", chunk)  # noqa: S608

    def select(
        self,
        table: str,
        where: Sequence[Condition] = (),
        *,
        after: int | None = None,
        limit: int = 100,
    ) -> list[tuple[str, Row]]:
        """Up to `limit` rows meeting `where`, by seq, after `after`."""
        fields = self._store.fields(table)
        statement, params = _selecting(table, fields, where, after, limit)
        return [(row[0], _row(row, fields)) for row in self._db.rows(statement, params)]


def _selecting(  # noqa: PLR0913 - a select's parts
    table: str,
    fields: Sequence[str],
    where: Sequence[Condition],
    after: int | None,
    limit: int,
    *,
    blanks: int = 0,
) -> tuple[str, list[object]]:
    """The statement of a select of `table` (declared with `fields`), and its parameters.

    `blanks`: NULL columns before the row's (for a UNION with other columns first).
    """
    clauses: list[str] = []
    params: list[object] = []
    for condition in where:
        if condition.field not in fields or condition.operator not in OPERATORS:
            message = f"cannot select {table} by {condition.field} {condition.operator}"
            raise StoreError(message)
        clauses.append(f"f_{condition.field} {condition.operator} ?")
        params.append(condition.value)
    order = _order(where)
    if after is not None:
        clauses.append(f"{order} > ?")
        params.append(after)
    filtered = f" WHERE {' AND '.join(clauses)}" if clauses else ""
    columns = "".join(f", f_{field}" for field in fields)
    statement = (
        f"SELECT {'NULL, ' * blanks}k, seq, doc{columns} FROM {table_name(table)}{filtered}"  # noqa: S608
        f" ORDER BY {order} LIMIT ?"
    )
    return statement, [*params, limit]


def _state(version: object, position: object, secret: object) -> ProjectionState | None:
    if version is None:
        return None
    return ProjectionState(
        int(version),  # type: ignore[call-overload]
        None if position is None else int(position),  # type: ignore[call-overload]
        bytes(secret or b""),  # type: ignore[call-overload]
    )


def _row(row: Sequence[object], fields: Sequence[str]) -> Row:
    """The row of (k, seq, doc, *fields)."""
    values = row[3:]
    return Row(
        doc=str(row[2]),
        fields={f: None if v is None else str(v) for f, v in zip(fields, values, strict=True)},
        seq=int(row[1]),  # type: ignore[call-overload]
    )


def _order(where: Sequence[Condition]) -> str:
    """How a select orders and pages its rows: by seq, as an equality's index keeps them.

    Ranges alone are selective (retention's closed cases before a cutoff): their field's
    index finds the few rows, which are then sorted. Ordered by the bare seq, SQLite's and
    MariaDB's planners walk the seq index instead, over every row of the table; and with
    the bare `seq > ?` of a next page, they walk the seq index from there.
    """
    ranges_only = bool(where) and all(condition.operator != "=" for condition in where)
    return "seq + 0" if ranges_only else "seq"
