"""A database of its own for each test on the machine's MariaDB (127.0.0.1:3306, root).

MEDIATION_TEST_MARIADB_URL names another server. Under CI an unreachable server fails
the tests; elsewhere they skip.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from uuid import uuid4

import pymysql
import pytest
from mediation_mariadb import settings_of

SERVER = os.environ.get("MEDIATION_TEST_MARIADB_URL", "mariadb://root@127.0.0.1:3306/test")


def connect() -> pymysql.connections.Connection:
    settings = settings_of(SERVER)
    settings.pop("database")
    return pymysql.connect(**settings, autocommit=True)


@pytest.fixture(scope="session")
def mariadb_server() -> str:
    """The test server's URL; under CI an unreachable server fails the tests, elsewhere skips."""
    try:
        connect().close()
    except pymysql.err.Error as error:
        reason = f"MariaDB unreachable at {SERVER}: {str(error)[:200]}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return SERVER


@pytest.fixture
def mariadb_url(mariadb_server: str) -> Iterator[str]:
    """A store URL on a database of its own, dropped afterwards."""
    name = f"md_test_{uuid4().hex[:16]}"
    yield f"{mariadb_server.rpartition('/')[0]}/{name}"
    connection = connect()
    try:
        connection.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        connection.close()
