"""Where published events go: the Sink protocol, and the error a broker's failure raises."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Sequence
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit, urlunsplit

from mediation_adapters.publishing.cloudevents import Message

T = TypeVar("T")


class PublishError(Exception):
    """The broker did not confirm every message: those after `confirmed` are sent again.

    `confirmed` counts the messages at the head of the batch that the broker did confirm.
    Not a refusal: the broker is down or refused, and publishing tries again.
    """

    def __init__(self, message: str, confirmed: int = 0) -> None:
        super().__init__(message)
        self.confirmed = confirmed


class Sink(Protocol):
    """A broker that takes messages in order and confirms them."""

    @property
    def target(self) -> str:
        """Where the messages go, without credentials: names the position published."""
        ...

    def send(self, messages: Sequence[Message]) -> None:
        """Send `messages` in order; return once the broker confirmed every one.

        PublishError otherwise, with how many at the head were confirmed; the next `send`
        connects again if it must.
        """
        ...

    def close(self) -> None:
        """Release the connection."""
        ...


def without_credentials(url: str) -> str:
    """`url` with any user name and password removed."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class BackgroundLoop:
    """An asyncio loop on a thread of its own, that a sink's connection lives on.

    Between sends the loop keeps running, so the connection answers the broker's heartbeats
    and pings: a publisher idle for minutes still has its connection when events come.
    """

    def __init__(self, name: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` on the loop; wait for its result (or its exception) here."""
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()

    def close(self) -> None:
        """Stop the loop and its thread, and close the loop."""
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.run_until_complete(self._loop.shutdown_asyncgens())
        self._loop.close()
