"""Every way an outside verifier fooled or crashed format 1, tried on format 2 (issue 17).

Each case must now fail verification (exit 1) or be refused (exit 2, one line naming the
line, no traceback); never "intact".
"""

from __future__ import annotations

import base64
import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from mediation_adapters.formats.export_writer import line

from .test_cli import run

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).parents[2] / "fixtures"
GOLDEN, GOLDEN_KEY = FIXTURES / "golden-v1.jsonl", FIXTURES / "golden-v1.pub"
ORIGIN = "mediation.example/poitiers"


@pytest.fixture(scope="module")
def sealed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The demo's week, sealed, exported whole and for one case: the paths."""
    folder = tmp_path_factory.mktemp("sealed")
    paths = {
        "store": folder / "s.sqlite3",
        "key": folder / "k",
        "public": folder / "k.pub",
        "full": folder / "full.jsonl",
        "case": folder / "case.jsonl",
        "checkpoint": folder / "kept.cp",
    }
    store = paths["store"]
    assert run("demo", "--week-only", store=store).returncode == 0
    made = run(
        "audit", "keygen", "--name", ORIGIN, "--private-key", str(paths["key"]),
        "--public-key", str(paths["public"]),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert run("audit", "seal", "--private-key", str(paths["key"]), store=store).returncode == 0
    assert run("audit", "export", "--out", str(paths["full"]), store=store).returncode == 0
    listed = json.loads(run("list", "--json", store=store).stdout)
    case = next(c["case_id"] for c in listed if c["status"] == "resolved")  # it has an outcome
    exported = run("audit", "export", "--case", case, "--out", str(paths["case"]), store=store)
    assert exported.returncode == 0, exported.stderr
    kept = run("audit", "checkpoint", "--out", str(paths["checkpoint"]), store=store)
    assert kept.returncode == 0, kept.stderr
    return paths


def _copy(sealed: dict[str, Path], tmp_path: Path) -> Path:
    """A copy of the sealed store, readable by its owner only (as stores must be)."""
    store = tmp_path / "s.sqlite3"
    store.write_bytes(sealed["store"].read_bytes())
    store.chmod(0o600)
    return store


def _witness_keys(folder: Path) -> tuple[Path, Path]:
    """A funder's witness key pair: (private, public)."""
    witness, public = folder / "w", folder / "w.pub"
    made = run(
        "audit", "keygen", "--witness", "--name", "funder.example", "--private-key",
        str(witness), "--public-key", str(public),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return witness, public


def _lines(path: Path) -> list[dict]:
    return [json.loads(text) for text in path.read_text().splitlines()]


def _verify(path: Path, public: Path, *more: str):
    return run("audit", "verify", str(path), "--public-key", str(public), *more)


def _edited(sealed, tmp_path: Path, which: str, edit: Callable[[list[dict]], None]) -> Path:
    lines = _lines(sealed[which])
    edit(lines)
    out = tmp_path / f"edited-{which}.jsonl"
    out.write_text("".join(line(fields) for fields in lines))  # canonical: reaches the check
    return out


def _refused(done, says: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert says in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


def _outcome_forged(lines: list[dict]) -> None:
    """One record's outcome turned from agreement to no agreement, as the auditor did."""
    for fields in lines:
        state = base64.b64decode(fields.get("state", ""))
        if b'"agreement"' in state or b"partial-agreement" in state:
            forged = state.replace(b"partial-agreement", b"no-agreement").replace(
                b'"agreement"', b'"no-agreement"'
            )
            fields["state"] = base64.b64encode(forged).decode()
            return
    raise AssertionError("no outcome to forge")


@pytest.mark.parametrize("which", ["full", "case"])
def test_a_forged_outcome_fails_in_a_full_or_a_case_export(sealed, tmp_path, which):
    done = _verify(_edited(sealed, tmp_path, which, _outcome_forged), sealed["public"], "--json")
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["status"] == "tampered"
    assert report["problems"][0]["kind"] == ("modified" if which == "case" else "altered")


def test_every_record_of_a_case_export_is_bound_to_the_checkpoint(sealed, tmp_path):
    lines = _lines(sealed["case"])
    for n in range(2, len(lines) - 1):

        def change_topic(fields: list[dict], n: int = n) -> None:
            fields[n]["topic"] += "X"

        done = _verify(_edited(sealed, tmp_path, "case", change_topic), sealed["public"])
        assert done.returncode == 1, (n, done.stdout)
        assert "TAMPERED" in done.stdout


def test_a_cut_tail_with_the_end_line_kept_is_refused(sealed, tmp_path):
    def cut(lines: list[dict]) -> None:
        del lines[-10:-1]

    _refused(_verify(_edited(sealed, tmp_path, "full", cut), sealed["public"]), "the end counts")


def test_a_cut_tail_with_the_end_line_recounted_fails(sealed, tmp_path):
    def cut(lines: list[dict]) -> None:
        del lines[-10:-1]
        lines[-1]["records"] -= 9

    done = _verify(_edited(sealed, tmp_path, "full", cut), sealed["public"])
    assert done.returncode == 1
    assert "the checkpoint signs 59 records, the log holds 50" in done.stdout


def test_an_unsealed_tail_is_unverified_not_intact(sealed, tmp_path):
    store = _copy(sealed, tmp_path)
    assert run("demo", "--week-only", store=store).returncode == 0
    out = tmp_path / "tail.jsonl"
    assert run("audit", "export", "--unsealed", "--out", str(out), store=store).returncode == 0
    done = _verify(out, sealed["public"])
    assert done.returncode == 1
    assert "59 records after the last checkpoint are not signed" in done.stdout
    assert "UNVERIFIED" in done.stdout
    on_store = run("audit", "verify", "--public-key", str(sealed["public"]), store=store)
    assert on_store.returncode == 1
    assert "UNVERIFIED" in on_store.stdout


def test_a_removed_checkpoint_is_refused_or_leaves_nothing_proven(sealed, tmp_path):
    def drop(lines: list[dict]) -> None:
        del lines[1]

    _refused(_verify(_edited(sealed, tmp_path, "full", drop), sealed["public"]), "the end counts")

    def drop_and_recount(lines: list[dict]) -> None:
        del lines[1]
        lines[-1]["checkpoints"] = 0

    done = _verify(_edited(sealed, tmp_path, "full", drop_and_recount), sealed["public"])
    assert done.returncode == 1
    assert "never sealed" in done.stdout
    assert "intact" not in done.stdout.splitlines()[-1]


def test_a_store_never_sealed_is_not_intact_against_any_key(tmp_path, sealed):
    store = tmp_path / "s.sqlite3"
    assert run("demo", "--week-only", store=store).returncode == 0
    done = run("audit", "verify", "--public-key", str(sealed["public"]), store=store)
    assert done.returncode == 1
    assert "never sealed" in done.stdout


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda ls: ls[0].update(key_ids=["x"]), "line 1: the fields are format, version, case"),
        (lambda ls: ls[0].update(until=3), "line 1: the fields are"),
        (lambda ls: ls.insert(3, {"type": "note", "text": "hi"}), "line 4: not a line of a known"),
        (lambda ls: ls[2].update(id="4"), "line 3: id is an integer"),
        (lambda ls: ls[2].update(id=4.0), "line 3: id is an integer"),
        (lambda ls: ls[2].update(id=True), "line 3: id is an integer"),
        (lambda ls: ls[2].update(id=2**70), "line 3: id is an integer"),
        (lambda ls: ls.insert(5, ls.pop(1)), "not a line after the records"),
        (lambda ls: ls[1].update(extra=1), "line 2: the fields are type, note"),
        (lambda ls: ls[1].update(note=59), "line 2: note is a string"),
        (lambda ls: ls[1].update(note=None), "line 2: note is a string"),
        (lambda ls: ls[1].pop("note"), "line 2: the fields are type, note"),
        (lambda ls: ls[1].update(note=ls[1]["note"].replace("\n\n", "\n")), "line 2: the che"),
        (lambda ls: ls[1].update(note=ls[1]["note"][:-30] + "!!!\n"), "line 2: the checkpoint"),
        (lambda ls: ls[2].update(leaf=1), "line 3: leaf 1 where leaf 0 was due"),
        (lambda ls: ls[2].update(state="not base64!"), "line 3: state is base64"),
        (lambda ls: ls[2].update(originator_id="F849FC0D-505F-4B4F-B9FF-12F5DC1060A7"), "UUID"),
        (lambda ls: ls[2].pop("topic"), "line 3: the fields are type, leaf, id"),
        (lambda ls: ls[-1].update(records="59"), "records is an integer"),
        (lambda ls: ls[2].update(topic="\ud800"), "line 3: topic is a string of 1 to 1000 bytes"),
    ],
)
def test_malformed_lines_are_refused_naming_the_line(sealed, tmp_path, edit, says):
    _refused(_verify(_edited(sealed, tmp_path, "full", edit), sealed["public"]), says)


