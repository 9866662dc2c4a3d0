"""The service layer: every edge (CLI, HTTP, a broker consumer, a future UI) acts through it.

    service = MediationService(mediations)           # reports: a ReportView's, by default a fold
    desk = service.for_principal(Principal(Role.MEDIATOR, "med-1"))
    done = desk.give_consent(case_id, party="p-1")   # a Recorded: the case as they may see it

It is the one place that applies the policy of `mediation_domain.authorisation`:
- a role is refused (NotAllowedError) before anything is read;
- a case is decided on from its mediator alone, before any personal value is opened; a
  case the principal may not see is answered as one that does not exist (CaseNotFoundError);
- a command acts on the version that was checked: a case changed in between (reassigned,
  say) is a ConcurrencyError, never a command recorded on someone else's case; with
  `expected_version`, on that version only (StaleVersionError otherwise);
- after a command, the case is shown as the principal may see it: a mediator who has just
  withdrawn sees the case as their own step left it, no later.

Edges parse, call one method, print. Work that is not a case command (an export, keys,
tokens, copies) is declared with the permission it needs and checked by `require`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING
from uuid import UUID

import attrs

from mediation_domain.application.access import Access, Recorded, ReportSource, require
from mediation_domain.application.activity_service import ActivityDesk
from mediation_domain.authorisation import (
    Action,
    Principal,
    authorise_speaking_for,
)

__all__ = ["MediationService", "PrincipalService", "Recorded", "require"]

if TYPE_CHECKING:
    from mediation_domain.application import Erasure, Mediations, RetentionDue
    from mediation_domain.application.archiving import ArchiveDue
    from mediation_domain.privacy import RetentionPeriod
    from mediation_domain.values import (
        InterventionDomain,
        Outcome,
        ReferralSource,
        SessionKind,
        WithdrawnBy,
    )
    from mediation_domain.views import CaseView


class MediationService:
    """The application behind its policy: `for_principal` gives what one user may call."""

    def __init__(self, mediations: Mediations, *, reports: ReportSource | None = None) -> None:
        """`reports` computes a report (e.g. a ReportView's `report`); a fold by default."""
        self.mediations = mediations
        self.reports: ReportSource = reports or mediations.report

    def for_principal(self, principal: Principal) -> PrincipalService:
        """Every command and query, as `principal` may call them."""
        return PrincipalService(self.mediations, self.reports, principal)


class PrincipalService(ActivityDesk, Access):
    """The commands and queries of the service, authorised for one principal."""

    # Commands -------------------------------------------------------------------------------

    def request_mediation(  # noqa: PLR0913 - a request has this many facts
        self,
        *,
        domain: InterventionDomain | str,
        neighbourhood: str,
        referral: ReferralSource | str,
        parties: Sequence[str],
        summary: str = "",
        party_ids: Sequence[str] | None = None,
        contacts: Sequence[str] | None = None,
        institutions: Sequence[tuple[str, str] | None] | None = None,
    ) -> Recorded:
        """Open a case (Mediations.request_mediation); chosen `party_ids` need that right."""
        self.require(Action.REQUEST)
        if party_ids is not None:
            self.require(Action.NAME_PARTY_IDS)
        case_id = self._app.request_mediation(
            domain=domain,
            neighbourhood=neighbourhood,
            referral=referral,
            parties=parties,
            summary=summary,
            party_ids=party_ids,
            contacts=contacts,
            institutions=institutions,
        )
        return Recorded(self._app.get_case(case_id), recorded=True)

    def join_party(  # noqa: PLR0913 - a party has this many facts
        self,
        case_id: UUID | str,
        *,
        name: str,
        party_id: str | None = None,
        contact: str = "",
        institution: tuple[str, str] | None = None,
        expected_version: int | None = None,
    ) -> Recorded:
        """Add a party (a person, or an `institution` (kind, name) its `name` represents).

        A chosen `party_id` is the coordinator's (others get generated ids).
        """
        if party_id is not None:
            self.require(Action.NAME_PARTY_IDS)  # the role: refused before the case is read
        added: list[str] = []

        def join(case: UUID, **facts: object) -> None:
            added.append(self._app.join_party(case, **facts))  # type: ignore[arg-type]

        facts = {"name": name, "party_id": party_id, "contact": contact, "institution": institution}
        done = self._on_case(Action.ACT_ON_CASE, case_id, expected_version, join, **facts)
        return attrs.evolve(done, party=added[0])

    def assign_mediator(
        self,
        case_id: UUID | str,
        *,
        mediator: str,
        ties: Sequence[str] = (),
        waived_by: Sequence[str] = (),
        expected_version: int | None = None,
    ) -> Recorded:
        """Assign a mediator (the coordinator's), with their declared ties and the waivers."""
        return self._on_case(
            Action.ASSIGN,
            case_id,
            expected_version,
            self._app.assign_mediator,
            mediator=mediator,
            ties=ties,
            waived_by=waived_by,
        )

    def withdraw_mediator(
        self,
        case_id: UUID | str,
        *,
        mediator: str,
        reason: str,
        expected_version: int | None = None,
    ) -> Recorded:
        """A mediator's refusal or withdrawal: a mediator speaks for themselves only."""
        authorise_speaking_for(self.principal, mediator)
        return self._on_case(
            Action.MEDIATOR_WITHDRAWS,
            case_id,
            expected_version,
            self._app.withdraw_mediator,
            mediator=mediator,
            reason=reason,
        )

    def give_consent(
        self, case_id: UUID | str, *, party: str, expected_version: int | None = None
    ) -> Recorded:
        """A party's free consent (`recorded` False when it is live already)."""
        return self._on_case(
            Action.ACT_ON_CASE, case_id, expected_version, self._app.give_consent, party=party
        )

    def withdraw_consent(
        self, case_id: UUID | str, *, party: str, expected_version: int | None = None
    ) -> Recorded:
        """A party revokes their consent (`recorded` False when none is live)."""
        return self._on_case(
            Action.ACT_ON_CASE, case_id, expected_version, self._app.withdraw_consent, party=party
        )

    def refuse_consent(
        self, case_id: UUID | str, *, party: str, expected_version: int | None = None
    ) -> Recorded:
        """A party declines (`recorded` False when their refusal is recorded already)."""
        return self._on_case(
            Action.ACT_ON_CASE, case_id, expected_version, self._app.refuse_consent, party=party
        )

    def hold_session(  # noqa: PLR0913 - a session has this many facts
        self,
        case_id: UUID | str,
        *,
        kind: SessionKind | str,
        attendees: Sequence[str],
        held_on: date | str | None = None,
        notes: str = "",
        expected_version: int | None = None,
    ) -> Recorded:
        """A session held (today unless `held_on`), its notes sealed."""
        return self._on_case(
            Action.ACT_ON_CASE,
            case_id,
            expected_version,
            self._app.hold_session,
            kind=kind,
            attendees=attendees,
            held_on=held_on,
            notes=notes,
        )

    def withdraw(
        self,
        case_id: UUID | str,
        *,
        by: WithdrawnBy | str,
        reason: str,
        expected_version: int | None = None,
    ) -> Recorded:
        """End a mediation before its resolution."""
        return self._on_case(
            Action.ACT_ON_CASE, case_id, expected_version, self._app.withdraw, by=by, reason=reason
        )

    def resolve(
        self, case_id: UUID | str, *, outcome: Outcome | str, expected_version: int | None = None
    ) -> Recorded:
        """End a mediation with its outcome."""
        return self._on_case(
            Action.ACT_ON_CASE, case_id, expected_version, self._app.resolve, outcome=outcome
        )

    def erase_subject(self, subject: str, *, reason: str = "data-subject-request") -> Erasure:
        """Erase a data subject for good (the coordinator's)."""
        self.require(Action.ERASE)
        return self._app.erase_subject(subject, reason=reason)

    def retention_due(
        self,
        older_than: RetentionPeriod | str,
        *,
        now: datetime | None = None,
        archive_for: RetentionPeriod | str | None = None,
    ) -> list[RetentionDue]:
        """The records whose retention (active, then archive) has passed (the coordinator's)."""
        self.require(Action.ERASE)
        return self._app.retention_due(older_than, now=now, archive_for=archive_for)

    def apply_retention(
        self,
        older_than: RetentionPeriod | str,
        *,
        now: datetime | None = None,
        archive_for: RetentionPeriod | str | None = None,
    ) -> list[RetentionDue]:
        """Erase what `retention_due` finds (the coordinator's)."""
        self.require(Action.ERASE)
        return self._app.apply_retention(older_than, now=now, archive_for=archive_for)

    def archive_due(
        self, active: RetentionPeriod | str, *, now: datetime | None = None
    ) -> list[ArchiveDue]:
        """The records past their active period, not archived yet (the coordinator's)."""
        self.require(Action.ERASE)
        return self._app.archive_due(active, now=now)

    def apply_archive(
        self, active: RetentionPeriod | str, *, now: datetime | None = None
    ) -> list[ArchiveDue]:
        """Archive what `archive_due` finds (the coordinator's)."""
        self.require(Action.ERASE)
        return self._app.apply_archive(active, now=now)

    def read_archived_case(self, case_id: UUID | str, *, reason: str) -> CaseView:
        """An archived case with its personal values, the read recorded first (coordinator)."""
        self.require(Action.READ_ARCHIVE)
        self._app.record_archive_read(case_id, by=self._reader(), reason=reason, kind="case")
        return self._app.get_case_from_archive(case_id)

    def read_archived_person(self, orientation_id: UUID | str, *, reason: str) -> str | None:
        """An archived orientation's person's name, the read recorded first (coordinator)."""
        self.require(Action.READ_ARCHIVE)
        self._app.record_archive_read(
            orientation_id, by=self._reader(), reason=reason, kind="orientation"
        )
        return self._app.orientation_person(orientation_id, from_archive=True)

    def _reader(self) -> str:
        return f"{self.principal.role.value}:{self.principal.identity}"
