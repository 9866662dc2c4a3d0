"""Writing the auditor's export, format 2 (docs/audit-format.md), in its canonical form.

Compact JSON, keys in the documented order, ASCII only, a newline after each line: the
reader (formats/export.py) refuses any line it does not write back byte for byte.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import IO, Any
from uuid import UUID

from mediation_adapters.storage.ledger import record_at, records
from mediation_adapters.storage.tlog import LeafIndex, Sealed, TransparencyLog
from mediation_domain import InvalidInputError, Mediations
from mediation_domain.audit.records import StoredRecord

FORMAT, VERSION = "mediation-domain/audit-export", 2


def line(fields: dict[str, Any]) -> str:
    """One line of the export, in its canonical form."""
    return json.dumps(fields, separators=(",", ":"), ensure_ascii=True) + "\n"


def record_line(leaf: int, record: StoredRecord, proof: Sequence[bytes] | None) -> str:
    """A record's line: its leaf index, its fields, and its inclusion proof if given."""
    fields: dict[str, Any] = {
        "type": "record",
        "leaf": leaf,
        "id": record.id,
        "originator_id": str(record.originator_id),
        "originator_version": record.originator_version,
        "topic": record.topic,
        "state": base64.b64encode(record.state).decode(),
    }
    if proof is not None:
        fields["proof"] = [base64.b64encode(digest).decode() for digest in proof]
    return line(fields)


def write_export(
    app: Mediations,
    out: IO[str],
    *,
    case: UUID | None = None,
    until: int | None = None,
    unsealed: bool = False,
) -> tuple[int, Sealed | None]:
    """Write the log, or one `case` with inclusion proofs, to `out`: (records, checkpoint).

    The export ends at the latest checkpoint (the latest covering at most record `until`),
    unless `unsealed` asks for the records after it too: those an auditor cannot prove.
    """
    if app.store is None:
        message = "this application has no store bundle: open it with open_store(url)"
        raise InvalidInputError(message)
    port = app.store.ledger()
    try:
        log = TransparencyLog(port)
        if log.format() == 1:
            message = (
                "this store is sealed in audit format 1: run `mediation audit seal` "
                "(it moves the store to format 2), then export"
            )
            raise InvalidInputError(message)
        sealed = [c for c in log.checkpoints() if until is None or c.last_id <= until]
        checkpoint = sealed[-1] if sealed else None
        out.write(line({"format": FORMAT, "version": VERSION, "case": case and str(case)}))
        if checkpoint is not None:
            out.write(line({"type": "checkpoint", "note": checkpoint.note.render()}))
        if case is None:
            count = _write_log(app, out, checkpoint, until if unsealed else None, unsealed)
        else:
            count = _write_case(app, log, out, case, checkpoint)
    finally:
        port.close()
    out.write(line({"type": "end", "records": count, "checkpoints": len(sealed[-1:])}))
    return count, checkpoint


def _write_log(
    app: Mediations, out: IO[str], checkpoint: Sealed | None, until: int | None, unsealed: bool
) -> int:
    last = checkpoint.last_id if checkpoint else 0
    count = 0
    for record in records(app):
        if (not unsealed and record.id > last) or (until is not None and record.id > until):
            break
        out.write(record_line(count, record, None))
        count += 1
    return count


def _write_case(
    app: Mediations, log: TransparencyLog, out: IO[str], case: UUID, checkpoint: Sealed | None
) -> int:
    if checkpoint is None:
        message = "this store was never sealed: a case's records are proven against a checkpoint"
        raise InvalidInputError(message)
    size = checkpoint.head.size
    index = LeafIndex(app)
    count = 0
    try:
        for notification_id, leaf in index.leaves_of(str(case)):
            if leaf >= size:
                break
            proof = log.inclusion(leaf, size)
            out.write(record_line(leaf, record_at(app, notification_id), proof))
            count += 1
    finally:
        index.close()
    if not count:
        message = f"no record of case {case} is sealed in this store"
        raise InvalidInputError(message)
    return count
