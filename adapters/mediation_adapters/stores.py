"""Where `open_store` and the store errors were first imported from; kept for those imports.

Stores are plug-ins now (`mediation_adapters.storage`), and the application is built by
the composition root (`mediation_adapters.bootstrap`).
"""

from mediation_adapters.bootstrap import open_store
from mediation_adapters.config import DEFAULT_STORE
from mediation_adapters.storage.errors import StoreError, StoreKeyError, StoreModeError, redacted

__all__ = [
    "DEFAULT_STORE",
    "StoreError",
    "StoreKeyError",
    "StoreModeError",
    "open_store",
    "redacted",
]
