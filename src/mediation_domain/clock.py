"""The time new events are stamped with: eventsourcing's clock, or the running command's."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime

from eventsourcing.domain import Aggregate


def _eventsourcing_clock() -> datetime:
    """The hook of eventsourcing (CanCreateTimestamp.create_timestamp), read at each call."""
    return Aggregate.Event.create_timestamp()


_CLOCK: ContextVar[Callable[[], datetime]] = ContextVar("_CLOCK", default=_eventsourcing_clock)


@contextmanager
def stamped_by(clock: Callable[[], datetime] | None) -> Iterator[None]:
    """Within the block, new events are stamped by `clock` (a naive time is taken as UTC)."""
    if clock is None:
        yield
        return
    token = _CLOCK.set(clock)
    try:
        yield
    finally:
        _CLOCK.reset(token)


def now() -> datetime:
    """When a new event happens: now, or the time the running command's clock gives."""
    moment = _CLOCK.get()()
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
