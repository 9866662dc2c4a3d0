"""Projections of the log kept beside the events, each with its position, in a ProjectionStore.

A `View` folds the events recorded since its position, a page at a time: each page is one
transaction of the projection store that holds the projection's lock and moves the
position with the rows it changed, so a crash between the two cannot fold an event twice
or lose one, and processes refreshing at once take turns. A view written by another
version of its format resets itself and folds the history again.

A View is an eventsourcing `Projection` too: `process_event(event, tracking)` folds one
event with its tracking, and `view` is a TrackingRecorder over the projection's position,
so eventsourcing's projection runners can drive it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Protocol
from uuid import UUID

from eventsourcing.persistence import (
    ApplicationRecorder,
    Mapper,
    Notification,
    Tracking,
    TrackingRecorder,
)
from eventsourcing.projection import Projection

from mediation_domain.errors import InvalidInputError
from mediation_domain.ports import (
    ProjectionState,
    ProjectionStore,
    ProjectionTransaction,
    StoreBundle,
)
from mediation_domain.projections.memory import MemoryProjectionStore

PAGE = 2000


class EventLog(Protocol):
    """What a view reads: an application's log, its mapper and its store bundle (if any)."""

    @property
    def recorder(self) -> ApplicationRecorder:
        """The notification log."""

    @property
    def mapper(self) -> Mapper[UUID]:
        """Stored events to domain events."""

    @property
    def store(self) -> StoreBundle | None:
        """The store bundle, whose projection store the view uses; None in memory."""


class Position(TrackingRecorder):
    """eventsourcing's view of a projection: the position in its ProjectionStore."""

    def __init__(self, store: ProjectionStore, projection: str) -> None:
        super().__init__()
        self.store, self.projection = store, projection

    def insert_tracking(self, tracking: Tracking) -> None:
        """Move the position to `tracking` (nothing folded: `process_event` folds)."""
        with self.store.writing(self.projection) as tx:
            tx.advance(tracking.notification_id)

    def max_tracking_id(self, application_name: str) -> int | None:  # noqa: ARG002 - one log
        """The last notification folded in, None before the first."""
        with self.store.reading(self.projection) as tx:
            state = tx.state()
        return None if state is None else state.position


class View(Projection[Position]):
    """A projection of `app`'s events; subclasses name it, version it and fold events."""

    name: str  # eventsourcing's Projection declares it
    version: ClassVar[int]
    tables: ClassVar[Mapping[str, Sequence[str]]]

    def __init__(self, app: EventLog, store: ProjectionStore | None = None) -> None:
        """On `store`, else on a store of `app`'s bundle that the view closes with it."""
        self.app = app
        self._owned = store is None
        if store is None:
            store = app.store.projections() if app.store is not None else MemoryProjectionStore()
        self.store = store
        super().__init__(Position(store, self.name))
        try:
            store.declare(self.name, self.tables)
        except BaseException:
            self.close()
            raise

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:  # noqa: ANN401
        """Fold one event and move the position to its tracking (eventsourcing's interface)."""
        self.fold_page([(tracking.notification_id, domain_event)], after=None)

    def fold(self, tx: ProjectionTransaction, events: Sequence[Any], secret: bytes) -> None:
        """Fold `events` (in log order) into the view's tables, in the transaction `tx`."""
        raise NotImplementedError

    def fold_positioned(
        self, tx: ProjectionTransaction, batch: Sequence[tuple[int, Any]], secret: bytes
    ) -> None:
        """Fold (notification id, event) pairs: `fold`, for views that need no positions."""
        self.fold(tx, [event for _, event in batch], secret)

    def refresh(self, page: int = PAGE) -> int:
        """Fold the events recorded since the last refresh; returns how many there were."""
        folded = 0
        self.make_current()
        while True:
            with self.store.reading(self.name) as tx:
                state = tx.state()
            start = state.position if state is not None else None
            notifications = self.app.recorder.select_notifications(
                start, page, inclusive_of_start=False
            )
            if not notifications:
                return folded
            batch = [(n.id, self.event_of(n)) for n in notifications]
            folded += self.fold_page(batch, after=start)

    def event_of(self, notification: Notification) -> Any:  # noqa: ANN401 - any aggregate's
        """What `fold_positioned` receives of a notification: its domain event.

        A view that needs only the records' places in the log may skip the decoding.
        """
        return self.app.mapper.to_domain_event(notification)

    def position(self) -> int | None:
        """The last notification folded in; None before the first."""
        with self.store.reading(self.name) as tx:
            state = tx.state()
        return None if state is None else state.position

    def reset(self) -> None:
        """Forget every row and the position: the next refresh folds the whole history."""
        with self.store.writing(self.name) as tx:
            tx.reset(self.version, os.urandom(16))

    def rebuild(self, page: int = PAGE) -> int:
        """Fold the whole history again (a new indicator); returns how many events."""
        self.reset()
        return self.refresh(page)

    def make_current(self) -> bool:
        """Reset a view written by another version of the format (or never); True if it was.

        Read first without the lock: a view that is current, as it nearly always is, keeps
        writers (commands, other refreshes) waiting for nothing.
        """
        with self.store.reading(self.name) as tx:
            state = tx.state()
        if state is not None and state.version == self.version:
            return False
        with self.store.writing(self.name) as tx:
            return self._current(tx) is None

    def close(self) -> None:
        """Release the store, if the view opened it."""
        if self._owned:
            self.store.close()

    def fold_page(self, batch: list[tuple[int, Any]], after: int | None) -> int:
        """Fold the (notification id, event) pairs of `batch` not seen yet, all or nothing.

        If the view is now behind `after` (reset meanwhile by a rebuild elsewhere),
        nothing is folded: the caller reads the position again.
        """
        with self.store.writing(self.name) as tx:
            state = self._current(tx)
            if state is None:
                return 0
            position = state.position or 0
            if position < (after or 0):
                return 0
            fresh = [
                (notification, event) for notification, event in batch if notification > position
            ]
            if not fresh:
                return 0
            self.fold_positioned(tx, fresh, state.secret)
            tx.advance(fresh[-1][0])
            return len(fresh)

    def caught_up_in(self, tx: ProjectionTransaction, target: int, page: int = PAGE) -> None:
        """Fold, in `tx` (which holds the lock), what the view lacks up to `target`.

        A read that keeps finding the index emptied by rebuilds elsewhere ends here: under
        the lock no rebuild can interleave, so it reads what it has just folded.
        """
        state = self._current(tx) or tx.state()
        while state is not None and (state.position or 0) < target:
            start = state.position
            notifications = self.app.recorder.select_notifications(
                start, page, inclusive_of_start=False
            )
            if not notifications:
                return
            self.fold_positioned(
                tx, [(n.id, self.event_of(n)) for n in notifications], state.secret
            )
            tx.advance(notifications[-1].id)
            state = tx.state()

    def _current(self, tx: ProjectionTransaction) -> ProjectionState | None:
        """The view's state; None after resetting one of another version."""
        state = tx.state()
        if state is not None and state.version > self.version:  # two versions must not take turns
            message = (
                f"the {self.name} view was written by a newer version ({state.version}, this "
                f"is {self.version}): upgrade mediation-domain"
            )
            raise InvalidInputError(message)
        if state is None or state.version != self.version:
            tx.reset(self.version, os.urandom(16))
            return None
        return state
