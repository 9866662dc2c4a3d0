"""Personal data in events: sealed values, the key-store port, AES-GCM sealing, retention periods.

Every personal value (a party's name or contact, a case's summary or session notes) is
sealed with a key that belongs to its data subject: the party, or the case for case-level
free text. Erasing a subject deletes its key: every value sealed for it becomes noise, in
the store, its backups and its exports alike, while the events themselves stay and replay.
"""

from __future__ import annotations

import base64
import binascii
import calendar
import os
import re
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

import attrs
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mediation_domain.errors import InvalidInputError, quoted
from mediation_domain.ports import KeyStore  # the port; still importable from here

ERASED = "[erased]"
ARCHIVED = "[archived]"  # a value of a record in the intermediate archive: read with a reason
SEALED = "[sealed]"  # a value whose key this reader does not hold (a copy, another scheme)
KEY_BYTES = 32
LEGACY_CLEAR = "clear"  # the scheme of values release 0.1 stored unencrypted
_NONCE_BYTES = 12


@attrs.frozen
class Sealed:
    """A personal value as stored in an event: whose it is, how it was sealed, the sealed text.

    The subject is the data subject (a party id, or the case id for case-level free text);
    erasing a subject makes every value sealed for it unreadable.
    """

    subject: str
    scheme: str
    text: str


class SubjectErasedError(InvalidInputError):
    """The data subject was erased: nothing more can be sealed for it."""


class SubjectNotFoundError(InvalidInputError, LookupError):
    """No case and no key knows that data subject."""


# Keys in memory ----------------------------------------------------------------------------


class MemoryKeyStore:
    """Keys in a dictionary: for a store that lives in memory too (tests, trials)."""

    def __init__(self) -> None:
        self._keys: dict[str, bytes | None] = {}
        self._lock = threading.Lock()

    def keys_for(self, subjects: Sequence[str]) -> dict[str, bytes]:
        """The subjects' keys, created on first use."""
        found = {}
        with self._lock:
            for subject in subjects:
                key = self._keys.setdefault(subject, AESGCM.generate_key(KEY_BYTES * 8))
                if key is None:
                    raise SubjectErasedError(erased_message(subject))
                found[subject] = key
        return found

    def keys(self, subjects: Iterable[str]) -> dict[str, bytes | None]:
        """The keys of the known subjects."""
        return {s: self._keys[s] for s in subjects if s in self._keys}

    def erase(self, subjects: Sequence[str]) -> set[str]:
        """Forget the keys; a tombstone remembers each erasure."""
        with self._lock:
            live = {subject for subject in subjects if self._keys.get(subject) is not None}
            self._keys.update(dict.fromkeys(subjects))
        return live

    def purge(self) -> bool:
        """Nothing lingers: a forgotten key is gone from the dictionary."""
        return True


def erased_message(subject: str) -> str:
    """Why nothing more can be sealed for `subject`, and what to do instead."""
    if _CASE_ID.fullmatch(subject):  # a case's own free text: its summary and notes
        return f"the personal data of case {subject} was erased: record its sessions without notes"
    return f"the personal data of {subject} was erased: record them under a new party id"


_CASE_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


# Sealing -----------------------------------------------------------------------------------


Sealing = tuple[str, str, str]  # (subject, field, plaintext) of one record
Opening = tuple[str, str, Sealed]  # (record, field, sealed value)


class Sealer(Protocol):
    """Seals personal values for storage and opens them for reading.

    A value is bound to its subject, to the record (aggregate id) it is stored in and to
    the field it fills there: moved anywhere else, it no longer opens.
    """

    def seal_all(self, record: str, values: Sequence[Sealing]) -> list[Sealed]:
        """Each (subject, field, plaintext) sealed for its subject in `record`, in order."""
        ...

    def open_all(self, values: Sequence[Opening]) -> list[str]:
        """The plaintexts of (record, field, value) triples.

        ERASED for an erased subject; SEALED when unreadable: no key, another scheme, or a
        value moved from another record or field.
        """
        ...

    def forget(self, subjects: Sequence[str]) -> set[str]:
        """Delete the subjects' keys; returns those that were live (not already erased)."""
        ...

    def purge(self) -> bool:
        """Push erased keys' old bytes out of the store's files; False while some linger."""
        ...

    def knows(self, subject: str) -> bool:
        """True when the key store has (or had, before an erasure) a key for `subject`."""
        ...


SCHEME = "aes-gcm-2"  # what is sealed now: AAD binds subject, field and record
SCHEME_V1 = "aes-gcm"  # the first scheme: AAD is the subject alone; read, never written


def associated_data(subject: str, field: str, record: str) -> bytes:
    """The authenticated data of a value sealed under SCHEME (docs/privacy.md gives it).

    The scheme's name, then subject, field and record, each UTF-8 with its length as two
    bytes, big-endian: no two different triples give the same bytes.
    """
    parts = [SCHEME.encode(), subject.encode(), field.encode(), record.encode()]
    return b"".join(len(part).to_bytes(2, "big") + part for part in parts)


