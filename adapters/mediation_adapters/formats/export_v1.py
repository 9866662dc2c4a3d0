"""Reading the auditor's exports of format 1 (release 0.x), which keep verifying.

Format `mediation-domain/audit-export` version 1: a header line, the JSON checkpoints,
the records in notification order (state bytes in base64, with the chain hash the store
sealed for them), and an end line. Release 1 writes format 2 (formats/export.py); this
reads format 1 with every field's type checked, so that a malformed file is refused
(ExportFormatError) rather than crashing a verification.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from mediation_domain import InvalidInputError
from mediation_domain.audit import Checkpoint
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


class Export:
    """An export file, read as a stream (each pass reopens the file: memory stays flat)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        header = self._header()
        if header.get("format") != FORMAT or header.get("version") != VERSION:
            message = f"{path} is not a {FORMAT} version {VERSION} file"
            raise ExportFormatError(message)
        self.case: str | None = header.get("case")
        self.checkpoints = [
            _checkpoint(line, path) for line in self._lines() if line.get("type") == "checkpoint"
        ]

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
                    yield _record(line)
                except (KeyError, ValueError, TypeError) as error:
                    message = f"{self.path}: malformed record {quoted(line.get('id'))} ({error})"
                    raise ExportFormatError(message) from None

    def sealed(self) -> Iterator[tuple[int, str]]:
        """The chain as the store sealed it, from the records that carry it."""
        return ((r.id, r.sealed) for r in self.records() if r.sealed)


_LARGEST = (1 << 63) - 1
_CHECKPOINT = {
    "position": int,
    "head": str,
    "created_at": str,
    "previous": str,
    "key_id": str,
    "signature": str,
}


def _hex(value: str, sizes: tuple[int, ...]) -> str:
    if len(value) not in sizes or any(c not in "0123456789abcdef" for c in value):
        message = f"{value[:20]!r} is not lowercase hex of {' or '.join(map(str, sizes))} digits"
        raise ValueError(message)
    return value


def _number(value: Any) -> int:  # noqa: ANN401
    if type(value) is not int or not 0 < value <= _LARGEST:
        message = f"{str(value)[:20]!r} is not an integer from 1 to 2^63-1"
        raise TypeError(message)
    return value


def _checkpoint(line: dict[str, Any], path: Path) -> Checkpoint:
    fields = {k: v for k, v in line.items() if k != "type"}
    if set(fields) != set(_CHECKPOINT) or any(
        type(fields[k]) is not kind for k, kind in _CHECKPOINT.items()
    ):
        message = f"{path}: a checkpoint line has the fields {', '.join(_CHECKPOINT)}, typed"
        raise ExportFormatError(message)
    try:
        _number(fields["position"])
        _hex(fields["head"], (64,))
        _hex(fields["previous"], (0, 64))
        _hex(fields["signature"], (128,))
    except (ValueError, TypeError) as error:
        message = f"{path}: a checkpoint line is malformed ({error})"
        raise ExportFormatError(message) from None
    return Checkpoint(**fields)


def _record(line: dict[str, Any]) -> ExportedRecord:
    return ExportedRecord(
        id=_number(line["id"]),
        originator_id=UUID(line["originator_id"]),
        originator_version=_number(line["originator_version"]),
        topic=str(line["topic"]),
        state=base64.b64decode(line["state"], validate=True),
        sealed=_hex(str(line.get("sealed", "")), (0, 64)),
        previous=_hex(str(line.get("previous", "")), (0, 64)),
    )


def _parse(text: str, path: Path, number: int) -> dict[str, Any]:
    try:
        line = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, an integer of thousands of digits, nesting
        line = None
    if not isinstance(line, dict):
        message = f"{path}: line {number} is not a JSON object"
        raise ExportFormatError(message)
    return line
