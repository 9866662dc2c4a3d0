"""NATS JetStream as a sink: each event published with `Nats-Msg-Id`, its ack awaited.

`nats://[user:password@]host:port/SUBJECT`. The messages of a batch are sent in order on
one connection and their acks gathered (nats-py's `publish_async`), so JetStream stores
them in the log's order; a message sent again within the stream's duplicate window (two
minutes by default) is dropped by JetStream, by its `Nats-Msg-Id` (the CloudEvent's source
and id). When no stream takes SUBJECT, one is made for it, on file storage
(`stream_name`).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import Awaitable, Sequence
from urllib.parse import urlsplit, urlunsplit

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import StorageType
from nats.js.errors import NoStreamResponseError, NotFoundError, ServiceUnavailableError

from mediation_adapters.publishing.cloudevents import CONTENT_TYPE, Message
from mediation_adapters.publishing.sinks import (
    ConnectedSink,
    PublishError,
    address,
    without_credentials,
)
from mediation_domain import InvalidInputError
from mediation_domain.errors import quoted

_SUBJECT = re.compile(r"[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*")
_FAILURES = (nats.errors.Error, OSError, TimeoutError)


class NatsSink(ConnectedSink[tuple[Client, JetStreamContext]]):
    """Publishes to a JetStream subject, confirming each message by its ack."""

    failures = _FAILURES

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        """`url`: nats://host:port/SUBJECT (a subject without wildcards)."""
        where = address(url, "nats", 4222)
        if where is None or where.query or not _SUBJECT.fullmatch(where.path):
            message = (
                f"invalid NATS target {quoted(without_credentials(url))}: "
                "expected nats://host:port/SUBJECT (letters, digits, '-', '_', dot-separated)"
            )
            raise InvalidInputError(message)
        self.subject = where.path
        parts = urlsplit(url)
        self._server = urlunsplit((parts.scheme, parts.netloc, "", "", ""))
        # The target names the position kept in the store: one form per place, port included.
        super().__init__(f"nats://{where.place}/{self.subject}", timeout)
        self._most_bytes = 1 << 20  # a message's most, as the server and the stream say

    async def _send(self, messages: Sequence[Message]) -> None:
        confirmed = 0
        try:
            if self._connection is not None and not self._connection[0].is_connected:
                await self._drop()  # lost while idle: connect again rather than fail once
            async with asyncio.timeout(self._timeout * 2):  # connect, find or make the stream
                _, stream = self._connection or await self._connect()
            fitting = self._fitting(messages)
            acks = [
                await stream.publish_async(self.subject, m.body, headers=self._headers(m))
                for m in fitting
            ]
            for ack in acks:
                await asyncio.wait_for(ack, self._timeout)
                confirmed += 1
            if len(fitting) < len(messages):
                too_big = messages[len(fitting)]
                message = (
                    f"NATS at {self.target}: event {too_big.id} is {self._size(too_big)} bytes, "
                    f"more than the stream or server takes ({self._most_bytes})"
                )
                raise PublishError(message, confirmed)
        except _FAILURES as failure:
            await self._drop()
            detail = str(failure) or type(failure).__name__
            if isinstance(failure, ServiceUnavailableError | NoStreamResponseError):
                detail = "JetStream does not answer (is the server started with -js?)"
            message = f"NATS at {self.target} did not confirm: {detail}"
            raise PublishError(message, confirmed) from failure

    def _headers(self, message: Message) -> dict[str, str]:
        # JetStream deduplicates within a stream, which may take other subjects (targets).
        return {"Content-Type": CONTENT_TYPE, "Nats-Msg-Id": f"{self.subject}:{message.key}"}

    def _size(self, message: Message) -> int:
        """The message's bytes as the limits count them: its body and its headers."""
        lines = [f"{key}: {value}\r\n" for key, value in self._headers(message).items()]
        return len(message.body) + len(f"NATS/1.0\r\n{''.join(lines)}\r\n".encode())

    def _fitting(self, messages: Sequence[Message]) -> Sequence[Message]:
        """The messages before the first one too big to be stored.

        A message refused while those after it are stored would come out of order when
        sent again: none is sent after one that cannot be.
        """
        for index, message in enumerate(messages):
            if self._size(message) > self._most_bytes:
                return messages[:index]
        return messages

    async def _connect(self) -> tuple[Client, JetStreamContext]:
        client = await nats.connect(
            self._server,
            connect_timeout=self._timeout,
            allow_reconnect=False,
            max_reconnect_attempts=1,  # 0 would try for ever
            reconnect_time_wait=0.2,
            error_cb=_ignored,
        )
        stream = client.jetstream(timeout=self._timeout)
        try:
            name = await stream.find_stream_name_by_subject(self.subject)
        except NotFoundError:
            name = stream_name(self.subject)
            await stream.add_stream(name=name, subjects=[self.subject], storage=StorageType.FILE)
        limits = [client.max_payload, (await stream.stream_info(name)).config.max_msg_size or -1]
        self._most_bytes = min(limit for limit in limits if limit > 0)
        self._connection = (client, stream)
        return self._connection

    def _close(self, connection: tuple[Client, JetStreamContext]) -> Awaitable[object]:
        return connection[0].close()


def stream_name(subject: str) -> str:
    """The stream made for `subject`: readable, and another for every other subject."""
    readable = re.sub(r"[^A-Za-z0-9_-]", "_", subject)[:200]
    return f"{readable}-{hashlib.blake2b(subject.encode(), digest_size=4).hexdigest()}"


async def _ignored(_: Exception) -> None:
    """nats-py reports a lost connection here too; sends report it as a PublishError."""
