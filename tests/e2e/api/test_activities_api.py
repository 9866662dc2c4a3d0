"""The activities through a real server: rounds, actions, watch reports, orientations.

Roles (a mediator records the work they took part in; another mediator's orientation is
not found, as if absent; partners and auditors get none of it), bad input refused in one
line with nothing stored, and each activity from its recording to its last step.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest

from .conftest import Server
from .test_api import _problem

pytestmark = pytest.mark.slow

NOW = datetime.now(UTC)
TODAY = date.today()
ROUND = {
    "neighbourhood": "Bel-Air",
    "bus_line": "2",
    "started_at": (NOW - timedelta(hours=3)).isoformat(),
    "ended_at": (NOW - timedelta(hours=1)).isoformat(),
    "team": ["med-1", "med-2"],
    "contacts": {"greeting": 20, "defusing": 2},
    "observed": {"public-transport": 1},
}
ACTION = {
    "kind": "residents-meeting",
    "domain": "residents-participation",
    "neighbourhood": "Couronneries",
    "attendance": 35,
    "partners": ["landlord", "city-service"],
    "team": ["med-1"],
}
WATCH = {
    "kind": "damaged-equipment",
    "domain": "public-space-and-housing",
    "neighbourhood": "Couronneries",
    "partner": "landlord",
}
ORIENTATION = {
    "need": "benefits",
    "partner": "benefits-office",
    "neighbourhood": "Beaulieu",
    "follow_up_on": (TODAY + timedelta(days=14)).isoformat(),
    "name": "M. Diallo",
    "shared": ["name", "situation"],
}
LISTS = ("/rounds", "/actions", "/watch-reports", "/orientations")


def _created(response, collection: str) -> dict:
    assert response.status_code == 201, response.text
    found = response.json()
    assert response.headers["location"] == f"{collection}/{found['id']}"
    return found


def _record(server: Server, who: str, collection: str, body: dict) -> dict:
    with server.client(who) as client:
        return _created(client.post(collection, json=body), collection)


def _everything(server: Server) -> dict[str, list]:
    with server.client("coordinator") as coordinator:
        return {path: coordinator.get(path).json() for path in LISTS}


# Happy paths -------------------------------------------------------------------------------


def test_a_round_is_recorded_then_read_and_listed_by_any_mediator(server):
    found = _record(server, "mediator", "/rounds", ROUND)
    assert found["bus_line"] == "2"
    assert found["team"] == ["med-1", "med-2"]
    assert found["contacts"] == {"greeting": 20, "defusing": 2}
    assert datetime.fromisoformat(found["started_at"]) == datetime.fromisoformat(
        ROUND["started_at"]
    )
    with server.client("other_mediator") as other:
        assert other.get(f"/rounds/{found['id']}").json() == found
        assert found in other.get("/rounds").json()


def test_a_collective_action_is_recorded_by_the_coordinator_for_its_team(server):
    found = _record(server, "coordinator", "/actions", ACTION)
    assert (found["kind"], found["attendance"], found["held_on"]) == (
        "residents-meeting",
        35,
        TODAY.isoformat(),
    )
    with server.client("mediator") as mediator:
        assert mediator.get(f"/actions/{found['id']}").json() == found


def test_a_watch_report_is_acknowledged_then_closed_and_nothing_after(server):
    report = _record(server, "mediator", "/watch-reports", WATCH)
    assert (report["status"], report["answer"]) == ("reported", None)
    path = f"/watch-reports/{report['id']}"
    with server.client("mediator") as mediator:
        acknowledged = mediator.post(f"{path}/acknowledgement", json={})
        assert acknowledged.json()["status"] == "acknowledged", acknowledged.text
        waiting = mediator.get("/watch-reports", params={"open": "true"}).json()
        assert report["id"] in [r["id"] for r in waiting]
        closed = mediator.post(f"{path}/closing", json={"answer": "fixed"})
        assert (closed.json()["status"], closed.json()["answer"]) == ("closed", "fixed")
        again = mediator.post(f"{path}/closing", json={"answer": "declined"})
        assert _problem(again, 409, "lifecycle")["rule"] == "watch-report-is-open"
        assert mediator.get(path).json() == closed.json()
        waiting = mediator.get("/watch-reports", params={"open": "true"}).json()
        assert report["id"] not in [r["id"] for r in waiting]
        every = mediator.get("/watch-reports", params={"open": "false"}).json()
        assert closed.json() in every


def test_an_orientation_is_followed_up_until_an_outcome_settles_it(server):
    orientation = _record(server, "mediator", "/orientations", ORIENTATION)
    assert (orientation["by"], orientation["status"]) == ("med-1", "open")
    assert orientation["subject"].startswith("person-")  # pseudonymous: erasure's subject
    assert "M. Diallo" not in str(orientation)  # facts only: the name is read alone
    path = f"/orientations/{orientation['id']}"
    due = ORIENTATION["follow_up_on"]
    for who in ("mediator", "coordinator"):
        with server.client(who) as client:
            assert client.get(path).json() == orientation | {"person_name": "M. Diallo"}
    with server.client("mediator") as mediator:
        assert orientation in mediator.get("/orientations", params={"due": due}).json()
        assert orientation not in mediator.get("/orientations", params={"due": TODAY}).json()
        later = (TODAY + timedelta(days=30)).isoformat()
        step = mediator.post(
            f"{path}/follow-ups", json={"outcome": "in-progress", "next_on": later}
        )
        assert (step.json()["follow_up_on"], step.json()["follow_ups"]) == (later, 1), step.text
        settled = mediator.post(f"{path}/follow-ups", json={"outcome": "right-opened"})
        assert (settled.json()["status"], settled.json()["follow_up_on"]) == ("settled", None)
        more = mediator.post(f"{path}/follow-ups", json={"outcome": "lost-contact"})
        _problem(more, 409, "lifecycle")
        far = (TODAY + timedelta(days=300)).isoformat()
        assert orientation["id"] not in [
            o["id"] for o in mediator.get("/orientations", params={"due": far}).json()
        ]


def test_an_anonymous_orientation_has_no_name_and_an_erased_one_says_so(server):
    anonymous = {k: v for k, v in ORIENTATION.items() if k not in {"name", "shared"}}
    found = _record(server, "mediator", "/orientations", anonymous)
    with server.client("mediator") as mediator:
        read = mediator.get(f"/orientations/{found['id']}").json()
    assert (read["subject"], read["person_name"]) == (None, None)
    named = _record(server, "mediator", "/orientations", ORIENTATION)
    with server.client("coordinator") as coordinator:
        erased = coordinator.post(f"/subjects/{named['subject']}/erasure", json={})
        assert erased.json()["orientations"] == [named["id"]], erased.text
        read = coordinator.get(f"/orientations/{named['id']}").json()
    assert (read["erased"], read["person_name"]) == (True, "[erased]")


# Roles -------------------------------------------------------------------------------------


ON_FOOT = {
    "null": ROUND | {"bus_line": None},
    "empty": ROUND | {"bus_line": ""},
    "absent": {name: value for name, value in ROUND.items() if name != "bus_line"},
}


@pytest.mark.parametrize("body", ON_FOOT.values(), ids=ON_FOOT.keys())
def test_a_round_on_foot_is_sent_as_null_an_empty_line_or_no_line(server, body):
    made = _record(server, "mediator", "/rounds", body)
    assert made["bus_line"] is None  # as answers send it: what was read may be sent back
    with server.client("mediator") as mediator:
        assert mediator.get(f"/rounds/{made['id']}").json() == made


def test_a_mediator_records_only_the_work_they_took_part_in(server):
    before = _everything(server)
    someone_elses = {
        "/rounds": ROUND | {"team": ["med-2"]},
        "/actions": ACTION | {"team": ["med-2"]},
        "/orientations": ORIENTATION | {"by": "med-2"},
    }
    with server.client("mediator") as mediator:
        for collection, body in someone_elses.items():
            refused = mediator.post(collection, json=body)
            assert _problem(refused, 403, "forbidden")["rule"] == "role-may-act"
        untold = {k: v for k, v in ACTION.items() if k != "team"}  # names no one
        _problem(mediator.post("/actions", json=untold), 403, "forbidden")
    assert _everything(server) == before


def test_another_mediators_orientation_is_not_found_as_if_it_did_not_exist(server):
    theirs = _record(server, "other_mediator", "/orientations", ORIENTATION)
    absent = str(uuid4())

    def answers(mediator, orientation_id: str) -> list[dict]:
        path = f"/orientations/{orientation_id}"
        found = [
            mediator.get(path),
            mediator.post(f"{path}/follow-ups", json={"outcome": "lost-contact"}),
            mediator.get(f"/rounds/{orientation_id}"),
        ]
        return [_problem(response, 404, "not-found") for response in found]

    with server.client("mediator") as mediator:
        hidden, missing = answers(mediator, theirs["id"]), answers(mediator, absent)
        assert [a["detail"].replace(theirs["id"], "ID") for a in hidden] == [
            a["detail"].replace(absent, "ID") for a in missing
        ]
        ids = [o["id"] for o in mediator.get("/orientations").json()]
        assert theirs["id"] not in ids
        due = mediator.get("/orientations", params={"due": ORIENTATION["follow_up_on"]}).json()
        assert theirs["id"] not in [o["id"] for o in due]
    with server.client("other_mediator") as other:
        assert other.get(f"/orientations/{theirs['id']}").json()["person_name"] == "M. Diallo"


def test_an_orientation_comes_from_one_of_the_mediators_own_cases_only(server):
    request = {
        "domain": "access-to-rights",
        "neighbourhood": "Beaulieu",
        "referral": "partner",
        "parties": [{"name": "M. Diallo"}],
    }
    cases = {}
    with server.client("coordinator") as coordinator:
        for mediator in ("med-1", "med-2"):
            case = coordinator.post("/cases", json=request).json()
            assigned = coordinator.post(
                f"/cases/{case['case_id']}/assignment", json={"mediator": mediator}
            )
            assert assigned.status_code == 200, assigned.text
            cases[mediator] = case["case_id"]
    with server.client("mediator") as mediator:
        theirs = mediator.post("/orientations", json=ORIENTATION | {"case_id": cases["med-2"]})
        assert _problem(theirs, 404, "not-found")["detail"] == f"no case {cases['med-2']}"
        own = mediator.post("/orientations", json=ORIENTATION | {"case_id": cases["med-1"]})
        assert _created(own, "/orientations")["case"] == cases["med-1"]


CALLS = [
    ("GET", "/rounds", None),
    ("POST", "/rounds", ROUND),
    ("GET", "/rounds/{round}", None),
    ("GET", "/actions", None),
    ("POST", "/actions", ACTION),
    ("GET", "/actions/{action}", None),
    ("GET", "/watch-reports?open=true", None),
    ("POST", "/watch-reports", WATCH),
    ("GET", "/watch-reports/{watch}", None),
    ("POST", "/watch-reports/{watch}/acknowledgement", {}),
    ("POST", "/watch-reports/{watch}/closing", {"answer": "fixed"}),
    ("GET", "/orientations?due=2030-01-01", None),
    ("POST", "/orientations", ORIENTATION | {"by": "med-1"}),
    ("GET", "/orientations/{orientation}", None),
    ("POST", "/orientations/{orientation}/follow-ups", {"outcome": "not-reached"}),
]


@pytest.mark.parametrize(
    ("who", "status", "kind"),
    [("partner", 403, "forbidden"), ("auditor", 403, "forbidden"), (None, 401, "unauthenticated")],
)
def test_partners_and_auditors_get_no_activity_at_all(server, who, status, kind):
    ids = {
        "round": _record(server, "coordinator", "/rounds", ROUND)["id"],
        "action": _record(server, "coordinator", "/actions", ACTION)["id"],
        "watch": _record(server, "coordinator", "/watch-reports", WATCH)["id"],
        "orientation": _record(server, "mediator", "/orientations", ORIENTATION)["id"],
    }
    before = _everything(server)
    with server.client(who) as client:
        for method, path, body in CALLS:
            response = client.request(method, path.format(**ids), json=body)
            detail = _problem(response, status, kind)["detail"]
            if who is not None and method == "GET":  # reading one, as listing them
                assert detail == f"a{'n' * (who == 'auditor')} {who} may not read activities"
    assert _everything(server) == before


# Bad input ---------------------------------------------------------------------------------

BAD = [
    ("/rounds", ROUND | {"colour": "blue"}, "unknown field"),
    ("/rounds", {k: v for k, v in ROUND.items() if k != "team"}, "body.team is required"),
    ("/rounds", ROUND | {"contacts": {"hugging": 1}}, "unknown field 'hugging'"),
    ("/rounds", ROUND | {"contacts": {"greeting": -1}}, "out of bounds"),
    ("/rounds", ROUND | {"started_at": "yesterday"}, "of the years 2000 to 2999"),
    ("/rounds", ROUND | {"started_at": "0001-01-01T00:00:00+23:59"}, "of the years 2000 to 2999"),
    ("/rounds", ROUND | {"started_at": "1999-12-31T23:00:00+01:00"}, "of the years 2000 to 2999"),
    ("/rounds", ROUND | {"started_at": "2026-11-27T16:00:00"}, "give an offset, e.g."),
    ("/rounds", ROUND | {"ended_at": "2026-11-27"}, "give an offset, e.g."),
    ("/rounds", ROUND | {"started_at": "2026-99-01T00:00+01:00"}, "invalid start"),
    ("/rounds", ROUND | {"bus_line": 2}, "body.bus_line must be a string"),
    ("/rounds", ROUND | {"bus_line": "2\u202e"}, "invalid bus line"),
    ("/rounds", ROUND | {"ended_at": ROUND["started_at"]}, "before it starts"),
    ("/rounds", ROUND | {"ended_at": (NOW + timedelta(hours=1)).isoformat()}, "in the future"),
    ("/rounds", ROUND | {"neighbourhood": "Atlantis"}, "Atlantis"),
    ("/rounds", ROUND | {"team": ["med-1", "med-1"]}, "each mediator once"),
    ("/actions", ACTION | {"attendance": 2.5}, "whole number"),
    ("/actions", ACTION | {"attendance": "35"}, "whole number"),
    ("/actions", ACTION | {"kind": "party"}, "must be one of"),
    ("/actions", ACTION | {"held_on": "31/12/2026"}, "invalid action date"),
    ("/actions", ACTION | {"partners": ["landlord", "landlord"]}, "listed once"),
    ("/watch-reports", WATCH | {"partner": "police"}, "must be one of"),
    ("/watch-reports", WATCH | {"reported_on": "2999-01-01"}, "in the future"),
    ("/orientations", ORIENTATION | {"follow_up_on": "2000-01-01"}, "is before"),
    ("/orientations", ORIENTATION | {"name": "A\u202eB"}, "name"),
    ("/orientations", ORIENTATION | {"case_id": "case-1"}, "expected a UUID"),
    ("/orientations", {k: v for k, v in ORIENTATION.items() if k != "name"}, "anonymous"),
]


@pytest.mark.parametrize(("collection", "body", "said"), BAD)
def test_a_body_the_schema_or_the_rules_refuse_is_one_line_and_stores_nothing(
    server, collection, body, said
):
    before = _everything(server)
    with server.client("mediator") as mediator:
        refused = mediator.post(collection, json=body)
    assert said in _problem(refused, 422, "invalid-input")["detail"]
    assert _everything(server) == before


def test_what_a_client_sends_badly_to_an_activity_is_a_4xx_problem(server):
    report = _record(server, "mediator", "/watch-reports", WATCH)
    orientation = _record(server, "mediator", "/orientations", ORIENTATION)
    before = _everything(server)
    with server.client("mediator") as mediator:
        json_ = {"Content-Type": "application/json"}
        _problem(mediator.post("/rounds", content=b"{", headers=json_), 400, "malformed-request")
        plain = mediator.post("/actions", content=b"{}", headers={"Content-Type": "text/plain"})
        _problem(plain, 415, "unsupported-media-type")
        _problem(mediator.get("/rounds", params={"mine": "true"}), 422, "invalid-input")
        _problem(mediator.get("/rounds", params={"open": "true"}), 422, "invalid-input")
        _problem(mediator.get("/watch-reports", params={"open": "yes"}), 422, "invalid-input")
        _problem(mediator.get("/orientations", params={"due": "soon"}), 422, "invalid-input")
        twice = mediator.get("/orientations?due=2030-01-01&due=2030-02-01")
        _problem(twice, 422, "invalid-input")
        _problem(mediator.get("/rounds/not-an-id"), 404, "not-found")
        _problem(mediator.get(f"/actions/{report['id']}"), 404, "not-found")  # a watch report
        path = f"/watch-reports/{report['id']}"
        early = mediator.post(f"{path}/acknowledgement", json={"on": "2000-01-01"})
        assert "before the report" in _problem(early, 422, "invalid-input")["detail"]
        _problem(mediator.post(f"{path}/closing", json={}), 422, "invalid-input")
        elsewhere = mediator.post(
            f"/watch-reports/{orientation['id']}/closing", json={"answer": "fixed"}
        )
        _problem(elsewhere, 404, "not-found")
        open_ended = {"outcome": "in-progress"}  # its next follow-up's day is missing
        follow = mediator.post(f"/orientations/{orientation['id']}/follow-ups", json=open_ended)
        assert _problem(follow, 422, "invalid-input")["rule"] == "follow-up-is-plausible"
        _problem(mediator.delete(f"/orientations/{orientation['id']}"), 405, "method-not-allowed")
    assert _everything(server) == before


# The document ------------------------------------------------------------------------------


def test_the_document_declares_each_activity_operation_its_types_and_its_problems(server):
    with server.client() as anonymous:
        doc = anonymous.get("/openapi.json").json()
    paths, schemas = doc["paths"], doc["components"]["schemas"]
    ids = {
        op["operationId"]
        for path, ops in paths.items()
        if path.startswith(("/rounds", "/actions", "/watch-reports", "/orientations"))
        for op in ops.values()
    }
    assert ids == {
        *("recordRound", "listRounds", "readRound", "recordAction", "listActions"),
        *("readAction", "recordWatchReport", "listWatchReports", "readWatchReport"),
        *("acknowledgeWatchReport", "closeWatchReport", "recordOrientation"),
        *("listOrientations", "readOrientation", "recordFollowUp", "readArchivedOrientation"),
    }
    for collection in LISTS:
        created = paths[collection]["post"]["responses"]
        assert set(created["201"]["headers"]) == {"Location"}
        assert {"400", "403", "422", "default"} <= set(created)
    closing = paths["/watch-reports/{report_id}/closing"]["post"]
    assert {"400", "403", "404", "409", "422"} <= set(closing["responses"])
    assert closing["parameters"][0]["schema"] == {"type": "string", "format": "uuid"}
    assert schemas["WatchReport"]["properties"]["answer"]["anyOf"] == [
        {"$ref": "#/components/schemas/WatchAnswer"},
        {"type": "null"},
    ]
    assert schemas["NewWatchReport"]["properties"]["partner"] == {
        "$ref": "#/components/schemas/PartnerKind"
    }
    assert "landlord" in schemas["PartnerKind"]["enum"]
    assert schemas["Round"]["properties"]["started_at"]["format"] == "date-time"
    started = schemas["NewRound"]["properties"]["started_at"]
    assert "2000 to 2999 with its offset" in started["description"]
    assert schemas["NewRound"]["properties"]["bus_line"]["type"] == ["string", "null"]
    assert schemas["Orientation"]["properties"]["oriented_on"]["format"] == "date"
    assert schemas["OrientationRead"]["required"][-1] == "person_name"
    (due,) = paths["/orientations"]["get"]["parameters"]
    assert (due["name"], due["schema"]["format"]) == ("due", "date")
