"""What the benchmarks record (the realistic case, copies of a stored history) and where.

Shared by run.py, growth.py, reports.py and write_rate.py (run them as scripts: this
directory is then on the import path).
"""

from __future__ import annotations

import contextlib
import os
import platform
import resource
import sqlite3
import uuid
from collections.abc import Iterator, Sequence
from importlib.metadata import version
from pathlib import Path

from eventsourcing.persistence import StoredEvent
from stores import mariadb, postgres

from mediation_domain import Mediations


def party_ids() -> list[str]:
    """Two fresh pseudonymous party ids (given, so no read is needed to learn them)."""
    return [f"p-{uuid.uuid4().hex[:10]}" for _ in range(2)]


def consented_case(app: Mediations, summary: str) -> tuple[uuid.UUID, str, str]:
    """A case requested, assigned and consented to by both parties: four commands."""
    a, b = party_ids()
    case_id = app.request_mediation(
        domain="public-transport",
        neighbourhood="Beaulieu",
        referral="resident",
        parties=["Mme Rousseau", "M. Nguyễn"],
        party_ids=[a, b],
        summary=summary,
    )
    app.assign_mediator(case_id, mediator="med-1")
    app.give_consent(case_id, party=a)
    app.give_consent(case_id, party=b)
    return case_id, a, b


def one_case(app: Mediations) -> uuid.UUID:
    """The realistic case: six commands, each loads the case, checks the rules and saves."""
    case_id, a, b = consented_case(app, "Incivilités répétées à l'arrêt de bus, ligne 1")
    app.hold_session(
        case_id, kind="joint-session", attendees=[a, b], notes="Accord sur les horaires"
    )
    app.resolve(case_id, outcome="agreement")
    return case_id


def copies(template: Sequence[StoredEvent]) -> Iterator[StoredEvent]:
    """The template's events over and over, each copy with fresh case ids."""
    while True:
        ids: dict[uuid.UUID | str, uuid.UUID] = {}
        for record in template:
            case = ids.setdefault(record.originator_id, uuid.uuid4())
            yield StoredEvent(case, record.originator_version, record.topic, record.state)


def machine(
    stores: Sequence[str], postgres_url: str, mariadb_url: str = ""
) -> dict[str, str | int | None]:
    """What the figures were measured on."""
    facts: dict[str, str | int | None] = {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "eventsourcing": version("eventsourcing"),
    }
    if "postgres" in stores:
        with postgres(postgres_url) as connection:
            facts["postgresql"] = connection.execute("SHOW server_version").fetchone()[0]
    if "mariadb" in stores:
        with mariadb(mariadb_url) as connection:
            cursor = connection.cursor()
            cursor.execute("SELECT VERSION()")
            facts["mariadb"] = cursor.fetchone()[0]
            facts["eventsourcing-sqlalchemy"] = version("eventsourcing-sqlalchemy")
    return facts


def _cpu_model() -> str | None:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return platform.processor() or None


def peak_mb() -> float:
    """This process's peak RSS since it was exec'd (VmHWM), in MB.

    Not `ru_maxrss`: Linux carries it over an exec from the process forked, so a child
    started by a parent holding 90 MB would report at least 90 MB whatever it did.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # pragma: no cover
