"""The events in MariaDB: eventsourcing recorders of our own, on PyMySQL.

Notification ids come from an AUTO_INCREMENT column, and every insert first locks one
row (`mediation_event_lock`) for the length of its transaction: inserts take turns, so
ids are committed in the order they are given, and a reader asking for "the
notifications after the last id I saw" never misses one that commits late. (InnoDB
gives the next id to an insert when it runs, not when it commits: without the lock, a
long transaction's ids commit after shorter ones that came later.)
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, TypeVar
from uuid import UUID

import pymysql
from eventsourcing.persistence import (
    AggregateRecorder,
    ApplicationRecorder,
    DatabaseError,
    InfrastructureFactory,
    IntegrityError,
    InterfaceError,
    Notification,
    OperationalError,
    ProcessRecorder,
    StoredEvent,
    TrackingRecorder,
)
from eventsourcing.utils import Environment

EVENTS = "mediation_events"
_Recorder = TypeVar("_Recorder", bound="MariaDBAggregateRecorder")
LOCK = "mediation_event_lock"
_CHUNK = 500


class Pool:
    """PyMySQL connections for threads to take turns with (a connection serves one at a time)."""

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings
        self._free: queue.SimpleQueue[pymysql.connections.Connection[Any]] = queue.SimpleQueue()
        self._all: list[pymysql.connections.Connection[Any]] = []
        self._lock = threading.Lock()

    def connect(self) -> pymysql.connections.Connection[Any]:
        """A new connection in autocommit mode, in utf8mb4."""
        return pymysql.connect(**self.settings, autocommit=True, charset="utf8mb4")

    @contextmanager
    def connection(self) -> Iterator[pymysql.connections.Connection[Any]]:
        """A connection of the pool; one that failed is closed, never handed out again."""
        try:
            found = self._free.get_nowait()
        except queue.Empty:
            with _translated():
                found = self.connect()
            with self._lock:
                self._all.append(found)
        try:
            with _translated():
                yield found
        except BaseException:
            self._discard(found)
            raise
        self._free.put(found)

    def close(self) -> None:
        """Close every connection."""
        with self._lock:
            opened, self._all = self._all, []
        for connection in opened:
            if connection.open:
                connection.close()

    def _discard(self, connection: pymysql.connections.Connection[Any]) -> None:
        with self._lock:
            if connection in self._all:
                self._all.remove(connection)
        if connection.open:
            connection.close()


@contextmanager
def _translated() -> Iterator[None]:
    """PyMySQL's errors as eventsourcing's persistence errors (the application knows those)."""
    try:
        yield
    except pymysql.err.IntegrityError as error:
        raise IntegrityError(error) from error
    except pymysql.err.OperationalError as error:
        raise OperationalError(error) from error
    except pymysql.err.InterfaceError as error:
        raise InterfaceError(error) from error
    except pymysql.err.Error as error:
        raise DatabaseError(error) from error


class MariaDBAggregateRecorder(AggregateRecorder):
    """Events (or snapshots) of aggregates in one table, by originator and version."""

    def __init__(self, pool: Pool, table: str) -> None:
        self.pool, self.table = pool, table

    def create_table(self) -> None:
        """The table, unless it exists: states up to 4 GB (LONGBLOB; BLOB stops at 64 KB)."""
        with self.pool.connection() as connection, connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} ("
                " originator_id CHAR(32) NOT NULL, originator_version BIGINT NOT NULL,"
                " topic VARCHAR(255) NOT NULL, state LONGBLOB NOT NULL,"
                " PRIMARY KEY (originator_id, originator_version)) ENGINE=InnoDB"
            )

    def insert_events(self, stored_events: Sequence[StoredEvent], **_: Any) -> Sequence[int] | None:  # noqa: ANN401
        """Insert the events in one transaction; IntegrityError if a version is taken."""
        with self.pool.connection() as connection, connection.cursor() as cursor:
            cursor.execute("START TRANSACTION")
            try:
                cursor.executemany(
                    f"INSERT INTO {self.table} (originator_id, originator_version, topic, state)"  # noqa: S608
                    " VALUES (%s, %s, %s, %s)",
                    [_row(event) for event in stored_events],
                )
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")
        return None

    def select_events(
        self,
        originator_id: UUID | str,
        *,
        gt: int | None = None,
        lte: int | None = None,
        desc: bool = False,
        limit: int | None = None,
    ) -> Sequence[StoredEvent]:
        """The events of one originator, by version."""
        sql = (
            f"SELECT originator_version, topic, state FROM {self.table}"  # noqa: S608 - our name
            " WHERE originator_id = %s"
        )
        params: list[Any] = [_hex(originator_id)]
        if gt is not None:
            sql, params = f"{sql} AND originator_version > %s", [*params, gt]
        if lte is not None:
            sql, params = f"{sql} AND originator_version <= %s", [*params, lte]
        sql += " ORDER BY originator_version" + (" DESC" if desc else "")
        if limit is not None:
            sql, params = f"{sql} LIMIT %s", [*params, limit]
        uuid = UUID(_hex(originator_id))
        with self.pool.connection() as connection, connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [StoredEvent(uuid, int(v), str(t), bytes(s)) for v, t, s in cursor.fetchall()]


class MariaDBApplicationRecorder(MariaDBAggregateRecorder, ApplicationRecorder):
    """Events with a notification id each, committed in the order of their ids."""

    def create_table(self) -> None:
        """The events' table, its indexes, and the row every insert locks."""
        with self.pool.connection() as connection, connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TABLE IF NOT EXISTS {self.table} ("
                " notification_id BIGINT NOT NULL AUTO_INCREMENT,"
                " originator_id CHAR(32) NOT NULL, originator_version BIGINT NOT NULL,"
                " topic VARCHAR(255) NOT NULL, state LONGBLOB NOT NULL,"
                " PRIMARY KEY (notification_id),"
                " UNIQUE KEY by_originator (originator_id, originator_version),"
                " KEY by_topic (topic, notification_id)) ENGINE=InnoDB"
            )
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {LOCK} (id TINYINT PRIMARY KEY)")
            cursor.execute(f"INSERT IGNORE INTO {LOCK} (id) VALUES (1)")  # noqa: S608

    def insert_events(self, stored_events: Sequence[StoredEvent], **_: Any) -> Sequence[int] | None:  # noqa: ANN401
        """Insert the events under the insert lock; their notification ids, in order."""
        with self.pool.connection() as connection, connection.cursor() as cursor:
            cursor.execute("START TRANSACTION")
            try:
                cursor.execute(f"SELECT id FROM {LOCK} WHERE id = 1 FOR UPDATE")  # noqa: S608
                cursor.execute(f"SELECT COALESCE(MAX(notification_id), 0) FROM {self.table}")  # noqa: S608
                (before,) = cursor.fetchone()
                cursor.executemany(  # PyMySQL sends multi-row INSERTs, a megabyte at most each
                    f"INSERT INTO {self.table} (originator_id, originator_version, topic, state)"  # noqa: S608
                    " VALUES (%s, %s, %s, %s)",
                    [_row(event) for event in stored_events],
                )
                # Under the lock, every id after `before` is this transaction's.
                cursor.execute(
                    f"SELECT notification_id FROM {self.table} WHERE notification_id > %s"  # noqa: S608
                    " ORDER BY notification_id",
                    (before,),
                )
                ids = [int(found) for (found,) in cursor.fetchall()]
            except BaseException:
                cursor.execute("ROLLBACK")
                raise
            cursor.execute("COMMIT")
        return ids

    def select_notifications(
        self,
        start: int | None,
        limit: int,
        stop: int | None = None,
        topics: Sequence[str] = (),
        *,
        inclusive_of_start: bool = True,
    ) -> Sequence[Notification]:
        """Up to `limit` notifications from `start` (after it, unless inclusive), in order."""
        clauses: list[str] = []
        params: list[Any] = []
        if start is not None:
            clauses.append(f"notification_id {'>=' if inclusive_of_start else '>'} %s")
            params.append(start)
        if stop is not None:
            clauses.append("notification_id <= %s")
            params.append(stop)
        if topics:
            clauses.append(f"topic IN ({', '.join(['%s'] * len(topics))})")
            params += list(topics)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        with self.pool.connection() as connection, connection.cursor() as cursor:
            cursor.execute(
                "SELECT notification_id, originator_id, originator_version, topic, state"  # noqa: S608
                f" FROM {self.table}{where} ORDER BY notification_id LIMIT %s",
                [*params, limit],
            )
            return [
                Notification(
                    id=int(i),
                    originator_id=UUID(o),
                    originator_version=int(v),
                    topic=str(t),
                    state=bytes(s),
                )
                for i, o, v, t, s in cursor.fetchall()
            ]

    def max_notification_id(self) -> int | None:
        """The last notification id, None for an empty log."""
        with self.pool.connection() as connection, connection.cursor() as cursor:
            cursor.execute(f"SELECT MAX(notification_id) FROM {self.table}")  # noqa: S608
            (found,) = cursor.fetchone()
        return None if found is None else int(found)

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """The stored events of those cases, by case then version (one query a 500)."""
        found: list[StoredEvent] = []
        with self.pool.connection() as connection, connection.cursor() as cursor:
            for begin in range(0, len(originator_ids), _CHUNK):
                chunk = [_hex(i) for i in originator_ids[begin : begin + _CHUNK]]
                cursor.execute(
                    "SELECT originator_id, originator_version, topic, state"  # noqa: S608
                    f" FROM {self.table} WHERE originator_id IN ({', '.join(['%s'] * len(chunk))})"
                    " ORDER BY originator_id, originator_version",
                    chunk,
                )
                rows = cursor.fetchall()
                found += [StoredEvent(UUID(o), int(v), str(t), bytes(s)) for o, v, t, s in rows]
        return found

    def subscribe(self, gt: int | None = None, topics: Sequence[str] = ()) -> Any:  # noqa: ANN401
        """Not offered: poll `select_notifications` after the last id seen instead."""
        message = "the MariaDB store offers no subscription: poll select_notifications"
        raise NotImplementedError(message)


