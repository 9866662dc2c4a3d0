"""The SQLite store: `sqlite:///relative/path` or `sqlite:////absolute/path`.

The events are eventsourcing's SQLite recorder's (WAL mode, 10 s lock timeout); the
ports are the SQL toolkit's, in the same file. Store files are mode 0600.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import stat
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteApplicationRecorder
from eventsourcing.utils import get_topic

from mediation_adapters.storage.errors import StoreError, StoreModeError
from mediation_adapters.storage.registry import StoreFactory
from mediation_adapters.storage.sql.bundle import SqlBundle
from mediation_adapters.storage.sql.database import Database, Dialect
from mediation_domain.errors import quoted

LOCK_TIMEOUT_SECONDS = 10
_CHUNK = 500
_CHECKPOINT_TRIES = 20
_CHECKPOINT_PAUSE_SECONDS = 0.05
_FILES = ("", "-wal", "-shm", "-journal")


class SQLiteRecorder(SQLiteApplicationRecorder):
    """eventsourcing's SQLite recorder, reading many cases' events in one query."""

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """The stored events of those cases, by case then version."""
        found: list[StoredEvent] = []
        with self.datastore.transaction(commit=False) as cursor:
            for start in range(0, len(originator_ids), _CHUNK):
                chunk = [str(i).replace("-", "") for i in originator_ids[start : start + _CHUNK]]
                marks = ", ".join("?" * len(chunk))
                statement = (
                    "SELECT originator_id, originator_version, topic, state"  # noqa: S608 - marks
                    f" FROM {self.events_table_name} WHERE originator_id IN ({marks})"
                    " ORDER BY originator_id, originator_version"
                )
                cursor.execute(statement, chunk)
                found += [
                    StoredEvent(UUID(row[0]), row[1], row[2], row[3]) for row in cursor.fetchall()
                ]
        return found


class SQLiteDialect(Dialect):
    """SQLite, for the ports' tables in the store's file."""

    name = "sqlite"
    key = "TEXT"
    for_update = ""  # BEGIN IMMEDIATE takes the database's write lock
    errors = (sqlite3.Error,)

    def __init__(self, path: str) -> None:
        self.path = path
        self._durability: weakref.WeakKeyDictionary[Database, int] = weakref.WeakKeyDictionary()

    def connect(self) -> sqlite3.Connection:
        """A connection in autocommit mode; freed bytes are zeroed."""
        connection = sqlite3.connect(
            self.path,
            timeout=float(LOCK_TIMEOUT_SECONDS),
            isolation_level=None,
            check_same_thread=False,
        )
        connection.execute("PRAGMA secure_delete = ON")
        return connection

    def begin(self, cursor: sqlite3.Cursor, *, write: bool) -> None:
        """A write takes the write lock at once: no deadlock upgrading a read lock later."""
        cursor.execute("BEGIN IMMEDIATE" if write else "BEGIN")

    def has_table(self, db: Database, name: str) -> bool:
        """True when the table exists."""
        return bool(
            db.rows("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
        )

    def purge(self, db: Database, table: str) -> bool:  # noqa: ARG002 - the whole log
        """Checkpoint and truncate the write-ahead log, where deleted bytes linger.

        A reader elsewhere can hold the log: the checkpoint is tried without waiting, for
        about a second, and False means the old bytes may stay in the -wal file until
        SQLite resets the log (purge again when quiet).
        """
        with db.lock:
            connection = db.connection
            connection.execute("PRAGMA busy_timeout = 0")  # never hold writers back
            try:
                return self._checkpointed(connection)
            except sqlite3.Error as error:
                message = f"cannot checkpoint the store: {error}"
                raise StoreError(message) from error
            finally:
                connection.execute(f"PRAGMA busy_timeout = {LOCK_TIMEOUT_SECONDS * 1000}")

    @staticmethod
    def _checkpointed(connection: sqlite3.Connection) -> bool:
        for _ in range(_CHECKPOINT_TRIES):
            busy, *_ = connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if not busy:
                return True
            time.sleep(_CHECKPOINT_PAUSE_SECONDS)
        return False

    @contextmanager
    def unflushed(self, db: Database) -> Iterator[None]:
        """`synchronous = NORMAL` for the block, in WAL mode only (elsewhere no change).

        For rows that only matter once a later, flushed commit uses them (a new subject's
        key, then the event sealed with it): the log keeps its order, so that commit makes
        them durable too. Inside an open transaction nothing changes.
        """
        if db.in_transaction:
            yield
            return
        with db.lock:
            level = self._durability.get(db)
            if level is None:  # read once a connection: WAL stays WAL, and the level is ours
                mode, *_ = db.rows("PRAGMA journal_mode")[0]
                (found,) = db.rows("PRAGMA synchronous")[0]
                level = self._durability[db] = int(found) if mode == "wal" else 0
            relaxed = level > 1  # FULL or EXTRA, in WAL mode
            if relaxed:
                db.execute("PRAGMA synchronous = NORMAL")
            try:
                yield
            finally:
                if relaxed:
                    db.execute(f"PRAGMA synchronous = {level}")


def store_path(url: str) -> str:
    """The file a sqlite:// URL names; StoreError for a malformed one."""
    scheme, separator, rest = url.partition("://")
    if scheme != "sqlite" or not separator or not rest.startswith("/") or rest == "/":
        message = f"invalid SQLite URL {quoted(url)}: expected sqlite:///path/to/file.sqlite3"
        raise StoreError(message)
    path = rest[1:]
    if ":memory:" in path or "mode=memory" in path:
        # SQLite's in-memory database keeps nothing once closed: every command would
        # record into a store that is gone when it exits.
        message = (
            f"invalid SQLite URL {quoted(url)}: "
            "a SQLite memory database keeps nothing; use memory://"
        )
        raise StoreError(message)
    parent = Path(path).parent
    if not parent.is_dir():
        message = f"cannot open {quoted(url)}: directory {quoted(str(parent))} does not exist"
        raise StoreError(message)
    return path


