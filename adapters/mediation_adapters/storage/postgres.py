"""The PostgreSQL store: `postgresql://user:password@host:port/dbname?schema=name`.

Needs the postgres extra (psycopg). The events are eventsourcing's PostgreSQL recorder's;
the ports are the SQL toolkit's, in the same schema, created on first use.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit
from uuid import UUID

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import get_topic
from psycopg.sql import SQL, Identifier

from mediation_adapters.storage.errors import StoreError, first_line, redacted
from mediation_adapters.storage.registry import StoreFactory
from mediation_adapters.storage.sql.bundle import APPLICATION, SqlBundle
from mediation_adapters.storage.sql.database import Database, Dialect
from mediation_domain.errors import quoted

CONNECT_TIMEOUT_SECONDS = 5
_SCHEMA_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")


# Our statements are short lookups by key. Where the planner has no statistics (a server
# without autovacuum, a table just filled), it may guess a lookup of 50 cases among 1M
# events at a quarter of the table, and compile it (JIT) above jit_above_cost: 93 ms for a
# 1 ms read; or read it with parallel workers, which take 5 ms to start for a 0.4 ms read.
# And a statement run five times is prepared (psycopg), after which PostgreSQL may plan it
# once for any value: a page of an index by mediator, planned so, took 0.47 ms at 10k
# events instead of 0.21, and 146 ms at 1M instead of 0.2. Every connection the store
# opens, its recorders' pool included, starts without JIT nor parallel workers, and plans
# each statement for its values (a tenth of a millisecond): libpq's `options`, sent with
# the connection, no statement more.
FOR_LOOKUPS = "-c jit=off -c max_parallel_workers_per_gather=0 -c plan_cache_mode=force_custom_plan"


class PostgresRecorder(PostgresApplicationRecorder):
    """eventsourcing's PostgreSQL recorder, reading many cases' events in one query."""

    def __init__(self, datastore: PostgresDatastore, **kwargs: Any) -> None:  # noqa: ANN401 - eventsourcing's
        # The pool opens its connections with these arguments (eventsourcing sets the
        # password in them the same way), as the recorder starts: set them before it does.
        datastore.pool.kwargs["options"] = FOR_LOOKUPS  # type: ignore[index]
        super().__init__(datastore, **kwargs)

    def select_events_of(self, originator_ids: Sequence[UUID]) -> list[StoredEvent]:
        """The stored events of those cases, by case then version."""
        statement = SQL(
            "SELECT originator_id, originator_version, topic, state FROM {schema}.{table}"
            " WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version"
        ).format(schema=Identifier(self.datastore.schema), table=Identifier(self.events_table_name))
        with self.datastore.get_connection() as connection, connection.cursor() as cursor:
            cursor.execute(statement, (list(originator_ids),))
            return [
                StoredEvent(
                    row["originator_id"],
                    row["originator_version"],
                    row["topic"],
                    bytes(row["state"]),
                )
                for row in cursor.fetchall()
            ]


class PostgresDialect(Dialect):
    """PostgreSQL, for the ports' tables in the store's schema."""

    name = "postgresql"
    placeholder = "%s"
    key = "TEXT"
    blob = "BYTEA"

    errors = (psycopg.Error,)
    parenthesised_union = True

    def __init__(self, settings: dict[str, str]) -> None:
        self.settings = settings

    def connect(self) -> Any:  # noqa: ANN401 - a psycopg connection
        """A connection in autocommit mode on the URL's schema."""
        connection = connect(self.settings, options=FOR_LOOKUPS)
        schema = Identifier(self.settings.get("POSTGRES_SCHEMA", "public"))
        connection.execute(SQL("SET search_path TO {}").format(schema))
        return connection

    def snapshot(self, cursor: Any) -> None:  # noqa: ANN401
        """One snapshot for the whole transaction (PostgreSQL's default is per statement)."""
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")

    @contextmanager
    def creating(self, db: Database) -> Iterator[None]:
        """A session lock: PostgreSQL's CREATE ... IF NOT EXISTS fails when two race."""
        key = f"mediation-domain port tables in {self.settings.get('POSTGRES_SCHEMA', 'public')}"
        db.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
        try:
            yield
        finally:
            db.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))

    def has_table(self, db: Database, name: str) -> bool:
        """True when the table exists in the schema."""
        return bool(db.rows("SELECT 1 WHERE to_regclass(%s) IS NOT NULL", (name,)))

    def analyze(self, db: Database, table: str) -> None:
        """ANALYZE the table: autovacuum would, later (a minute), and not where it is off.

        SKIP_LOCKED: a table another session is vacuuming or analysing is left to it, not
        waited for (the store's reads wait on this connection meanwhile).
        """
        db.execute(f'ANALYZE (SKIP_LOCKED) "{table}"')  # our own table names, never input

    def purge(self, db: Database, table: str) -> bool:
        """VACUUM the table (the old row versions may still sit in WAL segments, backups)."""
        db.execute(f'VACUUM "{table}"')  # our own table names, never input
        return True

    @contextmanager
    def unflushed(self, db: Database) -> Iterator[None]:
        """One transaction with `synchronous_commit` off; inside one already open, no change."""
        if db.in_transaction:
            yield
            return
        with db.transaction():
            db.execute("SET LOCAL synchronous_commit = off")
            yield


