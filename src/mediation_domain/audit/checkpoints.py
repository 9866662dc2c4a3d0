r"""Checkpoints as C2SP signed notes (c2sp.org/signed-note, c2sp.org/tlog-checkpoint, v1.0.0).

A checkpoint's text is three lines, then any extension lines:

    <origin>\n<tree size in decimal>\n<root hash, base64>\n

and a signed note is that text, a blank line, and one line per signature:

    — <key name> <base64(4-byte key id || Ed25519 signature of the text)>\n

The key id is the first four bytes of SHA-256(key name || 0x0A || 0x01 || public key).
Parsing is strict: anything the formats do not allow is a NoteError naming what.
Signing and checking signatures are ports (`NoteSigner`, `NoteVerifier`): the core names
no cryptographic library.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping, Sequence
from typing import Protocol

import attrs

from mediation_domain.audit.merkle import HASH_SIZE

ED25519 = 0x01  # the signature type byte of a log's Ed25519 key
COSIGNATURE = 0x04  # of a witness's Ed25519 cosignature (c2sp.org/tlog-cosignature, v1)
MOST_SIGNATURES = 100
_DASH = "\u2014 "  # em dash, space: how a signature line starts
_ID_BYTES = 4


class NoteError(ValueError):
    """A note or checkpoint that breaks its format: the message says where, in one line."""


def key_id(name: str, public_key: bytes, kind: int = ED25519) -> bytes:
    """The 4-byte id of a key: SHA-256(name || 0x0A || type || public key)[:4]."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([kind]) + public_key).digest()[:4]


def cosigned_message(text: str, timestamp: int) -> bytes:
    """What a witness signs: that as of `timestamp`, the log's checkpoint `text` holds."""
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


def check_key_name(name: str) -> str:
    """`name` if it may name a key (non-empty, no space, no '+'); else NoteError."""
    if not name or "+" in name or any(c.isspace() for c in name):
        message = f"invalid key name {name!r}: it must be non-empty, without spaces or '+'"
        raise NoteError(message)
    return name


class NoteSigner(Protocol):
    """Signs notes with one key (Ed25519 in mediation_adapters.security)."""

    @property
    def name(self) -> str:
        """The key's name."""
        ...

    @property
    def key_id(self) -> bytes:
        """The key's 4-byte id."""
        ...

    def sign(self, message: bytes) -> bytes:
        """The signature of `message`."""
        ...


class NoteVerifier(Protocol):
    """Checks one key's signatures on notes."""

    @property
    def name(self) -> str:
        """The key's name."""
        ...

    @property
    def key_id(self) -> bytes:
        """The key's 4-byte id."""
        ...

    def is_valid(self, signature: bytes, message: bytes) -> bool:
        """True when `signature` signs `message` with this key."""
        ...


@attrs.frozen
class NoteSignature:
    """One signature line of a note: the key's name and id, and the signature."""

    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        """The signature line, newline included."""
        blob = base64.b64encode(self.key_id + self.signature).decode()
        return f"{_DASH}{self.name} {blob}\n"


