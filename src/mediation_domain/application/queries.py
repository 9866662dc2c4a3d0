"""Reads: cases loaded (for commands too), as they stand or stood; lists, pages, history, report."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast
from uuid import UUID

import attrs
from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.persistence import ApplicationRecorder, EventStore, Mapper

from mediation_domain.application.interface import _case_id, _cursor
from mediation_domain.case import MediationCase
from mediation_domain.errors import (
    CaseNotFoundError,
    InvalidInputError,
    StaleVersionError,
    quoted,
)
from mediation_domain.ports import Condition, EventsOfMany, StoreBundle
from mediation_domain.privacy import Sealer
from mediation_domain.projections.case_index import CaseIndex, IndexedCase
from mediation_domain.reports import Period, Report, facts_of
from mediation_domain.values import CaseStatus, InterventionDomain, MediatorId, Neighbourhoods
from mediation_domain.views import CaseView

if TYPE_CHECKING:
    from mediation_domain.projections.activity_index import ActivityIndex

_PAGE = 500  # rows read from the store at a time
_INDEX_LOCK = threading.Lock()  # threads opening an application's index open one
MOST_CASES = 1000  # the largest page of cases `cases_page` hands out


def _project(
    case: MediationCase | None, events: Iterable[MediationCase.Event]
) -> MediationCase | None:
    """Replay a case's events, as eventsourcing's own projector does.

    Without its per-event isinstance check against a runtime Protocol: about 10 us an
    event, a third of a command in memory (benchmarks/run.py).
    """
    for event in events:
        case = cast("MediationCase | None", event.mutate(case))
    return case


@attrs.frozen
class CasePage:
    """A page of cases, and the cursor that asks for the next (None after the last)."""

    cases: tuple[CaseView, ...]
    after: str | None


@attrs.frozen
class _Wanted:
    """What a listing asks for; None is anything."""

    status: CaseStatus | None
    place: str | None
    domain: InterventionDomain | None
    mediator: MediatorId | None

    def conditions(self) -> list[Condition]:
        """The index's conditions for it."""
        asked = {
            "status": self.status.value if self.status else None,
            "neighbourhood": self.place,
            "domain": self.domain.value if self.domain else None,
            "mediator": str(self.mediator) if self.mediator else None,
        }
        return [Condition(field, "=", value) for field, value in asked.items() if value]

    def holds(self, case: MediationCase) -> bool:
        """Whether a case is wanted as it stands (loaded after the index was read)."""
        return (
            (self.status is None or case.status is self.status)
            and (self.mediator is None or case.mediator == self.mediator)
            and (self.place is None or case.neighbourhood == self.place)
            and (self.domain is None or case.domain is self.domain)
        )