def _row(event: StoredEvent) -> tuple[str, int, str, bytes]:
    return _hex(event.originator_id), event.originator_version, event.topic, event.state


def _hex(originator_id: UUID | str) -> str:
    return originator_id.hex if isinstance(originator_id, UUID) else UUID(str(originator_id)).hex


class MariaDBFactory(InfrastructureFactory[TrackingRecorder]):
    """eventsourcing's persistence module for MariaDB (PERSISTENCE_MODULE names this class).

    Settings: MARIADB_HOST, MARIADB_PORT, MARIADB_USER, MARIADB_PASSWORD, MARIADB_DATABASE,
    MARIADB_CONNECT_TIMEOUT; CREATE_TABLE=n leaves the tables to whoever made them.
    """

    def __init__(self, env: Environment | dict[str, str] | None) -> None:
        super().__init__(env)
        self.pool = Pool(
            {
                "host": self.env.get("MARIADB_HOST", "127.0.0.1"),
                "port": int(self.env.get("MARIADB_PORT", "3306")),
                "user": self.env.get("MARIADB_USER", "root"),
                "password": self.env.get("MARIADB_PASSWORD", ""),
                "database": self.env.get("MARIADB_DATABASE", ""),
                "connect_timeout": int(self.env.get("MARIADB_CONNECT_TIMEOUT", "5")),
            }
        )

    def aggregate_recorder(self, purpose: str = "events") -> AggregateRecorder:
        """A table of aggregates' events: `mediation_<purpose>` (snapshots, for one)."""
        return self._created(MariaDBAggregateRecorder(self.pool, f"mediation_{purpose}"))

    def application_recorder(self) -> ApplicationRecorder:
        """The events with their notification ids."""
        return self._created(MariaDBApplicationRecorder(self.pool, EVENTS))

    def tracking_recorder(self, tracking_recorder_class: Any = None) -> TrackingRecorder:  # noqa: ANN401
        """Not offered: projections keep their position in the store's projection store."""
        message = "the MariaDB store keeps projections in its projection store (no tracking)"
        raise NotImplementedError(message)

    def process_recorder(self) -> ProcessRecorder:
        """Not offered (see tracking_recorder)."""
        message = "the MariaDB store offers no process recorder"
        raise NotImplementedError(message)

    def close(self) -> None:
        """Close the pool's connections."""
        self.pool.close()
        super().close()

    def _created(self, recorder: _Recorder) -> _Recorder:
        if self.env.get("CREATE_TABLE", "y").lower() not in {"n", "no", "f", "false", "off", "0"}:
            recorder.create_table()
        return recorder
