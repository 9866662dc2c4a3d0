"""The auditor's export, format 2: the log as JSON Lines, ending at a signed checkpoint.

docs/audit-format.md defines it byte by byte. A header line; the checkpoint (a C2SP
signed note) that the records are proven against, if the log was ever sealed; the
records in notification order, each with its leaf index (and, in one case's export, its
inclusion proof); an end line counting records and checkpoints. Every line is in one
canonical form (compact JSON, keys in the documented order, ASCII), so the parser is
strict: a line it does not read back byte for byte is refused with its number.
Format 1 files (release 0.x) are read by export_v1.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

from mediation_adapters.formats import export_v1
from mediation_adapters.formats.export_v1 import ExportFormatError
from mediation_adapters.formats.export_writer import FORMAT, VERSION, line, record_line
from mediation_domain import InvalidInputError
from mediation_domain.audit.checkpoints import NoteError, SignedNote, TreeHead
from mediation_domain.audit.merkle import HASH_SIZE
from mediation_domain.audit.records import StoredRecord
from mediation_domain.audit.verification import (
    LogVerification,
    ProvenRecord,
    Trust,
    verify_case,
    verify_log,
)
from mediation_domain.errors import quoted

_LARGEST = (1 << 63) - 1  # ids, versions, leaves and counts fit a signed 64-bit integer
_TOPIC = 1000  # characters a topic may have
_RECORD = ("type", "leaf", "id", "originator_id", "originator_version", "topic", "state")


@dataclass(frozen=True)
class ExportedRecord:
    """A record as read back from an export (an audit.StoredRecord)."""

    id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes


class Export:
    """An export file of format 2, read strictly as a stream (memory stays flat).

    Opening reads the header and the checkpoint; `records()` reads the rest and checks
    the end line. ExportFormatError, naming the line, for anything the format refuses.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.case: UUID | None = None
        self.note: SignedNote | None = None
        self._first_record = 2
        lines = self._lines()
        try:
            self._read_opening(lines)
        except ExportFormatError as error:
            raise self._named(error) from None
        finally:
            lines.close()

    def _named(self, error: ExportFormatError) -> ExportFormatError:
        """`error`, its message starting with the file's path."""
        text = str(error)
        return (
            error if text.startswith(str(self.path)) else ExportFormatError(f"{self.path}: {text}")
        )

    @property
    def head(self) -> TreeHead | None:
        """The tree head the export's checkpoint signs, None when it has none."""
        return TreeHead.parse(self.note.text) if self.note else None

    def _read_opening(self, lines: Iterator[tuple[int, str, dict[str, Any]]]) -> None:
        number, text, header = next(lines, (1, "", {}))
        if header.get("format") != FORMAT or header.get("version") != VERSION:
            message = f"{self.path} is not a {FORMAT} version {VERSION} file"
            raise ExportFormatError(message)
        _exact(header, ("format", "version", "case"), number)
        if header["case"] is not None:
            self.case = _uuid(header["case"], number, "case")
        _canonical(text, line({**header, "case": self.case and str(self.case)}), number)
        number, text, fields = next(lines, (2, "", {}))
        if fields.get("type") == "checkpoint":
            _exact(fields, ("type", "note"), number)
            self.note = _note(fields["note"], number)
            _canonical(text, line({"type": "checkpoint", "note": self.note.render()}), number)
            self._first_record = number + 1

    def _lines(self) -> Generator[tuple[int, str, dict[str, Any]]]:
        """(number, text, object) of each line; ExportFormatError for what is not JSON."""
        try:
            with self.path.open("rb") as file:
                for number, raw in enumerate(file, start=1):
                    yield number, *_parse(raw, number)
        except OSError as error:
            message = f"cannot read {self.path}: {error.strerror}"
            raise ExportFormatError(message) from None

    def records(self) -> Iterator[ProvenRecord]:
        """(leaf, proof, record) of each record, in the file's order; then the end is checked.

        In a whole log's export the proof is empty and leaf n is the nth record.
        """
        try:
            yield from self._records()
        except ExportFormatError as error:
            raise self._named(error) from None

    def _records(self) -> Iterator[ProvenRecord]:
        count, ended = 0, False
        lines = self._lines()
        try:
            for number, text, fields in lines:
                if number < self._first_record:
                    continue
                kind = fields.get("type")
                if ended:
                    message = f"line {number}: nothing may follow the end line"
                    raise ExportFormatError(message)
                if kind == "record":
                    proven = self._record(fields, text, number)
                    if self.case is None and proven[0] != count:
                        message = f"line {number}: leaf {proven[0]} where leaf {count} was due"
                        raise ExportFormatError(message)
                    count += 1
                    yield proven
                elif kind == "end":
                    self._end(fields, text, number, count)
                    ended = True
                else:
                    where = "after the records" if kind == "checkpoint" else "of a known type"
                    message = f"line {number}: not a line {where} ({quoted(str(kind)[:40])})"
                    raise ExportFormatError(message)
        finally:
            lines.close()
        if not ended:
            message = f"{self.path} has no end line: the file was truncated"
            raise ExportFormatError(message)

    def stored(self) -> Iterator[StoredRecord]:
        """The records alone, in the file's order; then the end is checked."""
        return (record for _, __, record in self.records())

    def _record(self, fields: dict[str, Any], text: str, number: int) -> ProvenRecord:
        keys = _RECORD if self.case is None else (*_RECORD, "proof")
        _exact(fields, keys, number)
        record = ExportedRecord(
            id=_integer(fields["id"], number, "id", 1),
            originator_id=_uuid(fields["originator_id"], number, "originator_id"),
            originator_version=_integer(
                fields["originator_version"], number, "originator_version", 1
            ),
            topic=_text(fields["topic"], number, "topic"),
            state=_base64(fields["state"], number, "state"),
        )
        leaf = _integer(fields["leaf"], number, "leaf", 0)
        proof: list[bytes] = []
        if self.case is not None:
            if not isinstance(fields["proof"], list) or len(fields["proof"]) > 64:  # noqa: PLR2004
                message = f"line {number}: proof is a list of at most 64 hashes"
                raise ExportFormatError(message)
            proof = [_base64(p, number, "proof", HASH_SIZE) for p in fields["proof"]]
        _canonical(text, record_line(leaf, record, proof if self.case else None), number)
        return leaf, proof, record

    def _end(self, fields: dict[str, Any], text: str, number: int, count: int) -> None:
        _exact(fields, ("type", "records", "checkpoints"), number)
        records_ = _integer(fields["records"], number, "records", 0)
        checkpoints = _integer(fields["checkpoints"], number, "checkpoints", 0)
        _canonical(text, line(fields), number)
        if records_ != count or checkpoints != (self.note is not None):
            message = (
                f"line {number}: the end counts {records_} records and {checkpoints} "
                f"checkpoints, the file holds {count} and {int(self.note is not None)}"
            )
            raise ExportFormatError(message)


