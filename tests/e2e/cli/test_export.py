"""Exports verify and replay offline, on the file alone; the golden history keeps replaying."""

from __future__ import annotations

import base64
import json
from collections import Counter
from pathlib import Path

import pytest

from mediation_adapters.formats.export_v1 import Export
from mediation_adapters.formats.export_writer import line
from mediation_domain import Mediations
from mediation_domain.rules import review

from .test_cli import run

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parents[2] / "fixtures"
GOLDEN, GOLDEN_KEY = FIXTURES / "golden-v1.jsonl", FIXTURES / "golden-v1.pub"


@pytest.fixture
def sealed_store(tmp_path: Path) -> tuple[Path, Path]:
    """The demo recorded and sealed in a SQLite file: (store, public key)."""
    store, key, public = tmp_path / "s.sqlite3", tmp_path / "k", tmp_path / "k.pub"
    assert run("demo", "--week-only", store=store).returncode == 0
    made = run(
        "audit",
        "keygen",
        "--name",
        "a.example/log",
        "--private-key",
        str(key),
        "--public-key",
        str(public),
    )
    assert made.returncode == 0
    assert run("audit", "seal", "--private-key", str(key), store=store).returncode == 0
    return store, public


@pytest.fixture
def exported(sealed_store, tmp_path: Path) -> tuple[Path, Path]:
    store, public = sealed_store
    out = tmp_path / "history.jsonl"
    done = run("audit", "export", "--out", str(out), store=store)
    assert done.returncode == 0, done.stderr
    return out, public


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def _write(path: Path, lines: list[dict]) -> None:
    """The lines in the export's canonical form: an edit reaches the verification."""
    path.write_text("".join(line(fields) for fields in lines))


def test_an_export_verifies_and_replays_with_no_store_at_all(exported):
    out, public = exported
    verified = run(
        "--store",
        "sqlite:////nonexistent/x.db",
        "audit",
        "verify",
        str(out),
        "--public-key",
        str(public),
        "--json",
    )
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["records"] == 59
    replayed = run("--store", "memory://", "audit", "replay", str(out))
    assert replayed.returncode == 0
    kinds = Counter(line.get("type") for line in _lines(out)[1:])
    assert kinds == {"checkpoint": 1, "record": 59, "end": 1}


def test_an_edited_export_is_detected_offline(exported, tmp_path: Path):
    out, public = exported
    lines = _lines(out)
    record = next(r for r in lines if r.get("type") == "record" and r["id"] == 12)
    record["originator_version"] += 1
    edited = tmp_path / "edited.jsonl"
    _write(edited, lines)
    done = run("audit", "verify", str(edited), "--public-key", str(public), "--json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["status"] == "tampered"
    assert report["problems"][0]["kind"] == "altered"


def test_a_forged_checkpoint_in_an_export_is_detected(exported, tmp_path: Path):
    out, public = exported
    lines = _lines(out)
    checkpoint = next(r for r in lines if r.get("type") == "checkpoint")
    origin, size, _root, rest = checkpoint["note"].split("\n", 3)
    checkpoint["note"] = "\n".join([origin, size, base64.b64encode(bytes(32)).decode(), rest])
    forged = tmp_path / "forged.jsonl"
    _write(forged, lines)
    done = run("audit", "verify", str(forged), "--public-key", str(public), "--json")
    assert done.returncode == 1
    assert "forged-checkpoint" in {p["kind"] for p in json.loads(done.stdout)["problems"]}


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda text: text.rsplit("\n", 2)[0] + "\n", "no end line: the file was truncated"),
        (lambda text: "not json\n" + text, "line 1 is not a JSON object"),
        (lambda text: text.replace('"version":2', '"version":9', 1), "is not a mediation-domain"),
    ],
)
def test_an_unreadable_export_is_exit_2(exported, tmp_path: Path, damage, says):
    out, public = exported
    broken = tmp_path / "broken.jsonl"
    broken.write_text(damage(out.read_text()))
    done = run("audit", "verify", str(broken), "--public-key", str(public))
    assert done.returncode == 2
    assert says in done.stderr


