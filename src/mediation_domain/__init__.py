"""Social mediation cases as event streams, with the deontology as invariants."""

from mediation_domain.application import CasePage, Mediations
from mediation_domain.case import MediationCase
from mediation_domain.case_values import Institution
from mediation_domain.errors import (
    CaseClosedError,
    CaseNotFoundError,
    ConcurrencyError,
    ConsentError,
    InvalidInputError,
    LifecycleError,
    MediationError,
    NeutralityError,
)
from mediation_domain.values import (
    POITIERS,
    CaseStatus,
    ConsentStatus,
    InterventionDomain,
    Neighbourhoods,
    Outcome,
    ReferralSource,
    SessionKind,
    WithdrawnBy,
)
from mediation_domain.views import CaseView, PartyView, SessionView

__all__ = [
    "POITIERS",
    "CaseClosedError",
    "CaseNotFoundError",
    "CasePage",
    "CaseStatus",
    "CaseView",
    "ConcurrencyError",
    "ConsentError",
    "ConsentStatus",
    "Institution",
    "InterventionDomain",
    "InvalidInputError",
    "LifecycleError",
    "MediationCase",
    "MediationError",
    "Mediations",
    "Neighbourhoods",
    "NeutralityError",
    "Outcome",
    "PartyView",
    "ReferralSource",
    "SessionKind",
    "SessionView",
    "WithdrawnBy",
]
