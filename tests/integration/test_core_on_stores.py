"""The core's tests that take a store (`app`, `given`, `store_url`), on SQLite and PostgreSQL.

tests/unit runs them on the in-memory store: the fast loop. Here the same test bodies run
again on each persistent store, so that no promise of the core holds on memory alone.
"""

from __future__ import annotations

import inspect
from pathlib import Path
from types import ModuleType

import pytest

from unit import (
    test_activities,
    test_application,
    test_archive,
    test_audit,
    test_deontology,
    test_institutions,
    test_privacy,
    test_review,
)
from unit.test_privacy import recorded_long_ago  # a fixture of the tests borrowed

STORE_FIXTURES = {"app", "given", "store_url"}


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty persistent store: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return f"sqlite:///{tmp_path / 'cases.sqlite3'}"


MODULES = (
    test_activities,
    test_archive,
    test_application,
    test_audit,
    test_deontology,
    test_institutions,
    test_privacy,
    test_review,
)


def _taking_a_store(module: ModuleType) -> dict[str, object]:
    """The module's tests whose arguments ask for a store, named after their module."""
    short = module.__name__.rpartition(".")[2].removeprefix("test_")
    return {
        f"test_{short}__{name.removeprefix('test_')}": test
        for name, test in vars(module).items()
        if name.startswith("test_")
        and callable(test)
        and STORE_FIXTURES & set(inspect.signature(test).parameters)
    }


BORROWED = {name: test for module in MODULES for name, test in _taking_a_store(module).items()}
globals().update(BORROWED)
__all__ = ["recorded_long_ago", *sorted(BORROWED)]  # noqa: PLE0604 - names, built


def test_the_borrowed_tests_are_the_store_taking_ones():
    assert len(BORROWED) > 40  # the check finds them
    assert "test_privacy__erasing_twice_is_harmless" in BORROWED
    assert not any("refused_before" in name for name in BORROWED)
