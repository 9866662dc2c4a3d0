"""The AuditLedger port on two tables of the store's database.

mediation_ledger_hashes (level, idx, hash) and mediation_ledger_checkpoints (size,
created_at, note). A store sealed before the ledger was a port kept the chain and the
checkpoints in mediation_audit_chain and mediation_audit_checkpoints: the first opening
moves them into the new tables, in one transaction, as they were.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from mediation_adapters.storage.sql.database import Database
from mediation_domain.ports import LedgerConflictError, SignedCheckpoint

HASHES = "mediation_ledger_hashes"
CHECKPOINTS = "mediation_ledger_checkpoints"
_BATCH = 1000
_V1_FIELDS = ("position", "head", "created_at", "previous", "key_id", "signature")


class SqlLedger:
    """Hashes and signed checkpoints beside the events."""

    def __init__(self, db: Database) -> None:
        self._db = db
        dialect = db.dialect
        db.create(
            f"CREATE TABLE IF NOT EXISTS {HASHES} (level INTEGER NOT NULL,"
            f" idx BIGINT NOT NULL, hash {dialect.blob} NOT NULL, PRIMARY KEY (level, idx))",
            f"CREATE TABLE IF NOT EXISTS {CHECKPOINTS} (size BIGINT PRIMARY KEY,"
            f" created_at VARCHAR(40) NOT NULL, note {dialect.text} NOT NULL)",
        )
        if dialect.has_table(db, "mediation_audit_checkpoints"):
            self._adopt_first_tables()

    def checkpoints(self) -> list[SignedCheckpoint]:
        """Every checkpoint, smallest size first."""
        rows = self._db.rows(f"SELECT size, created_at, note FROM {CHECKPOINTS} ORDER BY size")  # noqa: S608
        return [SignedCheckpoint(int(size), str(at), str(note)) for size, at, note in rows]

    def hashes(self, level: int, start: int, stop: int) -> list[tuple[int, bytes]]:
        """The (index, hash) pairs of `level` in [start, stop), in index order."""
        rows = self._db.rows(
            f"SELECT idx, hash FROM {HASHES} WHERE level = ? AND idx >= ? AND idx < ?"  # noqa: S608
            " ORDER BY idx",
            (level, start, stop),
        )
        return [(int(index), bytes(digest)) for index, digest in rows]

    def append(
        self, hashes: Iterable[tuple[int, int, bytes]], checkpoint: SignedCheckpoint
    ) -> None:
        """Store the hashes and the checkpoint in one transaction, under the ledger's lock."""
        with self._db.locked("ledger"):
            (largest,) = self._db.rows(f"SELECT MAX(size) FROM {CHECKPOINTS}")[0]  # noqa: S608
            if largest is not None and int(largest) >= checkpoint.size:
                message = f"a checkpoint over {largest} records was sealed meanwhile: seal again"
                raise LedgerConflictError(message)
            insert = f"INSERT INTO {HASHES} (level, idx, hash) VALUES (?, ?, ?)"  # noqa: S608
            batch: list[tuple[int, int, bytes]] = []
            for row in hashes:
                batch.append(row)
                if len(batch) == _BATCH:
                    self._db.executemany(insert, batch)
                    batch.clear()
            self._db.executemany(insert, batch)
            self._db.execute(
                f"INSERT INTO {CHECKPOINTS} (size, created_at, note) VALUES (?, ?, ?)",  # noqa: S608
                (checkpoint.size, checkpoint.created_at, checkpoint.note),
            )

    def close(self) -> None:
        """Release the connection."""
        self._db.close()

    def _adopt_first_tables(self) -> None:
        """Move a store's first chain and checkpoints into the ledger's tables, once."""
        with self._db.locked("ledger"):
            if self._db.rows(f"SELECT 1 FROM {CHECKPOINTS} LIMIT 1"):  # noqa: S608
                return
            columns = ", ".join(_V1_FIELDS)
            for row in self._db.rows(
                f"SELECT {columns} FROM mediation_audit_checkpoints ORDER BY position"  # noqa: S608
            ):
                fields = dict(zip(_V1_FIELDS, row, strict=True))
                self._db.execute(
                    f"INSERT INTO {CHECKPOINTS} (size, created_at, note) VALUES (?, ?, ?)",  # noqa: S608
                    (int(fields["position"]), fields["created_at"], json.dumps(fields)),
                )
            if self._db.dialect.has_table(self._db, "mediation_audit_chain"):
                chain = self._db.rows("SELECT position, hash FROM mediation_audit_chain")
                self._db.executemany(
                    f"INSERT INTO {HASHES} (level, idx, hash) VALUES (0, ?, ?)",  # noqa: S608
                    [(int(position), bytes.fromhex(digest)) for position, digest in chain],
                )
                self._db.execute("DROP TABLE mediation_audit_chain")
            self._db.execute("DROP TABLE mediation_audit_checkpoints")
