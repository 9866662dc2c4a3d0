"""Rules of a case's lifecycle: nothing after its closing, a resolution, an erasure."""

from __future__ import annotations

from typing import Protocol

from mediation_domain.errors import CaseClosedError, InvalidInputError, LifecycleError
from mediation_domain.rules.base import CaseState, Violation, listed_parties
from mediation_domain.values import CaseStatus

# The statuses of a closed case.
CLOSED = frozenset({CaseStatus.WITHDRAWN, CaseStatus.RESOLVED})


class HasStatus(Protocol):
    """Enough of a case to tell whether it is closed."""

    @property
    def status(self) -> CaseStatus:
        """Where the case stands."""
        ...


def case_is_open(case: HasStatus, _: object) -> Violation | None:
    """Nothing is recorded after the case was withdrawn or resolved."""
    if case.status in CLOSED:
        message = f"the case is {case.status.value}: nothing more can be recorded on it"
        return Violation("case-is-open", message, CaseClosedError)
    return None


def resolution_follows_a_session(case: CaseState, _: object) -> Violation | None:
    """A mediation is resolved only after at least one session was held."""
    if case.session_count == 0:
        message = "a case is resolved only after at least one session was held"
        return Violation("resolution-follows-a-session", message, LifecycleError)
    return None


# Erasure ---------------------------------------------------------------------------------


class Erasure(Protocol):
    """An erasure names its data subject."""

    @property
    def subject(self) -> str:
        """The case id or a party id."""
        ...


def erased_subject_belongs_to_case(case: CaseState, event: Erasure) -> Violation | None:
    """Only the case's own data subjects are erased on it."""
    if event.subject not in case.subjects:
        message = f"{event.subject} is neither this case nor one of its {listed_parties(case)}"
        return Violation("erased-subject-belongs-to-case", message, InvalidInputError)
    return None
