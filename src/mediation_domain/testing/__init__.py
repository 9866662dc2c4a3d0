"""Test kit for integrators: the contract suites and Hypothesis strategies (needs pytest).

- `MediationsContract`: the application on a store (events, erasure, paging, concurrency);
- `KeyStoreContract`, `AuditLedgerContract`, `ProjectionStoreContract`: each port alone;
- `StoreBundleContract`: a whole store bundle, its ports and the log's order.
"""

import pytest

# Installed, the suites are not test modules pytest rewrites: without this, a failing
# contract shows a bare AssertionError instead of the values compared.
pytest.register_assert_rewrite(
    "mediation_domain.testing.contract",
    "mediation_domain.testing.ports",
    "mediation_domain.testing.store",
)

from mediation_domain.testing import strategies  # noqa: E402 - after the rewrite is registered
from mediation_domain.testing.contract import (  # noqa: E402
    MediationsContract,
    record_every_activity,
    record_every_event,
)
from mediation_domain.testing.ports import (  # noqa: E402
    AuditLedgerContract,
    KeyStoreContract,
    ProjectionStoreContract,
)
from mediation_domain.testing.store import StoreBundleContract, largest_request  # noqa: E402

__all__ = [
    "AuditLedgerContract",
    "KeyStoreContract",
    "MediationsContract",
    "ProjectionStoreContract",
    "StoreBundleContract",
    "largest_request",
    "record_every_activity",
    "record_every_event",
    "strategies",
]
