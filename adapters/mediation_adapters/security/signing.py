"""Ed25519 keys for audit checkpoints (the `cryptography` package)."""

from __future__ import annotations

import hashlib
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from mediation_adapters.security.files import READABLE, SecretFileError, create_new, distinct
from mediation_domain import InvalidInputError


class AuditKeyError(InvalidInputError):
    """A key file is missing, unreadable or not an Ed25519 key."""


def _fingerprint(public: Ed25519PublicKey) -> str:
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]


class Ed25519Signer:
    """Signs checkpoints with a private key that never enters the event store."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private
        self.key_id = _fingerprint(private.public_key())

    def sign(self, message: bytes) -> bytes:
        """The Ed25519 signature of `message`."""
        return self._private.sign(message)


class Ed25519Check:
    """Checks checkpoint signatures with the public key alone."""

    def __init__(self, public: Ed25519PublicKey) -> None:
        self._public = public
        self.key_id = _fingerprint(public)

    def is_valid(self, signature: bytes, message: bytes) -> bool:
        """True when `signature` signs `message` with this key."""
        try:
            self._public.verify(signature, message)
        except InvalidSignature:
            return False
        return True


def generate_keys(private_path: Path, public_path: Path) -> str:
    """Write a new key pair (private key readable by its owner only); return the fingerprint.

    Two new files: an existing path, a symbolic link (dangling or not) or one path for both
    keys is refused before anything is written.
    """
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    write_pair(private_path, pem, public_path, public)
    return _fingerprint(private.public_key())


def write_pair(private_path: Path, private: bytes, public_path: Path, public: bytes) -> None:
    """Write a key pair to two new files, the private one readable by its owner only.

    An existing path, a symbolic link (dangling or not) or one path for both keys is
    refused before anything is written.
    """
    distinct(private_path, public_path)
    for path in (private_path, public_path):
        if path.exists() or path.is_symlink():
            message = f"{path} exists: refusing to overwrite a key"
            raise AuditKeyError(message)
    create_new(private_path, private, "private key")
    try:
        create_new(public_path, public, "public key", mode=READABLE)
    except SecretFileError:
        private_path.unlink()  # created just now: no half-made pair is left behind
        raise


def read_key(path: Path, what: str) -> bytes:
    """The bytes of the key file `path`; AuditKeyError naming the `what` if unreadable."""
    try:
        return path.read_bytes()
    except OSError as error:
        message = f"cannot read the {what} {path}: {error.strerror}"
        raise AuditKeyError(message) from None


def load_signer(path: Path) -> Ed25519Signer:
    """The signer whose private key is in the PEM file `path`."""
    pem = read_key(path, "private key")
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        message = f"{path} is not an unencrypted Ed25519 private key (see mediation audit keygen)"
        raise AuditKeyError(message)
    return Ed25519Signer(key)


def load_check(path: Path) -> Ed25519Check:
    """The signature check whose public key is in the PEM file `path`."""
    pem = read_key(path, "public key")
    try:
        key = serialization.load_pem_public_key(pem)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PublicKey):
        message = f"{path} is not an Ed25519 public key (see mediation audit keygen)"
        raise AuditKeyError(message)
    return Ed25519Check(key)
