"""The HTTP API through a real server: roles, problems, ETags, limits."""

from __future__ import annotations

import base64
import json
import threading
from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest

from mediation_adapters.security.note_keys import NoteSignerKey
from mediation_adapters.storage.sealing import seal
from mediation_adapters.stores import open_store

from .conftest import Server

pytestmark = pytest.mark.slow

REQUEST = {
    "domain": "public-space-and-housing",
    "neighbourhood": "Couronneries",
    "referral": "landlord",
    "parties": [{"name": "Mme Lefèvre", "contact": "06 00 00 00 00"}, {"name": "M. Diallo"}],
    "summary": "Bruit nocturne",
}


def _open_case(server: Server, mediator: str | None = "med-1") -> dict:
    with server.client("coordinator") as coordinator:
        created = coordinator.post("/cases", json=REQUEST)
        assert created.status_code == 201, created.text
        case = created.json()
        if mediator:
            assigned = coordinator.post(
                f"/cases/{case['case_id']}/assignment", json={"mediator": mediator}
            )
            assert assigned.status_code == 200, assigned.text
            case = assigned.json()
    return case


def _problem(response, status: int, kind: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert (body["status"], body["type"]) == (status, f"/problems/{kind}")
    assert "\n" not in body["detail"]
    return body


def test_a_case_is_opened_read_and_carried_to_its_resolution(server):
    case = _open_case(server)
    case_id, (a, b) = case["case_id"], [p["id"] for p in case["parties"]]
    with server.client("mediator") as mediator:
        read = mediator.get(f"/cases/{case_id}")
        assert read.status_code == 200
        assert read.headers["etag"] == '"2"'
        assert read.json()["parties"][0]["contact"] == "06 00 00 00 00"
        for party in (a, b):
            given = mediator.post(
                f"/cases/{case_id}/consents", json={"party": party, "decision": "give"}
            )
            assert given.status_code == 200, given.text
        session = mediator.post(
            f"/cases/{case_id}/sessions",
            json={"kind": "joint-session", "attendees": [a, b], "notes": "Accord"},
            headers={"If-Match": '"4"'},
        )
        assert session.status_code == 200, session.text
        assert session.headers["etag"] == '"5"'
        resolved = mediator.post(f"/cases/{case_id}/resolution", json={"outcome": "agreement"})
        assert resolved.json()["status"] == "resolved"
        closed = mediator.post(f"/cases/{case_id}/resolution", json={"outcome": "agreement"})
        _problem(closed, 409, "case-closed")


def test_domain_refusals_are_problems_with_a_stable_type(server):
    case = _open_case(server)
    case_id, (a, b) = case["case_id"], [p["id"] for p in case["parties"]]
    with server.client("coordinator") as coordinator:
        joint = coordinator.post(
            f"/cases/{case_id}/sessions", json={"kind": "joint-session", "attendees": [a, b]}
        )
        assert _problem(joint, 409, "consent")["rule"]
        second = coordinator.post(f"/cases/{case_id}/assignment", json={"mediator": "med-9"})
        _problem(second, 409, "lifecycle")
        stranger = coordinator.post(
            f"/cases/{case_id}/consents", json={"party": "p-nobody", "decision": "give"}
        )
        _problem(stranger, 422, "invalid-input")
        fresh = _open_case(server, mediator=None)
        tied = coordinator.post(
            f"/cases/{fresh['case_id']}/assignment",
            json={"mediator": "med-3", "ties": [fresh["parties"][0]["id"]]},
        )
        _problem(tied, 409, "neutrality")
        place = coordinator.post("/cases", json=REQUEST | {"neighbourhood": "Nowhere"})
        _problem(place, 422, "invalid-input")


def test_two_clients_with_the_same_etag_one_wins_the_other_is_told(server):
    case = _open_case(server)
    case_id, parties = case["case_id"], [p["id"] for p in case["parties"]]
    results: list[int] = []
    barrier = threading.Barrier(2)

    def consent(party: str) -> None:
        with server.client("mediator") as client:
            barrier.wait()
            response = client.post(
                f"/cases/{case_id}/consents",
                json={"party": party, "decision": "give"},
                headers={"If-Match": '"2"'},
            )
            results.append(response.status_code)

    threads = [threading.Thread(target=consent, args=(party,)) for party in parties]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200, 412], results  # the loser is told its ETag is stale
    with server.client("coordinator") as coordinator:
        now = coordinator.get(f"/cases/{case_id}").json()
    assert now["version"] == 3  # one consent recorded, nothing lost, nothing doubled
    assert len(now["consenting"]) == 1


