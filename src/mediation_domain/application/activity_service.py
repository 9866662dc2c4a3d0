"""The service layer's calls for the activities: rounds, watch reports, orientations, actions.

As for cases, the policy is applied here and only here: a role is refused before anything
is read; a mediator records only work they took part in (they are in its team, or they
are the orienting mediator); an orientation is its mediator's, as a case is: another
mediator is answered as if it did not exist. Rounds, watch reports and collective actions
hold no personal data: any mediator may list them. An orientation's person's name is
opened for its mediator and the coordinator only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from mediation_domain.application.activity_input import _activity_id
from mediation_domain.authorisation import (
    Action,
    Decision,
    Principal,
    Role,
    authorise_recording_for,
    decide,
)
from mediation_domain.errors import CaseNotFoundError, InvalidInputError, quoted

if TYPE_CHECKING:
    from mediation_domain.application import Mediations

KINDS = ("round", "watch", "orientation", "action")


class ActivityDesk:
    """The activities' commands and reads for one principal (mixed into PrincipalService)."""

    if TYPE_CHECKING:
        principal: Principal
        _app: Mediations

        def require(self, action: Action) -> None:
            """Refuse a role that may never take `action`."""

    # Commands -------------------------------------------------------------------------------

    def record_round(  # noqa: PLR0913 - a round has this many facts
        self,
        *,
        neighbourhood: str,
        started_at: datetime | str,
        ended_at: datetime | str,
        team: Sequence[str],
        contacts: Mapping[str, int] | None = None,
        observed: Mapping[str, int] | None = None,
        bus_line: str | None = None,
    ) -> dict[str, Any]:
        """Record a proximity round; a mediator records the rounds they were on."""
        self.require(Action.RECORD_ACTIVITY)
        authorise_recording_for(self.principal, [str(m) for m in team], "rounds")
        found = self._app.record_round(
            neighbourhood=neighbourhood,
            started_at=started_at,
            ended_at=ended_at,
            team=team,
            contacts=contacts,
            observed=observed,
            bus_line=bus_line,
        )
        return self._app.get_activity(found)

    def record_action(  # noqa: PLR0913 - an action has this many facts
        self,
        *,
        kind: str,
        domain: str,
        neighbourhood: str,
        attendance: int,
        held_on: date | str | None = None,
        partners: Sequence[str] = (),
        team: Sequence[str] = (),
    ) -> dict[str, Any]:
        """Record a collective action held; a mediator records those they took part in."""
        self.require(Action.RECORD_ACTIVITY)
        authorise_recording_for(self.principal, [str(m) for m in team], "collective actions")
        found = self._app.record_action(
            kind=kind,
            domain=domain,
            neighbourhood=neighbourhood,
            attendance=attendance,
            held_on=held_on,
            partners=partners,
            team=team,
        )
        return self._app.get_activity(found)

    def report_watch(
        self,
        *,
        kind: str,
        domain: str,
        neighbourhood: str,
        partner: str,
        reported_on: date | str | None = None,
    ) -> dict[str, Any]:
        """Record a situation reported to a partner."""
        self.require(Action.RECORD_ACTIVITY)
        found = self._app.report_watch(
            kind=kind,
            domain=domain,
            neighbourhood=neighbourhood,
            partner=partner,
            reported_on=reported_on,
        )
        return self._app.get_activity(found)

    def acknowledge_watch(
        self, report_id: UUID | str, *, on: date | str | None = None
    ) -> dict[str, Any]:
        """Record the partner's acknowledgement of a report."""
        self.require(Action.RECORD_ACTIVITY)
        self._app.acknowledge_watch(report_id, on=on)
        return self._app.get_activity(report_id)

    def close_watch(
        self, report_id: UUID | str, *, answer: str, on: date | str | None = None
    ) -> dict[str, Any]:
        """Record the partner's answer, which closes the report."""
        self.require(Action.RECORD_ACTIVITY)
        self._app.close_watch(report_id, answer=answer, on=on)
        return self._app.get_activity(report_id)

    def orient(  # noqa: PLR0913 - an orientation has this many facts
        self,
        *,
        need: str,
        partner: str,
        neighbourhood: str,
        follow_up_on: date | str,
        by: str | None = None,
        oriented_on: date | str | None = None,
        name: str = "",
        shared: Sequence[str] = (),
        case_id: UUID | str | None = None,
    ) -> dict[str, Any]:
        """Orient a person to a partner: a mediator orients as themselves (`by` is them)."""
        self.require(Action.RECORD_ACTIVITY)
        if by is None:
            if self.principal.role is not Role.MEDIATOR:
                raise InvalidInputError("name the mediator who oriented the person (by)")
            by = self.principal.identity
        authorise_recording_for(self.principal, [by], "orientations")
        if case_id is not None and self.principal.role is Role.MEDIATOR:
            self._own_case(case_id)
        found = self._app.orient(
            by=by,
            need=need,
            partner=partner,
            neighbourhood=neighbourhood,
            follow_up_on=follow_up_on,
            oriented_on=oriented_on,
            name=name,
            shared=shared,
            case_id=case_id,
        )
        return self._app.get_activity(found)

    def follow_up(
        self,
        orientation_id: UUID | str,
        *,
        outcome: str,
        on: date | str | None = None,
        next_on: date | str | None = None,
    ) -> dict[str, Any]:
        """Record a follow-up of an orientation: its mediator's, or the coordinator's."""
        self._orientation(orientation_id)
        self._app.follow_up(orientation_id, outcome=outcome, on=on, next_on=next_on)
        return self._app.get_activity(orientation_id)

    # Reads ----------------------------------------------------------------------------------

    def list_activities(self, kind: str) -> list[dict[str, Any]]:
        """Every activity of `kind` the principal may see, in the order recorded."""
        self.require(Action.READ_ACTIVITIES)
        if kind not in KINDS:
            message = f"unknown activity {quoted(kind)}; expected one of: {', '.join(KINDS)}"
            raise InvalidInputError(message)
        mediator = self._own() if kind == "orientation" else None
        return list(self._app.activities(kind, mediator=mediator))

    def orientations_due(self, on: date | str | None = None) -> list[dict[str, Any]]:
        """Open orientations whose follow-up is due by `on` (today): a mediator's own."""
        self.require(Action.READ_ACTIVITIES)
        return self._app.orientations_due(on, mediator=self._own())

    def open_watch_reports(self) -> list[dict[str, Any]]:
        """The watch reports partners have not closed yet, oldest first."""
        self.require(Action.READ_ACTIVITIES)
        return self._app.open_watch_reports()

    def get_activity(self, activity_id: UUID | str) -> dict[str, Any]:
        """One activity's facts (an orientation: its mediator's, or the coordinator's)."""
        self.require(Action.READ_ACTIVITIES)
        found = self._app.get_activity(activity_id)
        if found["kind"] == "orientation":
            self._orientation(activity_id)
        return found

    def orientation_person(self, orientation_id: UUID | str) -> str | None:
        """The oriented person's name (None when anonymous): its mediator's or coordinator's."""
        self._orientation(orientation_id)
        return self._app.orientation_person(orientation_id)

    # Internals ------------------------------------------------------------------------------

    def _own(self) -> str | None:
        """The mediator filter of a list: a mediator's own orientations only."""
        return self.principal.identity if self.principal.role is Role.MEDIATOR else None

    def _orientation(self, orientation_id: UUID | str) -> None:
        """Refuse an orientation the principal may not follow (hidden: as if absent)."""
        self.require(Action.FOLLOW_UP)
        _activity_id(orientation_id, "orientation")  # a malformed id is named for what it is
        try:
            found = self._app.get_activity(orientation_id)
        except CaseNotFoundError:
            found = {}
        mediator = found.get("mediator") if found.get("kind") == "orientation" else object()
        if not found or decide(self.principal, Action.FOLLOW_UP, mediator) is not Decision.ALLOWED:
            message = f"no orientation {str(orientation_id).strip()}"
            raise CaseNotFoundError(message)

    def _own_case(self, case_id: UUID | str) -> None:
        """A mediator links an orientation to a case of their own only."""
        try:
            _, mediator = self._app.assignment(case_id)
        except CaseNotFoundError:
            mediator = None
        if mediator != self.principal.identity:
            msg = f"no case {str(case_id).strip()}"
            raise CaseNotFoundError(msg)
