"""Where published events go: the Sink protocol, and the error a broker's failure raises."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import Awaitable, Coroutine, Sequence
from typing import Any, Generic, Protocol, TypeVar
from urllib.parse import parse_qs, unquote, urlsplit

import attrs

from mediation_adapters.publishing.cloudevents import Message

T = TypeVar("T")
C = TypeVar("C")  # a sink's connection


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
    """`url` with any user name and password removed (for messages: it may be malformed)."""
    scheme, _, rest = url.partition("://")
    netloc, slash, path = rest.partition("/")
    return f"{scheme}://{netloc.rpartition('@')[2]}{slash}{path.partition('?')[0]}"


@attrs.frozen
class Address:
    """Where a broker is, from a target's URL: checked, in one form."""

    host: str
    port: int
    path: str
    query: dict[str, list[str]]
    user: str | None
    password: str | None

    @property
    def place(self) -> str:
        """host:port, the host in lower case (in brackets for IPv6), the port always written."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def address(url: str, scheme: str, default_port: int) -> Address | None:
    """`url`'s parts if it is scheme://[user:password@]host[:port]/PATH[?QUERY], else None."""
    try:
        parts = urlsplit(url)
        port = parts.port if parts.port is not None else default_port
    except ValueError:  # a port not a number or out of range, brackets not closed
        return None
    if parts.scheme != scheme or not parts.hostname or port == 0 or parts.fragment:
        return None
    return Address(
        parts.hostname.lower(),
        port,
        unquote(parts.path.removeprefix("/")),
        parse_qs(parts.query, keep_blank_values=True),
        unquote(parts.username) if parts.username is not None else None,
        unquote(parts.password) if parts.password is not None else None,
    )


class ConnectedSink(Generic[C]):
    """What the brokers' sinks share: a connection on a loop of its own, forgotten on failure.

    A subclass parses its target, then calls this `__init__`; it makes the connection in
    its `_send` when there is none, and says how one closes (`_close`).
    """

    failures: tuple[type[BaseException], ...]  # the client's errors: a broker's failure

    def __init__(self, target: str, timeout: float) -> None:
        self.target, self._timeout = target, timeout
        self._loop = BackgroundLoop(f"publish to {target}")
        self._connection: C | None = None

    def send(self, messages: Sequence[Message]) -> None:
        """Send `messages` in order; PublishError unless the broker confirmed every one."""
        self._loop.run(self._send(messages))

    def close(self) -> None:
        """Close the connection and the sink's event loop."""
        try:
            self._loop.run(self._drop())
        finally:
            self._loop.close()

    async def _send(self, messages: Sequence[Message]) -> None:
        raise NotImplementedError

    def _close(self, connection: C) -> Awaitable[object]:
        raise NotImplementedError

    async def _drop(self) -> None:
        """Forget the connection (the next send connects again), closing it if it can."""
        if self._connection is None:
            return
        connection, self._connection = self._connection, None
        with contextlib.suppress(*self.failures):  # lost already: nothing left to release
            await asyncio.wait_for(self._close(connection), self._timeout)


class BackgroundLoop:
    """An asyncio loop on a thread of its own, that a sink's connection lives on.

    Between sends the loop keeps running, so the connection answers the broker's heartbeats
    and pings: a publisher idle for minutes still has its connection when events come.
    """

    def __init__(self, name: str) -> None:
        """A loop started at the first `run`: a sink never used holds no thread."""
        self._name = name
        self._started: tuple[asyncio.AbstractEventLoop, threading.Thread] | None = None

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        """Run `work` on the loop; wait for its result (or its exception) here.

        A client that cancels what it waits for (aiormq when heartbeats stop) is a failure
        of the broker's: a PublishError, which publishing tries again.
        """
        if self._started is None:
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name=self._name, daemon=True)
            thread.start()
            self._started = (loop, thread)
        try:
            return asyncio.run_coroutine_threadsafe(work, self._started[0]).result()
        except concurrent.futures.CancelledError as cancelled:
            message = f"{self._name}: the connection was cancelled"
            raise PublishError(message) from cancelled

    def close(self) -> None:
        """End what the client left running (a closing channel's tasks), stop, and close."""
        if self._started is None:
            return
        self.run(_ended_tasks())
        loop, thread = self._started
        self._started = None
        loop.call_soon_threadsafe(loop.stop)
        thread.join()
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def _ended_tasks(rounds: int = 10) -> None:
    """Cancel the loop's other tasks and wait for them: none is destroyed pending.

    A task cancelled may schedule others as it ends (a client's close callbacks): again,
    until none is left.
    """
    for _ in range(rounds):
        await asyncio.sleep(0)  # callbacks scheduled meanwhile become tasks, or run
        others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        if not others:
            return
        for task in others:
            task.cancel()
        await asyncio.gather(*others, return_exceptions=True)
