"""The catalogue of which rules guard which event, and `violations`, which runs them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from mediation_domain.errors import LifecycleError
from mediation_domain.rules.activities import (
    action_is_plausible,
    anonymous_person_shares_no_name,
    archive_read_by_a_coordinator,
    archived_after_the_active_period,
    counts_are_counts,
    erased_person_belongs_to_orientation,
    follow_up_is_plausible,
    orientation_is_dated,
    orientation_is_open,
    round_ends_after_it_starts,
    round_has_a_team,
    round_is_not_in_the_future,
    shared_items_are_listed_once,
    watch_acknowledged_once,
    watch_dates_in_order,
    watch_report_is_dated,
    watch_report_is_open,
)
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
    # The activities: each its own aggregate, its events named apart from a case's.
    "RoundRecorded": (
        round_ends_after_it_starts,
        round_is_not_in_the_future,
        round_has_a_team,
        counts_are_counts,
    ),
    "ActionHeld": (action_is_plausible,),
    "WatchReported": (watch_report_is_dated,),
    "WatchAcknowledged": (watch_report_is_open, watch_acknowledged_once, watch_dates_in_order),
    "WatchClosed": (watch_report_is_open, watch_dates_in_order),
    "Oriented": (
        orientation_is_dated,
        anonymous_person_shares_no_name,
        shared_items_are_listed_once,
    ),
    "FollowedUp": (orientation_is_open, follow_up_is_plausible),
    "PersonErased": (erased_person_belongs_to_orientation,),
    # The intermediate archive: a record past its active period, and each read of it.
    "RecordArchived": (archived_after_the_active_period,),
    "ArchiveRead": (archive_read_by_a_coordinator,),
}

# The events that create their aggregate (a case, or an activity): recorded first, and only first.
CREATING = frozenset(
    {"Requested", "RoundRecorded", "ActionHeld", "WatchReported", "Oriented", "RecordArchived"}
)


def violations(case: CaseState | Any | None, event: object) -> list[Violation]:  # noqa: ANN401
    """Every rule `event` breaks when recorded on `case` (None before the case exists)."""
    name = type(event).__name__
    if (case is None) != (name in CREATING):
        where = "before its record was created" if case is None else "on an existing record"
        return [Violation("event-in-sequence", f"{name} recorded {where}", LifecycleError)]
    if case is not None and not belongs(case, event):
        message = f"{name} recorded on a {type(case).__name__}, which has no such event"
        return [Violation("event-in-sequence", message, LifecycleError)]
    found = [] if case is None else [v for v in (in_time_order(case.modified_on, event),) if v]
    for rule in RULES.get(name, ()):
        violation = rule(case, event)
        if violation is not None:
            found.append(violation)
    return found


def owner_of(name: str) -> str | None:
    """The aggregate that records events of that name (MediationCase, Orientation, ...)."""
    return _OWNERS.get(name)


def belongs(record: object, event: object) -> bool:
    """True unless `event` is another aggregate's (a forged history): its rules would misread."""
    owner = _OWNERS.get(type(event).__name__)
    kind = type(record).__name__
    return owner is None or kind == owner or kind not in _AGGREGATES  # stand-ins are trusted


# Which aggregate records each event, by name.
_ACTIVITY_EVENTS = {
    "ProximityRound": ("RoundRecorded",),
    "CollectiveAction": ("ActionHeld",),
    "WatchReport": ("WatchReported", "WatchAcknowledged", "WatchClosed"),
    "Orientation": ("Oriented", "FollowedUp", "PersonErased"),
    "ArchivedRecord": ("RecordArchived", "ArchiveRead"),
}
_OWNERS = {name: owner for owner, names in _ACTIVITY_EVENTS.items() for name in names}
_OWNERS.update({name: "MediationCase" for name in RULES if name not in _OWNERS})
_AGGREGATES = frozenset(_OWNERS.values())


def enforce(case: CaseState | Any | None, event: object) -> None:  # noqa: ANN401
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
