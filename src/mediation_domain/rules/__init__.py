"""The deontology as pure functions over (case state, proposed event), for commands and audits.

A command runs `violations(case, event)` before recording `event` and raises the first one;
an auditor runs `review(history)` over stored events and sees every one. The rules read
the state through `CaseState` and events by their fields, so they import nothing but values.
"""

from mediation_domain.rules.base import CaseState, HasEventTime, Rule, Violation
from mediation_domain.rules.catalogue import RULES, enforce, violations
from mediation_domain.rules.lifecycle import (
    Erasure,
    HasStatus,
    case_is_open,
    erased_subject_belongs_to_case,
    resolution_follows_a_session,
)
from mediation_domain.rules.mediators import (
    Assignment,
    NamesAMediator,
    declaration_names_parties,
    mediator_is_not_a_party,
    one_mediator_at_a_time,
    ties_are_waived_by_every_party,
    withdrawing_mediator_is_assigned,
)
from mediation_domain.rules.parties import (
    HasParties,
    HasParty,
    NamesAParty,
    declaring_party_belongs_to_case,
    joining_party_id_is_not_a_case_id,
    joining_party_is_new,
    joining_party_is_not_the_mediator,
    refusal_is_not_a_withdrawal,
    request_has_parties,
    requested_party_ids_are_not_case_ids,
)
from mediation_domain.rules.replay import Finding, Replayable, review, review_positioned
from mediation_domain.rules.sessions import (
    CLOCK_TOLERANCE,
    Session,
    attendees_are_parties,
    attendees_consent,
    joint_session_has_every_partys_consent,
    session_date_is_plausible,
    session_has_a_mediator,
    session_kind_fits_attendees,
)

__all__ = [
    "CLOCK_TOLERANCE",
    "RULES",
    "Assignment",
    "CaseState",
    "Erasure",
    "Finding",
    "HasEventTime",
    "HasParties",
    "HasParty",
    "HasStatus",
    "NamesAMediator",
    "NamesAParty",
    "Replayable",
    "Rule",
    "Session",
    "Violation",
    "attendees_are_parties",
    "attendees_consent",
    "case_is_open",
    "declaration_names_parties",
    "declaring_party_belongs_to_case",
    "enforce",
    "erased_subject_belongs_to_case",
    "joining_party_id_is_not_a_case_id",
    "joining_party_is_new",
    "joining_party_is_not_the_mediator",
    "joint_session_has_every_partys_consent",
    "mediator_is_not_a_party",
    "one_mediator_at_a_time",
    "refusal_is_not_a_withdrawal",
    "request_has_parties",
    "requested_party_ids_are_not_case_ids",
    "resolution_follows_a_session",
    "review",
    "review_positioned",
    "session_date_is_plausible",
    "session_has_a_mediator",
    "session_kind_fits_attendees",
    "ties_are_waived_by_every_party",
    "violations",
    "withdrawing_mediator_is_assigned",
]
