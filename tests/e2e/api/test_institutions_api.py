"""Institutions as parties over HTTP: in the bodies, in the case, in the OpenAPI document."""

from __future__ import annotations

import httpx
import pytest

from .conftest import Server

pytestmark = pytest.mark.slow

LANDLORD = {"kind": "landlord", "name": "Habitat de la Vienne"}
REQUEST = {
    "domain": "public-space-and-housing",
    "neighbourhood": "Couronneries",
    "referral": "landlord",
    "parties": [
        {"name": "Mme Lefèvre"},
        {"name": "M. Martin", "contact": "05 49 00 00 00", "institution": LANDLORD},
    ],
    "summary": "Infiltrations",
}


def _problem(response: httpx.Response, status: int, kind: str) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"] == f"/problems/{kind}"
    assert "\n" not in body["detail"]
    return str(body["detail"])


def _cases(server: Server) -> int:
    with server.client("coordinator") as coordinator:
        return len(coordinator.get("/cases").json())


def test_a_case_opened_with_an_institution_shows_it_to_whoever_reads_the_case(server: Server):
    with server.client("coordinator") as coordinator:
        opened = coordinator.post("/cases", json=REQUEST)
        assert opened.status_code == 201, opened.text
        case_id = opened.json()["case_id"]
        assigned = coordinator.post(f"/cases/{case_id}/assignment", json={"mediator": "med-1"})
        assert assigned.status_code == 200, assigned.text
    with server.client("mediator") as mediator:
        tenant, landlord = mediator.get(f"/cases/{case_id}").json()["parties"]
    assert tenant["institution"] is None
    assert landlord["institution"] == LANDLORD
    assert (landlord["name"], landlord["contact"]) == ("M. Martin", "05 49 00 00 00")


def test_an_institution_joins_a_case(server: Server):
    with server.client("coordinator") as coordinator:
        case_id = coordinator.post("/cases", json=REQUEST).json()["case_id"]
        school = {"kind": "school", "name": "École Jules Ferry"}
        joined = coordinator.post(
            f"/cases/{case_id}/parties", json={"name": "Mme Dubois", "institution": school}
        )
        assert joined.status_code == 200, joined.text
        assert joined.json()["parties"][2]["institution"] == school
        assert joined.json()["parties"][2]["name"] == "Mme Dubois"
        person = coordinator.post(f"/cases/{case_id}/parties", json={"name": "M. Diallo"})
        assert person.json()["parties"][3]["institution"] is None


@pytest.mark.parametrize(
    ("institution", "says"),
    [
        ({"kind": "lanlord", "name": "Habitat"}, "institution.kind must be one of: landlord,"),
        ({"kind": "landlord", "name": ""}, "institution.name has 0 characters, out of bounds"),
        ({"kind": "landlord", "name": "H" * 201}, "institution.name has 201 characters"),
        ({"kind": "landlord", "name": "Habi\u202etat"}, "control, invisible or direction"),
        ({"kind": "landlord", "name": "Habi\ntat"}, "control, invisible or direction"),
        ({"kind": "landlord", "name": "   "}, "institution name is empty"),
        ({"kind": "landlord"}, "institution.name is required"),
        ({"kind": "landlord", "name": "H", "siret": "1"}, "unknown field 'siret'"),
        ("landlord", "institution must be a JSON object"),
    ],
)
def test_a_bad_institution_is_a_422_problem_and_stores_nothing(
    server: Server, institution: object, says: str
):
    before = _cases(server)
    with server.client("coordinator") as coordinator:
        party = {"name": "M. Martin", "institution": institution}
        refused = coordinator.post("/cases", json=REQUEST | {"parties": [party]})
        assert says in _problem(refused, 422, "invalid-input")
        case = coordinator.post("/cases", json=REQUEST).json()
        joined = coordinator.post(f"/cases/{case['case_id']}/parties", json=party)
        assert says in _problem(joined, 422, "invalid-input")
        assert coordinator.get(f"/cases/{case['case_id']}").json()["version"] == 1
    assert _cases(server) == before + 1


def test_the_document_has_one_institution_type_for_the_bodies_and_the_case(server: Server):
    schemas = httpx.get(f"{server.url}/openapi.json").json()["components"]["schemas"]
    reference = {"$ref": "#/components/schemas/Institution"}
    assert schemas["Institution"]["required"] == ["kind", "name"]
    assert schemas["Institution"]["properties"]["kind"] == {
        "$ref": "#/components/schemas/PartnerKind"
    }
    assert schemas["Party"]["properties"]["institution"] == reference
    assert schemas["Request"]["properties"]["parties"]["items"]["properties"]["institution"] == (
        reference
    )
    case_party = schemas["Case"]["properties"]["parties"]["items"]
    assert "institution" in case_party["required"]
    assert case_party["properties"]["institution"] == {"anyOf": [reference, {"type": "null"}]}
