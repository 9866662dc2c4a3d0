"""The shipped contract suites, on MariaDB: the store as an integrator proves theirs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mediation_adapters.storage import open_bundle
from mediation_adapters.stores import open_store
from mediation_domain.ports import SelectAtLogEnd
from mediation_domain.testing import MediationsContract, StoreBundleContract


class TestMariaDBStore(MediationsContract):
    @pytest.fixture(autouse=True)
    def _own_database(self, mariadb_url: str) -> None:
        self.url = mariadb_url

    def new_store(self, workdir: Path):
        return lambda: open_store(self.url)


class TestMariaDBBundle(StoreBundleContract):
    @pytest.fixture(autouse=True)
    def _own_database(self, mariadb_url: str) -> None:
        self.url = mariadb_url

    def open_bundle(self, workdir: Path):
        return lambda: open_bundle(self.url)

    def writer_command(self, workdir: Path) -> list[str]:
        return [sys.executable, "-m", "mediation_adapters.storage.contract_writer", self.url]


def test_mariadb_reads_a_page_and_the_logs_end_in_one_statement(mariadb_url: str):
    # The contract's one-moment test skips a store without the port: here it must run.
    bundle = open_bundle(mariadb_url)
    store = bundle.projections()
    try:
        assert isinstance(store, SelectAtLogEnd)
    finally:
        store.close()
        bundle.close()
