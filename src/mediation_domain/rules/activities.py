"""Rules of the activities: rounds, watch reports, orientations, collective actions.

Pure functions over (the activity as it stands, the proposed event), like a case's rules:
commands run them before recording, the auditor's replay over what was stored.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, Protocol

from mediation_domain.activity_values import (
    FINAL_OUTCOMES,
    MAX_COUNT,
    MAX_ROUND_HOURS,
    ContactKind,
    OrientationOutcome,
    SharedItem,
)
from mediation_domain.errors import InvalidInputError, LifecycleError, quoted
from mediation_domain.rules.base import Violation
from mediation_domain.rules.sessions import CLOCK_TOLERANCE
from mediation_domain.values import InterventionDomain

# A round ends at most this long after the clock of the machine recording it says now.
ROUND_CLOCK_TOLERANCE = timedelta(minutes=5)
MAX_FOLLOW_UP_DAYS = 366  # a follow-up is due within a year of what it follows
MAX_TEAM = 20
_CONTACT_CODES = frozenset(kind.value for kind in ContactKind)
_DOMAIN_CODES = frozenset(domain.value for domain in InterventionDomain)


def _future(day: date, event: Any) -> bool:  # noqa: ANN401 - any dated event
    """True when `day` is after the day the event is recorded (a day's tolerance: zones)."""
    recorded: datetime = event.timestamp
    return day > (recorded + CLOCK_TOLERANCE).date()


def _invalid(rule: str, message: str) -> Violation:
    return Violation(rule, message, InvalidInputError)


# Rounds ----------------------------------------------------------------------------------


class RoundFacts(Protocol):
    """A RoundRecorded event."""

    started_at: datetime
    ended_at: datetime
    team: Collection[object]
    contacts: Mapping[str, int]
    observed: Mapping[str, int]
    timestamp: datetime


def round_ends_after_it_starts(_: None, event: RoundFacts) -> Violation | None:
    """A round ends after it starts, and lasts one stretch of presence (a long day at most)."""
    # In UTC: two times of one zone compare by their wall clocks, which a clock change
    # makes lie (02:30 on the spring-forward night is 03:30); stored, they compare in UTC.
    start, end = event.started_at.astimezone(UTC), event.ended_at.astimezone(UTC)
    if end <= start:
        ends, starts = event.ended_at.isoformat(), event.started_at.isoformat()
        message = f"the round ends ({ends}) when or before it starts ({starts})"
        return _invalid("round-ends-after-it-starts", message)
    if end - start > timedelta(hours=MAX_ROUND_HOURS):
        message = f"a round lasts {MAX_ROUND_HOURS} hours at most: record each stretch of presence"
        return _invalid("round-ends-after-it-starts", message)
    return None


def round_is_not_in_the_future(_: None, event: RoundFacts) -> Violation | None:
    """A round is recorded once it has ended."""
    if event.ended_at > event.timestamp + ROUND_CLOCK_TOLERANCE:
        ends = event.ended_at.isoformat()
        message = f"the round ends in the future ({ends}): record it once it has ended"
        return _invalid("round-is-not-in-the-future", message)
    return None


def round_has_a_team(_: None, event: RoundFacts) -> Violation | None:
    """A round is made by one mediator or more, each named once."""
    return _team(event.team, "round")


def counts_are_counts(_: None, event: RoundFacts) -> Violation | None:
    """Contacts by kind and situations by domain are whole numbers of known kinds."""
    for what, counts, known in (
        ("contacts", event.contacts, _CONTACT_CODES),
        ("observed", event.observed, _DOMAIN_CODES),
    ):
        for code, count in counts.items():
            if code not in known:
                message = (
                    f"unknown kind {code!r} in {what}; expected one of: {', '.join(sorted(known))}"
                )
                return _invalid("counts-are-counts", message)
            if not _is_count(count):
                message = f"{what} {code} must be {_COUNT}, not {_shown(count)}"
                return _invalid("counts-are-counts", message)
    return None


_COUNT = f"a whole number from 0 to {MAX_COUNT}"


def _shown(value: object) -> str:
    """A value refused as a count, shown short: a huge int is not printed in full."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**6:
        return "a number that large"
    return quoted(value if isinstance(value, str | int | float) else type(value).__name__)


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT


def _team(team: Collection[object], what: str) -> Violation | None:
    if not team or len(team) > MAX_TEAM:
        message = f"a {what}'s team names 1 to {MAX_TEAM} mediators, not {len(team)}"
        return _invalid("activity-has-a-team", message)
    if len(set(team)) != len(team):
        message = f"a {what}'s team names each mediator once"
        return _invalid("activity-has-a-team", message)
    return None


# Collective actions ----------------------------------------------------------------------


def action_is_plausible(_: None, event: Any) -> Violation | None:  # noqa: ANN401 - ActionHeld
    """An action is recorded once held; attendance is a count; partners and team are listed once."""
    if _future(event.held_on, event):
        return _invalid(
            "action-is-plausible", f"the action's date {event.held_on} is in the future"
        )
    if not _is_count(event.attendance):
        message = f"attendance must be {_COUNT}, not {_shown(event.attendance)}"
        return _invalid("action-is-plausible", message)
    if len(set(event.partners)) != len(event.partners):
        return _invalid("action-is-plausible", "each kind of partner is listed once")
    return _team(event.team, "collective action") if event.team else None


# Watch reports ---------------------------------------------------------------------------


class WatchState(Protocol):
    """What the rules read of a watch report."""

    reported_on: date
    acknowledged_on: date | None
    closed_on: date | None


def watch_report_is_dated(_: None, event: Any) -> Violation | None:  # noqa: ANN401 - WatchReported
    """A report is recorded once made: not dated in the future."""
    if _future(event.reported_on, event):
        return _invalid(
            "watch-dates-in-order", f"the report's date {event.reported_on} is in the future"
        )
    return None


def watch_report_is_open(report: WatchState, _: object) -> Violation | None:
    """Nothing is recorded on a report after the partner's answer closed it."""
    if report.closed_on is not None:
        message = f"the report was closed on {report.closed_on}: nothing more can be recorded on it"
        return Violation("watch-report-is-open", message, LifecycleError)
    return None


def watch_acknowledged_once(report: WatchState, _: object) -> Violation | None:
    """A partner acknowledges a report once."""
    if report.acknowledged_on is not None:
        message = f"the report was acknowledged on {report.acknowledged_on} already"
        return Violation("watch-acknowledged-once", message, LifecycleError)
    return None


def watch_dates_in_order(report: WatchState, event: Any) -> Violation | None:  # noqa: ANN401
    """A partner answers after the report (and its acknowledgement), not in the future."""
    day: date = getattr(event, "acknowledged_on", None) or event.closed_on
    if _future(day, event):
        return _invalid("watch-dates-in-order", f"the date {day} is in the future")
    before = report.acknowledged_on or report.reported_on
    if day < before:
        what = "acknowledgement" if report.acknowledged_on else "report"
        message = f"the date {day} is before the {what} ({before})"
        return _invalid("watch-dates-in-order", message)
    return None


# Orientations ----------------------------------------------------------------------------


class OrientationState(Protocol):
    """What the rules read of an orientation."""

    oriented_on: date
    last_contact_on: date
    outcome: OrientationOutcome | None

    @property
    def subjects(self) -> tuple[str, ...]:
        """The person's id, when named."""
        ...


def orientation_is_dated(_: None, event: Any) -> Violation | None:  # noqa: ANN401 - Oriented
    """An orientation is recorded once made, with its follow-up due within a year after it."""
    if _future(event.oriented_on, event):
        return _invalid(
            "orientation-is-dated", f"the orientation's date {event.oriented_on} is in the future"
        )
    return _next_date(event.oriented_on, event.follow_up_on, "orientation-is-dated")


def _next_date(after: date, due: date, rule: str) -> Violation | None:
    if due < after:
        return _invalid(rule, f"the follow-up date {due} is before {after}")
    if (due - after).days > MAX_FOLLOW_UP_DAYS:
        return _invalid(rule, f"the follow-up date {due} is more than a year after {after}")
    return None


def anonymous_person_shares_no_name(_: None, event: Any) -> Violation | None:  # noqa: ANN401
    """A name is kept for a named person only; an anonymous one has no name or contact to share."""
    if (event.person is None) != (event.name is None):
        message = "a named person has a pseudonymous id and a sealed name; an anonymous one neither"
        return _invalid("anonymous-person-shares-no-name", message)
    personal = {SharedItem.NAME, SharedItem.CONTACT} & set(event.shared)
    if event.person is None and personal:
        items = ", ".join(sorted(item.value for item in personal))
        message = f"an anonymous person has no {items} to share with the partner"
        return _invalid("anonymous-person-shares-no-name", message)
    return None


def shared_items_are_listed_once(_: None, event: Any) -> Violation | None:  # noqa: ANN401
    """What a person agreed to share is a list of items, each once."""
    if len(set(event.shared)) != len(event.shared):
        return _invalid("shared-items-are-listed-once", "each shared item is listed once")
    return None


def orientation_is_open(orientation: OrientationState, _: object) -> Violation | None:
    """Nothing is followed up after a final outcome settled the orientation."""
    if orientation.outcome in FINAL_OUTCOMES:
        message = (
            f"the orientation is settled ({orientation.outcome.value}): nothing more is followed up"
        )
        return Violation("orientation-is-open", message, LifecycleError)
    return None


def follow_up_is_plausible(orientation: OrientationState, event: Any) -> Violation | None:  # noqa: ANN401
    """A follow-up comes after the last contact, not in the future; in progress, sets the next."""
    day: date = event.followed_up_on
    if _future(day, event):
        return _invalid("follow-up-is-plausible", f"the follow-up date {day} is in the future")
    if day < orientation.last_contact_on:
        message = (
            f"the follow-up date {day} is before the last contact ({orientation.last_contact_on})"
        )
        return _invalid("follow-up-is-plausible", message)
    following = event.next_follow_up_on
    if event.outcome is OrientationOutcome.IN_PROGRESS:
        if following is None or following <= day:
            message = (
                "an orientation still in progress needs its next follow-up date, after this one"
            )
            return _invalid("follow-up-is-plausible", message)
        return _next_date(day, following, "follow-up-is-plausible")
    if following is not None:
        message = f"a {event.outcome.value} outcome settles the orientation: no next follow-up"
        return _invalid("follow-up-is-plausible", message)
    return None


def erased_person_belongs_to_orientation(
    orientation: OrientationState,
    event: Any,  # noqa: ANN401 - a PersonErased event
) -> Violation | None:
    """Only the orientation's own person is erased on it."""
    if event.subject not in orientation.subjects:
        message = f"{event.subject} is not the person of this orientation"
        return _invalid("erased-person-belongs-to-orientation", message)
    return None


# The intermediate archive ----------------------------------------------------------------


def archived_after_the_active_period(_: None, event: Any) -> Violation | None:  # noqa: ANN401
    """A record is archived once its active period, counted from its last contact, ended."""
    if event.kind not in {"case", "orientation"}:
        return _invalid("archived-after-the-active-period", f"no record kind {event.kind!r}")
    if event.active_until <= event.last_contact or event.timestamp < event.active_until:
        message = (
            f"a record last contacted {event.last_contact:%Y-%m-%d} is in active use until "
            f"{event.active_until:%Y-%m-%d}: it is archived after that"
        )
        return _invalid("archived-after-the-active-period", message)
    return None


def archive_read_by_a_coordinator(_: object, event: Any) -> Violation | None:  # noqa: ANN401
    """Only a coordinator reads an archived record (with a reason, which the event carries)."""
    if not event.by.startswith("coordinator:"):
        message = f"an archived record is read by a coordinator only, not {event.by}"
        return Violation("archive-read-by-a-coordinator", message, LifecycleError)
    return None
