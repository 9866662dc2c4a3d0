"""The intermediate archive from the command line, as a coordinator uses it.

`mediation retention --apply` archives what passed its active period; the archived
orientation's person reads [archived] until a coordinator reads it with a reason, a read
recorded in the log and exported to the auditor; others are refused in one line.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from e2e.cli.test_cli import run, stored_events
from mediation_adapters.stores import open_store


def _refused(result) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    return result.stderr


def test_an_orientation_past_its_active_period_is_archived_and_read_with_a_reason(
    tmp_path: Path,
) -> None:
    store = tmp_path / "cases.sqlite3"
    app = open_store(f"sqlite:///{store}")
    then = datetime.now(UTC) - timedelta(days=3 * 365)
    app.clock = lambda: then
    oriented = str(
        app.orient(
            by="med-1",
            need="housing",
            partner="social-service",
            neighbourhood="Beaulieu",
            follow_up_on=then.date() + timedelta(days=14),
            name="Mme Nguyễn Thị Hoa",
        )
    )
    app.close()

    listed = run("retention", store=store)
    assert f"{oriented}  orientation" in listed.stdout, listed.stderr
    assert "would archive" in listed.stdout
    assert run("retention", "--apply", store=store).returncode == 0
    shown = run("orientation", oriented, "--json", store=store)
    assert json.loads(shown.stdout)["name"] == "[archived]", shown.stderr
    assert oriented not in run("orientations", "--due", store=store).stdout

    before = stored_events(store)
    assert "a mediator may not read the archive" in _refused(
        run("--as", "mediator:med-1", "orientation", oriented, "--archive-reason", "x", store=store)
    )
    assert "reason" in _refused(
        run("orientation", oriented, "--archive-reason", "Jean asked me", store=store)
    )
    assert stored_events(store) == before
    read = run(
        "orientation", oriented, "--archive-reason", "subject-access-request", "--json", store=store
    )
    assert json.loads(read.stdout)["name"] == "Mme Nguyễn Thị Hoa", read.stderr
    assert stored_events(store) == before + 1

    key, public = tmp_path / "audit.key", tmp_path / "audit.pub"
    run("audit", "keygen", "--private-key", str(key), "--public-key", str(public))
    assert run("audit", "seal", "--private-key", str(key), store=store).returncode == 0
    export = tmp_path / "export.jsonl"
    assert run("audit", "export", "--out", str(export), store=store).returncode == 0
    topics = [json.loads(line).get("topic", "") for line in export.read_text().splitlines()]
    assert topics.count("mediation_domain.archive:ArchivedRecord.ArchiveRead") == 1
    assert run("audit", "replay", store=store).returncode == 0
