"""Shared fixtures: every service-level test runs on the in-memory store and on a SQLite file."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from hypothesis import HealthCheck, settings

from mediation_adapters.storage.postgres import connection_for
from mediation_adapters.stores import open_store, redacted
from mediation_domain import MediationError, Mediations

POSTGRES_URL = os.environ.get(
    "MEDIATION_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)

settings.register_profile("dev", max_examples=60, deadline=None)
settings.register_profile(
    "ci",
    parent=settings.get_profile("ci"),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def postgres_connection(url: str):
    return connection_for(url)


@pytest.fixture(scope="session")
def postgres_server() -> str:
    """The test server's URL; under CI an unreachable server fails the tests, elsewhere skips."""
    try:
        postgres_connection(POSTGRES_URL).close()
    except Exception as error:  # noqa: BLE001 - any failure to connect means the same here
        reason = f"PostgreSQL unreachable at {redacted(POSTGRES_URL)}: {str(error).strip()[:200]}"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return POSTGRES_URL


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A store URL on a schema of its own, dropped afterwards: runs never see each other."""
    schema = f"md_test_{uuid4().hex[:16]}"
    yield f"{postgres_server}?schema={schema}"
    with postgres_connection(postgres_server) as connection:
        connection.execute(
            "SET lock_timeout = '20s'"
        )  # a leaked session fails the run, not hangs it
        connection.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory://"
    if request.param == "postgres":
        return request.getfixturevalue("postgres_url")
    return f"sqlite:///{tmp_path / 'cases.sqlite3'}"


@pytest.fixture
def app(store_url: str) -> Iterator[Mediations]:
    application = open_store(store_url)
    yield application
    application.close()


@dataclass
class Given:
    """A case in a known state, and a way to check that a refused command stored nothing."""

    app: Mediations
    case_id: UUID
    parties: list[str]

    def stored(self) -> tuple[int, int]:
        return self.app.get_case(self.case_id).version, self.app.recorder.max_notification_id() or 0

    def refuses(
        self, error: type[MediationError], rule: str, command: Callable[[], object]
    ) -> MediationError:
        before = self.stored()
        with pytest.raises(error) as refused:
            command()
        assert refused.value.rule == rule
        assert "\n" not in str(refused.value)
        assert self.stored() == before, "a refused command stored something"
        return refused.value


@pytest.fixture
def given(app: Mediations) -> Callable[..., Given]:
    """given(mediator=..., consenting=[0, 1], sessions=1, parties=2) builds a case up to there."""

    def build(
        *,
        parties: int = 2,
        mediator: str | None = None,
        consenting: tuple[int, ...] = (),
        joint_sessions: int = 0,
    ) -> Given:
        case_id = app.request_mediation(
            domain="public-space-and-housing",
            neighbourhood="Couronneries",
            referral="landlord",
            parties=[f"Habitant {n}" for n in range(parties)],
            summary="bruit la nuit",
        )
        ids = [p.id for p in app.get_case(case_id).parties]
        if mediator:
            app.assign_mediator(case_id, mediator=mediator)
        for index in consenting:
            app.give_consent(case_id, party=ids[index])
        for _ in range(joint_sessions):
            app.hold_session(case_id, kind="joint-session", attendees=ids)
        return Given(app, case_id, ids)

    return build