def test_an_export_ends_at_the_last_checkpoint_up_to_a_record(sealed_store, tmp_path: Path):
    store, public = sealed_store
    key = store.parent / "k"
    assert run("demo", "--week-only", store=store).returncode == 0  # 59 more records
    assert run("audit", "seal", "--private-key", str(key), store=store).returncode == 0
    out = tmp_path / "early.jsonl"
    done = run("audit", "export", "--out", str(out), "--until", "100", store=store)
    assert done.returncode == 0, done.stderr
    assert [r["id"] for r in _lines(out) if r.get("type") == "record"] == list(range(1, 60))
    assert run("audit", "verify", str(out), "--public-key", str(public)).returncode == 0
    again = run("audit", "export", "--out", str(out), store=store)
    assert again.returncode == 2  # never overwritten
    assert "refusing to overwrite" in again.stderr


def test_the_golden_v1_history_verifies_and_replays_forever():
    verified = run("audit", "verify", str(GOLDEN), "--public-key", str(GOLDEN_KEY), "--json")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    report = json.loads(verified.stdout)
    assert (report["format"], report["unsealed"], report["ok"]) == (1, 0, True)
    assert (
        "intact (audit format 1)"
        in run("audit", "verify", str(GOLDEN), "--public-key", str(GOLDEN_KEY)).stdout
    )
    replayed = run("--store", "memory://", "audit", "replay", str(GOLDEN))
    assert replayed.returncode == 0, replayed.stdout
    mapper = Mediations().mapper
    events = [mapper.to_domain_event(record) for record in Export(GOLDEN).records()]
    assert list(review(events)) == []
    assert Counter(type(e).__name__ for e in events)["Requested"] == 10


def test_a_case_is_shown_as_of_an_event_or_a_time_from_the_export_alone():
    first = next(Export(GOLDEN).records())
    case = str(first.originator_id)
    early = json.loads(run("show", case, "--as-of", "2", "--from", str(GOLDEN), "--json").stdout)
    assert (early["version"], early["status"]) == (2, "in-mediation")
    late = run("show", case, "--as-of", "2100-01-01T00:00+00:00", "--from", str(GOLDEN), "--json")
    assert json.loads(late.stdout)["status"] == "resolved"
    before = run("show", case, "--as-of", "2000-01-01T00:00+00:00", "--from", str(GOLDEN))
    assert before.returncode == 2
    assert "was requested after" in before.stderr


@pytest.fixture
def one_case_export(sealed_store, tmp_path: Path):
    store, public = sealed_store
    case = json.loads(run("list", "--json", store=store).stdout)[3]["case_id"]
    out = tmp_path / "case.jsonl"
    done = run("audit", "export", "--out", str(out), "--case", case, store=store)
    assert done.returncode == 0, done.stderr
    return out, public, case


def test_one_case_can_be_exported_verified_and_replayed_alone(one_case_export):
    out, public, case = one_case_export
    records = [line for line in _lines(out) if line.get("type") == "record"]
    assert {line["originator_id"] for line in records} == {case}
    assert [line["originator_version"] for line in records] == list(range(1, len(records) + 1))
    verified = run("audit", "verify", str(out), "--public-key", str(public))
    assert verified.returncode == 0, verified.stdout
    assert "each record held to the checkpoint by its proof" in verified.stdout
    assert "intact" in verified.stdout
    proofs = {len(r["proof"]) for r in records}
    assert proofs <= {5, 6}  # a tree of 59 leaves: 6 levels, the last leaves a level less
    assert run("--store", "memory://", "audit", "replay", str(out)).returncode == 0


@pytest.mark.parametrize("edit", ["modify", "delete"])
def test_an_edited_one_case_export_is_detected(one_case_export, tmp_path: Path, edit):
    out, public, _ = one_case_export
    lines = _lines(out)
    records = [line for line in lines if line.get("type") == "record"]
    target = records[2]
    if edit == "modify":
        target["topic"] = target["topic"].replace("Consent", "Session")
    else:
        lines.remove(target)
        lines[-1]["records"] -= 1  # the end line made to agree
    edited = tmp_path / "edited.jsonl"
    _write(edited, lines)
    done = run("audit", "verify", str(edited), "--public-key", str(public), "--json")
    assert done.returncode == 1
    kinds = [p["kind"] for p in json.loads(done.stdout)["problems"]]
    assert kinds[0] == ("modified" if edit == "modify" else "deleted")
