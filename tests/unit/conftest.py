"""The fast loop: the core's tests on the in-memory store only.

tests/integration/test_core_on_stores.py runs the same tests again on SQLite and
PostgreSQL.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def store_url() -> str:
    """Every store-taking test of tests/unit runs on memory here."""
    return "memory://"
