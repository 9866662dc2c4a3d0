"""Any single change to an export of format 2 is detected: refused, or not intact (issue 17).

A byte changed, deleted or inserted anywhere; a line deleted, repeated or moved; the file
cut anywhere: in a whole log's export and in one case's, verification never says intact.
One edit each: two (a case's last record removed and the end line recounted) make the
limit docs/audit-format.md states, that a case's export cannot prove its completeness.
"""

from __future__ import annotations

import io
import tempfile
from functools import cache
from pathlib import Path
from uuid import UUID

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mediation_adapters.formats.export import Export, verify_export
from mediation_adapters.formats.export_writer import write_export
from mediation_adapters.security.note_keys import NoteSignerKey
from mediation_adapters.storage.sealing import seal
from mediation_adapters.stores import open_store
from mediation_domain import InvalidInputError
from mediation_domain.audit.verification import Trust
from mediation_domain.testing import record_every_event

KEY = NoteSignerKey.generate("property.example/log")
TRUST = Trust([KEY.verifier])


@cache
def exports() -> dict[str, bytes]:
    """A sealed log of every kind of event, exported whole and for its busiest case."""
    app = open_store("memory://")
    try:
        record_every_event(app)
        seal(app, KEY)
        full = io.StringIO()
        write_export(app, full)
        counts: dict[str, int] = {}
        for text in full.getvalue().splitlines():
            if '"type":"record"' in text:
                case = text.split('"originator_id":"')[1][:36]
                counts[case] = counts.get(case, 0) + 1
        busiest = max(counts, key=counts.__getitem__)
        case = io.StringIO()
        write_export(app, case, case=UUID(busiest))
    finally:
        app.close()
    return {"full": full.getvalue().encode(), "case": case.getvalue().encode()}


def verdict(data: bytes) -> str:
    """`intact`, `unverified`, `tampered`, or `refused` (the parser's exit 2)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.jsonl"
        path.write_bytes(data)
        try:
            return verify_export(Export(path), TRUST).status
        except InvalidInputError:
            return "refused"


def test_both_exports_verify_untouched():
    assert {which: verdict(data) for which, data in exports().items()} == {
        "full": "intact",
        "case": "intact",
    }
    assert exports()["case"].count(b'"type":"record"') >= 5


WHICH = st.sampled_from(["full", "case"])
TRIES = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@TRIES
@given(which=WHICH, where=st.floats(0, 1, exclude_max=True), byte=st.integers(0, 255))
def test_a_changed_byte_is_detected(which, where, byte):
    data = bytearray(exports()[which])
    at = int(where * len(data))
    if data[at] == byte:
        byte = (byte + 1) % 256
    data[at] = byte
    assert verdict(bytes(data)) != "intact"


@TRIES
@given(which=WHICH, where=st.floats(0, 1, exclude_max=True))
def test_a_deleted_byte_is_detected(which, where):
    data = exports()[which]
    at = int(where * len(data))
    assert verdict(data[:at] + data[at + 1 :]) != "intact"


@TRIES
@given(which=WHICH, where=st.floats(0, 1), byte=st.integers(0, 255))
def test_an_inserted_byte_is_detected(which, where, byte):
    data = exports()[which]
    at = int(where * len(data))
    assert verdict(data[:at] + bytes([byte]) + data[at:]) != "intact"


@TRIES
@given(which=WHICH, where=st.floats(0, 1, exclude_max=True))
def test_a_truncated_export_is_detected(which, where):
    data = exports()[which]
    assert verdict(data[: int(where * len(data))]) != "intact"


@TRIES
@given(
    which=WHICH,
    first=st.floats(0, 1, exclude_max=True),
    second=st.floats(0, 1, exclude_max=True),
    how=st.sampled_from(["delete", "repeat", "move", "swap"]),
)
def test_a_line_deleted_repeated_or_moved_is_detected(which, first, second, how):
    lines = exports()[which].splitlines(keepends=True)
    i, j = int(first * len(lines)), int(second * len(lines))
    if how == "delete":
        del lines[i]
    elif how == "repeat":
        lines.insert(j, lines[i])
    elif how == "move":
        lines.insert(j, lines.pop(i))
    else:
        lines[i], lines[j] = lines[j], lines[i]
    data = b"".join(lines)
    if data == exports()[which]:  # moved or swapped onto itself: nothing changed
        return
    assert verdict(data) != "intact"
