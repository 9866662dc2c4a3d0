"""Ed25519 keys of signed notes (C2SP), in their text forms, with the `cryptography` package.

A verifier key reads `<name>+<key id, 8 hex digits>+<base64(type || public key)>`; a signer
key `PRIVATE+KEY+<name>+<key id>+<base64(type || 32-byte seed)>` (golang.org/x/mod's
sumdb/note form, which other tools read). The type is 0x01 for a log's key, 0x04 for a
witness's (its signatures are timestamped cosignatures, c2sp.org/tlog-cosignature). The
key id must be the one the name and the key give: a key copied under another name or id
is refused.
"""

from __future__ import annotations

import base64
import binascii
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from mediation_adapters.security.signing import Ed25519Check, read_key, write_pair
from mediation_domain import InvalidInputError
from mediation_domain.audit.checkpoints import (
    COSIGNATURE,
    ED25519,
    NoteError,
    check_key_name,
    cosigned_message,
    key_id,
)
from mediation_domain.errors import quoted

_PRIVATE = "PRIVATE+KEY+"
_KEY_BYTES = 32
_KINDS = (ED25519, COSIGNATURE)
_TIME_BYTES = 8
_LATEST = (1 << 63) - 1  # the latest timestamp a cosignature may carry


class NoteKeyError(InvalidInputError):
    """A key in text form that is malformed, of another kind, or whose id does not match."""


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


class NoteVerifierKey:
    """A log's public key (ED25519), or a witness's (COSIGNATURE): checks its signatures.

    A witness's signature is a timestamp (8 bytes, big-endian) and the signature of
    `cosigned_message`: it says the checkpoint held at that time.
    """

    def __init__(self, name: str, public: Ed25519PublicKey, kind: int = ED25519) -> None:
        self.name, self.kind = check_key_name(name), kind
        self.public_bytes = _raw(public)
        self.key_id = key_id(name, self.public_bytes, kind)
        self._check = Ed25519Check(public)

    def is_valid(self, signature: bytes, message: bytes) -> bool:
        """True when `signature` signs `message` (a note's text) with this key."""
        if self.kind == COSIGNATURE:
            if len(signature) <= _TIME_BYTES:
                return False
            timestamp = int.from_bytes(signature[:_TIME_BYTES], "big")
            if timestamp > _LATEST:  # tlog-cosignature: MUST NOT exceed 2^63 - 1
                return False
            signature = signature[_TIME_BYTES:]
            message = cosigned_message(message.decode(), timestamp)
        return self._check.is_valid(signature, message)

    def text(self) -> str:
        """The key as a line of text, for auditors' files of trusted keys."""
        blob = base64.b64encode(bytes([self.kind]) + self.public_bytes).decode()
        return f"{self.name}+{self.key_id.hex()}+{blob}"

    @classmethod
    def parse(cls, text: str) -> NoteVerifierKey:
        """The key `text` gives; NoteKeyError if it is not an Ed25519 verifier key."""
        name, identifier, kind, raw = _parts(text, "verifier key")
        key = cls(name, Ed25519PublicKey.from_public_bytes(raw), kind)
        _same_id(key.key_id, identifier, text)
        return key


