"""A client generated from /openapi.json (openapi-python-client) drives the API alone (#19).

The generator runs in a temporary folder on the server's own document; the test then
uses nothing but the generated package, all 33 operations of the document: a whole case
through each role's allowed calls (a party added, a mediator stepping down, an erasure),
institutions among the parties (one Institution type, in the bodies and the cases),
paging by the Link header to the end, every report format (the activities' figures typed,
their CSV tables), the audit export, the activities (a round, a collective action, a
watch report to its closing, an orientation followed up), reads of the archive, and the
typed problems (403, 404, 409, 412, 422). The last test checks that every operation the
generator made a function for was driven.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from types import ModuleType
from typing import Any

import httpx
import pytest

from .conftest import Server
from .test_archive_api import archive_old_records

pytestmark = pytest.mark.slow

PACKAGE = "mediation_domain_client"


@pytest.fixture(scope="module")
def generated(server: Server, tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    folder = tmp_path_factory.mktemp("client")
    document = folder / "openapi.json"
    document.write_text(json.dumps(httpx.get(f"{server.url}/openapi.json").json()))
    (folder / "config.yaml").write_text("post_hooks: []\n")
    made = subprocess.run(
        [
            *(sys.executable, "-m", "openapi_python_client", "generate"),
            *("--path", str(document), "--config", "config.yaml", "--meta", "none"),
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert made.returncode == 0, made.stdout + made.stderr
    assert "Warning" not in made.stdout + made.stderr, made.stdout + made.stderr
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(folder))
        for name in [n for n in sys.modules if n.startswith(PACKAGE)]:
            del sys.modules[name]


OPERATIONS = 33  # in the document: the cases' 17, the activities' 16
DRIVEN: set[str] = set()  # the operations the tests below called


def _api(name: str) -> Any:
    DRIVEN.add(name)
    return importlib.import_module(f"{PACKAGE}.api.default.{name}")


def _models() -> Any:
    return importlib.import_module(f"{PACKAGE}.models")


@pytest.fixture
def clients(generated: ModuleType, server: Server) -> Any:
    """A generated client per role, closed after the test."""
    made = {
        who: generated.AuthenticatedClient(base_url=server.url, token=token)
        for who, token in server.tokens.items()
    }
    yield made
    for client in made.values():
        client.get_httpx_client().close()


def _request(referral: str, *names: str) -> Any:
    """The generated Request model of a case in Beaulieu's public transport."""
    return _models().Request.from_dict(
        {
            "domain": "public-transport",
            "neighbourhood": "Beaulieu",
            "referral": referral,
            "parties": [{"name": name} for name in names],
        }
    )


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.content
    return response.parsed


def test_a_whole_case_through_each_role_s_calls(clients):
    models = _models()
    coordinator, mediator = clients["coordinator"], clients["mediator"]
    request = _request("transport-operator", "A. Martin", "B. Durand")
    opened = _api("open_case").sync_detailed(client=coordinator, body=request)
    case = _ok(opened, 201)
    assert isinstance(case, models.CaseAfterCommand)
    assert opened.headers["location"] == f"/cases/{case.case_id}"
    case_id = case.case_id
    joined = _api("add_party").sync_detailed(
        case_id, client=coordinator, body=models.Party(name="C. Roux")
    )
    assert len(_ok(joined).parties) == 3
    assigned = _api("assign_mediator").sync_detailed(
        case_id, client=coordinator, body=models.Assignment(mediator="med-1")
    )
    case = _ok(assigned)
    parties = [party.id for party in case.parties]
    for party in parties:  # the mediator, on their own case
        consent = models.Consent(party=party, decision=models.ConsentDecision.GIVE)
        case = _ok(_api("record_consent").sync_detailed(case_id, client=mediator, body=consent))
    session = models.Session.from_dict({"kind": "joint-session", "attendees": parties})
    case = _ok(_api("record_session").sync_detailed(case_id, client=mediator, body=session))
    resolution = models.Resolution(outcome=models.Outcome.AGREEMENT)
    case = _ok(_api("resolve_case").sync_detailed(case_id, client=mediator, body=resolution))
    assert case.outcome == models.Outcome.AGREEMENT
    read = _api("read_case").sync_detailed(case_id, client=coordinator)
    assert read.headers["etag"] == f'"{_ok(read).version}"'
    assert _ok(read).status.value == "resolved"
    same = _api("read_case").sync_detailed(case_id, client=coordinator, if_match='"1"')
    assert same.status_code == 412  # a conditional read, declared
    other = models.Request.from_dict(request.to_dict())
    second = _ok(_api("open_case").sync_detailed(client=coordinator, body=other), 201)
    _ok(
        _api("assign_mediator").sync_detailed(
            second.case_id, client=coordinator, body=models.Assignment(mediator="med-1")
        )
    )
    stepped_down = models.MediatorWithdrawal(mediator="med-1", reason="conflict-of-interest")
    without = _api("withdraw_mediator").sync_detailed(
        second.case_id, client=mediator, body=stepped_down
    )
    assert _ok(without).mediator is None
    withdrawal = models.Withdrawal.from_dict({"by": "service", "reason": "no-longer-needed"})
    ended = _ok(
        _api("withdraw_case").sync_detailed(second.case_id, client=coordinator, body=withdrawal)
    )
    assert ended.withdrawn_by == models.WithdrawnBy.SERVICE
    erased = _api("erase_subject").sync_detailed(
        parties[0], client=coordinator, body=models.Erasure.from_dict({"reason": "request"})
    )
    assert erased.status_code in (200, 202), erased.content


