"""docs/how-to/write-a-store-adapter.md, run as an integrator would run it.

Its files (the store, the embedding helper, the pyproject, the test) are written to a
directory of their own and installed there as a distribution's metadata would be; the
shipped contract suites then run on the store in a separate pytest, and the commands
reach it by its URL.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

HOW_TO = Path(__file__).parents[3] / "docs" / "how-to" / "write-a-store-adapter.md"
MEDIATION = str(Path(sys.executable).parent / "mediation")

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


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> tuple[Path, dict[str, str]]:
    """The how-to's distribution, installed in a directory of its own: (it, environment)."""
    where = tmp_path_factory.mktemp("lite")
    files = _files()
    for name, text in files.items():
        (where / name).write_text(text, encoding="utf-8")
    project = tomllib.loads(files["pyproject.toml"])["project"]
    info = where / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    (info / "entry_points.txt").write_text(
        "".join(
            f"[{group}]\n" + "".join(f"{name} = {value}\n" for name, value in points.items())
            for group, points in project["entry-points"].items()
        )
    )
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATION_")}
    environment["PYTHONPATH"] = str(where)
    return where, environment


def test_the_how_to_names_its_files():
    assert {"lite_store.py", "embedding.py", "pyproject.toml", "test_lite_store.py"} <= set(
        _files()
    )


def test_the_example_store_passes_every_shipped_contract_suite(installed):
    where, environment = installed
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    done = subprocess.run(
        [*command, "test_lite_store.py"],
        cwd=where, env=environment, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    passed = re.search(r"(\d+) passed", done.stdout)
    assert passed, done.stdout[-2000:]
    assert int(passed.group(1)) == 24  # the bundle's and the application's suites, whole
    assert "skipped" not in done.stdout
    assert "failed" not in done.stdout
    assert "error" not in done.stdout.lower()


def _run(installed, *args: str):
    where, environment = installed
    return subprocess.run(
        [MEDIATION, *args], cwd=where, env=environment, capture_output=True, text=True,
        timeout=120, check=False,
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
