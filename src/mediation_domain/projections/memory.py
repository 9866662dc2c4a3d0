"""The ProjectionStore port in this process: tables of rows in dictionaries.

A write is staged, then applied whole when its block ends without an error. The
application uses it when it has no store bundle (`Mediations()`), and the memory:// store
hands it out as its projection store.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

from mediation_domain.errors import InvalidInputError
from mediation_domain.ports import Condition, ProjectionState, Row

_COMPARE = {
    "=": lambda a, b: a == b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


class MemoryProjectionStore:
    """The ProjectionStore port in this process: a write is staged, then applied whole."""

    def __init__(self) -> None:
        self._fields: dict[str, tuple[str, ...]] = {}
        self._tables: dict[str, list[str]] = {}
        self._rows: dict[str, dict[str, Row]] = {}
        self._states: dict[str, ProjectionState] = {}
        self._lock = threading.RLock()

    def declare(self, projection: str, tables: Mapping[str, Sequence[str]]) -> None:
        """Make the projection's tables."""
        with self._lock:
            for table, fields in tables.items():
                self._fields[table] = tuple(fields)
                self._rows.setdefault(table, {})
            self._tables[projection] = list(tables)

    @contextmanager
    def reading(self, projection: str) -> Iterator[_MemoryTransaction]:
        """Reads of the rows as they are."""
        with self._lock:
            yield _MemoryTransaction(self, projection)

    @contextmanager
    def writing(self, projection: str) -> Iterator[_MemoryTransaction]:
        """Changes staged while the block runs, applied if it ends without an error."""
        with self._lock:
            transaction = _MemoryTransaction(self, projection)
            yield transaction
            transaction.apply()

    def scan(self, table: str) -> Iterator[Row]:
        """Every row of `table`, as they were when the scan began."""
        with self._lock:
            rows = list(self._rows[table].values())
        return iter(rows)

    def close(self) -> None:
        """Nothing to release."""

    # For the transactions ------------------------------------------------------------------

    def committed(self, table: str) -> dict[str, Row]:
        """The rows of `table`."""
        try:
            return self._rows[table]
        except KeyError:
            message = f"the projection table {table!r} was not declared"
            raise InvalidInputError(message) from None

    def fields(self, table: str) -> tuple[str, ...]:
        """The fields `table` was declared with."""
        return self._fields[table]

    def tables(self, projection: str) -> list[str]:
        """The tables of `projection`."""
        return self._tables.get(projection, [])

    def state_of(self, projection: str) -> ProjectionState | None:
        """The projection's state."""
        return self._states.get(projection)

    def commit(
        self,
        projection: str,
        state: ProjectionState | None,
        cleared: set[str],
        staged: dict[str, dict[str, Row | None]],
    ) -> None:
        """Apply a transaction's changes."""
        for table in cleared:
            self._rows[table] = {}
        for table, rows in staged.items():
            target = self._rows[table]
            for key, row in rows.items():
                if row is None:
                    target.pop(key, None)
                else:
                    target[key] = row
        if state is not None:
            self._states[projection] = state


class _MemoryTransaction:
    """A projection transaction staged over the store's rows."""

    def __init__(self, store: MemoryProjectionStore, projection: str) -> None:
        self._store, self._name = store, projection
        self._state = store.state_of(projection)
        self._cleared: set[str] = set()
        self._staged: dict[str, dict[str, Row | None]] = {}

    def state(self) -> ProjectionState | None:
        """The projection's state, as this transaction left it."""
        return self._state

    def reset(self, version: int, secret: bytes) -> None:
        """Empty the projection's tables and forget its position."""
        self._cleared = set(self._store.tables(self._name))
        self._staged = {}
        self._state = ProjectionState(version, None, secret)

    def advance(self, position: int) -> None:
        """Every notification up to `position` is folded in."""
        if self._state is None:
            message = f"the projection {self._name} was never reset"
            raise InvalidInputError(message)
        self._state = ProjectionState(self._state.version, position, self._state.secret)

    def get(self, table: str, keys: Sequence[str]) -> dict[str, Row]:
        """The rows with those keys."""
        rows = self._rows(table)
        return {key: rows[key] for key in keys if key in rows}

    def put(self, table: str, rows: Mapping[str, Row]) -> None:
        """Insert or replace rows by key."""
        self._store.committed(table)  # declared?
        self._staged.setdefault(table, {}).update(rows)

    def delete(self, table: str, keys: Sequence[str]) -> None:
        """Remove the rows with those keys."""
        self._staged.setdefault(table, {}).update(dict.fromkeys(keys))

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
        for condition in where:
            if condition.field not in fields or condition.operator not in _COMPARE:
                message = f"cannot select {table} by {condition.field} {condition.operator}"
                raise InvalidInputError(message)
        found = [
            (key, row)
            for key, row in self._rows(table).items()
            if (after is None or row.seq > after) and all(_holds(row, c) for c in where)
        ]
        return sorted(found, key=lambda item: item[1].seq)[:limit]

    def apply(self) -> None:
        """Make the staged changes the store's."""
        self._store.commit(self._name, self._state, self._cleared, self._staged)

    def _rows(self, table: str) -> dict[str, Row]:
        base = {} if table in self._cleared else self._store.committed(table)
        staged = self._staged.get(table, {})
        if not staged:
            return base
        merged = dict(base)
        for key, row in staged.items():
            if row is None:
                merged.pop(key, None)
            else:
                merged[key] = row
        return merged


def _holds(row: Row, condition: Condition) -> bool:
    value = row.fields.get(condition.field)
    return value is not None and bool(_COMPARE[condition.operator](value, condition.value))