def test_an_institution_and_its_representative_round_trip(clients):
    models = _models()
    coordinator = clients["coordinator"]
    request = models.Request.from_dict(
        {
            "domain": "public-transport",
            "neighbourhood": "Beaulieu",
            "referral": "transport-operator",
            "parties": [{"name": "A. Martin"}],
        }
    )
    request.parties.append(
        models.RequestPartiesItem(
            name="M. Roux",
            institution=models.Institution(
                kind=models.PartnerKind.TRANSPORT_OPERATOR, name="Vitalis"
            ),
        )
    )
    case = _ok(_api("open_case").sync_detailed(client=coordinator, body=request), 201)
    school = models.Institution(kind=models.PartnerKind.SCHOOL, name="École Jules Ferry")
    joined = _api("add_party").sync_detailed(
        case.case_id, client=coordinator, body=models.Party(name="Mme Dubois", institution=school)
    )
    person, operator, teacher = _ok(joined).parties
    assert person.institution is None
    assert isinstance(operator.institution, models.Institution)  # one type, bodies and cases
    assert (operator.institution.kind, operator.institution.name) == (
        models.PartnerKind.TRANSPORT_OPERATOR,
        "Vitalis",
    )
    assert (teacher.name, teacher.institution.name) == ("Mme Dubois", "École Jules Ferry")
    read = _ok(_api("read_case").sync_detailed(case.case_id, client=coordinator))
    assert read.parties[2].institution.kind == models.PartnerKind.SCHOOL


def test_paging_to_the_end_by_the_link_header(clients):
    coordinator = clients["coordinator"]
    everything = _ok(_api("list_cases").sync_detailed(client=coordinator))
    seen, after = [], None
    while True:
        kwargs = {"after": after} if after else {}
        page = _api("list_cases").sync_detailed(client=coordinator, limit=2, **kwargs)
        seen += [case.case_id for case in _ok(page)]
        link = page.headers.get("link")
        if not link:
            break
        after = httpx.URL(link.split(";")[0].strip("<>")).params["after"]
    assert seen == [case.case_id for case in everything]
    assert len(seen) >= 2


def test_every_report_format_and_the_audit_export(clients):
    models = _models()
    partner, auditor = clients["partner"], clients["auditor"]
    report = _ok(_api("get_report").sync_detailed(client=partner))
    assert report.suppressed_below == 5
    assert isinstance(report.period.from_, date)  # typed objects, not dictionaries
    assert report.period.as_of.tzinfo is not None
    assert [point.month for point in report.charts.month][:1] == [
        report.period.from_.strftime("%Y-%m")
    ]
    activities = report.activities  # typed too, one type per part
    assert isinstance(activities, models.ReportActivities)
    assert isinstance(activities.presence, models.PresenceSection)
    assert isinstance(activities.watch, models.ActivitySection)
    assert activities.presence.by == activities.presence.hours.by == models.ActivitySlots.QUARTER
    assert isinstance(activities.orientations.total, models.ActivityRow)
    for name, marker in (("csv", "Quartier"), ("html", "<svg"), ("table", "Vue partenaires")):
        text = _ok(_api(f"get_report_{name}").sync_detailed(client=partner))
        assert marker in text
    tables = models.GetReportCsvTable.ACTIVITIES
    text = _ok(_api("get_report_csv").sync_detailed(client=partner, table=tables))
    assert "Autres activités de médiation" in text
    assert "Quartier;Domaine" not in text  # the activities' tables alone
    export = _ok(_api("export_audit").sync_detailed(client=auditor))
    lines = export.payload.read().splitlines()  # bytes, typed as such (a File)
    first = json.loads(lines[0])
    assert (first["format"], first["version"]) == ("mediation-domain/audit-export", 2)


