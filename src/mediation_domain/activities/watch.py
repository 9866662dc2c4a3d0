"""A watch report: a situation a mediator reported to a partner, until the partner answers.

Social and technical watch: a broken door to the landlord, a gathering to the city, a
person in difficulty to a social service. No personal data: what, where, to whom, when.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from mediation_domain.activities.base import Activity
from mediation_domain.activity_values import PartnerKind, WatchAnswer, WatchKind, WatchStatus
from mediation_domain.values import InterventionDomain


class WatchReport(Activity):
    """A situation reported to a partner: reported, acknowledged, closed by their answer."""

    class WatchReported(Aggregate.Created):
        """A mediator reported a situation to a partner."""

        class_version = 1
        kind: WatchKind
        domain: InterventionDomain
        neighbourhood: str
        partner: PartnerKind
        reported_on: date

    class WatchAcknowledged(Activity.Event):
        """The partner acknowledged the report."""

        class_version = 1
        acknowledged_on: date

        def apply(self, report: WatchReport) -> None:
            """The report is acknowledged."""
            report.acknowledged_on = self.acknowledged_on

    class WatchClosed(Activity.Event):
        """The partner answered (fixed, planned, redirected, declined, or no answer); it closes."""

        class_version = 1
        closed_on: date
        answer: WatchAnswer

        def apply(self, report: WatchReport) -> None:
            """The report is closed with the partner's answer."""
            report.closed_on = self.closed_on
            report.answer = self.answer

    def __init__(
        self,
        kind: WatchKind,
        domain: InterventionDomain,
        neighbourhood: str,
        partner: PartnerKind,
        reported_on: date,
    ) -> None:
        self.kind = kind
        self.domain = domain
        self.neighbourhood = neighbourhood
        self.partner = partner
        self.reported_on = reported_on
        self.acknowledged_on: date | None = None
        self.closed_on: date | None = None
        self.answer: WatchAnswer | None = None

    @classmethod
    def report(cls, *, report_id: UUID, **facts: Any) -> WatchReport:  # noqa: ANN401 - the event's fields
        """Record a report made to a partner, or raise the first rule it breaks."""
        return cls._opened(cls.WatchReported, report_id, **facts)

    @property
    def status(self) -> WatchStatus:
        """Where the report stands."""
        if self.closed_on is not None:
            return WatchStatus.CLOSED
        return WatchStatus.REPORTED if self.acknowledged_on is None else WatchStatus.ACKNOWLEDGED

    def acknowledge(self, on: date) -> None:
        """Record the partner's acknowledgement."""
        self._record(self.WatchAcknowledged, acknowledged_on=on)

    def close(self, on: date, answer: WatchAnswer) -> None:
        """Record the partner's answer, which closes the report."""
        self._record(self.WatchClosed, closed_on=on, answer=answer)
