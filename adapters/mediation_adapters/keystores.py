"""Keys beside the events: one per data subject, and the store's data key for encryption at rest.

Two tables in the store's database (SQLite file or PostgreSQL schema):

- mediation_subject_keys: a random AES-256 key per data subject. Erasing a subject
  overwrites its key with NULL (a tombstone keeps the date, so a second erasure is known
  and nothing is sealed for the subject again). On SQLite, deleted bytes are zeroed
  (secure_delete) and the write-ahead log is truncated; on PostgreSQL the table is vacuumed.
- mediation_store_key: when the store is encrypted at rest, its data key, wrapped (AES-GCM)
  under the operator's store key, which never enters the database. The data key encrypts
  every stored event (eventsourcing's cipher) and wraps every subject key, so the database
  alone opens nothing. Rotating the store key re-wraps the data key: one row.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mediation_adapters.files import SecretFileError, create_new
from mediation_adapters.sql import Database
from mediation_adapters.stores import StoreKeyError
from mediation_domain.privacy import KEY_BYTES, SubjectErasedError, erased_message

_NONCE = 12
_CHUNK = 500
STORE_KEY_VARIABLE = "MEDIATION_STORE_KEY"
STORE_KEY_FILE_VARIABLE = "MEDIATION_STORE_KEY_FILE"


_CLEAR = "none"  # the key id recorded for a store created without encryption at rest
_NOT_IN_PLACE = (
    "this store was created without encryption at rest: it cannot be encrypted in place "
    "(open it without a store key, or copy it into a new encrypted store: mediation copy)"
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _wrap(wrapping_key: bytes, key: bytes, label: str) -> bytes:
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(wrapping_key).encrypt(nonce, key, label.encode())


def _unwrap(wrapping_key: bytes, wrapped: bytes, label: str) -> bytes:
    return AESGCM(wrapping_key).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], label.encode())


# Subject keys ------------------------------------------------------------------------------


class SqlKeyStore:
    """The KeyStore port on a table of the store's database."""

    def __init__(
        self, db: Database, data_key: bytes | None = None, *, beside_events: bool = False
    ) -> None:
        """Keys in `db`; `beside_events`: the same database as the events they seal.

        Then a new key commits without its own flush to disk (`Database.unflushed`): the
        event sealed with it commits later in the same log, flushed, and makes the key
        durable with it. A key lost to a power cut is one that sealed nothing stored.
        """
        self._db = db
        self._data_key = data_key
        self._beside_events = beside_events
        # True when the last erasure could not yet push the key's old bytes out of the
        # SQLite log (see Database.purge).
        self.residue = False
        db.execute(
            "CREATE TABLE IF NOT EXISTS mediation_subject_keys ("
            f" subject TEXT PRIMARY KEY, key {db.blob}, created_at TEXT NOT NULL,"
            " erased_at TEXT)"
        )

    def keys_for(self, subjects: Sequence[str]) -> dict[str, bytes]:
        """The subjects' keys; the missing ones created and committed in one statement."""
        found: dict[str, bytes] = {}
        for subject, key in self.keys(subjects).items():
            if key is None:
                raise SubjectErasedError(erased_message(subject))
            found[subject] = key
        # Sorted: two writers creating overlapping subjects lock them in the same order.
        missing = sorted({subject for subject in subjects if subject not in found})
        if missing:
            made = {subject: AESGCM.generate_key(KEY_BYTES * 8) for subject in missing}
            now = _now()
            rows = [(subject, self._stored(subject, key), now) for subject, key in made.items()]
            values = ", ".join(["(?, ?, ?)"] * len(rows))  # placeholders only
            flushing = self._db.unflushed() if self._beside_events else contextlib.nullcontext()
            with flushing:
                inserted = self._db.rows(
                    f"INSERT INTO mediation_subject_keys (subject, key, created_at) VALUES {values}"  # noqa: S608
                    " ON CONFLICT (subject) DO NOTHING RETURNING subject",
                    [value for row in rows for value in row],
                )
            found.update({subject: made[subject] for (subject,) in inserted})
            raced = [subject for subject in missing if subject not in found]
            if raced:  # another writer created them meanwhile: theirs are the keys
                found.update(self.keys_for(raced))
        return found

    def keys(self, subjects: Iterable[str]) -> dict[str, bytes | None]:
        """The keys of the known subjects among `subjects` (None once erased)."""
        wanted = list(subjects)
        found: dict[str, bytes | None] = {}
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            for subject, stored in self._db.rows(
                f"SELECT subject, key FROM mediation_subject_keys WHERE subject IN ({marks})",  # noqa: S608 - placeholders only
                chunk,
            ):
                found[subject] = None if stored is None else self._open(subject, bytes(stored))
        return found

    def erase(self, subjects: Sequence[str]) -> set[str]:
        """Overwrite the subjects' keys at once; returns those whose key was live.

        One transaction leaves dated tombstones; `purge()` then pushes the old bytes out.
        """
        live = set()
        with self._db.transaction():
            now = _now()
            for subject in sorted(set(subjects)):  # sorted: no deadlock between erasers
                if self._db.execute(
                    "UPDATE mediation_subject_keys SET key = NULL, erased_at = ?"
                    " WHERE subject = ? AND erased_at IS NULL",
                    (now, subject),
                ):
                    live.add(subject)
                else:
                    self._db.execute(
                        "INSERT INTO mediation_subject_keys (subject, key, created_at, erased_at)"
                        " VALUES (?, NULL, ?, ?) ON CONFLICT (subject) DO NOTHING",
                        (subject, now, now),
                    )
        self.residue = True  # until purged: the old bytes may sit in the log or free pages
        return live

    def purge(self) -> bool:
        """Push erased keys' old bytes out (see Database.purge); True when none is left."""
        if self.residue:
            self.residue = not self._db.purge("mediation_subject_keys")
        return not self.residue

    def counts(self) -> Mapping[str, int]:
        """How many subjects have a live key, and how many were erased."""
        rows = self._db.rows(
            "SELECT erased_at IS NULL, COUNT(*) FROM mediation_subject_keys"
            " GROUP BY erased_at IS NULL"
        )
        counts = {"live": 0, "erased": 0}
        for live, count in rows:
            counts["live" if live else "erased"] = int(count)
        return counts

    def _stored(self, subject: str, key: bytes) -> bytes:
        return key if self._data_key is None else _wrap(self._data_key, key, subject)

    def _open(self, subject: str, stored: bytes) -> bytes:
        if self._data_key is None:
            return stored
        try:
            return _unwrap(self._data_key, stored, subject)
        except (InvalidTag, ValueError):
            message = f"the key of {subject} does not open with this store's data key"
            raise StoreKeyError(message) from None