def test_the_typed_problems(clients):
    models = _models()
    coordinator, partner = clients["coordinator"], clients["partner"]
    request = _request("city", "C. Petit")
    case = _ok(_api("open_case").sync_detailed(client=coordinator, body=request), 201)

    def problem(response: Any, status: int, kind: str) -> None:
        assert response.status_code == status, response.content
        assert isinstance(response.parsed, models.Problem)
        assert response.parsed.type_ == f"/problems/{kind}"

    resolution = models.Resolution(outcome=models.Outcome.AGREEMENT)
    problem(  # no mediator, no consent: the deontology refuses
        _api("resolve_case").sync_detailed(case.case_id, client=coordinator, body=resolution),
        409,
        "lifecycle",
    )
    stale = _api("assign_mediator").sync_detailed(
        case.case_id, client=coordinator, body=models.Assignment(mediator="med-2"), if_match='"99"'
    )
    problem(stale, 412, "stale-version")
    problem(_api("read_case").sync_detailed(case.case_id, client=partner), 403, "forbidden")
    unknown = "00000000-0000-4000-8000-000000000000"
    problem(_api("read_case").sync_detailed(unknown, client=coordinator), 404, "not-found")
    bad = models.Assignment(mediator="")
    problem(
        _api("assign_mediator").sync_detailed(case.case_id, client=coordinator, body=bad),
        422,
        "invalid-input",
    )


