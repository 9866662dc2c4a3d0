"""Test kit for integrators: the store contract suite and Hypothesis strategies (needs pytest)."""

from mediation_domain.testing import strategies
from mediation_domain.testing.contract import MediationsContract, record_every_event

__all__ = ["MediationsContract", "record_every_event", "strategies"]
