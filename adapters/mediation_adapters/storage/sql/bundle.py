"""A store bundle on any SQL database: events by an eventsourcing recorder, ports by this toolkit.

A SQL store adapter gives `SqlBundle` its dialect, the eventsourcing settings of its
events, and the name of its events table; the bundle opens the keys (and, with a store
key, the encryption at rest), and opens ledgers and projection stores on new connections.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from eventsourcing.persistence import InfrastructureFactory, PersistenceError
from eventsourcing.utils import Environment

from mediation_adapters.storage.errors import (
    StoreError,
    StoreKeyError,
    StoreModeError,
    first_line,
)
from mediation_adapters.storage.sql.database import Database, Dialect
from mediation_adapters.storage.sql.keys import SqlKeyStore, StoreKeys
from mediation_adapters.storage.sql.ledger import SqlLedger
from mediation_adapters.storage.sql.projections import SqlProjectionStore, SqlProjectionStoreWithLog
from mediation_domain.errors import quoted

APPLICATION = "Mediations"  # the application's name: eventsourcing names some tables by it


@contextmanager
def opening(name: str, errors: tuple[type[Exception], ...] = ()) -> Iterator[None]:
    """A failure to open the store, as a StoreError that names it (key errors as they are).

    `errors`: the driver's, which eventsourcing's recorders may let through.
    """
    try:
        yield
    except (StoreKeyError, StoreModeError):
        raise
    except StoreError as error:
        detail = error.message.rpartition(": ")[2]
        message = f"cannot open store {quoted(name)}: {detail}"
        raise StoreError(message) from error
    except (PersistenceError, *errors) as error:  # type: ignore[misc] # a tuple of types
        message = f"cannot open store {quoted(name)}: {first_line(error)}"
        raise StoreError(message) from error


class SqlBundle:
    """The StoreBundle port on a SQL database."""

    def __init__(  # noqa: PLR0913 - the database, and what its recorder names
        self,
        name: str,
        dialect: Dialect,
        environment: Mapping[str, str],
        *,
        events_table: str | None = None,
        notification_id: str | None = None,
        store_key: bytes | None = None,
    ) -> None:
        """Open the keys; `store_key` opens (or, on a new store, starts) encryption at rest.

        The events' tables are created here too (`environment` names the recorder), so
        that the caller's set-up lock covers every table a new store gets. `events_table`
        is the table the recorder writes, by default its `events_table_name`: whether it
        holds events decides whether a store is new (a store with events in clear is never
        encrypted in place), so a name the store does not have is refused.
        `notification_id` is its column of notification ids, by default as eventsourcing's
        SQLite recorders read it (`rowid`) and `notification_id` where the table has it:
        projection stores then read where the log ends with their pages (without one,
        apart: a page costs two more round trips).
        """
        self._name, self._dialect = name, dialect
        self._environment = dict(environment)
        self._events_table = events_table
        self._notification_id = notification_id
        self._log_end: str | None = None
        with opening(name):
            self._db = Database(dialect)
        try:
            with opening(name, dialect.errors):
                self._create_events_table()
            self._store_keys = StoreKeys(self._db)
            data_key = self._store_keys.data_key(store_key, self._holds_events)
            if data_key is not None:
                self._environment |= {
                    "CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher",
                    "CIPHER_KEY": base64.b64encode(data_key).decode("ascii"),
                }
            self._keys = SqlKeyStore(self._db, data_key, beside_events=True)
        except BaseException:
            self._db.close()
            raise

    @property
    def name(self) -> str:
        """The store's URL, password hidden."""
        return self._name

    def environment(self) -> dict[str, str]:
        """The eventsourcing settings of the events, with the cipher when encrypted at rest."""
        return dict(self._environment)

    def key_store(self) -> SqlKeyStore:
        """The subjects' keys."""
        return self._keys

    def ledger(self) -> SqlLedger:
        """A ledger on a connection of its own (the caller closes it)."""
        return SqlLedger(Database(self._dialect))

    def projections(self) -> SqlProjectionStore:
        """A projection store on a connection of its own (the caller closes it)."""
        if self._log_end is None:
            return SqlProjectionStore(Database(self._dialect))
        return SqlProjectionStoreWithLog(Database(self._dialect), log_end=self._log_end)

    def store_key_status(self) -> tuple[str, str] | None:
        """(key id, since) of the store key, None when the store is not encrypted at rest."""
        return self._store_keys.status()

    def rotate_store_key(self, old: bytes, new: bytes) -> tuple[str, str]:
        """Re-wrap the data key under `new`; the (old, new) key ids."""
        return self._store_keys.rotate(old, new)

    def close(self) -> None:
        """Release the bundle's connection."""
        self._db.close()

    def _create_events_table(self) -> None:
        """The events' and snapshots' tables, made now; the application makes none itself.

        Made by processes that start together, they would race (PostgreSQL refuses two
        CREATE ... IF NOT EXISTS at once): here the caller's set-up lock covers them.
        """
        factory = InfrastructureFactory[Any].construct(Environment(APPLICATION, self._environment))
        try:
            recorder = factory.application_recorder()
            factory.aggregate_recorder("snapshots")
        finally:
            factory.close()
        self._environment["CREATE_TABLE"] = "n"
        self._events_table = self._events_table or getattr(recorder, "events_table_name", None)
        if not self._events_table or not self._dialect.has_table(self._db, self._events_table):
            message = (
                f"the events table {quoted(self._events_table)} is not in the store (give "
                "SqlBundle the table its recorder writes, events_table=)"
            )
            raise StoreError(message)
        self._log_end = self._log_end_query(recorder)

    def _log_end_query(self, recorder: object) -> str | None:
        """The query of the log's last notification id, None if the table's column is unknown.

        Unless told the column, the recorder's own query where it keeps one as text
        (eventsourcing's SQLite recorders), else `notification_id` where the table has it.
        """
        column = self._notification_id
        own = getattr(recorder, "select_max_notification_id_statement", None)
        if column is None and isinstance(own, str):
            query = own.strip().rstrip(";")  # it runs inside other statements
        else:
            query = f"SELECT MAX({column or 'notification_id'}) FROM {self._events_table}"  # noqa: S608
        try:  # as pages run it: a scalar subquery (a ';', a comment, two columns fail)
            self._db.rows(f"SELECT ({query})")
        except StoreError:
            if column is None:
                return None  # a recorder of its own: the log's end is read from it, apart
            message = (
                f"the events table {quoted(self._events_table)} has no column "
                f"{quoted(column)} (give SqlBundle its column of notification ids, "
                "notification_id=)"
            )
            raise StoreError(message) from None
        return query

    def _holds_events(self) -> bool:
        table = self._events_table
        return table is not None and bool(
            self._db.rows(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 - the adapter's name
        )