def _parse(raw: bytes, number: int) -> tuple[str, dict[str, Any]]:
    try:
        text = raw.decode()
    except UnicodeDecodeError:
        message = f"line {number} is not UTF-8"
        raise ExportFormatError(message) from None
    try:
        value = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except (ValueError, RecursionError):  # not JSON, an integer of thousands of digits...
        value = None
    if not isinstance(value, dict):
        message = f"line {number} is not a JSON object"
        raise ExportFormatError(message)
    if not text.endswith("\n"):
        message = f"line {number} does not end with a newline: the file was truncated"
        raise ExportFormatError(message)
    return text, value


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found = dict(pairs)
    if len(found) != len(pairs):
        message = "a key appears twice"
        raise ValueError(message)
    return found


def _no_constant(name: str) -> None:
    message = f"{name} is not a JSON number"
    raise ValueError(message)


def _exact(fields: dict[str, Any], keys: Sequence[str], number: int) -> None:
    if list(fields) != list(keys):
        message = f"line {number}: the fields are {', '.join(keys)}, in that order"
        raise ExportFormatError(message)


def _canonical(text: str, expected: str, number: int) -> None:
    if text != expected:
        message = f"line {number} is not in the canonical form (docs/audit-format.md)"
        raise ExportFormatError(message)


