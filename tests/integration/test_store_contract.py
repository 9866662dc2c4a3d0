"""The shipped contract suites, run against the stores this project registers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mediation_adapters.storage import open_bundle
from mediation_adapters.stores import open_store
from mediation_domain.testing import MediationsContract, StoreBundleContract


def _writer(url: str) -> list[str]:
    return [sys.executable, "-m", "mediation_adapters.storage.contract_writer", url]


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


class TestInMemoryBundle(StoreBundleContract):
    processes = False  # another process has a memory of its own

    def open_bundle(self, workdir: Path):
        bundle = open_bundle("memory://")  # every opening shares the one store
        return lambda: bundle


class TestSQLiteBundle(StoreBundleContract):
    def open_bundle(self, workdir: Path):
        return lambda: open_bundle(f"sqlite:///{workdir / 'cases.sqlite3'}")

    def writer_command(self, workdir: Path) -> list[str]:
        return _writer(f"sqlite:///{workdir / 'cases.sqlite3'}")


class TestPostgreSQLBundle(StoreBundleContract):
    @pytest.fixture(autouse=True)
    def _own_schema(self, postgres_url: str) -> None:
        self.url = postgres_url

    def open_bundle(self, workdir: Path):
        return lambda: open_bundle(self.url)

    def writer_command(self, workdir: Path) -> list[str]:
        return _writer(self.url)