def test_a_stale_if_match_is_refused_and_stores_nothing(server):
    case = _open_case(server)
    with server.client("coordinator") as coordinator:
        stale = coordinator.post(
            f"/cases/{case['case_id']}/withdrawal",
            json={"by": "service", "reason": "no-longer-needed"},
            headers={"If-Match": '"1"'},
        )
        _problem(stale, 412, "stale-version")
        garbage = coordinator.post(
            f"/cases/{case['case_id']}/withdrawal",
            json={"by": "service", "reason": "no-longer-needed"},
            headers={"If-Match": "yesterday"},
        )
        _problem(garbage, 400, "malformed-request")
        assert coordinator.get(f"/cases/{case['case_id']}").json()["version"] == 2


def test_what_a_client_sends_badly_is_a_4xx_problem(server):
    case_id = _open_case(server)["case_id"]
    with server.client("coordinator") as client:
        _problem(client.post("/cases", content=b"{", headers=_json()), 400, "malformed-request")
        _problem(
            client.post("/cases", content=b"\xff\xfe", headers=_json()), 400, "malformed-request"
        )
        _problem(client.post("/cases", content=b"[]", headers=_json()), 422, "invalid-input")
        _problem(client.post("/cases", data={"a": "b"}), 415, "unsupported-media-type")
        huge = json.dumps(REQUEST | {"summary": "x" * 70_000}).encode()
        _problem(client.post("/cases", content=huge, headers=_json()), 413, "too-large")
        unknown = client.post("/cases", json=REQUEST | {"password": "x"})
        assert "unknown field" in _problem(unknown, 422, "invalid-input")["detail"]
        _problem(client.get("/cases/not-a-uuid"), 404, "not-found")
        _problem(client.get(f"/cases/{uuid4()}"), 404, "not-found")
        _problem(client.get("/nowhere"), 404, "not-found")
        _problem(client.delete(f"/cases/{case_id}"), 405, "method-not-allowed")
        _problem(client.get("/cases", params={"domain": "nonsense"}), 422, "invalid-input")
        _problem(client.get("/cases", params={"sort": "name"}), 422, "invalid-input")
        dates = client.post(
            f"/cases/{case_id}/sessions",
            json={"kind": "individual-interview", "attendees": ["p-x"], "held_on": "soon"},
        )
        _problem(dates, 422, "invalid-input")


def _json() -> dict[str, str]:
    return {"Content-Type": "application/json"}


def test_erasure_over_http_leaves_the_case_and_hides_the_values(server):
    case = _open_case(server)
    party = case["parties"][0]["id"]
    with server.client("coordinator") as coordinator:
        erased = coordinator.post(f"/subjects/{party}/erasure", json={})
        assert erased.status_code == 200, erased.text
        assert erased.json()["key_deleted"] is True
        assert coordinator.get(f"/cases/{case['case_id']}").json()["parties"][0]["name"] == (
            "[erased]"
        )
        _problem(coordinator.post("/subjects/p-nobody/erasure", json={}), 404, "not-found")


@pytest.fixture(scope="module")
def last_month(server) -> tuple[str, str]:
    """Cases recorded in the last finished quarter (a partner's view shows it): its months."""
    today = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
    quarter = today.replace(day=1, month=today.month - (today.month - 1) % 3)
    when = (quarter - timedelta(days=20)).replace(day=10)  # in the quarter before
    app = open_store(server.store)
    app.clock = lambda: when
    try:
        rare = REQUEST | {"neighbourhood": "Trois-Cités", "domain": "residents-participation"}
        app.request_mediation(**_as_command(rare))
        for _ in range(6):
            app.request_mediation(**_as_command(REQUEST | {"neighbourhood": "Beaulieu"}))
    finally:
        app.close()
    first = when.month - (when.month - 1) % 3
    return f"{when:%Y}-{first:02d}", f"{when:%Y}-{first + 2:02d}"


def _as_command(body: dict) -> dict:
    return body | {"parties": [party["name"] for party in body["parties"]]}