# The store key (encryption at rest) --------------------------------------------------------


def key_id(store_key: bytes) -> str:
    """A short public fingerprint of a store key (safe to print and store)."""
    return hashlib.sha256(b"mediation-domain store key\x00" + store_key).hexdigest()[:16]


def parse_store_key(text: str, source: str) -> bytes:
    """A store key from its base64 text (32 bytes once decoded)."""
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        message = f"{source} is not a store key: expected {KEY_BYTES} bytes in base64"
        raise StoreKeyError(message)
    return key


def load_store_key(environ: Mapping[str, str]) -> bytes | None:
    """The store key from MEDIATION_STORE_KEY or MEDIATION_STORE_KEY_FILE, if one is set."""
    text, path = environ.get(STORE_KEY_VARIABLE, ""), environ.get(STORE_KEY_FILE_VARIABLE, "")
    if text and path:
        message = f"set {STORE_KEY_VARIABLE} or {STORE_KEY_FILE_VARIABLE}, not both"
        raise StoreKeyError(message)
    if path:
        return read_store_key(Path(path))
    return parse_store_key(text, STORE_KEY_VARIABLE) if text else None


def read_store_key(path: Path) -> bytes:
    """The store key in a key file."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as error:
        message = f"cannot read the store key file {path}: {getattr(error, 'strerror', error)}"
        raise StoreKeyError(message) from None
    return parse_store_key(text, f"the key file {path}")


def new_store_key(path: Path) -> str:
    """Write a new random store key to `path` (mode 0600, never overwritten); its key id."""
    key = AESGCM.generate_key(KEY_BYTES * 8)
    try:
        create_new(path, base64.b64encode(key) + b"\n", "store key")
    except SecretFileError as error:
        raise StoreKeyError(error.message) from None
    return key_id(key)


class StoreKeys:
    """The data key of a store encrypted at rest, wrapped under the operator's store key."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.execute(
            "CREATE TABLE IF NOT EXISTS mediation_store_key ("
            f" id INTEGER PRIMARY KEY, wrapped {db.blob} NOT NULL, key_id TEXT NOT NULL,"
            " created_at TEXT NOT NULL)"
        )

    def data_key(self, store_key: bytes | None, holds_events: Callable[[], bool]) -> bytes | None:
        """The store's data key (None: not encrypted at rest); the choice is made once.

        The first opening records whether the store is encrypted at rest (a clear store
        gets a marker row too), so a store created without encryption is never encrypted
        in place, and an encrypted store never opens without its key: both are a
        StoreKeyError. Call it under the store's set-up lock (`open_store` does).
        """
        rows = self._db.rows("SELECT wrapped, key_id FROM mediation_store_key WHERE id = 1")
        if not rows and store_key is not None and (holds_events() or self._holds_keys()):
            raise StoreKeyError(_NOT_IN_PLACE)  # checked outside the write lock it may need
        with self._db.transaction():
            rows = self._db.rows("SELECT wrapped, key_id FROM mediation_store_key WHERE id = 1")
            if not rows:
                data_key, wrapped, kid = None, b"", _CLEAR
                if store_key is not None:
                    data_key = AESGCM.generate_key(KEY_BYTES * 8)
                    wrapped, kid = _wrap(store_key, data_key, "data key"), key_id(store_key)
                self._db.execute(
                    "INSERT INTO mediation_store_key (id, wrapped, key_id, created_at)"
                    " VALUES (1, ?, ?, ?)",
                    (wrapped, kid, _now()),
                )
                return data_key
        wrapped, expected = rows[0]
        if expected == _CLEAR:
            if store_key is not None:
                raise StoreKeyError(_NOT_IN_PLACE)
            return None
        if store_key is None:
            message = (
                f"this store is encrypted at rest: give its key ({expected}) with "
                f"{STORE_KEY_FILE_VARIABLE} or {STORE_KEY_VARIABLE}"
            )
            raise StoreKeyError(message)
        return self._open(bytes(wrapped), store_key, expected)

    def status(self) -> tuple[str, str] | None:
        """(key id, since) of the store key, or None when not encrypted at rest."""
        rows = self._db.rows("SELECT key_id, created_at FROM mediation_store_key WHERE id = 1")
        if not rows or rows[0][0] == _CLEAR:
            return None
        return str(rows[0][0]), str(rows[0][1])

    def rotate(self, old: bytes, new: bytes) -> tuple[str, str]:
        """Re-wrap the data key under `new`; returns the (old, new) key ids."""
        with self._db.transaction():
            rows = self._db.rows("SELECT wrapped, key_id FROM mediation_store_key WHERE id = 1")
            if not rows or rows[0][1] == _CLEAR:
                message = "this store is not encrypted at rest: there is no store key to rotate"
                raise StoreKeyError(message)
            wrapped, expected = rows[0]
            data_key = self._open(bytes(wrapped), old, expected)
            self._db.execute(
                "UPDATE mediation_store_key SET wrapped = ?, key_id = ?, created_at = ?"
                " WHERE id = 1",
                (_wrap(new, data_key, "data key"), key_id(new), _now()),
            )
        self._db.purge("mediation_store_key")
        return key_id(old), key_id(new)

    def _open(self, wrapped: bytes, store_key: bytes, expected: str) -> bytes:
        try:
            return _unwrap(store_key, wrapped, "data key")
        except (InvalidTag, ValueError):
            message = (
                f"the store key {key_id(store_key)} does not open this store "
                f"(it was encrypted with key {expected})"
            )
            raise StoreKeyError(message) from None

    def _holds_keys(self) -> bool:
        table = "mediation_subject_keys"
        return self._db.has_table(table) and bool(
            self._db.rows(f"SELECT 1 FROM {table} LIMIT 1")  # noqa: S608 - our name
        )
