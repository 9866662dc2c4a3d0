"""The shipped contract suite, run against the three stores this project supports."""

from __future__ import annotations

from pathlib import Path

import pytest

from mediation_adapters.stores import open_store
from mediation_domain.testing import MediationsContract


class TestInMemoryStore(MediationsContract):
    def new_store(self, workdir: Path):
        app = open_store("memory://")  # one process: every "opening" is the same application
        return lambda: app


class TestSQLiteStore(MediationsContract):
    def new_store(self, workdir: Path):
        url = f"sqlite:///{workdir / 'cases.sqlite3'}"
        return lambda: open_store(url)


class TestPostgreSQLStore(MediationsContract):
    @pytest.fixture(autouse=True)
    def _own_schema(self, postgres_url: str) -> None:
        self.url = postgres_url

    def new_store(self, workdir: Path):
        return lambda: open_store(self.url)
