"""Every example runs, and prints what its comments promise."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).parents[3] / "examples"


def test_embed_in_a_tool_runs_the_public_api():
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "embed_in_a_tool.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert re.fullmatch(
        r"refused: p-[0-9a-f]{10} has no live consent \(consent pending\)", lines[0]
    )
    assert lines[1] == "resolved after 6 events; consenting: 2"
    assert lines[2] == "as first requested: awaiting-mediator"


def test_the_example_stays_within_thirty_lines_of_code():
    code = [
        line
        for line in (EXAMPLES / "embed_in_a_tool.py").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith(("#", '"""'))
    ]
    assert len(code) <= 30


def test_act_for_a_user_shows_the_service_layer_refusing_and_allowing():
    done = subprocess.run(
        [sys.executable, str(EXAMPLES / "act_for_a_user.py")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert re.fullmatch(r"hidden: no case [0-9a-f-]{36}", lines[0])
    assert lines[1] == "recorded: True version 3 status in-mediation"
    assert lines[2] == "her cases: 1"
    assert lines[3] == "refused: a partner may not list cases"
