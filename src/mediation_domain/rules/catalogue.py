"""The catalogue of which rules guard which event, and `violations`, which runs them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from mediation_domain.errors import LifecycleError
from mediation_domain.rules.base import CaseState, Rule, Violation
from mediation_domain.rules.lifecycle import (
    case_is_open,
    erased_subject_belongs_to_case,
    resolution_follows_a_session,
)
from mediation_domain.rules.mediators import (
    declaration_names_parties,
    mediator_is_not_a_party,
    one_mediator_at_a_time,
    ties_are_waived_by_every_party,
    withdrawing_mediator_is_assigned,
)
from mediation_domain.rules.parties import (
    declaring_party_belongs_to_case,
    joining_party_id_is_not_a_case_id,
    joining_party_is_new,
    joining_party_is_not_the_mediator,
    refusal_is_not_a_withdrawal,
    request_has_parties,
    requested_party_ids_are_not_case_ids,
)
from mediation_domain.rules.sessions import (
    attendees_are_parties,
    attendees_consent,
    joint_session_has_every_partys_consent,
    session_date_is_plausible,
    session_has_a_mediator,
    session_kind_fits_attendees,
)

RULES: Mapping[str, tuple[Rule, ...]] = {
    "Requested": (request_has_parties, requested_party_ids_are_not_case_ids),
    "PartyJoined": (
        case_is_open,
        joining_party_is_new,
        joining_party_is_not_the_mediator,
        joining_party_id_is_not_a_case_id,
    ),
    "MediatorAssigned": (
        case_is_open,
        one_mediator_at_a_time,
        declaration_names_parties,
        mediator_is_not_a_party,
        ties_are_waived_by_every_party,
    ),
    "MediatorWithdrew": (case_is_open, withdrawing_mediator_is_assigned),
    "ConsentGiven": (case_is_open, declaring_party_belongs_to_case),
    "ConsentWithdrawn": (case_is_open, declaring_party_belongs_to_case),
    "ConsentRefused": (case_is_open, declaring_party_belongs_to_case, refusal_is_not_a_withdrawal),
    "SessionHeld": (
        case_is_open,
        session_has_a_mediator,
        attendees_are_parties,
        session_kind_fits_attendees,
        attendees_consent,
        joint_session_has_every_partys_consent,
        session_date_is_plausible,
    ),
    "Withdrawn": (case_is_open,),
    "Resolved": (case_is_open, resolution_follows_a_session),
    # Erasure is a right that outlives the mediation: allowed on a closed case.
    "PersonalDataErased": (erased_subject_belongs_to_case,),
}


def violations(case: CaseState | None, event: object) -> list[Violation]:
    """Every rule `event` breaks when recorded on `case` (None before the case exists)."""
    name = type(event).__name__
    if (case is None) != (name == "Requested"):
        where = "before its case was requested" if case is None else "on an existing case"
        return [Violation("event-in-sequence", f"{name} recorded {where}", LifecycleError)]
    found = [] if case is None else [v for v in (in_time_order(case.modified_on, event),) if v]
    for rule in RULES.get(name, ()):
        violation = rule(case, event)
        if violation is not None:
            found.append(violation)
    return found


def enforce(case: CaseState | None, event: object) -> None:
    """Raise the first rule `event` breaks when recorded on `case`: a command's check."""
    found = violations(case, event)
    if found:
        raise found[0].to_error()


def in_time_order(last: datetime, event: object) -> Violation | None:
    """A case's events are recorded in time order: reports and as-of reads rely on it."""
    at: datetime = event.timestamp  # type: ignore[attr-defined]
    if at < last:
        message = f"recorded at {at.isoformat()}, before the case's last event ({last.isoformat()})"
        return Violation("events-in-time-order", message, LifecycleError)
    return None
