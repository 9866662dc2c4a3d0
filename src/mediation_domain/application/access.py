"""What every call of the service layer goes through: the checks, and the reads.

`Access` holds the principal, applies the policy of `mediation_domain.authorisation` to a
case (its mediator read without opening any personal value, the version checked pinned)
and answers the queries; `PrincipalService` (service.py) adds the commands.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

import attrs

from mediation_domain.authorisation import (
    Action,
    Decision,
    NotAllowedError,
    Principal,
    authorise,
    decide,
    sees_all_cases,
)
from mediation_domain.errors import (
    CaseNotFoundError,
    ConcurrencyError,
    InvalidInputError,
    StaleVersionError,
    quoted,
)

if TYPE_CHECKING:
    from mediation_domain.application import CasePage, Mediations
    from mediation_domain.reports import Period, Report
    from mediation_domain.values import (
        CaseStatus,
        InterventionDomain,
    )
    from mediation_domain.views import CaseView

_NOBODY = object()  # the mediator of a case that does not exist: never anyone's
ReportSource = Callable[..., "Report"]  # (period, *, exact) -> Report


def require(principal: Principal, action: Action) -> None:
    """Refuse (NotAllowedError) a principal whose role may never take `action`.

    For the work an edge does beside the cases (an export, keys, tokens, serving): the
    edge declares the permission, the policy decides.
    """
    authorise(principal, action)


def _case_id(text: object) -> UUID:
    """A case id as given (a malformed one is bad input, not a case hidden)."""
    try:
        return UUID(str(text).strip())
    except ValueError:
        message = f"invalid case id {quoted(text)}: expected a UUID"
        raise InvalidInputError(message) from None


@attrs.frozen
class Recorded:
    """What a command did: the case as its principal may now see it, and whether it changed.

    `recorded` is False when the command had nothing to record (a consent already live);
    `party` is the id of the party a join added.
    """

    case: CaseView
    recorded: bool
    party: str | None = None


class Access:
    """The queries of the service, and the checks, for one principal."""

    def __init__(self, mediations: Mediations, reports: ReportSource, principal: Principal) -> None:
        self.principal = principal
        self._app, self._reports = mediations, reports

    def require(self, action: Action) -> None:
        """Refuse the principal's role if it may never take `action` (see `require`)."""
        authorise(self.principal, action)

    # Queries --------------------------------------------------------------------------------

    def get_case(
        self,
        case_id: UUID | str,
        version: int | None = None,
        *,
        at: datetime | None = None,
        expected_version: int | None = None,
    ) -> CaseView:
        """The case now (the version checked), or after event `version`, or at `at`."""
        case, checked = self._checked(Action.READ_CASE, case_id, expected_version)
        if version is None and at is None:
            version = checked  # the version whose mediator was checked, not a later one
        return self._app.get_case(case, version, at=at)

    def list_cases(
        self,
        *,
        status: CaseStatus | str | None = None,
        neighbourhood: str | None = None,
        domain: InterventionDomain | str | None = None,
        mediator: str | None = None,
    ) -> list[CaseView]:
        """The cases the principal may see (a mediator's own), filtered."""
        return list(
            self.iter_cases(
                status=status, neighbourhood=neighbourhood, domain=domain, mediator=mediator
            )
        )

    def iter_cases(
        self,
        *,
        status: CaseStatus | str | None = None,
        neighbourhood: str | None = None,
        domain: InterventionDomain | str | None = None,
        mediator: str | None = None,
    ) -> Iterator[CaseView]:
        """`list_cases`, streamed."""
        return self._app.iter_cases(
            status=status,
            neighbourhood=neighbourhood,
            domain=domain,
            mediator=self._listed_mediator(mediator),
        )

    def cases_page(  # noqa: PLR0913 - the filters of list_cases, a cursor and a size
        self,
        *,
        status: CaseStatus | str | None = None,
        neighbourhood: str | None = None,
        domain: InterventionDomain | str | None = None,
        mediator: str | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> CasePage:
        """`list_cases` a page at a time (Mediations.cases_page)."""
        return self._app.cases_page(
            status=status,
            neighbourhood=neighbourhood,
            domain=domain,
            mediator=self._listed_mediator(mediator),
            after=after,
            limit=limit,
        )

    def report(self, period: Period, *, exact: bool = False) -> Report:
        """The activity report; exact counts are the coordinator's, partners' are masked."""
        self.require(Action.REPORT)
        if exact:
            self.require(Action.REPORT_EXACT)
        return self._reports(period, exact=exact)

    # Internals ------------------------------------------------------------------------------

    def _listed_mediator(self, mediator: str | None) -> str | None:
        """The mediator filter a list runs with: a mediator's lists hold their own cases."""
        self.require(Action.LIST_CASES)
        if sees_all_cases(self.principal):
            return mediator
        if mediator is not None and mediator != self.principal.identity:
            message = "a mediator lists their own cases only"
            raise NotAllowedError(message, rule="role-may-act")
        return self.principal.identity

    def _checked(
        self, action: Action, case_id: UUID | str, expected_version: int | None
    ) -> tuple[UUID, int]:
        """The case and the version checked, if the principal may take `action` on it.

        The role first; then the case's mediator, read without opening any personal
        value. A case that does not exist and one the principal may not see are refused
        alike, so that a case's existence stays private.
        """
        self.require(action)
        case = case_id if isinstance(case_id, UUID) else _case_id(case_id)
        mediator: object = _NOBODY
        version = 0
        with contextlib.suppress(CaseNotFoundError):
            version, mediator = self._app.assignment(case)
        if mediator is _NOBODY or decide(self.principal, action, mediator) is not Decision.ALLOWED:
            message = f"no case {case}"
            raise CaseNotFoundError(message)
        if expected_version is not None and expected_version != version:
            message = f"case {case} is at version {version}, not {expected_version}"
            raise StaleVersionError(message)
        return case, version

    def _on_case(
        self,
        action: Action,
        case_id: UUID | str,
        expected_version: int | None,
        command: Callable[..., object],
        **facts: object,
    ) -> Recorded:
        """Check, run `command(case, **facts)` on the version checked, show the case as allowed."""
        case, version = self._checked(action, case_id, expected_version)
        try:
            recorded = command(case, expected_version=version, **facts) is not False
        except ConcurrencyError as changed:
            # Changed since the check: stale if the caller named a version, else a conflict.
            kind = ConcurrencyError if expected_version is None else StaleVersionError
            raise kind(changed.message, rule=changed.rule) from None
        view = self._app.get_case(case)
        if decide(self.principal, action, view.mediator) is not Decision.ALLOWED:
            # Reassigned since (or they withdrew): the case as their own step left it.
            view = self._app.get_case(case, version=version + int(recorded))
        return Recorded(view, recorded)