def _integer(value: Any, number: int, name: str, least: int) -> int:  # noqa: ANN401
    if type(value) is not int or not least <= value <= _LARGEST:
        message = f"line {number}: {name} is an integer from {least} to 2^63-1"
        raise ExportFormatError(message)
    return value


def _text(value: Any, number: int, name: str) -> str:  # noqa: ANN401
    try:
        valid = type(value) is str and 0 < len(value.encode()) <= _TOPIC
    except UnicodeEncodeError:  # a lone surrogate, escaped in the JSON
        valid = False
    if not valid:
        message = f"line {number}: {name} is a string of 1 to {_TOPIC} bytes of UTF-8"
        raise ExportFormatError(message)
    return str(value)


def _uuid(value: Any, number: int, name: str) -> UUID:  # noqa: ANN401
    try:
        parsed = UUID(value) if type(value) is str else None
    except ValueError:
        parsed = None
    if parsed is None or str(parsed) != value:
        message = f"line {number}: {name} is a UUID in lowercase hex with hyphens"
        raise ExportFormatError(message)
    return parsed


def _base64(value: Any, number: int, name: str, size: int | None = None) -> bytes:  # noqa: ANN401
    try:
        decoded = base64.b64decode(value, validate=True) if type(value) is str else None
    except binascii.Error:
        decoded = None
    if decoded is None or (size is not None and len(decoded) != size):
        what = f"base64 of {size} bytes" if size else "base64"
        message = f"line {number}: {name} is {what}"
        raise ExportFormatError(message)
    return decoded


def _note(value: Any, number: int) -> SignedNote:  # noqa: ANN401
    if type(value) is not str:
        message = f"line {number}: note is a string"
        raise ExportFormatError(message)
    try:
        note = SignedNote.parse(value)
        TreeHead.parse(note.text)
    except NoteError as error:
        message = f"line {number}: the checkpoint's note is malformed: {error}"
        raise ExportFormatError(message) from None
    return note


def verify_export(
    export: Export,
    trust: Trust,
    *,
    since: TreeHead | None = None,
    checkpoint: SignedNote | None = None,
) -> LogVerification:
    """Verify an export of format 2: a whole log, or one case by its inclusion proofs.

    Against its own checkpoint, or `checkpoint` (one a witness cosigned, say); `since` is
    a checkpoint kept from an earlier audit, for a whole log only. ExportFormatError for
    a file the format refuses, at the first line it refuses.
    """
    note = checkpoint or export.note
    if export.case is not None and checkpoint is not None:
        own, given = export.head, TreeHead.parse(checkpoint.text)
        if own is None or (own.size, own.root) != (given.size, given.root):
            message = (
                "a case export's proofs lead to its own checkpoint: the checkpoint given "
                "is of another tree (verify it against the store or a full export)"
            )
            raise InvalidInputError(message)
    if export.case is None:
        return verify_log(note, export.stored(), trust, since=since)
    if since is not None:
        message = "--since needs the whole log: verify it on the store or a full export"
        raise InvalidInputError(message)
    return verify_case(note, export.case, export.records(), trust)


def exported_records(path: Path) -> Iterator[Any]:
    """The records of an export of either format, in the file's order."""
    if version_of(path) == 1:
        return export_v1.Export(path).records()
    return Export(path).stored()


def version_of(path: Path) -> int:
    """The format version a file's header states; ExportFormatError if it states none."""
    try:
        with path.open("rb") as file:
            _, header = _parse(file.readline(), 1)
    except ExportFormatError as error:
        message = f"{path}: {error}"
        raise ExportFormatError(message) from None
    except OSError as error:
        message = f"cannot read {path}: {error.strerror}"
        raise ExportFormatError(message) from None
    version = header.get("version")
    if header.get("format") != FORMAT or type(version) is not int or version not in (1, 2):
        message = f"{path} is not a {FORMAT} file of version 1 or 2"
        raise ExportFormatError(message)
    return version