def test_the_activities_through_each_role_s_calls(clients):
    models = _models()
    coordinator, mediator = clients["coordinator"], clients["mediator"]
    now, today = datetime.now(UTC), date.today()
    tour = models.NewRound.from_dict(
        {
            "neighbourhood": "Beaulieu",
            "bus_line": "2",
            "started_at": (now - timedelta(hours=3)).isoformat(),
            "ended_at": (now - timedelta(hours=1)).isoformat(),
            "team": ["med-1", "med-2"],
            "contacts": {"greeting": 12, "rule-reminder": 1},
            "observed": {"public-transport": 2},
        }
    )
    recorded = _api("record_round").sync_detailed(client=mediator, body=tour)
    round_ = _ok(recorded, 201)
    assert isinstance(round_, models.Round)
    assert recorded.headers["location"] == f"/rounds/{round_.id}"
    assert (round_.contacts.greeting, round_.contacts.rule_reminder) == (12, 1)
    assert round_.started_at.tzinfo is not None
    assert _ok(_api("read_round").sync_detailed(round_.id, client=coordinator)) == round_
    assert round_.id in [r.id for r in _ok(_api("list_rounds").sync_detailed(client=mediator))]

    held = models.NewAction.from_dict(
        {
            "kind": "workshop",
            "domain": "schools-and-youth",
            "neighbourhood": "Beaulieu",
            "attendance": 14,
            "partners": ["school", "association"],
            "team": ["med-1"],
        }
    )
    action = _ok(_api("record_action").sync_detailed(client=coordinator, body=held), 201)
    assert action.kind == models.ActionKind.WORKSHOP
    assert action.held_on == today
    assert _ok(_api("read_action").sync_detailed(action.id, client=mediator)) == action
    assert action.id in [a.id for a in _ok(_api("list_actions").sync_detailed(client=mediator))]

    seen = models.NewWatchReport.from_dict(
        {
            "kind": "damaged-equipment",
            "domain": "public-space-and-housing",
            "neighbourhood": "Beaulieu",
            "partner": "landlord",
        }
    )
    report = _ok(_api("record_watch_report").sync_detailed(client=mediator, body=seen), 201)
    assert report.status == models.WatchStatus.REPORTED
    acknowledged = _api("acknowledge_watch_report").sync_detailed(
        report.id, client=mediator, body=models.WatchAcknowledgement()
    )
    assert _ok(acknowledged).acknowledged_on == today
    open_ = models.ListWatchReportsOpen.TRUE
    waiting = _ok(_api("list_watch_reports").sync_detailed(client=mediator, open_=open_))
    assert report.id in [r.id for r in waiting]
    closing = models.WatchClosing(answer=models.WatchAnswer.PLANNED)
    closed = _ok(_api("close_watch_report").sync_detailed(report.id, client=mediator, body=closing))
    assert (closed.status, closed.answer) == (models.WatchStatus.CLOSED, models.WatchAnswer.PLANNED)
    assert _ok(_api("read_watch_report").sync_detailed(report.id, client=coordinator)) == closed
    waiting = _ok(_api("list_watch_reports").sync_detailed(client=mediator, open_=open_))
    assert report.id not in [r.id for r in waiting]

    due = today + timedelta(days=7)
    oriented = models.NewOrientation.from_dict(
        {
            "need": "housing",
            "partner": "social-service",
            "neighbourhood": "Beaulieu",
            "follow_up_on": due.isoformat(),
            "name": "Mme Ferreira",
            "shared": ["name", "situation"],
        }
    )
    orientation = _ok(_api("record_orientation").sync_detailed(client=mediator, body=oriented), 201)
    assert (orientation.by, orientation.follow_up_on) == ("med-1", due)
    read = _ok(_api("read_orientation").sync_detailed(orientation.id, client=mediator))
    assert isinstance(read, models.OrientationRead)
    assert read.person_name == "Mme Ferreira"
    listed = _ok(_api("list_orientations").sync_detailed(client=mediator, due=due))
    assert orientation.id in [o.id for o in listed]
    step = models.FollowUp(
        outcome=models.OrientationOutcome.IN_PROGRESS, next_on=today + timedelta(days=30)
    )
    followed = _ok(
        _api("record_follow_up").sync_detailed(orientation.id, client=mediator, body=step)
    )
    assert (followed.follow_ups, followed.follow_up_on) == (1, today + timedelta(days=30))
    hidden = _api("read_orientation").sync_detailed(
        orientation.id, client=clients["other_mediator"]
    )
    assert hidden.status_code == 404
    assert isinstance(hidden.parsed, models.Problem)
    refused = _api("list_rounds").sync_detailed(client=clients["partner"])
    assert refused.status_code == 403
    assert refused.parsed.type_ == "/problems/forbidden"


def test_a_coordinator_reads_the_archive_stating_why(clients, server):
    models = _models()
    coordinator = clients["coordinator"]
    case, oriented = archive_old_records(server.store)
    why = models.ArchiveRead(reason="litigation")
    read = _ok(_api("read_archived_case").sync_detailed(case, client=coordinator, body=why))
    assert isinstance(read, models.Case)
    assert [party.name for party in read.parties] == ["Mme Garnier", "M. Leroy"]
    named = _api("read_archived_orientation").sync_detailed(oriented, client=coordinator, body=why)
    assert isinstance(_ok(named), models.OrientationRead)
    assert named.parsed.person_name == "Mme Nguyễn Thị Hoa"
    refused = _api("read_archived_case").sync_detailed(case, client=clients["mediator"], body=why)
    assert (refused.status_code, refused.parsed.type_) == (403, "/problems/forbidden")
    absent = _api("read_archived_orientation").sync_detailed(case, client=coordinator, body=why)
    assert (absent.status_code, absent.parsed.type_) == (404, "/problems/not-found")


@pytest.mark.usefixtures("generated")
def test_the_generated_client_drove_every_operation_of_the_document(request):
    module = request.node.path
    ran = [item for item in request.session.items if item.path == module]
    written = [name for name in globals() if name.startswith("test_")]
    if len(ran) < len(written):
        pytest.skip("the whole module drives the operations: run it all to count them")
    folder = importlib.import_module(f"{PACKAGE}.api.default").__path__
    published = {found.name for found in pkgutil.iter_modules(folder)}
    assert (len(DRIVEN & published), len(published)) == (OPERATIONS, OPERATIONS), sorted(
        published - DRIVEN
    )