@pytest.mark.parametrize(
    ("damage", "says"),
    [
        (lambda text: text.replace('"leaf":0,', '"leaf": 0,', 1), "line 3 is not in the canonical"),
        (lambda text: text.replace('{"type":"end"', '{"type":"end","type":"end"'), "line"),
        (lambda text: text[:-1], "does not end with a newline"),
        (lambda text: text + "\n", "is not a JSON object"),
        (lambda text: text.replace('"leaf":0,', '"leaf":NaN,', 1), "line 3 is not a JSON"),
    ],
)
def test_non_canonical_bytes_are_refused(sealed, tmp_path, damage, says):
    out = tmp_path / "damaged.jsonl"
    out.write_text(damage(sealed["full"].read_text()))
    _refused(_verify(out, sealed["public"]), says)


def test_a_store_sealed_with_one_key_then_another_verifies_with_both(sealed, tmp_path):
    store = _copy(sealed, tmp_path)
    second, second_public = tmp_path / "k2", tmp_path / "k2.pub"
    made = run(
        "audit", "keygen", "--name", ORIGIN, "--private-key", str(second),
        "--public-key", str(second_public),
    )  # fmt: skip
    assert made.returncode == 0
    assert run("demo", "--week-only", store=store).returncode == 0
    assert run("audit", "seal", "--private-key", str(second), store=store).returncode == 0
    keys = tmp_path / "trusted-keys"
    keys.write_text(
        "# the log's keys, oldest first\n"
        + sealed["public"].read_text()
        + "\n"
        + second_public.read_text()
    )
    both = run(
        "audit",
        "verify",
        "--public-key",
        str(keys),
        "--since",
        str(sealed["checkpoint"]),
        store=store,
    )
    assert both.returncode == 0, both.stdout + both.stderr
    assert "intact" in both.stdout
    old_only = run("audit", "verify", "--public-key", str(sealed["public"]), store=store)
    assert old_only.returncode == 1
    label = "+".join(second_public.read_text().split("+")[:2])  # name+id (base64 may hold '+')
    assert f"signed by {label}: none of the trusted keys" in old_only.stdout
    twice = run(
        "audit", "verify", "--public-key", str(sealed["public"]), "--public-key",
        str(second_public), store=store,
    )  # fmt: skip
    assert twice.returncode == 0


