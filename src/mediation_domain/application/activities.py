"""The application's commands for the rest of a mediator's work: rounds, watch, orientations.

Each activity is its own aggregate in the same log as cases (mediation_domain.activities);
commands parse what callers pass, let the aggregate check its rules, seal what is
personal (an oriented person's name, for the person, bound to the orientation's id) and
save. Lists read the activity index.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError

from mediation_domain.activities import (
    PERSON_NAME,
    Activity,
    CollectiveAction,
    Orientation,
    ProximityRound,
    WatchReport,
)
from mediation_domain.activity_values import (
    AccessNeed,
    ActionKind,
    ContactKind,
    OrientationOutcome,
    PartnerKind,
    SharedItem,
    WatchAnswer,
    WatchKind,
)
from mediation_domain.application.activity_input import (
    _activity_id,
    _bus_line,
    _counts,
    _mediators,
    _moment,
    _on,
)
from mediation_domain.application.activity_reads import ActivityReads
from mediation_domain.application.interface import _items, _personal_text
from mediation_domain.archive import archive_id
from mediation_domain.case import MediationCase
from mediation_domain.clock import stamped_by
from mediation_domain.errors import CaseNotFoundError, LifecycleError
from mediation_domain.ports import Condition
from mediation_domain.privacy import Sealed
from mediation_domain.values import (
    MAX_NAME_LENGTH,
    InterventionDomain,
    MediatorId,
    Neighbourhoods,
    PartyId,
    ReasonCode,
)

if TYPE_CHECKING:
    from eventsourcing.application import Repository
    from eventsourcing.persistence import EventStore, Recording

    from mediation_domain.privacy import Sealer

_R = TypeVar("_R")
_P = ParamSpec("_P")
_PROBE = Sealed("", "probe", "")  # stands for a name while the rules run, never stored


def _stamped(
    command: Callable[Concatenate[Activities, _P], _R],
) -> Callable[Concatenate[Activities, _P], _R]:
    """The command stamps its events, and reads today, by the application's clock."""

    @functools.wraps(command)
    def stamped(app: Activities, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with stamped_by(app.clock):
            return command(app, *args, **kwargs)

    return stamped


class Activities(ActivityReads):
    """The commands and reads of the activities, mixed into `Mediations`."""

    if TYPE_CHECKING:  # what Mediations provides

        def archived(self, records: Iterable[UUID]) -> set[UUID]:
            """Which records are in the intermediate archive (Archiving)."""

        neighbourhoods: Neighbourhoods
        sealer: Sealer
        clock: Callable[[], datetime] | None

        @property
        def repository(self) -> Repository[UUID]:
            """The aggregates' repository."""

        events: EventStore[UUID]

        def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:  # noqa: ANN401
            """Record the aggregates' new events."""

    # Commands -------------------------------------------------------------------------------

    @_stamped
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
    ) -> UUID:
        """Record a proximity round (on foot, or on a bus of `bus_line`); returns its id."""
        round_id = uuid4()
        self._record_new(
            ProximityRound.record(
                round_id=round_id,
                neighbourhood=self.neighbourhoods.canonical(neighbourhood),
                bus_line=_bus_line(bus_line),
                started_at=_moment(started_at, "start"),
                ended_at=_moment(ended_at, "end"),
                team=_mediators(team, "team"),
                contacts=_counts(contacts, ContactKind, "contacts"),
                observed=_counts(observed, InterventionDomain, "observed"),
            )
        )
        return round_id

    @_stamped
    def record_action(  # noqa: PLR0913 - an action has this many facts
        self,
        *,
        kind: ActionKind | str,
        domain: InterventionDomain | str,
        neighbourhood: str,
        attendance: int,
        held_on: date | str | None = None,
        partners: Sequence[str] = (),
        team: Sequence[str] = (),
    ) -> UUID:
        """Record a collective action held (today unless `held_on`); returns its id."""
        action_id = uuid4()
        self._record_new(
            CollectiveAction.record(
                action_id=action_id,
                kind=ActionKind.parse(kind),
                domain=InterventionDomain.parse(domain),
                neighbourhood=self.neighbourhoods.canonical(neighbourhood),
                held_on=_on(held_on, "action date"),
                attendance=attendance,
                partners=tuple(PartnerKind.parse(p) for p in _items(partners, "partners")),
                team=_mediators(team, "team"),
            )
        )
        return action_id

    @_stamped
    def report_watch(
        self,
        *,
        kind: WatchKind | str,
        domain: InterventionDomain | str,
        neighbourhood: str,
        partner: PartnerKind | str,
        reported_on: date | str | None = None,
    ) -> UUID:
        """Record a situation reported to a partner (today unless `reported_on`); its id."""
        report_id = uuid4()
        self._record_new(
            WatchReport.report(
                report_id=report_id,
                kind=WatchKind.parse(kind),
                domain=InterventionDomain.parse(domain),
                neighbourhood=self.neighbourhoods.canonical(neighbourhood),
                partner=PartnerKind.parse(partner),
                reported_on=_on(reported_on, "report date"),
            )
        )
        return report_id

    @_stamped
    def acknowledge_watch(
        self,
        report_id: UUID | str,
        *,
        on: date | str | None = None,
        expected_version: int | None = None,
    ) -> None:
        """Record the partner's acknowledgement of a report (today unless `on`)."""
        report = self._load_activity(WatchReport, report_id, expected_version)
        report.acknowledge(_on(on, "acknowledgement date"))
        self._save_activity(report)

    @_stamped
    def close_watch(
        self,
        report_id: UUID | str,
        *,
        answer: WatchAnswer | str,
        on: date | str | None = None,
        expected_version: int | None = None,
    ) -> None:
        """Record the partner's answer, which closes the report (today unless `on`)."""
        reply = WatchAnswer.parse(answer)
        report = self._load_activity(WatchReport, report_id, expected_version)
        report.close(_on(on, "answer date"), reply)
        self._save_activity(report)

    @_stamped
    def orient(  # noqa: PLR0913 - an orientation has this many facts
        self,
        *,
        by: str,
        need: AccessNeed | str,
        partner: PartnerKind | str,
        neighbourhood: str,
        follow_up_on: date | str,
        oriented_on: date | str | None = None,
        name: str = "",
        shared: Sequence[str] = (),
        case_id: UUID | str | None = None,
    ) -> UUID:
        """Orient a person to a partner; named (`name`, sealed) or anonymous. Returns its id.

        `shared` is what the person agreed the partner may receive; `case_id` the case the
        orientation comes from, which must exist.
        """
        orientation_id = uuid4()
        text = _personal_text(name, "name", limit=MAX_NAME_LENGTH, required=False)
        person = PartyId(f"person-{uuid4().hex[:12]}") if text else None
        facts: dict[str, Any] = {
            "by": MediatorId(by),
            "need": AccessNeed.parse(need),
            "partner": PartnerKind.parse(partner),
            "neighbourhood": self.neighbourhoods.canonical(neighbourhood),
            "oriented_on": _on(oriented_on, "orientation date"),
            "follow_up_on": _on(follow_up_on, "follow-up date"),
            "person": person,
            "shared": tuple(SharedItem.parse(item) for item in _items(shared, "shared")),
            "case": None if case_id is None else self._existing_case(case_id),
        }
        probe = None if person is None else _PROBE
        Orientation.orient(orientation_id=orientation_id, name=probe, **facts)  # rules first
        sealed = None
        if person is not None:
            record = str(orientation_id)
            sealed = self.sealer.seal_all(record, [(person.value, PERSON_NAME, text)])[0]
        self._record_new(Orientation.orient(orientation_id=orientation_id, name=sealed, **facts))
        return orientation_id

    @_stamped
    def follow_up(
        self,
        orientation_id: UUID | str,
        *,
        outcome: OrientationOutcome | str,
        on: date | str | None = None,
        next_on: date | str | None = None,
        expected_version: int | None = None,
    ) -> None:
        """Record a follow-up's outcome (today unless `on`); in progress, with `next_on`."""
        result = OrientationOutcome.parse(outcome)
        following = None if next_on is None else _on(next_on, "next follow-up date")
        orientation = self._load_activity(Orientation, orientation_id, expected_version)
        if self._has_archive_entry(orientation.id):  # one read by key, not an index catch-up
            message = (
                f"orientation {orientation.id} is in the archive (no contact for its active "
                "period): it is no longer followed up"
            )
            raise LifecycleError(message, rule="archived-records-are-not-followed-up")
        orientation.follow_up(_on(on, "follow-up date"), result, following)
        self._save_activity(orientation)

    # Internals ------------------------------------------------------------------------------

    def _has_archive_entry(self, record: UUID) -> bool:
        """Whether `record` was archived: its archive entry's first event, read by its id."""
        return any(True for _ in self.events.get(archive_id(record), limit=1))

    def _erase_person(self, subject: str, reason: ReasonCode) -> tuple[UUID, ...]:
        """Record PersonErased on each orientation naming `subject` (its key is deleted)."""
        found = list(self.activity_index.select([Condition("subject", "=", subject)]))
        orientations = [self._load_activity(Orientation, doc["id"]) for doc in found]
        for orientation in orientations:
            orientation.erase(subject, reason)
        changed = [o for o in orientations if o.pending_events]
        if changed:
            self.save(*changed)
        return tuple(orientation.id for orientation in orientations)

    def _record_new(self, activity: Activity) -> None:
        self.save(activity)

    def _save_activity(self, activity: Activity) -> None:
        if activity.pending_events:
            self.save(activity)

    def _existing_case(self, case_id: UUID | str) -> UUID:
        uuid = _activity_id(case_id, "case")
        try:
            found: object = self.repository.get(uuid)
        except AggregateNotFoundError:
            found = None
        if not isinstance(found, MediationCase):
            msg = f"no case {uuid}"
            raise CaseNotFoundError(msg)
        return uuid
