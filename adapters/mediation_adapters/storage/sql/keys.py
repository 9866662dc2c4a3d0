"""Keys beside the events: one per data subject, and the store's data key for encryption at rest.

Two tables in the store's database:

- mediation_subject_keys: a random AES-256 key per data subject. Erasing a subject
  overwrites its key with NULL (a tombstone keeps the date, so a second erasure is known
  and nothing is sealed for the subject again); `purge` then pushes the old bytes out of
  the database's files as far as the dialect can (SQLite: the write-ahead log).
- mediation_store_key: when the store is encrypted at rest, its data key, wrapped (AES-GCM)
  under the operator's store key, which never enters the database. The data key encrypts
  every stored event (eventsourcing's cipher) and wraps every subject key, so the database
  alone opens nothing. Rotating the store key re-wraps the data key: one row.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mediation_adapters.storage.errors import StoreKeyError
from mediation_adapters.storage.sql.database import Database
from mediation_domain.privacy import KEY_BYTES, SubjectErasedError, erased_message

_NONCE = 12
_CHUNK = 500
_TABLE = "mediation_subject_keys"
_CLEAR = "none"  # the key id recorded for a store created without encryption at rest
_NOT_IN_PLACE = (
    "this store is not encrypted at rest (it was created without a store key): it cannot be "
    "encrypted in place (open it without a store key, or copy it into a new encrypted store: "
    "mediation copy)"
)
STORE_KEY_FILE_VARIABLE = "MEDIATION_STORE_KEY_FILE"
STORE_KEY_VARIABLE = "MEDIATION_STORE_KEY"


def now() -> str:
    """The time as the key tables keep it."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def key_id(store_key: bytes) -> str:
    """A short public fingerprint of a store key (safe to print and store)."""
    return hashlib.sha256(b"mediation-domain store key\x00" + store_key).hexdigest()[:16]


def wrap(wrapping_key: bytes, key: bytes, label: str) -> bytes:
    """`key` encrypted under `wrapping_key`, bound to `label`."""
    nonce = os.urandom(_NONCE)
    return nonce + AESGCM(wrapping_key).encrypt(nonce, key, label.encode())


def unwrap(wrapping_key: bytes, wrapped: bytes, label: str) -> bytes:
    """The key `wrap` wrapped; InvalidTag under another key or label."""
    return AESGCM(wrapping_key).decrypt(wrapped[:_NONCE], wrapped[_NONCE:], label.encode())


