"""Every console example of docs/http.md, run as written against a real server and a new store.

A `$ ` line is a command (`> ` lines continue it, as a terminal shows them); the lines
after it, up to the next command, are what it prints. In what it prints, `...` stands for
anything within a line, and a line of `...` alone for any number of lines.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from doc_transcripts import console_steps, looks_like

pytestmark = pytest.mark.slow

DOC = Path(__file__).parents[3] / "docs" / "http.md"
DOC_PORT = "8000"
BASH = shutil.which("bash") or "/bin/bash"


def transcript(text: str) -> list[tuple[str, str]]:
    """(command, what it prints) for each command of each ```console block, in order."""
    return [(command, "\n".join(shown).strip("\n")) for command, shown in console_steps(text)]


def _free_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return str(probe.getsockname()[1])


def _wait_for(port: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", int(port))) == 0:
                return
        time.sleep(0.1)
    pytest.fail(f"nothing listens on port {port}")


def test_the_doc_holds_a_whole_session():
    steps = transcript(DOC.read_text(encoding="utf-8"))
    assert len(steps) >= 15
    assert any("serve" in command and command.endswith("&") for command, _ in steps)


@pytest.fixture(scope="module")
def curl() -> str:
    """curl, as the doc's reader runs it: .ci/run installs it under CI."""
    found = shutil.which("curl")
    if found is None:
        reason = "curl is not installed: apt-get install curl (.ci/run does it under CI)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    return found


@pytest.mark.usefixtures("curl")
def test_every_example_of_the_http_doc_answers_as_shown(tmp_path):
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATION_")}
    environment["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{environment['PATH']}"
    state = tmp_path / ".variables"
    state.touch()
    try:
        for command, shown in transcript(DOC.read_text(encoding="utf-8")):
            run = command.replace(f"localhost:{DOC_PORT}", f"localhost:{port}")
            run = run.replace(f"--port {DOC_PORT}", f"--port {port}")
            background = run.endswith("&")
            if background:  # the server: its output to a log, its pid kept to stop it
                run = f"{run[:-1]} > serve.log 2>&1 & echo $! > serve.pid"
            script = f"set -a; . {state}\n{run}\nexport -p > {state}"
            done = subprocess.run(
                [BASH, "--noprofile", "--norc", "-c", script],
                cwd=tmp_path,
                env=environment,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
                timeout=60,
                check=False,
            )
            if background:
                _wait_for(port, time.monotonic() + 30)
            printed = done.stdout.replace("\r\n", "\n").strip("\n")
            printed = f"{printed}\n" if printed else ""
            assert looks_like(shown).fullmatch(printed), f"$ {command}\n{shown}\n---\n{printed}"
    finally:
        pid = tmp_path / "serve.pid"
        if pid.exists():
            os.kill(int(pid.read_text()), signal.SIGTERM)
    log = (tmp_path / "serve.log").read_text(encoding="utf-8")
    assert "Traceback" not in log, log