def _cell(report: dict, place: str, domain: str) -> dict:
    (row,) = [
        r["counts"] for r in report["rows"] if (r["neighbourhood"], r["domain"]) == (place, domain)
    ]
    return row


def test_the_report_hides_small_counts_from_partners_only(server, last_month):
    start, end = last_month
    quarter = {"from": start, "to": end, "by": "neighbourhood,domain"}
    with server.client("coordinator") as coordinator:
        exact = coordinator.get("/report", params=quarter | {"exact": "true"}).json()
    with server.client("partner") as partner:
        hidden = partner.get("/report", params=quarter).json()
        assert partner.get("/report").status_code == 200  # the four quarters by default
        _problem(partner.get("/report", params={"exact": "true"}), 403, "forbidden")
    assert (exact["suppressed_below"], hidden["suppressed_below"]) == (None, 5)
    rare = ("Trois-Cités", "residents-participation")
    assert _cell(exact, *rare)["requests"] == 1
    assert _cell(hidden, *rare)["requests"] == "< 5"
    # 7 requests that quarter: an exact 6 here would give Trois-Cités' 1 away.
    assert _cell(hidden, "Beaulieu", "public-space-and-housing")["requests"] == "5-6"
    assert _cell(exact, "Beaulieu", "public-space-and-housing")["requests"] == 6
    shown = [v for row in hidden["rows"] for v in row["counts"].values()]
    assert not [v for v in shown if isinstance(v, int) and 0 < v < 5]
    text = json.dumps(hidden)
    assert "Lef" not in text
    assert "p-" not in text  # no party id either


def test_a_partner_cannot_subtract_a_hidden_count_from_the_total(server, last_month):
    start, end = last_month
    quarter = {"from": start, "to": end}
    with server.client("partner") as partner:
        places = partner.get("/report", params=quarter | {"by": "neighbourhood"}).json()
        months = partner.get("/report", params=quarter | {"by": "month"}).json()
        refused = partner.get("/report", params=quarter | {"by": "neighbourhood,month"})
    _problem(refused, 422, "invalid-input")  # places come by quarter, never by month
    shown = [r["counts"]["requests"] for r in places["rows"]]
    total = [r["counts"]["requests"] for r in months["rows"]]
    assert "< 5" in shown  # Trois-Cités' one request
    # A published total less the published exact parts would give a lone hidden part away.
    masked = [p for p in shown if not isinstance(p, int)]
    assert not (all(isinstance(t, int) for t in total) and len(masked) == 1), (total, shown)


@pytest.mark.usefixtures("last_month")
def test_the_report_comes_in_every_format(server):
    with server.client("coordinator") as coordinator:
        html = coordinator.get("/report", params={"format": "html", "lang": "en"})
        csv = coordinator.get("/report", params={"format": "csv", "exact": "true"})
        activities = coordinator.get("/report/csv", params={"table": "activities", "lang": "en"})
        same = coordinator.get("/report", params={"format": "csv", "table": "activities"})
        _problem(coordinator.get("/report/csv", params={"table": "rounds"}), 422, "invalid-input")
        _problem(coordinator.get("/report", params={"exact": "maybe"}), 422, "invalid-input")
        _problem(coordinator.get("/report", params={"format": "pdf"}), 422, "invalid-input")
        _problem(coordinator.get("/report", params={"from": "2026-01-15"}), 422, "invalid-input")
        _problem(coordinator.get("/report", params={"by": "street"}), 422, "invalid-input")
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    assert html.text.count("<svg") == 3
    assert csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv.text.splitlines()[0].startswith("\ufeffQuartier;Domaine;Mois;Demandes")
    assert activities.text.splitlines()[0] == "\ufeffOther mediation work"
    assert same.text.splitlines()[0] == "\ufeffAutres activités de médiation"