def _rewrite_history(store: Path, key: Path, change: str) -> None:
    """What someone holding the store and the signing key could do: alter, then re-seal."""
    with sqlite3.connect(store) as db:
        if change == "rewrite":
            rowid, state = db.execute(
                "SELECT rowid, state FROM stored_events WHERE rowid = 5"
            ).fetchone()
            db.execute("UPDATE stored_events SET state = ? WHERE rowid = ?", (state + b" ", rowid))
        else:
            db.execute("DELETE FROM stored_events WHERE rowid > 50")
        db.execute("DELETE FROM mediation_ledger_hashes")
        db.execute("DELETE FROM mediation_ledger_checkpoints")
    assert run("audit", "seal", "--private-key", str(key), store=store).returncode == 0


@pytest.mark.parametrize(
    ("change", "says"), [("rewrite", "history was rewritten"), ("drop", "the log's latest 50")]
)
def test_a_rewritten_or_dropped_history_fails_since_a_kept_checkpoint(
    sealed, tmp_path, change, says
):
    store = _copy(sealed, tmp_path)
    _rewrite_history(store, sealed["key"], change)
    public = str(sealed["public"])
    assert (
        run("audit", "verify", "--public-key", public, store=store).returncode == 0
    )  # alone, it holds
    done = run(
        "audit", "verify", "--public-key", public, "--since", str(sealed["checkpoint"]), store=store
    )
    assert done.returncode == 1
    assert says in done.stdout
    out = tmp_path / "rewritten.jsonl"
    assert run("audit", "export", "--out", str(out), store=store).returncode == 0
    offline = _verify(out, sealed["public"], "--since", str(sealed["checkpoint"]))
    assert offline.returncode == 1
    assert says in offline.stdout
    witness, _ = _witness_keys(tmp_path)
    refused = run(
        "audit", "witness", "--key", str(witness), "--since", str(sealed["checkpoint"]),
        "--public-key", public, "--out", str(tmp_path / "cosigned"), store=store,
    )  # fmt: skip
    assert refused.returncode == 1
    assert "NOT COSIGNED" in refused.stdout
    assert not (tmp_path / "cosigned").exists()