class KeyedSealer:
    """AES-256-GCM under the subject's own key, bound to subject, record and field.

    The associated data makes each value open only where it was sealed: copied into
    another party's event, another field or another case, it reads SEALED. Values of
    SCHEME_V1 (bound to their subject only) stay readable; `mediation copy` seals them
    again under SCHEME.
    """

    scheme = SCHEME

    def __init__(self, keys: KeyStore) -> None:
        self.keys = keys

    def seal(self, subject: str, plaintext: str, *, record: str, field: str) -> Sealed:
        """Encrypt `plaintext` with a fresh nonce under the subject's key."""
        return self.seal_all(record, [(subject, field, plaintext)])[0]

    def seal_all(self, record: str, values: Sequence[Sealing]) -> list[Sealed]:
        """Seal each value, fetching (or creating) the subjects' keys in one go."""
        keys = self.keys.keys_for(list(dict.fromkeys(subject for subject, _, _ in values)))
        return [
            self._seal(subject, text, keys[subject], associated_data(subject, field, record))
            for subject, field, text in values
        ]

    def _seal(self, subject: str, plaintext: str, key: bytes, bound: bytes) -> Sealed:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), bound)
        return Sealed(subject, self.scheme, base64.b64encode(nonce + sealed).decode("ascii"))

    def open_all(self, values: Sequence[Opening]) -> list[str]:
        """Open `values`, reading each subject's key once."""
        keys = self.keys.keys({value.subject for _, _, value in values}) if values else {}
        return [self._open(value, keys, record, field) for record, field, value in values]

    def open(self, value: Sealed, *, record: str, field: str) -> str:
        """Open one value, sealed in `record`'s `field`."""
        return self._open(value, self.keys.keys((value.subject,)), record, field)

    def forget(self, subjects: Sequence[str]) -> set[str]:
        """Delete the subjects' keys in the key store, in one go."""
        return self.keys.erase(subjects)

    def purge(self) -> bool:
        """The key store's purge (`KeyStore.purge`)."""
        return self.keys.purge()

    def knows(self, subject: str) -> bool:
        """True when the key store has a key, or a tombstone, for `subject`."""
        return subject in self.keys.keys((subject,))

    def _open(self, value: Sealed, keys: dict[str, bytes | None], record: str, field: str) -> str:
        if value.subject in keys and keys[value.subject] is None:
            return ERASED
        if value.scheme == LEGACY_CLEAR:
            return value.text  # stored unencrypted by release 0.1: see `mediation copy`
        key = keys.get(value.subject)
        bound = {
            SCHEME: lambda: associated_data(value.subject, field, record),
            SCHEME_V1: value.subject.encode,
        }.get(value.scheme)
        if bound is None or key is None:
            return SEALED
        try:
            raw = base64.b64decode(value.text, validate=True)
            text = AESGCM(key).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], bound())
            return text.decode()
        except (binascii.Error, InvalidTag, ValueError):
            return SEALED


# Retention ---------------------------------------------------------------------------------

_PERIOD = re.compile(r"\s*(\d{1,4})\s*([ymwd])\s*")
_DAYS = {"w": 7, "d": 1}


@attrs.frozen
class RetentionPeriod:
    """How long personal data is kept after the last contact: 2y, 18m, 6w or 90d."""

    count: int
    unit: str

    @classmethod
    def parse(cls, text: str) -> RetentionPeriod:
        """Read '2y', '18m', '6w', '90d'; anything else is an InvalidInputError."""
        found = _PERIOD.fullmatch(text) if isinstance(text, str) else None
        if found is None or int(found[1]) == 0:
            message = (
                f"invalid period {quoted(text)}: expected a count and a unit, like 2y, 18m or 90d"
            )
            raise InvalidInputError(message)
        return cls(int(found[1]), found[2])

    def before(self, moment: datetime) -> datetime:
        """The moment this period before `moment` (calendar months and years)."""
        if self.unit in _DAYS:
            try:
                return moment - timedelta(days=self.count * _DAYS[self.unit])
            except OverflowError:
                message = f"a period of {self} reaches back before the year 1"
                raise InvalidInputError(message) from None
        months = self.count * (12 if self.unit == "y" else 1)
        year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
        if year < 1:
            message = f"a period of {self} reaches back before the year 1"
            raise InvalidInputError(message)
        last_day = calendar.monthrange(year, month + 1)[1]  # 31 March - 1m: 28 or 29 Feb
        return moment.replace(year=year, month=month + 1, day=min(moment.day, last_day))

    def after(self, moment: datetime) -> datetime:
        """The moment this period after `moment` (calendar months and years)."""
        if self.unit in _DAYS:
            return moment + timedelta(days=self.count * _DAYS[self.unit])
        months = self.count * (12 if self.unit == "y" else 1)
        year, month = divmod(moment.year * 12 + moment.month - 1 + months, 12)
        last_day = calendar.monthrange(year, month + 1)[1]  # 31 Jan + 1m: 28 or 29 Feb
        return moment.replace(year=year, month=month + 1, day=min(moment.day, last_day))

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"