def test_cases_come_in_pages_linked_to_the_next(server):
    for _ in range(3):
        _open_case(server, mediator="med-pages")
    with server.client("coordinator") as coordinator:
        everything = coordinator.get("/cases")
        assert "link" not in everything.headers
        pages, url = [], "/cases?limit=2"
        while url:
            page = coordinator.get(url)
            assert page.status_code == 200, page.text
            pages.append(page.json())
            url = page.links.get("next", {}).get("url")
        mine = coordinator.get("/cases", params={"limit": 1, "status": "in-mediation"})
        follow = coordinator.get(mine.links["next"]["url"])
        wrongs = [{"limit": "0"}, {"limit": "many"}, {"limit": "1001"}, {"limit": "9" * 5000}]
        wrongs += [{"after": "x"}, {"after": "9" * 5000}]
        for wrong in wrongs:
            _problem(coordinator.get("/cases", params=wrong), 422, "invalid-input")
    assert [len(page) for page in pages[:-1]] == [2] * (len(pages) - 1)
    assert [c["case_id"] for page in pages for c in page] == [
        c["case_id"] for c in everything.json()
    ]
    assert {c["status"] for c in mine.json() + follow.json()} == {"in-mediation"}
    assert mine.json()[0]["case_id"] != follow.json()[0]["case_id"]


def test_the_audit_export_carries_no_name(server):
    _open_case(server)
    app = open_store(server.store)
    try:
        seal(app, NoteSignerKey.generate("api.example/log"))  # an export ends at a checkpoint
    finally:
        app.close()
    with server.client("auditor") as auditor:
        export = auditor.get("/audit/export")
    assert export.status_code == 200, export.text
    lines = [json.loads(line) for line in export.text.splitlines()]
    states = b"".join(
        base64.b64decode(line["state"]) for line in lines if line.get("type") == "record"
    )
    # What the export carries opens to ciphertext, not names. Whole names only: a
    # three-letter needle turns up in random base64 ciphertext now and then.
    for name in ("Lefèvre", "Diallo"):
        assert name.encode() not in states
        assert json.dumps(name).strip('"').encode() not in states
    assert b'"scheme":"aes-gcm-2"' in states
    assert (lines[0]["format"], lines[0]["version"]) == ("mediation-domain/audit-export", 2)
    assert any(line.get("type") == "record" for line in lines)
    assert lines[-1]["type"] == "end"
    assert "Lefèvre" not in export.text
    assert "Lef\\u00e8vre" not in export.text


# The role matrix ---------------------------------------------------------------------------


def _calls(case_id: str, other_case: str, party: str) -> dict[str, tuple[str, str, dict | None]]:
    own, other = f"/cases/{case_id}", f"/cases/{other_case}"
    consent = {"party": party, "decision": "give"}
    return {
        "list": ("GET", "/cases", None),
        "request": ("POST", "/cases", REQUEST),
        "read own": ("GET", own, None),
        "read other's": ("GET", other, None),
        "join own": ("POST", f"{own}/parties", {"name": "Mme Tiers"}),
        "consent own": ("POST", f"{own}/consents", consent),
        "consent other's": ("POST", f"{other}/consents", consent),
        "session own": (
            "POST",
            f"{own}/sessions",
            {"kind": "individual-interview", "attendees": [party]},
        ),
        "resolve own": ("POST", f"{own}/resolution", {"outcome": "agreement"}),
        "withdraw own": ("POST", f"{own}/withdrawal", {"by": "service", "reason": "moved"}),
        "withdraw other's": ("POST", f"{other}/withdrawal", {"by": "service", "reason": "moved"}),
        "mediator leaves own": (
            "POST",
            f"{own}/mediator-withdrawal",
            {"mediator": "med-1", "reason": "unavailable"},
        ),
        "assign": ("POST", f"{other}/assignment", {"mediator": "med-5"}),
        "erase": ("POST", "/subjects/p-nobody/erasure", {}),
        "archive read": ("POST", f"{own}/archive-reads", {"reason": "litigation"}),
        "report": ("GET", "/report", None),
        "audit export": ("GET", "/audit/export", None),
    }


CALLS = list(_calls("a", "b", "p"))
# Expected status per role and call, each call on fresh cases: "own" is med-1's (a session
# needs a consent not given yet: 409; a resolution, a session: 409), "other's" is med-2's.
MATRIX = {
    "coordinator": {
        "list": 200, "request": 201, "read own": 200, "read other's": 200, "join own": 200,
        "consent own": 200, "consent other's": 422, "session own": 409, "resolve own": 409,
        "withdraw own": 200, "withdraw other's": 200, "mediator leaves own": 200,
        "assign": 409, "erase": 404, "archive read": 404, "report": 200, "audit export": 200,
    },
    "mediator": {
        "list": 200, "request": 403, "read own": 200, "read other's": 404, "join own": 200,
        "consent own": 200, "consent other's": 404, "session own": 409, "resolve own": 409,
        "withdraw own": 200, "withdraw other's": 404, "mediator leaves own": 200,
        "assign": 403, "erase": 403, "archive read": 403, "report": 403, "audit export": 403,
    },
    "partner": dict.fromkeys(CALLS, 403) | {"report": 200},
    "auditor": dict.fromkeys(CALLS, 403) | {"audit export": 200},
    None: dict.fromkeys(CALLS, 401),
}  # fmt: skip


