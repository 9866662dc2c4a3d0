"""The operator's store key: a file of its own, never in the database (encryption at rest).

The data key it wraps, and the subjects' keys, are kept by the store
(`mediation_adapters.storage.sql.keys`).
"""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mediation_adapters.config import (
    STORE_KEY_FILE_VARIABLE,
    STORE_KEY_VARIABLE,
    parse_store_key,
    read_store_key,
)
from mediation_adapters.security.files import SecretFileError, create_new
from mediation_adapters.storage.errors import StoreKeyError
from mediation_adapters.storage.sql.keys import key_id
from mediation_domain.privacy import KEY_BYTES

__all__ = [
    "STORE_KEY_FILE_VARIABLE",
    "STORE_KEY_VARIABLE",
    "StoreKeyError",
    "key_id",
    "new_store_key",
    "parse_store_key",
    "read_store_key",
]


def new_store_key(path: Path) -> str:
    """Write a new random store key to `path` (mode 0600, never overwritten); its key id."""
    key = AESGCM.generate_key(KEY_BYTES * 8)
    try:
        create_new(path, base64.b64encode(key) + b"\n", "store key")
    except SecretFileError as error:
        raise StoreKeyError(error.message) from None
    return key_id(key)