def settings_of(url: str) -> dict[str, str]:
    """Eventsourcing's settings for a postgresql:// URL; StoreError for a malformed one."""
    parts = urlsplit(url)
    try:
        port = str(parts.port or 5432)
    except ValueError:
        message = f"invalid PostgreSQL URL {quoted(redacted(url))}: the port is not a number"
        raise StoreError(message) from None
    dbname = unquote(parts.path.lstrip("/"))
    if not parts.hostname or not dbname or "/" in dbname:
        message = (
            f"invalid PostgreSQL URL {quoted(redacted(url))}: "
            "expected postgresql://user@host/dbname"
        )
        raise StoreError(message)
    settings = {
        "PERSISTENCE_MODULE": "eventsourcing.postgres",
        "POSTGRES_DBNAME": dbname,
        "POSTGRES_HOST": parts.hostname,
        "POSTGRES_PORT": port,
        "POSTGRES_USER": unquote(parts.username or "postgres"),
        "POSTGRES_PASSWORD": unquote(parts.password or ""),
        "POSTGRES_CONNECT_TIMEOUT": str(CONNECT_TIMEOUT_SECONDS),
        "APPLICATION_RECORDER_TOPIC": get_topic(PostgresRecorder),
    }
    schema = _schema(parts.query, url)
    if schema:
        settings["POSTGRES_SCHEMA"] = schema
    return settings


def _schema(query_text: str, url: str) -> str:
    query = parse_qs(query_text, keep_blank_values=True)
    unknown = sorted(set(query) - {"schema"})
    if unknown:
        message = (
            f"unknown option {quoted(unknown[0])} in {quoted(redacted(url))}: "
            "only ?schema= is understood"
        )
        raise StoreError(message)
    schemas = query.get("schema", [""])
    if len(schemas) > 1:
        message = (
            f"invalid store URL {quoted(redacted(url))}: ?schema= is given {len(schemas)} times"
        )
        raise StoreError(message)
    schema = schemas[0]
    if "schema" in query and not schema:
        message = f"invalid store URL {quoted(redacted(url))}: ?schema= is empty"
        raise StoreError(message)
    if schema and (
        len(schema) > 63  # noqa: PLR2004 - PostgreSQL's identifier length
        or not set(schema) <= _SCHEMA_CHARACTERS
        or schema[0].isdigit()
    ):
        message = f"invalid schema {quoted(schema)}: use lowercase letters, digits and '_'"
        raise StoreError(message)
    return schema


def connect(settings: dict[str, str], options: str = "") -> Any:  # noqa: ANN401 - psycopg's
    """A psycopg connection (autocommit) to the database `settings` names; StoreError if none.

    `options`: server settings sent with the connection (libpq's `-c name=value`).
    """
    try:
        return psycopg.connect(
            dbname=settings["POSTGRES_DBNAME"],
            host=settings["POSTGRES_HOST"],
            port=settings["POSTGRES_PORT"],
            user=settings["POSTGRES_USER"],
            password=settings["POSTGRES_PASSWORD"],
            connect_timeout=int(settings["POSTGRES_CONNECT_TIMEOUT"]),
            autocommit=True,
            options=options,
        )
    except psycopg.Error as error:
        message = (
            f"cannot connect to PostgreSQL {settings['POSTGRES_HOST']}:"
            f"{settings['POSTGRES_PORT']}/{settings['POSTGRES_DBNAME']}: {first_line(error)}"
        )
        raise StoreError(message) from None


def connection_for(url: str) -> Any:  # noqa: ANN401 - a psycopg connection
    """A psycopg connection (autocommit) to the database of a postgresql:// URL."""
    return connect(settings_of(url))


@contextmanager
def _schema_ready(settings: dict[str, str], *, create: bool) -> Iterator[None]:
    """Create the URL's schema if missing, and hold a lock while the tables are created.

    eventsourcing creates tables, not schemas; and two processes creating the same tables
    at once make PostgreSQL fail with "tuple concurrently updated": the advisory lock
    makes offices that start together take turns.
    """
    schema = settings.get("POSTGRES_SCHEMA", "public")
    with connect(settings) as connection:
        key = f"mediation-domain tables in {schema}"
        connection.execute("SELECT pg_advisory_lock(hashtext(%s))", (key,))
        try:
            if create:
                connection.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')  # a checked name
            elif not connection.execute(
                "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (schema,)
            ).fetchone():
                message = f"no store in schema {quoted(schema)}: check the URL"
                raise StoreError(message)
            yield
        finally:
            connection.execute("SELECT pg_advisory_unlock(hashtext(%s))", (key,))


def open_postgres(url: str, *, store_key: bytes | None = None, create: bool = True) -> SqlBundle:
    """The bundle of the PostgreSQL store `url` (its schema created if missing and `create`)."""
    settings = settings_of(url)
    with _schema_ready(settings, create=create):
        return SqlBundle(
            redacted(url),
            PostgresDialect(settings),
            settings,
            events_table=f"{APPLICATION.lower()}_events",
            store_key=store_key,
        )


FACTORY = StoreFactory(
    form="postgresql://user:password@host:port/dbname?schema=name (extra postgres)",
    open=open_postgres,
)