def owner_only(path: str, *, create: bool = False) -> None:
    """Hold a SQLite store's files to mode 0600: they keep the data keys beside the values.

    A new store file is made 0600 before SQLite opens it (SQLite gives its -wal and -shm
    files the mode of the database file). An existing file that others may read or write
    is refused: widening it again after the refusal is the operator's deliberate act.
    """
    for suffix in _FILES:
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
def _file_locked(path: str) -> Iterator[None]:
    """Let processes opening one SQLite file take turns while it is set up (WAL, tables).

    The lock is taken on the file's directory, never on the database file: closing any
    descriptor of the database file would drop the POSIX locks SQLite holds on it for this
    process's connections (SQLite's "how to corrupt" guide, section 2.2), and another
    process could then checkpoint and reset the WAL under them ("disk I/O error").
    """
    directory = os.open(Path(path).resolve().parent, os.O_RDONLY)
    try:
        fcntl.flock(directory, fcntl.LOCK_EX)
        yield
    finally:
        os.close(directory)  # closing releases the flock


def open_sqlite(url: str, *, store_key: bytes | None = None, create: bool = True) -> SqlBundle:
    """The bundle of the SQLite store `url` (created unless `create` is False)."""
    path = store_path(url)
    if not create and not Path(path).is_file():
        message = f"no store at {quoted(path)}: check the path"
        raise StoreError(message)
    owner_only(path, create=True)
    environment = {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": path,
        "SQLITE_LOCK_TIMEOUT": str(LOCK_TIMEOUT_SECONDS),
        "APPLICATION_RECORDER_TOPIC": get_topic(SQLiteRecorder),
    }
    try:
        with _file_locked(path):
            return SqlBundle(
                url,
                SQLiteDialect(path),
                environment,
                events_table="stored_events",
                store_key=store_key,
            )
    except OSError as error:
        message = f"cannot open store {quoted(url)}: {error.strerror or error}"
        raise StoreError(message) from None


FACTORY = StoreFactory(form="sqlite:///relative/path or sqlite:////absolute/path", open=open_sqlite)
