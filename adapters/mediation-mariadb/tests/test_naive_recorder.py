"""The log-order contract catches what the integrator's first MariaDB store got wrong.

A plain eventsourcing-sqlalchemy recorder takes no insert lock on MariaDB: a long
transaction's notification ids commit after shorter ones given later ids, and a reader
polling "after the last id I saw" never receives them. The contract's test must fail on
it, every time, and pass on this distribution's recorder (test_contract.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mediation_adapters.storage import open_bundle
from mediation_domain import Mediations
from mediation_domain.testing import StoreBundleContract

pytest.importorskip(
    "eventsourcing_sqlalchemy", reason="pip install ./adapters/mediation-mariadb[dev]"
)


class _Naive:
    """This store's ports, with eventsourcing-sqlalchemy's recorder for the events."""

    def __init__(self, url: str) -> None:
        self._bundle = open_bundle(url)
        self._url = url.replace("mariadb://", "mysql+pymysql://", 1)
        self.name = self._bundle.name

    def environment(self) -> dict[str, str]:
        return {"PERSISTENCE_MODULE": "eventsourcing_sqlalchemy", "SQLALCHEMY_URL": self._url}

    def __getattr__(self, name: str):
        return getattr(self._bundle, name)


@pytest.fixture
def naive_apps(mariadb_url: str) -> Iterator:
    made: list[Mediations] = []

    def open_app() -> Mediations:
        naive = _Naive(mariadb_url)
        made.append(Mediations(store=naive))
        made[-1].on_close.append(naive.close)
        return made[-1]

    yield open_app
    for app in made:
        app.close()


def test_the_log_order_test_fails_on_a_recorder_without_an_insert_lock(naive_apps, tmp_path: Path):
    suite = StoreBundleContract()
    with pytest.raises(AssertionError, match="missed"):
        suite.test_readers_after_the_last_id_they_saw_never_miss_nor_repeat_one(
            naive_apps, tmp_path
        )
