"""README's settings table lists every environment variable the code reads, and no other."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[3]
INTERNAL = {"MEDIATION_MEMORY_STORE"}  # set by a memory bundle for its own applications


def _read_in_code() -> set[str]:
    names: set[str] = set()
    for folder in ("src", "adapters", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(re.findall(r"\bMEDIATION_[A-Z_]+\b", path.read_text(encoding="utf-8")))
    return names


def test_the_settings_table_lists_every_variable_the_code_reads():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("### Settings", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `(MEDIATION_[A-Z_]+)` \|", table, flags=re.MULTILINE))
    assert listed, "no settings table in README.md"
    assert listed == _read_in_code() - INTERNAL
