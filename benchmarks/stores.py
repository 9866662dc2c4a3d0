"""The stores the benchmarks measure: bare eventsourcing's settings, and throwaway databases.

Ours opens every store by its URL (`open_store`); "bare" is eventsourcing's own recorder
on the same database: its SQLite and PostgreSQL modules, and for MariaDB the
eventsourcing-sqlalchemy recorder an integrator would reach for first.
"""

from __future__ import annotations

import contextlib
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
