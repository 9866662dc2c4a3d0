"""The MariaDB store: `mariadb://user:password@host:port/database`.

The events are this distribution's recorders' (`recorders`); the ports are the SQL
toolkit's (`mediation_adapters.storage.sql`), in the same database, given this dialect.
The database is created on first use (utf8mb4), and its tables too.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import unquote, urlsplit

import pymysql
from eventsourcing.utils import get_topic

from mediation_adapters.storage import StoreError, StoreFactory, first_line, redacted
from mediation_adapters.storage.sql import Database, Dialect, SqlBundle
from mediation_domain.errors import quoted
from mediation_mariadb.recorders import EVENTS, MariaDBFactory

CONNECT_TIMEOUT_SECONDS = 5
SETUP_LOCK_SECONDS = 30
_NAME_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


class MariaDBDialect(Dialect):
    """MariaDB (10.5 and later: INSERT ... RETURNING), for the ports' tables."""

    name = "mariadb"
    placeholder = "%s"
    key = "VARCHAR(255)"
    text = "LONGTEXT"
    blob = "LONGBLOB"
    errors = (pymysql.err.Error,)
    parenthesised_union = True  # a page read from a subquery took 0.40 ms, 0.26 so

    def __init__(self, settings: dict[str, Any]) -> None:
        self.settings = settings

    def connect(self) -> pymysql.connections.Connection[Any]:
        """A connection in autocommit mode, in utf8mb4."""
        return pymysql.connect(**self.settings, autocommit=True, charset="utf8mb4")

    def quote(self, name: str) -> str:
        """An identifier in backquotes (MariaDB reads double quotes as strings)."""
        return f"`{name}`"

    def insert_ignore(
        self,
        table: str,
        columns: Sequence[str],
        key: Sequence[str],  # noqa: ARG002 - INSERT IGNORE skips any duplicate key
        *,
        rows: int = 1,
        returning: str | None = None,
    ) -> str:
        """INSERT IGNORE of `rows` rows; RETURNING gives the rows it inserted."""
        values = ", ".join([f"({', '.join(['?'] * len(columns))})"] * rows)
        ending = f" RETURNING {returning}" if returning else ""
        names = ", ".join(self.quote(c) for c in columns)
        return f"INSERT IGNORE INTO {table} ({names}) VALUES {values}{ending}"  # noqa: S608

    def upsert(self, table: str, columns: Sequence[str], key: Sequence[str]) -> str:
        """INSERT ... ON DUPLICATE KEY UPDATE of the other columns."""
        marks = ", ".join(["?"] * len(columns))
        names = ", ".join(self.quote(c) for c in columns)
        update = ", ".join(
            f"{self.quote(c)} = VALUES({self.quote(c)})" for c in columns if c not in key
        )
        return (
            f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608 - our names, ? marks
            f" ON DUPLICATE KEY UPDATE {update}"
        )

    def has_table(self, db: Database, name: str) -> bool:
        """True when the table is in the store's database."""
        return bool(
            db.rows(
                "SELECT 1 FROM information_schema.tables"
                " WHERE table_schema = DATABASE() AND table_name = ?",
                (name,),
            )
        )

    def purge(self, db: Database, table: str) -> bool:
        """Write the table's changed pages to its file now, over the pages that held the keys.

        InnoDB writes pages in the background: until then the table's file keeps the old
        page. False when the account may not flush (FLUSH TABLES needs RELOAD and LOCK
        TABLES): the old bytes then stay until InnoDB writes the page. What InnoDB keeps
        elsewhere (redo and undo logs, a binary log if one is kept) is in docs/privacy.md.
        """
        try:
            with db.lock:
                db.execute(f"FLUSH TABLES {table} FOR EXPORT")  # our own table names
                db.execute("UNLOCK TABLES")
        except StoreError:
            return False
        return True


def settings_of(url: str) -> dict[str, Any]:
    """The connection settings of a mariadb:// URL; StoreError for a malformed one."""
    parts = urlsplit(url)
    try:
        port = parts.port or 3306
    except ValueError:
        message = f"invalid MariaDB URL {quoted(redacted(url))}: the port is not a number"
        raise StoreError(message) from None
    database = unquote(parts.path.lstrip("/"))
    if parts.scheme != "mariadb" or not parts.hostname or not _valid_name(database) or parts.query:
        message = (
            f"invalid MariaDB URL {quoted(redacted(url))}: expected "
            "mariadb://user:password@host:port/database (letters, digits and _)"
        )
        raise StoreError(message)
    return {
        "host": parts.hostname,
        "port": port,
        "user": unquote(parts.username or "root"),
        "password": unquote(parts.password or ""),
        "database": database,
        "connect_timeout": CONNECT_TIMEOUT_SECONDS,
    }


def _valid_name(database: str) -> bool:
    return 0 < len(database) <= 64 and set(database) <= _NAME_CHARACTERS  # noqa: PLR2004


def environment(settings: dict[str, Any]) -> dict[str, str]:
    """Eventsourcing's settings for the events: this distribution's persistence module."""
    return {
        "PERSISTENCE_MODULE": get_topic(MariaDBFactory),
        "MARIADB_HOST": settings["host"],
        "MARIADB_PORT": str(settings["port"]),
        "MARIADB_USER": settings["user"],
        "MARIADB_PASSWORD": settings["password"],
        "MARIADB_DATABASE": settings["database"],
        "MARIADB_CONNECT_TIMEOUT": str(settings["connect_timeout"]),
    }


@contextmanager
def _set_up(url: str, settings: dict[str, Any], *, create: bool) -> Iterator[None]:
    """The database made if missing; processes opening it together take turns meanwhile."""
    server = {key: value for key, value in settings.items() if key != "database"}
    name = settings["database"]
    try:
        connection = pymysql.connect(**server, autocommit=True, charset="utf8mb4")
    except pymysql.err.Error as error:
        message = f"cannot connect to MariaDB {quoted(redacted(url))}: {first_line(error)}"
        raise StoreError(message) from None
    try:
        with connection.cursor() as cursor:
            if create:
                cursor.execute(f"CREATE DATABASE IF NOT EXISTS `{name}` CHARACTER SET utf8mb4")
            elif not cursor.execute("SHOW DATABASES LIKE %s", (name,)):
                message = f"no store in database {quoted(name)}: check the URL"
                raise StoreError(message)
            lock = f"mediation-domain {name}"
            cursor.execute("SELECT GET_LOCK(%s, %s)", (lock, SETUP_LOCK_SECONDS))
            try:
                yield
            finally:
                cursor.execute("SELECT RELEASE_LOCK(%s)", (lock,))
    finally:
        connection.close()


def open_mariadb(url: str, *, store_key: bytes | None = None, create: bool = True) -> SqlBundle:
    """The bundle of the MariaDB store `url`."""
    settings = settings_of(url)
    with _set_up(url, settings, create=create):
        return SqlBundle(
            redacted(url),
            MariaDBDialect(settings),
            environment(settings),
            events_table=EVENTS,
            store_key=store_key,
        )


FACTORY = StoreFactory(
    form="mariadb://user:password@host:port/database (distribution mediation-mariadb)",
    open=open_mariadb,
)
