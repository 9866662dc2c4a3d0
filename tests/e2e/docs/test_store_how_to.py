"""docs/how-to/write-a-store-adapter.md, run as an integrator would run it.

Its files (the store, the embedding helper, the pyproject, the test) are written to a
folder of their own and installed from there with `pip install .`, as its section 4 says,
into a new environment that sees this one's packages (mediation-domain among them); the
shipped contract suites then run on the store in a separate pytest, and the commands
reach it by its URL. Building the distribution takes setuptools from the package index.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
from dataclasses import dataclass
from pathlib import Path

import pytest

HOW_TO = Path(__file__).parents[3] / "docs" / "how-to" / "write-a-store-adapter.md"
MEDIATION = str(Path(sys.executable).parent / "mediation")  # the console script

pytestmark = pytest.mark.slow


def _files() -> dict[str, str]:
    """The how-to's code blocks that begin with `# FILE NAME`."""
    text = HOW_TO.read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:python|toml)\n(.*?)```", text, re.DOTALL)
    return {
        block.split("\n", 1)[0].removeprefix("# ").strip(): block
        for block in blocks
        if re.match(r"# [\w.]+\.(py|toml)\n", block)
    }


@dataclass(frozen=True)
class Installed:
    """The how-to's folder, and the environment its distribution is installed in."""

    folder: Path
    python: str  # the environment's interpreter
    variables: dict[str, str]  # no MEDIATION_* setting, no PYTHONPATH


def _new_environment(where: Path) -> Path:
    """A new virtual environment whose site directories include this one's."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    own = {sysconfig.get_path(name) for name in ("purelib", "platlib")}
    site = sysconfig.get_path("purelib", vars={"base": str(where), "platbase": str(where)})
    # addsitedir, unlike a bare path line, also reads the directory's .pth files (the
    # editable install's). Given a set of known paths of its own, it adds them again when
    # pip's isolated build re-reads this file to find what to drop: the build then sees
    # the setuptools it installed, not this environment's.
    lines = "".join(f"import site; site.addsitedir({path!r}, set())\n" for path in sorted(own))
    (Path(site) / "this_environment.pth").write_text(lines, encoding="utf-8")
    return where / "bin" / "python"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Installed:
    """The how-to's files in a folder, installed from there with `pip install .`."""
    folder = tmp_path_factory.mktemp("lite")
    for name, text in _files().items():
        (folder / name).write_text(text, encoding="utf-8")
    python = str(_new_environment(tmp_path_factory.mktemp("environment") / "venv"))
    variables = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("MEDIATION_") and name != "PYTHONPATH"
    }
    done = subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "."],
        cwd=folder, env=variables, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    return Installed(folder, python, variables)


def test_the_how_to_names_its_files():
    assert {"lite_store.py", "embedding.py", "pyproject.toml", "test_lite_store.py"} <= set(
        _files()
    )


def test_pip_install_of_the_folder_installs_the_store_module(installed, tmp_path):
    # An outside tester's install held the entry point without its module.
    found = subprocess.run(
        [installed.python, "-c", "import lite_store; print(lite_store.__file__)"],
        cwd=tmp_path, env=installed.variables, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert found.returncode == 0, found.stderr
    assert Path(found.stdout.strip()).parent.name == "site-packages"


def test_the_example_store_passes_every_shipped_contract_suite(installed):
    command = [installed.python, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(
        [*command, "test_lite_store.py"],
        cwd=installed.folder, env=installed.variables, capture_output=True, text=True,
        timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    passed = re.search(r"(\d+) passed", done.stdout)
    assert passed, done.stdout[-2000:]
    assert int(passed.group(1)) == 26  # the bundle's and the application's suites, whole
    assert "skipped" not in done.stdout
    assert "failed" not in done.stdout
    assert "error" not in done.stdout.lower()


def _run(installed: Installed, *args: str):
    """`mediation ARGS` in the how-to's folder, in the environment the store is installed in."""
    return subprocess.run(
        [installed.python, MEDIATION, *args], cwd=installed.folder, env=installed.variables,
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def test_every_command_reaches_the_example_store_by_its_url(installed, tmp_path):
    store = ["--store", f"lite:///{tmp_path / 'cases.db'}"]
    assert "lite:///path/to/file" in _run(installed, "--help").stdout
    demo = _run(installed, *store, "demo", "--week-only")
    assert demo.returncode == 0, demo.stderr
    assert (tmp_path / "cases.db").stat().st_mode & 0o077 == 0
    report = _run(installed, *store, "report", "--format", "json")
    assert report.returncode == 0, report.stderr
    private, public = tmp_path / "audit.key", tmp_path / "audit.pub"
    keys = ("--private-key", str(private), "--public-key", str(public))
    assert _run(installed, "audit", "keygen", *keys).returncode == 0
    for args in (
        ("audit", "seal", "--private-key", str(private)),
        ("audit", "verify", "--public-key", str(public)),
        ("audit", "replay"),
        ("audit", "export", "--out", str(tmp_path / "export.jsonl")),
        ("retention", "--older-than", "2y"),
        ("copy", "--to", f"lite:///{tmp_path / 'copy.db'}"),
    ):
        done = _run(installed, *store, *args)
        assert done.returncode == 0, (args, done.stderr)
    listed = json.loads(_run(installed, *store, "list", "--json").stdout)
    party = listed[0]["parties"][0]["id"]
    erased = _run(installed, *store, "erase", party)
    assert erased.returncode == 0, erased.stderr
    assert "key deleted" in erased.stdout
    assert "pending" not in erased.stdout + erased.stderr  # the example's purge did its work
    unknown = _run(installed, "--store", "nowhere://x", "list")
    assert unknown.returncode == 2
    assert "lite://" in unknown.stderr
    assert len(unknown.stderr.strip().splitlines()) == 1