class Queries:
    """The reads of `Mediations`: a case, lists and pages of cases, the history, the report.

    Its commands load their cases through `_load` too.
    """

    if TYPE_CHECKING:  # what Mediations provides: its settings and sealer, eventsourcing's store
        neighbourhoods: Neighbourhoods
        sealer: Sealer
        recorder: ApplicationRecorder
        mapper: Mapper[UUID]
        events: EventStore[UUID]
        snapshots: EventStore[UUID] | None
        store: StoreBundle | None

        @property
        def repository(self) -> Repository[UUID]:
            """The cases' repository (eventsourcing's Application)."""

        @property
        def activity_index(self) -> ActivityIndex:
            """The index of the activities (Activities)."""

        def archived(self, records: Iterable[UUID]) -> set[UUID]:
            """Which records are in the intermediate archive (Archiving)."""

    def get_case(
        self, case_id: UUID | str, version: int | None = None, *, at: datetime | None = None
    ) -> CaseView:
        """The case now, or as it stood after its event `version` (1 = the request) or at `at`.

        A naive `at` is taken as UTC. An archived case's values are withheld in every version.
        """
        case = self._load(case_id)
        withheld = self._withheld([case])  # as it stands now: as of any version too
        if at is not None:
            if version is not None:
                raise InvalidInputError("give a version or a time, not both")
            version = self._version_at(case, at)
        if version is not None:
            if (
                isinstance(version, bool)
                or not isinstance(version, int)
                or not 1 <= version <= case.version
            ):
                message = f"version must be between 1 and {case.version}, not {quoted(version)}"
                raise InvalidInputError(message)
            case = self.repository.get(case.id, version=version, projector_func=_project)
        return CaseView.of(case, self.sealer, withheld)

    def get_case_from_archive(self, case_id: UUID | str) -> CaseView:
        """The case with its personal values, archived or not (record the read first)."""
        return CaseView.of(self._load(case_id), self.sealer)

    def _version_at(self, case: MediationCase, at: datetime) -> int:
        if not isinstance(at, datetime):
            message = f"invalid time {quoted(at)}: expected a datetime"
            raise InvalidInputError(message)
        moment = at if at.tzinfo else at.replace(tzinfo=UTC)
        version = 0
        for event in self.events.get(case.id):
            if cast("MediationCase.Event", event).timestamp > moment:
                break
            version = event.originator_version
        if version == 0:
            message = f"case {case.id} was requested after {moment.isoformat()}"
            raise InvalidInputError(message)
        return version

    def list_cases(
        self,
        *,
        status: CaseStatus | str | None = None,
        neighbourhood: str | None = None,
        domain: InterventionDomain | str | None = None,
        mediator: str | None = None,
    ) -> list[CaseView]:
        """Cases in the order they were requested, filtered by whatever is given.

        Holds every matching case at once: `iter_cases` streams them instead, and
        `cases_page` hands them out a page at a time.
        """
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
        """The cases `list_cases` gives, one page of the store in memory at a time.

        The filters are checked at once, before the first case is read.
        """
        wanted = self._case_filter(status, neighbourhood, domain, mediator)
        index = self.case_index.current()
        return (
            view
            for found in index.cases(wanted.conditions(), read=_PAGE)
            for view in self._views(self._loaded(found, wanted))
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
        """Up to `limit` cases of `list_cases`, from the cursor `after` of the page before.

        The page's `after` is the cursor of the next page, None after the last. A case
        requested while a client pages is found on a later page, never twice.
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MOST_CASES:
            message = f"limit must be between 1 and {MOST_CASES}, not {quoted(limit)}"
            raise InvalidInputError(message)
        start = _cursor(after)
        wanted = self._case_filter(status, neighbourhood, domain, mediator)
        index = self.case_index.current()
        # One more than asked, if there is one: then there is a next page.
        found = index.page(wanted.conditions(), after=start, limit=limit + 1)
        chosen = found[:limit]
        cursor = str(chosen[-1].position) if len(found) > limit else None
        return CasePage(tuple(self._views(self._loaded(chosen, wanted))), cursor)

    def _case_filter(
        self,
        status: CaseStatus | str | None,
        neighbourhood: str | None,
        domain: InterventionDomain | str | None,
        mediator: str | None,
    ) -> _Wanted:
        """The filters, checked now: a wrong one is refused before any case is read."""
        return _Wanted(
            status=None if status is None else CaseStatus.parse(status),
            place=None if neighbourhood is None else self.neighbourhoods.canonical(neighbourhood),
            domain=None if domain is None else InterventionDomain.parse(domain),
            mediator=None if mediator is None else MediatorId(mediator),
        )

    @property
    def case_index(self) -> CaseIndex:
        """The index of the cases, in the store's projection store (opened on first use)."""
        with _INDEX_LOCK:
            index = self.__dict__.get("_case_index")
            if index is None:
                index = self.__dict__["_case_index"] = CaseIndex(self)
        return cast("CaseIndex", index)

    def _close_index(self) -> None:
        """Release the index's store, if it was opened."""
        index = self.__dict__.pop("_case_index", None)
        if index is not None:
            index.close()

    def _views(self, cases: Sequence[MediationCase]) -> list[CaseView]:
        """The cases' views, the values of archived ones withheld."""
        return CaseView.all_of(cases, self.sealer, self._withheld(cases))

    def _withheld(self, cases: Sequence[MediationCase]) -> set[UUID]:
        """Which of the cases, as they stand, are archived: their values are withheld.

        Only a closed case is ever archived: an open one costs no read of the archive (the
        service shows the case after every command).
        """
        return self.archived([case.id for case in cases if case.closed_as is not None])

    def _loaded(self, found: Sequence[IndexedCase], wanted: _Wanted) -> list[MediationCase]:
        """The cases the index found, loaded together, less any changed since it was read."""
        cases = self._load_many([indexed.case_id for indexed in found])
        return [case for case in cases.values() if wanted.holds(case)]

    def assignment(self, case_id: UUID | str) -> tuple[int, str | None]:
        """The case's version and mediator, without opening any personal value."""
        case = self._load(case_id)
        return case.version, str(case.mediator) if case.mediator else None

    def report(self, period: Period, *, exact: bool = False) -> Report:
        """The activity indicators over `period`, from a fold of the whole history.

        `exact=False` is the partners' view (small counts hidden). Stores keep the facts
        up to date incrementally instead: `mediation_adapters.storage.report_view.ReportView`.
        The activities' figures come from the activity index, for the period's only.
        """
        facts = facts_of(self.history()).values()
        return Report.of(facts, period, exact=exact, activities=self.activity_index.select)

    def history(self) -> Iterator[MediationCase.Event]:
        """Every stored event of every case, in the order recorded (read page by page)."""
        start: int | None = None
        while page := self.recorder.select_notifications(start, _PAGE, inclusive_of_start=False):
            for notification in page:
                yield cast("MediationCase.Event", self.mapper.to_domain_event(notification))
            start = page[-1].id

    def _load(self, case_id: UUID | str, expected_version: int | None = None) -> MediationCase:
        """The case; with `expected_version`, only if it is still at that version."""
        uuid = _case_id(case_id)
        try:
            case: MediationCase = self.repository.get(uuid, projector_func=_project)
        except AggregateNotFoundError:
            case = None  # type: ignore[assignment]
        if not isinstance(case, MediationCase):  # none, or an activity: not a case
            message = f"no case {uuid}"
            raise CaseNotFoundError(message)
        if expected_version is not None and case.version != expected_version:
            message = (
                f"case {uuid} is at version {case.version}, not {expected_version}: "
                "reload it and decide again"
            )
            raise StaleVersionError(message)
        return case

    def _load_many(self, case_ids: Sequence[UUID]) -> dict[UUID, MediationCase]:
        """The cases, read in one query where the store can (ports.EventsOfMany).

        Elsewhere (or with snapshots on, which a case-by-case load uses), one at a time.
        """
        if not case_ids:
            return {}  # an empty page asks the store nothing more
        if self.snapshots is not None or not isinstance(self.recorder, EventsOfMany):
            return {case_id: self._load(case_id) for case_id in case_ids}
        events: dict[UUID, list[MediationCase.Event]] = defaultdict(list)
        for stored in self.recorder.select_events_of(case_ids):
            event = cast("MediationCase.Event", self.mapper.to_domain_event(stored))
            events[event.originator_id].append(event)
        found = {case_id: _project(None, events[case_id]) for case_id in case_ids}
        missing = [str(k) for k, case in found.items() if not isinstance(case, MediationCase)]
        if missing:
            message = f"no case {missing[0]}"
            raise CaseNotFoundError(message)
        return cast("dict[UUID, MediationCase]", found)