class SqlKeyStore:
    """The KeyStore port on a table of the store's database."""

    def __init__(
        self, db: Database, data_key: bytes | None = None, *, beside_events: bool = False
    ) -> None:
        """Keys in `db`; `beside_events`: the same database as the events they seal.

        Then a new key commits without its own flush to disk (`Dialect.unflushed`): the
        event sealed with it commits later in the same log, flushed, and makes the key
        durable with it. A key lost to a power cut is one that sealed nothing stored.
        """
        self._db = db
        self._data_key = data_key
        self._beside_events = beside_events
        # True from an erasure until `purge` pushed the keys' old bytes out.
        self.residue = False
        db.create(
            f"CREATE TABLE IF NOT EXISTS {_TABLE} ("
            f" subject {db.dialect.key} PRIMARY KEY, {_key_column(db)} {db.dialect.blob},"
            " created_at VARCHAR(40) NOT NULL, erased_at VARCHAR(40))"
        )

    def keys_for(self, subjects: Sequence[str]) -> dict[str, bytes]:
        """The subjects' keys; the missing ones created and committed together."""
        found: dict[str, bytes] = {}
        for subject, key in self.keys(subjects).items():
            if key is None:
                raise SubjectErasedError(erased_message(subject))
            found[subject] = key
        # Sorted: two writers creating overlapping subjects lock them in the same order.
        missing = sorted({subject for subject in subjects if subject not in found})
        if missing:
            found.update(self._create(missing))
            raced = [subject for subject in missing if subject not in found]
            if raced:  # another writer created them meanwhile: theirs are the keys
                found.update(self.keys_for(raced))
        return found

    def keys(self, subjects: Iterable[str]) -> dict[str, bytes | None]:
        """The keys of the known subjects among `subjects` (None once erased)."""
        wanted = list(subjects)
        found: dict[str, bytes | None] = {}
        column = _key_column(self._db)
        for start in range(0, len(wanted), _CHUNK):
            chunk = wanted[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            for subject, stored in self._db.rows(
                f"SELECT subject, {column} FROM {_TABLE} WHERE subject IN ({marks})",  # noqa: S608 - placeholders only
                chunk,
            ):
                found[subject] = None if stored is None else self._open(subject, bytes(stored))
        return found

    def erase(self, subjects: Sequence[str]) -> set[str]:
        """Overwrite the subjects' keys in one transaction; returns those whose key was live."""
        live = set()
        column = _key_column(self._db)
        tombstone = self._db.dialect.insert_ignore(
            _TABLE, ("subject", "key", "created_at", "erased_at"), ("subject",)
        )
        with self._db.transaction():
            erased = now()
            for subject in sorted(set(subjects)):  # sorted: no deadlock between erasers
                if self._db.execute(
                    f"UPDATE {_TABLE} SET {column} = NULL, erased_at = ?"  # noqa: S608 - our names
                    " WHERE subject = ? AND erased_at IS NULL",
                    (erased, subject),
                ):
                    live.add(subject)
                else:
                    self._db.execute(tombstone, (subject, None, erased, erased))
        self.residue = True  # until purged: the old bytes may sit in the log or free pages
        return live

    def purge(self) -> bool:
        """Push erased keys' old bytes out (see Dialect.purge); True when none is left."""
        if self.residue:
            self.residue = not self._db.dialect.purge(self._db, _TABLE)
        return not self.residue

    def counts(self) -> Mapping[str, int]:
        """How many subjects have a live key, and how many were erased."""
        rows = self._db.rows(
            f"SELECT erased_at IS NULL, COUNT(*) FROM {_TABLE} GROUP BY erased_at IS NULL"  # noqa: S608
        )
        counts = {"live": 0, "erased": 0}
        for live, count in rows:
            counts["live" if live else "erased"] = int(count)
        return counts

    def _create(self, subjects: Sequence[str]) -> dict[str, bytes]:
        """New keys for `subjects`, in one insert; those another writer created are left out."""
        made = {subject: AESGCM.generate_key(KEY_BYTES * 8) for subject in subjects}
        created = now()
        insert = self._db.dialect.insert_ignore(
            _TABLE,
            ("subject", "key", "created_at"),
            ("subject",),
            rows=len(made),
            returning="subject",
        )
        relaxed = (
            self._db.dialect.unflushed(self._db)
            if self._beside_events
            else contextlib.nullcontext()
        )
        with relaxed:  # one statement: the insert commits alone
            inserted = self._db.rows(
                insert,
                [v for s, key in made.items() for v in (s, self._stored(s, key), created)],
            )
        return {subject: made[subject] for (subject,) in inserted}

    def _stored(self, subject: str, key: bytes) -> bytes:
        return key if self._data_key is None else wrap(self._data_key, key, subject)

    def _open(self, subject: str, stored: bytes) -> bytes:
        if self._data_key is None:
            return stored
        try:
            return unwrap(self._data_key, stored, subject)
        except (InvalidTag, ValueError):
            message = f"the key of {subject} does not open with this store's data key"
            raise StoreKeyError(message) from None


def _key_column(db: Database) -> str:
    """The key column, quoted: `key` is a reserved word in some databases."""
    return db.dialect.quote("key")


class StoreKeys:
    """The data key of a store encrypted at rest, wrapped under the operator's store key."""

    def __init__(self, db: Database) -> None:
        self._db = db
        db.create(
            "CREATE TABLE IF NOT EXISTS mediation_store_key ("
            f" id INTEGER PRIMARY KEY, wrapped {db.dialect.blob} NOT NULL,"
            " key_id VARCHAR(40) NOT NULL, created_at VARCHAR(40) NOT NULL)"
        )

    def data_key(self, store_key: bytes | None, holds_events: Callable[[], bool]) -> bytes | None:
        """The store's data key (None: not encrypted at rest); the choice is made once.

        The first opening records whether the store is encrypted at rest (a clear store
        gets a marker row too), so a store created without encryption is never encrypted
        in place, and an encrypted store never opens without its key: both are a
        StoreKeyError. Call it under the store's set-up lock.
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
                    wrapped, kid = wrap(store_key, data_key, "data key"), key_id(store_key)
                self._db.execute(
                    "INSERT INTO mediation_store_key (id, wrapped, key_id, created_at)"
                    " VALUES (1, ?, ?, ?)",
                    (wrapped, kid, now()),
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
                (wrap(new, data_key, "data key"), key_id(new), now()),
            )
        self._db.dialect.purge(self._db, "mediation_store_key")
        return key_id(old), key_id(new)

    def _open(self, wrapped: bytes, store_key: bytes, expected: str) -> bytes:
        try:
            return unwrap(store_key, wrapped, "data key")
        except (InvalidTag, ValueError):
            message = (
                f"the store key {key_id(store_key)} does not open this store "
                f"(it was encrypted with key {expected})"
            )
            raise StoreKeyError(message) from None

    def _holds_keys(self) -> bool:
        return self._db.dialect.has_table(self._db, _TABLE) and bool(
            self._db.rows(f"SELECT 1 FROM {_TABLE} LIMIT 1")  # noqa: S608 - our name
        )
