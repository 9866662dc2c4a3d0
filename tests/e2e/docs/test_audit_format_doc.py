"""docs/audit-format.md as written: its commands, its worked example and its numbers.

A `$ ` line is a command (`> ` lines continue it, as a terminal shows them); the lines
after it, up to the next command, are what it prints on stdout and stderr. In what it
prints, `...` stands for anything within a line, and a line of `...` alone for any number
of lines. A command exits 0, unless the last line shown for it ends in `# exit code N`.

The worked example's Python blocks run as a reader pastes them, on a real export, and
must give our leaf hashes and the checkpoint's root; the record it shows must give the
leaf data and the leaf hash the page prints.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

from doc_transcripts import console_steps, looks_like
from mediation_domain.audit.merkle import leaf_data, leaf_hash

pytestmark = pytest.mark.slow

DOC = Path(__file__).parents[3] / "docs" / "audit-format.md"
BASH = shutil.which("bash") or "/bin/bash"
EXIT_CODE = re.compile(r"\s+# exit code (\d+)$")
FIRST_CASE = "$(mediation list | awk 'NR == 2 {print $1}')"


@dataclass(frozen=True)
class Step:
    """A command of the doc, what it prints and the exit code it ends with."""

    command: str
    shown: str
    exit_code: int


def _step(command: str, shown: list[str]) -> Step:
    exit_code = 0
    if shown and (annotated := EXIT_CODE.search(shown[-1])):
        exit_code = int(annotated.group(1))
        shown = [*shown[:-1], shown[-1][: annotated.start()]]
    return Step(command, "\n".join(shown).strip("\n"), exit_code)


def transcript(text: str) -> list[Step]:
    """The steps of every ```console block, in order."""
    return [
        _step(command, [line.rstrip() for line in shown]) for command, shown in console_steps(text)
    ]


def blocks(text: str, language: str) -> list[str]:
    """The contents of every fenced block of `language`, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```", text, re.MULTILINE | re.DOTALL)


def _environment() -> dict[str, str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATION_")}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    return environment


def _run(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [BASH, "--noprofile", "--norc", "-c", command],
        cwd=cwd,
        env=_environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=60,
        check=False,
    )


def _record(line: str) -> SimpleNamespace:
    """A record line of an export, as the leaf reads a stored record."""
    fields = json.loads(line)
    return SimpleNamespace(
        id=fields["id"],
        originator_id=fields["originator_id"],
        originator_version=fields["originator_version"],
        topic=fields["topic"],
        state=base64.b64decode(fields["state"]),
    )


def test_the_doc_shows_a_seal_an_export_and_a_tampering_caught() -> None:
    steps = transcript(DOC.read_text(encoding="utf-8"))
    commands = "\n".join(step.command for step in steps)
    for expected in (
        "mediation demo",
        "keygen --name",
        "keygen --witness",
        "audit seal",
        "audit checkpoint",
        "audit export --out",
        "--case",
        "--unsealed",
        "audit verify",
        "--since",
        "audit witness",
        "--checkpoint",
        "audit replay",
        "UPDATE",
    ):
        assert expected in commands, expected
    # an unsealed tail, a key not trusted, the tampering, the replay; a malformed file
    assert [step.exit_code for step in steps if step.exit_code] == [1, 1, 1, 1, 2]


def test_every_command_of_the_audit_doc_prints_what_it_shows(tmp_path: Path) -> None:
    for step in transcript(DOC.read_text(encoding="utf-8")):
        done = _run(step.command, tmp_path)
        printed = done.stdout.replace("\r\n", "\n").strip("\n")
        printed = f"{printed}\n" if printed else ""
        told = f"$ {step.command}\n{step.shown}\n--- exit {done.returncode}:\n{printed}"
        assert looks_like(step.shown).fullmatch(printed), told
        assert done.returncode == step.exit_code, told


def test_the_worked_example_computes_our_leaf_hashes_and_the_signed_root(tmp_path: Path) -> None:
    text = DOC.read_text(encoding="utf-8")
    code = [block for block in blocks(text, "python") if "hashlib" in block]
    assert len(code) == 2, "the leaf hash, then the inclusion proofs"
    assert "mediation-domain leaf v2" in code[0]
    assert "from mediation" not in "".join(code), "the example uses the standard library alone"
    for command in (
        "mediation demo --week-only",
        "mediation audit keygen --private-key audit.key --public-key audit.pub",
        "mediation audit seal --private-key audit.key",
        "mediation audit export --out history.jsonl",
        f'mediation audit export --case "{FIRST_CASE}" --out case.jsonl',
    ):
        assert _run(command, tmp_path).returncode == 0, command

    done = subprocess.run(
        [sys.executable, "-c", "\n".join(code)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    printed = done.stdout.splitlines()

    line = (tmp_path / "history.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)[9]
    assert json.loads(line)["type"] == "record"
    assert printed[0] == leaf_hash(leaf_data(_record(line))).hex()

    case = (tmp_path / "case.jsonl").read_text(encoding="utf-8").splitlines()
    leaves = [json.loads(record)["leaf"] for record in case[2:-1]]
    assert leaves
    assert printed[1:] == [f"{leaf} True" for leaf in leaves]


def test_the_record_the_doc_shows_gives_the_leaf_data_and_hash_it_prints() -> None:
    text = DOC.read_text(encoding="utf-8")
    (line,) = [b for b in blocks(text, "json") if b.startswith('{"type":"record"')]
    assert "…" not in line
    record = _record(line)
    (fields,) = [b for b in blocks(text, "text") if b.startswith("tag ")]
    (shown_hash,) = re.findall(r"^leaf hash\s+([0-9a-f]{64})$", text, re.MULTILINE)
    data = leaf_data(record)
    assert "".join(row.split()[-1] for row in fields.splitlines()) == data.hex()
    assert f"leaf data ({len(data)} bytes too" in text
    assert shown_hash == leaf_hash(data).hex()
    state = record.state.decode()
    assert f"state is the {len(record.state)} bytes\n`{state}`" in text
