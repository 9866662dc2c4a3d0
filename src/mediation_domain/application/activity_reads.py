"""The reads of the activities: the activity index, lists, follow-ups due, a person's name.

Mixed into `Mediations` under the activities' commands (`activities.Activities`). Lists
read the activity index, so they cost what they find; an orientation in the intermediate
archive is said to be so, and is no longer due.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from datetime import date
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from mediation_domain.activities import (
    PERSON_NAME,
    Activity,
    CollectiveAction,
    Orientation,
    ProximityRound,
    WatchReport,
)
from mediation_domain.application.activity_input import _activity_id, _on
from mediation_domain.errors import CaseNotFoundError, StaleVersionError
from mediation_domain.ports import Condition
from mediation_domain.privacy import ARCHIVED, ERASED
from mediation_domain.projections.activity_index import ActivityIndex

if TYPE_CHECKING:
    from eventsourcing.application import Repository

    from mediation_domain.privacy import Sealer

_A = TypeVar("_A", bound=Activity)
_LOCK = threading.Lock()
WORDS = {ProximityRound: "round", WatchReport: "watch report", Orientation: "orientation"}
WORDS[CollectiveAction] = "collective action"
_MARK_PAGE = 500


class ActivityReads:
    """The reads of the activities, and the loading of one for a command."""

    if TYPE_CHECKING:  # what Mediations provides
        sealer: Sealer

        def archived(self, records: Iterable[UUID]) -> set[UUID]:
            """Which records are in the intermediate archive (Archiving)."""

        @property
        def repository(self) -> Repository[UUID]:
            """The aggregates' repository."""

    @property
    def activity_index(self) -> ActivityIndex:
        """The index of the activities, in the store's projection store (opened on first use)."""
        with _LOCK:
            index = self.__dict__.get("_activity_index")
            if index is None:
                index = self.__dict__["_activity_index"] = ActivityIndex(self)  # type: ignore[arg-type]
        return cast("ActivityIndex", index)

    def _close_activity_index(self) -> None:
        index = self.__dict__.pop("_activity_index", None)
        if index is not None:
            index.close()

    def activities(self, kind: str, *, mediator: str | None = None) -> Iterator[dict[str, Any]]:
        """Every activity of `kind` (round, watch, orientation, action), in the order recorded."""
        where = [Condition("kind", "=", kind)]
        if mediator is not None:
            where.append(Condition("mediator", "=", mediator))
        found = self.activity_index.select(where)
        return _marked_archived(self, found) if kind == "orientation" else found

    def orientations_due(
        self, on: date | str | None = None, *, mediator: str | None = None
    ) -> list[dict[str, Any]]:
        """Open orientations whose follow-up is due on or before `on` (today), soonest first."""
        day = _on(on, "date").isoformat()
        where = [Condition("kind", "=", "orientation"), Condition("due", "<=", day)]
        if mediator is not None:
            where.append(Condition("mediator", "=", mediator))
        found = [doc for doc in self.activity_index.select(where) if doc.get("status") == "open"]
        archived = self.archived(UUID(doc["id"]) for doc in found)  # no longer in active use
        found = [doc for doc in found if UUID(doc["id"]) not in archived]
        return sorted(found, key=lambda doc: (doc["due"], doc["seq"]))

    def open_watch_reports(self) -> list[dict[str, Any]]:
        """The watch reports a partner has not closed yet, oldest first."""
        found = [
            doc
            for status in ("reported", "acknowledged")
            for doc in self.activity_index.select(
                [Condition("kind", "=", "watch"), Condition("status", "=", status)]
            )
        ]
        return sorted(found, key=lambda doc: (doc["on"], doc["seq"]))

    def get_activity(self, activity_id: UUID | str) -> dict[str, Any]:
        """An activity's facts as the index holds them (no personal value)."""
        uuid = _activity_id(activity_id, "activity")
        found = self.activity_index.get(str(uuid))
        if found is None:
            msg = f"no activity {uuid}"
            raise CaseNotFoundError(msg)
        return found

    def orientation_person(
        self, orientation_id: UUID | str, *, from_archive: bool = False
    ) -> str | None:
        """The oriented person's name, opened (ERASED once erased); None when anonymous.

        ARCHIVED for an archived orientation, unless `from_archive` (a read recorded first).
        """
        orientation = self._load_activity(Orientation, orientation_id)
        if orientation.name is None:
            return None
        if orientation.name.subject in orientation.erased:
            return ERASED  # gone for good: no archive read needed to learn it
        if not from_archive and self.archived([orientation.id]):
            return ARCHIVED
        record = str(orientation.id)
        return self.sealer.open_all([(record, PERSON_NAME, orientation.name)])[0]

    def _load_activity(
        self, kind: type[_A], activity_id: UUID | str, expected_version: int | None = None
    ) -> _A:
        """The activity of that kind; CaseNotFoundError for any other id."""
        word = WORDS[kind]
        uuid = _activity_id(activity_id, word)
        try:
            found: object = self.repository.get(uuid)
        except AggregateNotFoundError:
            found = None
        if not isinstance(found, kind):
            msg = f"no {word} {uuid}"
            raise CaseNotFoundError(msg)
        if expected_version is not None and found.version != expected_version:
            message = (
                f"{word} {uuid} is at version {found.version}, not {expected_version}: reload it"
            )
            raise StaleVersionError(message)
        return found


def _marked_archived(
    app: ActivityReads, docs: Iterable[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    """Orientations with `archived` said: a page of the index read at a time, one lookup each."""
    page: list[dict[str, Any]] = []
    for doc in docs:
        page.append(doc)
        if len(page) == _MARK_PAGE:
            yield from _marked(app, page)
            page = []
    yield from _marked(app, page)


def _marked(app: ActivityReads, page: list[dict[str, Any]]) -> list[dict[str, Any]]:
    archived = {str(record) for record in app.archived(UUID(doc["id"]) for doc in page)}
    return [doc | {"archived": doc["id"] in archived} for doc in page]
