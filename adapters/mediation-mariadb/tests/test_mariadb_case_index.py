"""The case index on MariaDB: lists, a mediator's page, erasure and retention read it."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from mediation_adapters.bootstrap import open_store


def test_the_case_index_answers_on_mariadb_and_survives_a_rebuild_racing_commands(mariadb_url):
    app = open_store(mariadb_url)
    other = open_store(mariadb_url)  # another process's, rebuilding the index meanwhile
    done, errors = threading.Event(), []

    def rebuild() -> None:
        try:
            while not done.is_set():
                other.case_index.rebuild(page=5)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    rebuilding = threading.Thread(target=rebuild)
    rebuilding.start()
    cases = []
    try:
        for n in range(12):
            case = app.request_mediation(
                domain="public-transport",
                neighbourhood="Beaulieu",
                referral="resident",
                parties=["A", "B"],
                party_ids=[f"p-a{n}", "p-shared"],
            )
            cases.append(case)
            if n % 2:
                app.assign_mediator(case, mediator="med-1")
                assert case in [v.case_id for v in app.list_cases(mediator="med-1")]
        app.withdraw(cases[0], by="service", reason="no-longer-needed")
    finally:
        done.set()
        rebuilding.join()
    assert errors == []
    assert [v.case_id for v in app.list_cases(mediator="med-1")] == cases[1::2]
    page = app.cases_page(status="awaiting-mediator", limit=3)
    assert [v.case_id for v in page.cases] == cases[2:7:2]
    later = datetime.now(UTC) + timedelta(days=800)
    due = app.retention_due("2y", now=later)
    assert [(d.case_id, d.subjects, d.kept) for d in due] == [
        (cases[0], (str(cases[0]), "p-a0"), ("p-shared",))
    ]
    assert set(app.erase_subject("p-shared").cases) == set(cases)
    other.close()
    app.close()
