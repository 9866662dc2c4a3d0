"""The auditor's export: a history as JSON Lines, verifiable and replayable offline.

Format `mediation-domain/audit-export` version 1 (docs/audit-format.md): a header line,
the checkpoints, the records in notification order (state bytes in base64, with the chain
hash the store sealed for them), and an end line that counts both, so a truncated file
is told from a short history.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from eventsourcing.persistence import Notification

from mediation_adapters.storage.ledger import Ledger, records
from mediation_domain import InvalidInputError, Mediations
from mediation_domain.audit import GENESIS, Checkpoint
from mediation_domain.errors import quoted

FORMAT, VERSION = "mediation-domain/audit-export", 1


class ExportFormatError(InvalidInputError):
    """The file is not a readable audit export."""


@dataclass(frozen=True)
class ExportedRecord:
    """A stored record as read back from an export (an audit.StoredRecord)."""

    id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes
    sealed: str
    previous: str


def write_export(
    app: Mediations,
    ledger: Ledger,
    out: IO[str],
    *,
    until: int | None = None,
    case: UUID | None = None,
) -> int:
    """Write the history (up to record `until`, of one `case` or all) to `out`; count records.

    A one-case export also gives each record the sealed hash before it, so that each
    record can be checked on its own (audit.verify_excerpt).
    """
    checkpoints = [c for c in ledger.checkpoints() if until is None or c.position <= until]
    header = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "until": until,
        "case": str(case) if case else None,
        "key_ids": sorted({c.key_id for c in checkpoints}),
    }
    out.write(json.dumps(header) + "\n")
    for checkpoint in checkpoints:
        out.write(json.dumps({"type": "checkpoint", **_fields(checkpoint)}) + "\n")
    count = 0
    for record, sealed, previous in _with_seals(app, ledger, until):
        if case is not None and record.originator_id != case:
            continue
        line = {
            "type": "record",
            "id": record.id,
            "originator_id": str(record.originator_id),
            "originator_version": record.originator_version,
            "topic": record.topic,
            "state": base64.b64encode(record.state).decode(),
            "sealed": sealed,
        }
        if case is not None:
            line["previous"] = previous if sealed else ""
        out.write(json.dumps(line) + "\n")
        count += 1
    out.write(json.dumps({"type": "end", "records": count, "checkpoints": len(checkpoints)}) + "\n")
    return count


def _with_seals(
    app: Mediations, ledger: Ledger, until: int | None
) -> Iterator[tuple[Notification, str, str]]:
    """Each record up to `until`, with its sealed hash ("" if none) and the one sealed before.

    The ledger's chain and the records are both in record order: one pass over each.
    """
    sealed = ledger.sealed()
    reference = next(sealed, None)
    previous = GENESIS.hex()
    for record in records(app):
        if until is not None and record.id > until:
            return
        while reference is not None and reference[0] < record.id:
            previous, reference = reference[1], next(sealed, None)
        yield record, reference[1] if reference and reference[0] == record.id else "", previous


def _fields(checkpoint: Checkpoint) -> dict[str, Any]:
    return {
        "position": checkpoint.position,
        "head": checkpoint.head,
        "created_at": checkpoint.created_at,
        "previous": checkpoint.previous,
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }


class Export:
    """An export file, read as a stream (each pass reopens the file: memory stays flat)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        header = self._header()
        if header.get("format") != FORMAT or header.get("version") != VERSION:
            message = f"{path} is not a {FORMAT} version {VERSION} file"
            raise ExportFormatError(message)
        self.case: str | None = header.get("case")
        try:
            self.checkpoints = [
                Checkpoint(**{k: v for k, v in line.items() if k != "type"})
                for line in self._lines()
                if line.get("type") == "checkpoint"
            ]
        except TypeError as error:
            message = f"{path}: a checkpoint line is malformed ({error})"
            raise ExportFormatError(message) from None

    def _header(self) -> dict[str, Any]:
        try:
            with self.path.open(encoding="utf-8") as file:
                return _parse(file.readline(), self.path, 1)
        except OSError as error:
            message = f"cannot read {self.path}: {error.strerror}"
            raise ExportFormatError(message) from None
        except UnicodeDecodeError:
            message = f"{self.path}: line 1 is not UTF-8"
            raise ExportFormatError(message) from None

    def _lines(self) -> Iterator[dict[str, Any]]:
        try:
            yield from self._read_lines()
        except UnicodeDecodeError:
            message = f"{self.path}: a line is not UTF-8"
            raise ExportFormatError(message) from None

    def _read_lines(self) -> Iterator[dict[str, Any]]:
        with self.path.open(encoding="utf-8") as file:
            file.readline()
            ended = False
            for number, text in enumerate(file, start=2):
                line = _parse(text, self.path, number)
                if ended:
                    message = f"{self.path}: line {number} follows the end line"
                    raise ExportFormatError(message)
                ended = line.get("type") == "end"
                yield line
            if not ended:
                message = f"{self.path} has no end line: the file was truncated"
                raise ExportFormatError(message)

    def records(self) -> Iterator[ExportedRecord]:
        """The records, in the file's order."""
        for line in self._lines():
            if line.get("type") == "record":
                try:
                    yield ExportedRecord(
                        id=int(line["id"]),
                        originator_id=UUID(line["originator_id"]),
                        originator_version=int(line["originator_version"]),
                        topic=str(line["topic"]),
                        state=base64.b64decode(line["state"], validate=True),
                        sealed=str(line.get("sealed", "")),
                        previous=str(line.get("previous", "")),
                    )
                except (KeyError, ValueError, TypeError) as error:
                    message = f"{self.path}: malformed record {quoted(line.get('id'))} ({error})"
                    raise ExportFormatError(message) from None

    def sealed(self) -> Iterator[tuple[int, str]]:
        """The chain as the store sealed it, from the records that carry it."""
        return ((r.id, r.sealed) for r in self.records() if r.sealed)


def _parse(text: str, path: Path, number: int) -> dict[str, Any]:
    try:
        line = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, an integer of thousands of digits, nesting
        line = None
    if not isinstance(line, dict):
        message = f"{path}: line {number} is not a JSON object"
        raise ExportFormatError(message)
    return line