@attrs.frozen
class SignedNote:
    """A note's text (ending in a newline) and its signatures, in order."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def render(self) -> str:
        """The signed note as it is written."""
        return self.text + "\n" + "".join(s.line() for s in self.signatures)

    @classmethod
    def parse(cls, note: str) -> SignedNote:
        """The note `note` holds; NoteError if it breaks the signed-note format."""
        _check_text(note)
        split = note.rfind("\n\n")
        if split < 0:
            message = "a signed note needs a blank line between its text and its signatures"
            raise NoteError(message)
        text, lines = note[: split + 1], note[split + 2 :]
        if not lines.endswith("\n"):
            message = "a signed note ends with a signature line and a newline"
            raise NoteError(message)
        found = lines[:-1].split("\n")
        if len(found) > MOST_SIGNATURES:
            message = f"a note has at most {MOST_SIGNATURES} signatures, not {len(found)}"
            raise NoteError(message)
        return cls(text, tuple(_signature(line) for line in found))

    def sign(self, signer: NoteSigner) -> SignedNote:
        """The note with `signer`'s signature added (replacing that key's own, if any).

        NoteError for a text the format does not allow (empty, without its final newline,
        with a control character): what is signed must parse.
        """
        _check_text(self.text)
        if not self.text.endswith("\n") or self.text == "\n":
            message = "a note's text is not empty and ends with a newline"
            raise NoteError(message)
        kept = [s for s in self.signatures if (s.name, s.key_id) != (signer.name, signer.key_id)]
        mine = NoteSignature(signer.name, signer.key_id, signer.sign(self.text.encode()))
        return SignedNote(self.text, (*kept, mine))

    def verified_by(self, trusted: Sequence[NoteVerifier]) -> tuple[list[str], list[str]]:
        """The keys (`name+id`) whose signature holds, among `trusted`; and the unknown ones.

        A trusted key's signature that does not verify is a NoteError: the note was
        altered, or signed by another key under that key's name and id. A note that no
        trusted key signed comes back with no verified key: the caller must refuse it
        (c2sp.org/signed-note), and can name the keys that did sign it.
        """
        keys: Mapping[tuple[str, bytes], NoteVerifier] = {(v.name, v.key_id): v for v in trusted}
        verified: list[str] = []
        unknown: list[str] = []
        for signature in self.signatures:
            verifier = keys.get((signature.name, signature.key_id))
            label = f"{signature.name}+{signature.key_id.hex()}"
            if verifier is None:
                unknown.append(label)
            elif not verifier.is_valid(signature.signature, self.text.encode()):
                message = f"the signature of key {label} does not verify: the note was altered"
                raise NoteError(message)
            elif label not in verified:
                verified.append(label)
        return verified, unknown


def _check_text(text: str) -> None:
    """NoteError unless `text` is valid UTF-8 with no control character but newlines."""
    try:
        text.encode()
    except UnicodeEncodeError:
        message = "a note is valid UTF-8 (this one holds a lone surrogate)"
        raise NoteError(message) from None
    for character in text:
        if (character < " " and character != "\n") or character == "\x7f":
            message = f"a note holds no control character, found {character!r}"
            raise NoteError(message)


def _signature(line: str) -> NoteSignature:
    if not line.startswith(_DASH):
        message = f"a signature line starts with an em dash and a space: {line[:40]!r}"
        raise NoteError(message)
    name, space, blob = line[len(_DASH) :].partition(" ")
    check_key_name(name)
    try:
        raw = base64.b64decode(blob, validate=True) if space else b""
    except binascii.Error:
        raw = b""
    if len(raw) <= _ID_BYTES:
        message = f"the signature of key {name!r} is not base64 of a key id and a signature"
        raise NoteError(message)
    return NoteSignature(name, raw[:_ID_BYTES], raw[_ID_BYTES:])


@attrs.frozen
class TreeHead:
    """A checkpoint's text: the log's origin, its size and its root hash."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        """The checkpoint's note text; NoteError for a tree head its format cannot state."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        text = "".join(f"{line}\n" for line in (*lines, *self.extensions))
        if TreeHead.parse(text) != self:  # a newline in the origin, a negative size...
            message = f"a tree head the checkpoint format cannot state: {self!r}"
            raise NoteError(message)
        return text

    @classmethod
    def parse(cls, text: str) -> TreeHead:
        """The tree head a checkpoint's text states; NoteError if it breaks the format."""
        _check_text(text)
        if not text.endswith("\n"):
            message = "a checkpoint's text ends with a newline"
            raise NoteError(message)
        lines = text[:-1].split("\n")
        if len(lines) < 3 or not all(lines):  # noqa: PLR2004 - origin, size, root
            message = "a checkpoint's text is at least three lines, none empty"
            raise NoteError(message)
        origin, size, root, *extensions = lines
        if (
            not size.isascii()
            or not size.isdigit()
            or (size != "0" and size.startswith("0"))
            or int(size) >= 1 << 64
        ):
            message = f"a checkpoint's size is a decimal number, not {size[:30]!r}"
            raise NoteError(message)
        try:
            digest = base64.b64decode(root, validate=True)
        except binascii.Error:
            digest = b""
        if len(digest) != HASH_SIZE or base64.b64encode(digest).decode() != root:
            message = f"a checkpoint's root hash is base64 of {HASH_SIZE} bytes, not {root[:50]!r}"
            raise NoteError(message)
        return cls(origin, int(size), digest, tuple(extensions))