def test_a_witness_cosigns_a_log_that_grew_and_verify_can_require_it(sealed, tmp_path):
    store = _copy(sealed, tmp_path)
    assert run("demo", "--week-only", store=store).returncode == 0
    assert run("audit", "seal", "--private-key", str(sealed["key"]), store=store).returncode == 0
    witness, witness_public = _witness_keys(tmp_path)
    cosigned = tmp_path / "cosigned.cp"
    done = run(
        "audit", "witness", "--key", str(witness), "--since", str(sealed["checkpoint"]),
        "--public-key", str(sealed["public"]), "--out", str(cosigned), store=store,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "grew from 59 to 118 records" in done.stdout
    assert cosigned.read_text().count("\u2014 ") == 2
    required = ("--public-key", str(sealed["public"]), "--witness", str(witness_public))
    lacking = run("audit", "verify", *required, store=store)
    assert lacking.returncode == 1
    assert "lacks the cosignature of witness funder.example" in lacking.stdout
    given = run("audit", "verify", *required, "--checkpoint", str(cosigned), store=store)
    assert given.returncode == 0, given.stdout
    assert "cosigned by funder.example+" in given.stdout
    log_key = run(
        "audit", "witness", "--key", str(sealed["key"]), "--since", str(sealed["checkpoint"]),
        "--public-key", str(sealed["public"]), "--out", str(tmp_path / "x"), store=store,
    )  # fmt: skip
    _refused(log_key, "a witness cosigns with a key made with --witness")


def test_a_case_export_is_held_to_its_own_checkpoint_only(sealed, tmp_path):
    store = _copy(sealed, tmp_path)
    assert run("demo", "--week-only", store=store).returncode == 0
    assert run("audit", "seal", "--private-key", str(sealed["key"]), store=store).returncode == 0
    later = tmp_path / "later.cp"
    assert run("audit", "checkpoint", "--out", str(later), store=store).returncode == 0
    done = _verify(sealed["case"], sealed["public"], "--checkpoint", str(later))
    _refused(done, "a case export's proofs lead to its own checkpoint")
    same = _verify(sealed["case"], sealed["public"], "--checkpoint", str(sealed["checkpoint"]))
    assert same.returncode == 0, same.stdout + same.stderr
    since = _verify(sealed["case"], sealed["public"], "--since", str(sealed["checkpoint"]))
    _refused(since, "--since needs the whole log")


def test_a_kept_checkpoint_of_another_log_fails(sealed, tmp_path):
    store = tmp_path / "other.sqlite3"
    assert run("demo", "--week-only", store=store).returncode == 0
    key, public = tmp_path / "o", tmp_path / "o.pub"
    run(
        "audit",
        "keygen",
        "--name",
        "other.example/log",
        "--private-key",
        str(key),
        "--public-key",
        str(public),
    )
    assert run("audit", "seal", "--private-key", str(key), store=store).returncode == 0
    kept = tmp_path / "other.cp"
    assert run("audit", "checkpoint", "--out", str(kept), store=store).returncode == 0
    keys = tmp_path / "keys"
    keys.write_text(sealed["public"].read_text() + public.read_text())
    done = _verify(sealed["full"], keys, "--since", str(kept))
    assert done.returncode == 1
    assert "the kept checkpoint is of log 'other.example/log'" in done.stdout


def test_a_checkpoint_file_that_is_not_one_and_a_missing_key_are_refused(sealed, tmp_path):
    garbage = tmp_path / "garbage.cp"
    garbage.write_text("not\na\ncheckpoint\n\n\u2014 k AAAAAAAA\n")
    for file in (sealed["case"], sealed["full"]):
        _refused(_verify(file, sealed["public"], "--checkpoint", str(garbage)), "is not a signed")
    _refused(run("audit", "verify", str(GOLDEN)), "give the format 1 public key")


def test_a_forged_signature_or_unknown_key_never_passes(sealed, tmp_path):
    def other_name(lines: list[dict]) -> None:
        lines[1]["note"] = lines[1]["note"].replace(f"\u2014 {ORIGIN} ", "\u2014 someone.else ")

    done = _verify(_edited(sealed, tmp_path, "full", other_name), sealed["public"])
    assert done.returncode == 1
    assert "signed by someone.else+" in done.stdout

    def other_root(lines: list[dict]) -> None:
        origin, size, _, rest = lines[1]["note"].split("\n", 3)
        lines[1]["note"] = "\n".join([origin, size, base64.b64encode(bytes(32)).decode(), rest])

    done = _verify(_edited(sealed, tmp_path, "full", other_root), sealed["public"], "--json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["problems"][0]["kind"] == "forged-checkpoint"


def _v1_lines() -> list[dict]:
    return [json.loads(text) for text in GOLDEN.read_text().splitlines()]


def _write_v1(path: Path, lines: list[dict]) -> Path:
    path.write_text("".join(json.dumps(fields) + "\n" for fields in lines))
    return path


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda ls: ls[1].update(extra=1), "a checkpoint line has the fields"),
        (lambda ls: ls[1].update(position="58"), "a checkpoint line has the fields"),
        (lambda ls: ls[1].update(position=None), "a checkpoint line has the fields"),
        (lambda ls: ls[1].pop("previous"), "a checkpoint line has the fields"),
        (lambda ls: ls[1].update(signature="zz" * 64), "a checkpoint line is malformed"),
        (lambda ls: ls[2].update(id=2**70), "malformed record"),
        (lambda ls: ls[2].update(id=True), "malformed record"),
        (lambda ls: ls[2].update(sealed="XYZ"), "malformed record"),
    ],
)
def test_format_1_files_that_crashed_the_verifier_are_refused_in_one_line(tmp_path, edit, says):
    lines = _v1_lines()
    edit(lines)
    done = _verify(_write_v1(tmp_path / "v1.jsonl", lines), GOLDEN_KEY)
    _refused(done, says)


def test_a_format_1_case_export_is_unverifiable_not_intact(tmp_path):
    lines = _v1_lines()
    records = [fields for fields in lines if fields.get("type") == "record"]
    case = records[0]["originator_id"]
    previous, kept = "00" * 32, []
    for fields in records:
        if fields["originator_id"] == case:
            kept.append(fields | {"previous": previous})
        previous = fields["sealed"] or previous
    header = lines[0] | {"case": case}
    checkpoints = [fields for fields in lines if fields.get("type") == "checkpoint"]
    end = {"type": "end", "records": len(kept), "checkpoints": len(checkpoints)}
    path = _write_v1(tmp_path / "case-v1.jsonl", [header, *checkpoints, *kept, end])
    done = _verify(path, GOLDEN_KEY)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "UNVERIFIABLE: format 1 cannot bind one case's records" in done.stdout