@pytest.mark.parametrize("who", list(MATRIX))
def test_every_role_gets_exactly_its_rights_on_every_endpoint(server, who):
    got = {}
    with server.client(who) as client:
        for call in CALLS:
            mine = _open_case(server, mediator="med-1")
            theirs = _open_case(server, mediator="med-2")
            party = mine["parties"][0]["id"]
            method, path, body = _calls(mine["case_id"], theirs["case_id"], party)[call]
            response = client.request(method, path, json=body)
            got[call] = response.status_code
            if response.status_code >= 400:
                assert response.headers["content-type"].startswith("application/problem+json")
    assert got == MATRIX[who]


def test_a_wrong_token_is_a_401_like_none(server):
    with server.client() as anonymous:
        wrong = anonymous.get("/cases", headers={"Authorization": "Bearer not-a-token"})
        _problem(wrong, 401, "unauthenticated")
        assert wrong.headers["www-authenticate"].startswith("Bearer")
        basic = anonymous.get("/cases", headers={"Authorization": "Basic dXNlcjpwdw=="})
        _problem(basic, 401, "unauthenticated")
        assert anonymous.get("/openapi.json").json()["openapi"].startswith("3.1")


def test_a_mediators_list_holds_their_cases_only(server):
    _open_case(server, mediator="med-1")
    _open_case(server, mediator="med-2")
    with server.client("mediator") as mediator:
        own = mediator.get("/cases").json()
    with server.client("coordinator") as coordinator:
        every = coordinator.get("/cases").json()
    assert own
    assert {case["mediator"] for case in own} == {"med-1"}
    assert {case["mediator"] for case in every} >= {"med-1", "med-2"}


def test_a_case_taken_from_a_mediator_is_no_longer_theirs(server):
    case = _open_case(server, mediator="med-1")
    case_id, party = case["case_id"], case["parties"][0]["id"]
    with server.client("coordinator") as coordinator:
        left = coordinator.post(
            f"/cases/{case_id}/mediator-withdrawal",
            json={"mediator": "med-1", "reason": "reassigned"},
        )
        assert left.status_code == 200
        assert (
            coordinator.post(f"/cases/{case_id}/assignment", json={"mediator": "med-2"}).status_code
            == 200
        )
    with server.client("mediator") as mediator:
        late = mediator.post(
            f"/cases/{case_id}/consents", json={"party": party, "decision": "give"}
        )
        _problem(late, 404, "not-found")
        _problem(mediator.get(f"/cases/{case_id}"), 404, "not-found")


def test_mediators_add_parties_under_generated_ids_only(server):
    case = _open_case(server, mediator="med-1")
    with server.client("mediator") as mediator:
        named = mediator.post(
            f"/cases/{case['case_id']}/parties", json={"name": "X", "party_id": "p-chosen"}
        )
        _problem(named, 403, "forbidden")
        generated = mediator.post(f"/cases/{case['case_id']}/parties", json={"name": "X"})
        assert generated.status_code == 200


def test_if_match_is_strong_exact_and_checked_on_reads_too(server):
    case = _open_case(server)
    path = f"/cases/{case['case_id']}"
    with server.client("coordinator") as client:
        assert client.get(path, headers={"If-Match": '"2"'}).status_code == 200
        _problem(client.get(path, headers={"If-Match": '"1"'}), 412, "stale-version")
        _problem(client.get(path, headers={"If-Match": 'W/"2"'}), 412, "stale-version")
        _problem(client.get(path, headers={"If-Match": "2"}), 400, "malformed-request")
        superscript = client.get(path, headers={"If-Match": '"\u00b2"'.encode("latin-1")})
        _problem(superscript, 400, "malformed-request")
        assert client.get(path, headers={"If-Match": "*"}).status_code == 200


