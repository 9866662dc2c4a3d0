"""The activities', the archive's and institutions' tests of the core (tests/unit), on MariaDB.

Rounds, watch reports, orientations and collective actions, their rules, index, erasure
and replay hold on every store: tests/integration/test_core_on_stores.py runs them on
SQLite and PostgreSQL, and this module on a MariaDB database of each test's own.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator

import pytest

from mediation_adapters.stores import open_store
from mediation_domain import Mediations
from unit import test_activities, test_archive, test_institutions


@pytest.fixture
def app(mariadb_url: str) -> Iterator[Mediations]:
    application = open_store(mariadb_url)
    yield application
    application.close()


BORROWED = {
    f"test_mariadb__{name.removeprefix('test_')}": test
    for module in (test_activities, test_archive, test_institutions)
    for name, test in vars(module).items()
    if name.startswith("test_") and "app" in inspect.signature(test).parameters
}
globals().update(BORROWED)
__all__ = [*sorted(BORROWED)]  # noqa: PLE0604 - names, built


def test_every_store_taking_activity_test_runs_here() -> None:
    assert len(BORROWED) >= 20
