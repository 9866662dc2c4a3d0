"""Every port on a SQL database: a store adapter gives a Dialect and its events' settings.

    bundle = SqlBundle(name, MyDialect(...), eventsourcing_settings, events_table="...")

`Dialect` says what differs between databases; `Database` is the connection the ports use;
`SqlKeyStore`, `SqlLedger` and `SqlProjectionStore` are the ports (`SqlProjectionStoreWithLog`
also reads where the log ends with a page); `SqlBundle` puts them together with encryption
at rest. See docs/how-to/write-a-store-adapter.md.
"""

from mediation_adapters.storage.sql.bundle import APPLICATION, SqlBundle
from mediation_adapters.storage.sql.database import Database, Dialect
from mediation_adapters.storage.sql.keys import SqlKeyStore, StoreKeys
from mediation_adapters.storage.sql.ledger import SqlLedger
from mediation_adapters.storage.sql.projections import (
    SqlProjectionStore,
    SqlProjectionStoreWithLog,
)

__all__ = [
    "APPLICATION",
    "Database",
    "Dialect",
    "SqlBundle",
    "SqlKeyStore",
    "SqlLedger",
    "SqlProjectionStore",
    "SqlProjectionStoreWithLog",
    "StoreKeys",
]