def test_deep_nesting_and_lone_surrogates_are_refused_not_crashes(server):
    case = _open_case(server)
    with server.client("coordinator") as client:
        deep = b"[" * 5000 + b"]" * 5000
        _problem(client.post("/cases", content=deep, headers=_json()), 400, "malformed-request")
        lone = b'{"name": "A\\ud800"}'
        joined = client.post(f"/cases/{case['case_id']}/parties", content=lone, headers=_json())
        _problem(joined, 422, "invalid-input")
        field = b'{"name": "A", "z\\ud800": 1}'  # quoted back in the problem's detail
        named = client.post(f"/cases/{case['case_id']}/parties", content=field, headers=_json())
        assert "unknown field" in _problem(named, 422, "invalid-input")["detail"]
    with server.client("partner") as partner:  # the role is judged before the headers
        weak = partner.get(f"/cases/{case['case_id']}", headers={"If-Match": 'W/"1"'})
        _problem(weak, 403, "forbidden")


def test_the_openapi_document_names_every_operation_and_declares_what_it_sends(server):
    """What a client generator needs (issue 19): ids, shared problems, headers, formats."""
    with server.client() as anonymous:
        doc = anonymous.get("/openapi.json").json()
    operations = [op for path in doc["paths"].values() for op in path.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids)) == len(operations)
    assert all(id_[0].islower() and id_.isalnum() for id_ in ids)
    problem = {"$ref": "#/components/schemas/Problem"}
    for op in operations:
        assert op["responses"]["default"]["content"]["application/problem+json"]["schema"] == (
            problem
        )
    assert "Problem" in doc["components"]["schemas"]
    cases = doc["paths"]["/cases"]
    assert set(cases["post"]["responses"]["201"]["headers"]) == {"ETag", "Location"}
    assert set(cases["get"]["responses"]["200"]["headers"]) == {"Link"}
    assert set(doc["paths"]["/cases/{case_id}"]["get"]["responses"]["200"]["headers"]) == {"ETag"}
    assignment = doc["paths"]["/cases/{case_id}/assignment"]["post"]
    assert set(assignment["responses"]["200"]["headers"]) == {"ETag"}
    case = doc["components"]["schemas"]["Case"]["properties"]
    assert case["requested_at"]["format"] == case["updated_at"]["format"] == "date-time"
    assert case["case_id"]["format"] == "uuid"
    for name, shared in (("outcome", "Outcome"), ("withdrawn_by", "WithdrawnBy")):
        # one enum, shared, with null beside it: not three copies a generator types apart
        assert case[name]["anyOf"] == [
            {"$ref": f"#/components/schemas/{shared}"},
            {"type": "null"},
        ]
        assert None not in doc["components"]["schemas"][shared]["enum"]
    bodies = doc["components"]["schemas"]
    assert bodies["Resolution"]["properties"]["outcome"] == {"$ref": "#/components/schemas/Outcome"}
    assert bodies["Withdrawal"]["properties"]["by"] == {"$ref": "#/components/schemas/WithdrawnBy"}
    assert set(case) == set(doc["components"]["schemas"]["Case"]["required"])  # all sent
    # Each report format its own operation, one media type each (a generator reads the
    # first it supports); the export's bytes also as application/octet-stream.
    for path, media in (("", "application/json"), ("/csv", "text/csv"), ("/html", "text/html")):
        (declared,) = doc["paths"][f"/report{path}"]["get"]["responses"]["200"]["content"]
        assert declared == media
    export = doc["paths"]["/audit/export"]["get"]["responses"]["200"]["content"]
    assert list(export) == ["application/x-ndjson", "application/octet-stream"]
    with server.client("coordinator") as coordinator:
        csv = coordinator.get("/report/csv")
        both = coordinator.get("/report/csv", params={"format": "html"})
        bytes_ = coordinator.get("/audit/export", headers={"Accept": "application/octet-stream"})
        opened = coordinator.post("/cases", json=REQUEST)
    assert (csv.status_code, csv.headers["content-type"].split(";")[0]) == (200, "text/csv")
    _problem(both, 422, "invalid-input")
    assert bytes_.headers["content-type"] == "application/octet-stream"
    assert opened.status_code == 201
    body = opened.json()
    assert opened.headers["Location"] == f"/cases/{body['case_id']}"
    assert opened.headers["ETag"] == f'"{body["version"]}"'
    assert datetime.fromisoformat(body["requested_at"]).tzinfo is not None
