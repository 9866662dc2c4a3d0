"""Every console example of docs/audit-format.md, run as written on a new store.

A `$ ` line is a command (`> ` lines continue it, as a terminal shows them); the lines
after it, up to the next command, are what it prints on stdout and stderr. In what it
prints, `...` stands for anything within a line, and a line of `...` alone for any number
of lines. A command exits 0, unless the last line shown for it ends in `# exit code N`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from doc_transcripts import console_steps, looks_like

pytestmark = pytest.mark.slow

DOC = Path(__file__).parents[3] / "docs" / "audit-format.md"
BASH = shutil.which("bash") or "/bin/bash"
EXIT_CODE = re.compile(r"\s+# exit code (\d+)$")


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


def test_the_doc_shows_a_seal_an_export_and_a_tampering_caught():
    steps = transcript(DOC.read_text(encoding="utf-8"))
    commands = "\n".join(step.command for step in steps)
    for expected in ("mediation demo", "keygen", "seal", "export", "verify", "replay", "UPDATE"):
        assert expected in commands, expected
    assert [step.exit_code for step in steps if step.exit_code] == [1, 1]


def test_every_command_of_the_audit_doc_prints_what_it_shows(tmp_path):
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATION_")}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    for step in transcript(DOC.read_text(encoding="utf-8")):
        done = subprocess.run(
            [BASH, "--noprofile", "--norc", "-c", step.command],
            cwd=tmp_path,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            timeout=60,
            check=False,
        )
        printed = done.stdout.replace("\r\n", "\n").strip("\n")
        printed = f"{printed}\n" if printed else ""
        told = f"$ {step.command}\n{step.shown}\n--- exit {done.returncode}:\n{printed}"
        assert looks_like(step.shown).fullmatch(printed), told
        assert done.returncode == step.exit_code, told
