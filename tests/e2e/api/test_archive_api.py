"""The intermediate archive over HTTP: a coordinator reads an archived record, stating why.

A case and a named orientation made three years ago (the Python API, its clock set back)
are archived past a 2-year active period, as `mediation retention --apply` does; their
personal values are then withheld from every view, and only a coordinator reads them
(POST .../archive-reads with a reason code), each read recorded first as an ArchiveRead.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest

from mediation_adapters.stores import open_store
from mediation_domain.archive import ArchivedRecord, archive_id
from mediation_domain.values import ReasonCode

from .conftest import Server
from .test_api import _problem

pytestmark = pytest.mark.slow

THEN = datetime.now(UTC).replace(microsecond=0) - timedelta(days=3 * 365)


def archive_old_records(store: str) -> tuple[UUID, UUID]:
    """A case closed three years ago and a named orientation of then, archived: their ids."""
    app = open_store(store)
    try:
        app.clock = lambda: THEN
        case = app.request_mediation(
            domain="public-space-and-housing",
            neighbourhood="Beaulieu",
            referral="resident",
            parties=["Mme Garnier", "M. Leroy"],
            summary="Bruit dans la cage d'escalier",
        )
        app.withdraw(case, by="party", reason="no-longer-needed")
        oriented = app.orient(
            by="med-1",
            need="housing",
            partner="social-service",
            neighbourhood="Beaulieu",
            oriented_on=THEN.date(),
            follow_up_on=THEN.date() + timedelta(days=14),
            name="Mme Nguyễn Thị Hoa",
            shared=["name"],
        )
        app.clock = None  # archived today, past the active period
        due = app.apply_archive("2y")
    finally:
        app.close()
    assert {item.record for item in due} == {case, oriented}
    return case, oriented


@pytest.fixture(scope="module")
def archived(server: Server) -> tuple[str, str]:
    case, oriented = archive_old_records(server.store)
    return str(case), str(oriented)


def _reads(server: Server) -> list[tuple[str, str, ReasonCode]]:
    """Every archive read recorded in the store: (the record, who read it, why)."""
    app = open_store(server.store)
    try:
        return [
            (str(event.originator_id), event.by, event.reason)
            for event in app.history()
            if isinstance(event, ArchivedRecord.ArchiveRead)
        ]
    finally:
        app.close()


def test_a_coordinator_reads_an_archived_case_and_orientation_and_each_read_is_recorded(
    server: Server, archived: tuple[str, str]
):
    case, oriented = archived
    before = _reads(server)
    with server.client("coordinator") as coordinator:
        withheld = coordinator.get(f"/cases/{case}").json()
        assert {party["name"] for party in withheld["parties"]} == {"[archived]"}
        person = coordinator.get(f"/orientations/{oriented}").json()["person_name"]
        assert person == "[archived]"
        read = coordinator.post(f"/cases/{case}/archive-reads", json={"reason": "litigation"})
        assert read.status_code == 200, read.text
        assert "etag" not in read.headers  # a read of the archive, not a version to act on
        shown = read.json()
        assert [party["name"] for party in shown["parties"]] == ["Mme Garnier", "M. Leroy"]
        assert (shown["case_id"], shown["summary"]) == (case, "Bruit dans la cage d'escalier")
        assert set(shown) == set(withheld)  # the Case, as GET /cases/{case_id} answers it
        named = coordinator.post(
            f"/orientations/{oriented}/archive-reads", json={"reason": "subject-access-request"}
        )
        assert named.status_code == 200, named.text
        orientation = named.json()
        assert orientation["person_name"] == "Mme Nguyễn Thị Hoa"
        assert orientation["id"] == oriented
        assert orientation == coordinator.get(f"/orientations/{oriented}").json() | {
            "person_name": "Mme Nguyễn Thị Hoa"
        }
    assert _reads(server)[len(before) :] == [
        (str(archive_id(case)), "coordinator:coord-1", ReasonCode("litigation")),
        (str(archive_id(oriented)), "coordinator:coord-1", ReasonCode("subject-access-request")),
    ]


@pytest.mark.parametrize(
    ("who", "status", "kind"),
    [
        ("mediator", 403, "forbidden"),
        ("partner", 403, "forbidden"),
        ("auditor", 403, "forbidden"),
        (None, 401, "unauthenticated"),
    ],
)
def test_only_a_coordinator_reads_the_archive(server, archived, who, status, kind):
    case, oriented = archived
    before = _reads(server)
    with server.client(who) as client:
        for path in (f"/cases/{case}", f"/orientations/{oriented}"):
            refused = client.post(f"{path}/archive-reads", json={"reason": "litigation"})
            detail = _problem(refused, status, kind)["detail"]
            if who is not None:
                assert detail == f"a{'n' * (who == 'auditor')} {who} may not read the archive"
    assert _reads(server) == before


def test_a_record_not_in_the_archive_is_not_found_as_an_absent_one_and_nothing_is_recorded(
    server, archived
):
    case, oriented = archived
    with server.client("coordinator") as coordinator:
        opened = coordinator.post(
            "/cases",
            json={
                "domain": "public-transport",
                "neighbourhood": "Bel-Air",
                "referral": "resident",
                "parties": [{"name": "M. Diallo"}],
            },
        ).json()["case_id"]
        before = _reads(server)
        absent = str(uuid4())
        reason = {"reason": "litigation"}
        for record, path, word in [
            (opened, "/cases", "case"),  # in use: read with GET, not through the archive
            (absent, "/cases", "case"),
            ("not-an-id", "/cases", "case"),
            (oriented, "/cases", "case"),  # archived, but an orientation
            (absent, "/orientations", "orientation"),
            (case, "/orientations", "orientation"),  # archived, but a case
        ]:
            refused = coordinator.post(f"{path}/{record}/archive-reads", json=reason)
            said = _problem(refused, 404, "not-found")["detail"]
            assert said in {f"no archived {word} {record}", f"no archived {word} '{record}'"}
    assert _reads(server) == before


@pytest.mark.parametrize(
    ("body", "said"),
    [
        ({}, "body.reason is required"),
        ({"reason": ""}, "body.reason has 0 characters, out of bounds"),
        ({"reason": "Jean Dupont asked"}, "invalid reason code: use a short lowercase code"),
        ({"reason": None}, "body.reason must be a string"),
        ({"reason": "litigation", "by": "coord-2"}, "unknown field 'by'"),
    ],
)
def test_a_read_without_a_reason_code_is_refused_and_records_nothing(server, archived, body, said):
    before = _reads(server)
    with server.client("coordinator") as coordinator:
        for record, path in zip(archived, ("/cases", "/orientations"), strict=True):
            refused = coordinator.post(f"{path}/{record}/archive-reads", json=body)
            detail = _problem(refused, 422, "invalid-input")["detail"]
            assert said in detail
            assert "Dupont" not in detail  # free text refused is not repeated: it may name someone
    assert _reads(server) == before


def test_the_document_declares_both_archive_reads(server):
    with server.client() as anonymous:
        doc = anonymous.get("/openapi.json").json()
    schemas = doc["components"]["schemas"]
    for path, operation_id, answer in (
        ("/cases/{case_id}/archive-reads", "readArchivedCase", "Case"),
        (
            "/orientations/{orientation_id}/archive-reads",
            "readArchivedOrientation",
            "OrientationRead",
        ),
    ):
        declared = doc["paths"][path]["post"]
        assert declared["operationId"] == operation_id
        assert declared["description"] == "Roles: coordinator."
        assert {"200", "400", "403", "404", "422"} <= set(declared["responses"])
        ok = declared["responses"]["200"]["content"]["application/json"]["schema"]
        assert ok == {"$ref": f"#/components/schemas/{answer}"}
        body = declared["requestBody"]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/ArchiveRead"}
    assert schemas["ArchiveRead"]["required"] == ["reason"]
