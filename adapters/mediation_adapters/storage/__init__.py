"""Stores as plug-ins: the registry, and this project's memory, SQLite and PostgreSQL stores.

What a store adapter imports (docs/how-to/write-a-store-adapter.md): `StoreFactory`,
`StoreError` (and `redacted`, `first_line`) from here; for a SQL database, the toolkit in
`mediation_adapters.storage.sql`.
"""

from mediation_adapters.storage.errors import (
    StoreError,
    StoreKeyError,
    StoreModeError,
    first_line,
    redacted,
)
from mediation_adapters.storage.registry import StoreFactory, open_bundle, schemes

__all__ = [
    "StoreError",
    "StoreFactory",
    "StoreKeyError",
    "StoreModeError",
    "first_line",
    "open_bundle",
    "redacted",
    "schemes",
]