class NoteSignerKey:
    """A log's private key: signs notes. Its text is a secret: keep it out of the store."""

    def __init__(
        self,
        name: str,
        private: Ed25519PrivateKey,
        kind: int = ED25519,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """A key; a witness's (COSIGNATURE) stamps what it signs with `clock`'s time."""
        self._private, self._clock = private, clock
        self.verifier = NoteVerifierKey(name, private.public_key(), kind)
        self.name, self.key_id, self.kind = self.verifier.name, self.verifier.key_id, kind

    @classmethod
    def generate(cls, name: str, kind: int = ED25519) -> NoteSignerKey:
        """A new key named `name`."""
        return cls(name, Ed25519PrivateKey.generate(), kind)

    def sign(self, message: bytes) -> bytes:
        """The signature of `message` (a note's text); a witness's, with its time first."""
        if self.kind != COSIGNATURE:
            return self._private.sign(message)
        timestamp = int(self._clock())  # whole seconds since 1970
        if not 0 <= timestamp <= _LATEST:
            refusal = f"a witness cannot sign at time {timestamp}: its clock is wrong"
            raise NoteKeyError(refusal)
        signed = self._private.sign(cosigned_message(message.decode(), timestamp))
        return timestamp.to_bytes(_TIME_BYTES, "big") + signed

    def text(self) -> str:
        """The private key as a line of text (a secret)."""
        seed = self._private.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        blob = base64.b64encode(bytes([self.kind]) + seed).decode()
        return f"{_PRIVATE}{self.name}+{self.key_id.hex()}+{blob}"

    @classmethod
    def parse(cls, text: str, clock: Callable[[], float] = time.time) -> NoteSignerKey:
        """The key `text` gives; NoteKeyError if it is not an Ed25519 signer key."""
        if not text.startswith(_PRIVATE):
            message = f"a signer key starts with {_PRIVATE}: this is not one"
            raise NoteKeyError(message)
        name, identifier, kind, seed = _parts(text[len(_PRIVATE) :], "signer key")
        key = cls(name, Ed25519PrivateKey.from_private_bytes(seed), kind, clock)
        _same_id(key.key_id, identifier, f"{name}+{identifier}")
        return key


def _parts(text: str, what: str) -> tuple[str, str, int, bytes]:
    """(name, key id as written, kind, 32 key bytes) of `name+id+base64(kind || key)`."""
    name, _, rest = text.strip().partition("+")
    identifier, _, blob = rest.partition("+")
    try:
        check_key_name(name)
        raw = base64.b64decode(blob, validate=True)
    except (NoteError, binascii.Error):
        raw = b""
    if len(identifier) != 8 or len(raw) != 1 + _KEY_BYTES or raw[0] not in _KINDS:  # noqa: PLR2004
        message = f"not an Ed25519 {what} (name+id+base64 key): {quoted(text[:30])}"
        raise NoteKeyError(message)
    return name, identifier, raw[0], raw[1:]


def _same_id(computed: bytes, written: str, text: str) -> None:
    if computed.hex() != written:  # lowercase hex, as written by keys of this form
        message = f"the key {quoted(text[:40])} does not have the id its name and key give"
        raise NoteKeyError(message)


def generate_note_keys(
    private_path: Path, public_path: Path, name: str, kind: int = ED25519
) -> NoteSignerKey:
    """A new key named `name`, written to two new files (the private one owner-only)."""
    try:
        key = NoteSignerKey.generate(name, kind)
    except NoteError as error:
        raise NoteKeyError(str(error)) from None
    write_pair(
        private_path,
        (key.text() + "\n").encode(),
        public_path,
        (key.verifier.text() + "\n").encode(),
    )
    return key


def load_signer_key(path: Path) -> NoteSignerKey:
    """The signer key in the file `path`: one line, the key's text (a final newline aside)."""
    text = _text(path, "private key")
    if text.startswith("-----BEGIN"):
        message = (
            f"{path} is a key of audit format 1: make a key of format 2 with "
            "`mediation audit keygen --name ORIGIN` (format 1 keys still verify old exports)"
        )
        raise NoteKeyError(message)
    return NoteSignerKey.parse(text.strip())


def load_verifier_keys(paths: Sequence[Path], kind: int = ED25519) -> list[NoteVerifierKey]:
    """The verifier keys of `kind` in the files `paths` (a key a line; blank and # lines skipped).

    A file of trusted keys holds every key a log was sealed with over time (rotation).
    """
    keys = []
    for path in paths:
        for text in _text(path, "public key").splitlines():
            if text.strip() and not text.lstrip().startswith("#"):
                key = NoteVerifierKey.parse(text)
                if key.kind != kind:
                    what = "a witness's" if key.kind == COSIGNATURE else "a log's"
                    message = f"{path}: the key {key.name}+{key.key_id.hex()} is {what} key"
                    raise NoteKeyError(message)
                keys.append(key)
    if not keys:
        message = f"no key in {', '.join(map(str, paths))}"
        raise NoteKeyError(message)
    return keys


def _text(path: Path, what: str) -> str:
    try:
        return read_key(path, what).decode()
    except UnicodeDecodeError:
        message = f"{path} is not a key in text form (see mediation audit keygen)"
        raise NoteKeyError(message) from None
