"""The stores the benchmarks measure: bare eventsourcing's settings, and throwaway databases.

Ours opens every store by its URL (`open_store`); "bare" is eventsourcing's own recorder
on the same database: its SQLite and PostgreSQL modules, and for MariaDB the
eventsourcing-sqlalchemy recorder an integrator would reach for first.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from typing import Any

from mediation_adapters.storage.postgres import connection_for, settings_of
from mediation_adapters.storage.sqlite import store_path


def bare_env(url: str) -> dict[str, str]:
    """eventsourcing's own settings for the store `url` names."""
    if url == "memory://":
        return {"PERSISTENCE_MODULE": "eventsourcing.popo"}
    if url.startswith("sqlite://"):
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": store_path(url),
            "SQLITE_LOCK_TIMEOUT": "10",
        }
    if url.startswith("postgresql://"):
        settings = settings_of(url)
        settings.pop("APPLICATION_RECORDER_TOPIC")  # ours reads many cases at once
        return settings
    if url.startswith("mariadb://"):
        return {
            "PERSISTENCE_MODULE": "eventsourcing_sqlalchemy",
            "SQLALCHEMY_URL": url.replace("mariadb://", "mysql+pymysql://", 1),
        }
    message = f"no bare settings for {url}"
    raise ValueError(message)


def schema_of(url: str) -> str:
    """The PostgreSQL schema a postgresql:// URL names."""
    return settings_of(url)["POSTGRES_SCHEMA"]


@contextlib.contextmanager
def postgres(url: str) -> Iterator[Any]:
    """A psycopg connection (autocommit) to the database of `url`, closed afterwards."""
    connection = connection_for(url)
    try:
        yield connection
    finally:
        connection.close()


@contextlib.contextmanager
def mariadb(server: str) -> Iterator[Any]:
    """A PyMySQL connection (autocommit) to the server of a mariadb:// URL."""
    import pymysql  # noqa: PLC0415 - only when MariaDB is measured
    from mediation_mariadb import settings_of as mariadb_settings  # noqa: PLC0415

    settings = mariadb_settings(server)
    settings.pop("database")
    connection = pymysql.connect(**settings, autocommit=True)
    try:
        yield connection
    finally:
        connection.close()


def analyse(url: str) -> None:
    """Gather the planner's statistics on every table of the store `url` (ANALYZE).

    What autovacuum does on a PostgreSQL server where it is on; this machine's is off.
    """
    if url.startswith("sqlite://"):
        with contextlib.closing(sqlite3.connect(store_path(url))) as connection:
            connection.execute("ANALYZE")
    elif url.startswith("postgresql://"):
        schema = schema_of(url)
        with postgres(url) as connection:
            tables = connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
            ).fetchall()
            for (table,) in tables:
                connection.execute(f'ANALYZE "{schema}"."{table}"')
    elif url.startswith("mariadb://"):
        database = url.rpartition("/")[2]
        with mariadb(url) as connection:
            cursor = connection.cursor()
            cursor.execute(f"SHOW TABLES FROM `{database}`")
            for (table,) in cursor.fetchall():
                cursor.execute(f"ANALYZE TABLE `{database}`.`{table}`")
                cursor.fetchall()
