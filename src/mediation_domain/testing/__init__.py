"""Test kit for integrators: the contract suites and Hypothesis strategies (needs pytest).

- `MediationsContract`: the application on a store (events, erasure, paging, concurrency);
- `KeyStoreContract`, `AuditLedgerContract`, `ProjectionStoreContract`: each port alone;
- `StoreBundleContract`: a whole store bundle, its ports and the log's order.
"""

from mediation_domain.testing import strategies
from mediation_domain.testing.contract import MediationsContract, record_every_event
from mediation_domain.testing.ports import (
    AuditLedgerContract,
    KeyStoreContract,
    ProjectionStoreContract,
)
from mediation_domain.testing.store import StoreBundleContract, largest_request

__all__ = [
    "AuditLedgerContract",
    "KeyStoreContract",
    "MediationsContract",
    "ProjectionStoreContract",
    "StoreBundleContract",
    "largest_request",
    "record_every_event",
    "strategies",
]
