"""The CLI holds every command to the HTTP API's policy (--as), and manages the tokens."""

from __future__ import annotations

import json
import stat

import pytest

from mediation_adapters.security.tokens import Tokens, digest

from .test_cli import run

pytestmark = pytest.mark.slow


@pytest.fixture
def demo(tmp_path):
    store = tmp_path / "cases.sqlite3"
    assert run("demo", "--week-only", store=store).returncode == 0
    return store


def _refused(result) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.stderr


def test_a_mediator_lists_and_reads_their_own_cases_only(demo):
    every = json.loads(run("list", "--json", store=demo).stdout)
    own = json.loads(run("--as", "mediator:med-amina", "list", "--json", store=demo).stdout)
    assert own
    assert {case["mediator"] for case in own} == {"med-amina"}
    assert len(own) < len(every)
    theirs = next(case for case in every if case["mediator"] not in {None, "med-amina"})
    hidden = run("--as", "mediator:med-amina", "show", theirs["case_id"], store=demo)
    assert f"no case {theirs['case_id']}" in _refused(hidden)
    assert run("--as", "mediator:med-amina", "show", own[0]["case_id"], store=demo).returncode == 0
    assign = run(
        "--as", "mediator:med-amina", "assign", own[0]["case_id"], "--mediator", "x", store=demo
    )
    assert "a mediator may not assign" in _refused(assign)
    named = run("--as", "mediator:med-amina", "join", own[0]["case_id"], "--name", "X",
                "--party-id", "p-chosen", store=demo)  # fmt: skip
    assert "generated ids only" in _refused(named)
    assert "--st" in _refused(run("list", "--st", "resolved", store=demo))


def test_partners_and_auditors_run_no_case_command(demo):
    case = json.loads(run("list", "--json", store=demo).stdout)[0]["case_id"]
    for who in ("partner:ville", "auditor:cabinet"):
        assert "may not list cases" in _refused(run("--as", who, "list", store=demo))
        assert "may not read case" in _refused(run("--as", who, "show", case, store=demo))
        assert "may not erase" in _refused(run("--as", who, "erase", "p-x", store=demo))
    assert "may not request" in _refused(run("--as", "auditor:cabinet", "demo", store=demo))
    assert "unknown role" in _refused(run("--as", "admin:root", "list", store=demo))
    assert "ROLE:IDENTITY" in _refused(run("--as", "mediator", "list", store=demo))


def test_a_token_is_printed_once_and_stored_as_a_digest(tmp_path):
    file = tmp_path / "tokens.json"
    made = run("tokens", "add", "--file", str(file), "--role", "mediator", "--identity", "med-1")
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    assert len(token) >= 40
    assert token not in file.read_text()
    assert digest(token) in file.read_text()
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    principal = Tokens.load(file).principal(token)
    assert (principal.role.value, principal.identity) == ("mediator", "med-1")
    assert Tokens.load(file).principal("guess") is None
    bad = run("tokens", "add", "--file", str(file), "--role", "mediator", "--identity", "a b")
    assert "invalid mediator id" in _refused(bad)


def test_serve_refuses_a_missing_or_malformed_token_file_in_one_line(tmp_path, demo):
    missing = run("serve", "--tokens", str(tmp_path / "none.json"), store=demo)
    assert "no token file" in _refused(missing)
    for content in (
        "not json",
        "[]",
        '{"tokens": [{"role": "mediator"}]}',
        '{"tokens": [{"sha256": "zz", "role": "partner", "identity": "v"}]}',
    ):
        (tmp_path / "bad.json").write_text(content)
        _refused(run("serve", "--tokens", str(tmp_path / "bad.json"), store=demo))


def test_operator_commands_are_the_coordinators_and_audits_the_auditors(demo, tmp_path):
    tokens = str(tmp_path / "t.json")
    as_partner = ("--as", "partner:ville")
    assert "may not administer" in _refused(run(*as_partner, "keys", "status", store=demo))
    adding = run(*as_partner, "tokens", "add", "--file", tokens, "--role", "coordinator",
                 "--identity", "x")  # fmt: skip
    assert "may not administer" in _refused(adding)
    assert "may not audit" in _refused(run(*as_partner, "audit", "replay", store=demo))
    assert run("--as", "auditor:cabinet", "audit", "replay", store=demo).returncode == 0
    sealing = run(
        *as_partner, "list", store=demo, env={"MEDIATION_SEAL_EVERY": "1"}
    )  # refused before anything is sealed (no key is even asked for)
    assert "may not list cases" in _refused(sealing)


def test_store_and_principal_may_follow_the_command(demo, tmp_path):
    after = run("list", "--json", "--store", f"sqlite:///{demo}")
    assert after.returncode == 0, after.stderr
    before = run("--store", f"sqlite:///{tmp_path / 'other.sqlite3'}", "list", "--json",
                 "--store", f"sqlite:///{demo}")  # fmt: skip
    assert json.loads(before.stdout) == json.loads(after.stdout) != []
    assert "may not list" in _refused(run("list", "--as", "partner:x", store=demo))


def test_a_token_may_expire_and_an_expired_one_is_refused_like_an_unknown_one(tmp_path):
    file = tmp_path / "tokens.json"
    lasting = run("tokens", "add", "--file", str(file), "--role", "partner", "--identity",
                  "ville", "--days", "30")  # fmt: skip
    assert lasting.returncode == 0, lasting.stderr
    token = lasting.stdout.strip()
    assert Tokens.load(file).principal(token) is not None
    data = json.loads(file.read_text())
    data["tokens"][0]["expires"] = "2020-01-01T00:00:00+00:00"
    file.write_text(json.dumps(data))
    assert Tokens.load(file).principal(token) is None
    data["tokens"][0]["expires"] = "next tuesday"
    file.write_text(json.dumps(data))
    assert "malformed" in _refused(run("serve", "--tokens", str(file)))
    never = run("tokens", "add", "--file", str(tmp_path / "n.json"), "--role", "partner",
                "--identity", "v", "--days", "0")  # fmt: skip
    assert "1 to 3660 days" in _refused(never)
