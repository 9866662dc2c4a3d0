"""Publishing a store's log to a broker: at least once, in log order, its position in the store.

`Publisher(store, sink)` reads the events recorded after the target's position, a batch
at a time, sends them as CloudEvents, and moves the position once the broker confirmed
them: a publisher killed at any point sends again what was not confirmed, never skips
one. The log's order is kept whole, so each case's order is kept. Each target (a broker's
address and subject or exchange) has its position, kept in the store's projection store
beside the events (positions.py); the pseudonyms' key and the default `source` are the
store's, shared by every target.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from mediation_adapters.publishing.cloudevents import Envelope, Message
from mediation_adapters.publishing.positions import Positions
from mediation_adapters.publishing.sinks import PublishError, Sink
from mediation_domain import InvalidInputError
from mediation_domain.errors import quoted
from mediation_domain.projections.memory import MemoryProjectionStore
from mediation_domain.public_events import Pseudonyms, UndeclaredFieldError

if TYPE_CHECKING:
    from mediation_domain import Mediations
    from mediation_domain.ports import ProjectionStore

BATCH = 500
_SOURCE = re.compile(r"[!-\"$-~]{1,200}")  # printable ASCII, no space, no '#' (keys: source#id)
POLL = 0.1  # seconds between looks at the log's end while nothing is new
MOST_POLL = 3600.0
RETRY_FIRST, RETRY_MOST = 0.5, 15.0  # seconds before trying a failed broker again


class Publisher:
    """Sends `store`'s events to `sink`, from where that target's last confirmed one is."""

    def __init__(
        self, store: Mediations, sink: Sink, *, source: str | None = None, batch: int = BATCH
    ) -> None:
        """`source` names the service in every CloudEvent (default: the store's own URN)."""
        if source is not None and not _SOURCE.fullmatch(source):
            message = (
                f"invalid source {quoted(source)}: a URI such as https://mediation.example.org "
                "(printable ASCII, no space, no '#', at most 200 characters)"
            )
            raise InvalidInputError(message)
        if batch < 1:
            message = f"invalid batch {batch}: at least 1 event"
            raise InvalidInputError(message)
        self._app, self._sink, self._batch = store, sink, batch
        bundle = store.store
        self._projections: ProjectionStore = (
            bundle.projections() if bundle is not None else MemoryProjectionStore()
        )
        try:
            self.positions = Positions(self._projections)
            key, generation = self.positions.identity()
        except BaseException:
            self._projections.close()
            raise
        # A store whose records were numbered anew (a copy) names itself anew: ids differ.
        named = "source" if generation == 1 else f"source-{generation}"
        self.source = source or f"urn:mediation-domain:{_derived(key, named)[:8].hex()}"
        self._envelope = Envelope(self.source, Pseudonyms(_derived(key, "pseudonyms")))

    def position(self) -> int:
        """The last notification the broker confirmed (0 before the first)."""
        return self.positions.of(self._sink.target)

    def messages(self, after: int, stop: int) -> list[Message]:
        """The CloudEvents of the next batch of notifications after `after`, up to `stop`."""
        notifications = self._app.recorder.select_notifications(
            after, self._batch, stop=stop, inclusive_of_start=False
        )
        to_event = self._app.mapper.to_domain_event
        messages: list[Message] = []
        for notification in notifications:
            try:
                messages.append(self._envelope.message(notification.id, to_event(notification)))
            except UndeclaredFieldError:
                if messages:  # those before it go; the next batch starts with it, and stops
                    break
                raise
        return messages

    def publish(self) -> int:
        """Publish what is recorded now; returns how many events the broker confirmed.

        PublishError when the broker fails: what it confirmed before stays published.
        """
        end = self._app.recorder.max_notification_id() or 0
        published = 0
        while (position := self.position()) < end:
            messages = self.messages(position, end)
            if not messages:
                break
            try:
                self._sink.send(messages)
            except PublishError as failure:
                if failure.confirmed:
                    self._advance(messages[failure.confirmed - 1].id)
                raise
            self._advance(messages[-1].id)
            published += len(messages)
        return published

    def run(
        self,
        stop: threading.Event,
        *,
        poll: float = POLL,
        on_failure: Callable[[PublishError, float], None] | None = None,
    ) -> int:
        """Publish as events are recorded, until `stop` is set; returns how many were.

        A broker's failure is handed to `on_failure` with the seconds before the next try
        (doubling up to RETRY_MOST); publishing resumes from the last confirmed event.
        """
        if not 0 < poll <= RETRY_MOST * 240:
            message = f"invalid poll {poll}: seconds, more than 0 and at most 3600"
            raise InvalidInputError(message)
        published, retry = 0, RETRY_FIRST
        while not stop.is_set():
            try:
                published += self.publish()
            except PublishError as failure:
                if on_failure is not None:
                    on_failure(failure, retry)
                stop.wait(retry)
                retry = min(retry * 2, RETRY_MOST)
                continue
            retry = RETRY_FIRST
            stop.wait(poll)
        return published

    def close(self) -> None:
        """Close the sink and what the publisher holds open in the store."""
        try:
            self._sink.close()
        finally:
            self._projections.close()

    def _advance(self, position: int) -> None:
        self.positions.advance(self._sink.target, position)


def _derived(key: bytes, purpose: str) -> bytes:
    """A key for one purpose, derived from the store's publishing key."""
    return hmac.new(key, purpose.encode(), hashlib.sha256).digest()
