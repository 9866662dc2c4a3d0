"""RabbitMQ as a sink: persistent messages to a durable topic exchange, with publisher confirms.

`amqp://user:password@host:port/EXCHANGE[?vhost=NAME]`. The routing key is the event's
type (`mediation.case.Resolved.v1`), so a queue binds to the events it wants (`#` for all).
Messages are mandatory: one that no queue takes is returned by the broker, and publishing
stops there (and tries again) rather than dropping it; bind a queue before publishing.
RabbitMQ does not deduplicate: a consumer drops an event whose CloudEvent `id` (also the
AMQP `message_id`, with the source) it has seen.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Sequence
from urllib.parse import quote

import aio_pika
import aiormq
from aio_pika.abc import AbstractConnection
from aiormq.abc import AbstractChannel
from pamqp import commands as spec

from mediation_adapters.publishing.cloudevents import CONTENT_TYPE, Message
from mediation_adapters.publishing.sinks import (
    ConnectedSink,
    PublishError,
    address,
    without_credentials,
)
from mediation_domain import InvalidInputError
from mediation_domain.errors import quoted

_EXCHANGE = re.compile(r"(?!amq\.)[A-Za-z0-9_.:-]{1,255}")
_FAILURES = (
    aiormq.exceptions.AMQPError,
    aiormq.exceptions.ChannelInvalidStateError,  # a RuntimeError: the channel closed under us
    OSError,
    TimeoutError,
)
_PERSISTENT = 2


class AmqpSink(ConnectedSink[tuple[AbstractConnection, AbstractChannel]]):
    """Publishes to a RabbitMQ exchange, confirming each message by the broker's ack."""

    failures = _FAILURES

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        """`url`: amqp://user:password@host:port/EXCHANGE, optionally ?vhost=NAME."""
        where = address(url, "amqp", 5672)
        vhosts = where.query.pop("vhost", ["/"]) if where is not None else []
        if (
            where is None
            or where.user is None
            or where.password is None
            or where.query  # anything but ?vhost=
            or len(vhosts) != 1
            or not vhosts[0]
            or not _EXCHANGE.fullmatch(where.path)
        ):
            message = (
                f"invalid AMQP target {quoted(without_credentials(url))}: expected "
                "amqp://user:password@host:port/EXCHANGE (not amq.*), optionally ?vhost=NAME"
            )
            raise InvalidInputError(message)
        self.exchange, self._vhost = where.path, vhosts[0]
        self._address, self._login = (where.host, where.port), (where.user, where.password)
        # The target names the position kept in the store: one form per place and vhost.
        vhost = "" if self._vhost == "/" else f"?vhost={quote(self._vhost, safe='')}"
        super().__init__(f"amqp://{where.place}/{self.exchange}{vhost}", timeout)

    async def _send(self, messages: Sequence[Message]) -> None:
        confirmed = 0
        pending: list[asyncio.Task[object]] = []
        try:
            if self._connection is not None and self._connection[1].is_closed:
                await self._drop()  # lost while idle: connect again rather than fail once
            async with asyncio.timeout(self._timeout):  # connect, open a channel, declare
                _, channel = self._connection or await self._connect()
            # Tasks take the channel's lock in the order they are made: frames leave in order.
            pending = [asyncio.create_task(self._publish(channel, m)) for m in messages]
            for task in pending:
                result = await task
                if not isinstance(result, spec.Basic.Ack):
                    message = _refused(self.target, messages[confirmed], result)
                    raise PublishError(message, confirmed)
                confirmed += 1
        except _FAILURES as failure:
            detail = str(failure) or type(failure).__name__
            message = f"RabbitMQ at {self.target} did not confirm: {detail}"
            raise PublishError(message, confirmed) from failure
        finally:
            for task in pending:
                task.cancel()
            if confirmed < len(messages):
                await self._drop()

    async def _publish(self, channel: AbstractChannel, message: Message) -> object:
        properties = spec.Basic.Properties(
            content_type=CONTENT_TYPE,
            delivery_mode=_PERSISTENT,
            message_id=message.key,
            message_type=message.type,
        )
        return await channel.basic_publish(
            message.body,
            exchange=self.exchange,
            routing_key=message.type,
            properties=properties,
            mandatory=True,
            timeout=self._timeout,
        )

    async def _connect(self) -> tuple[AbstractConnection, AbstractChannel]:
        (host, port), (login, password) = self._address, self._login
        connection = await aio_pika.connect(
            host=host,
            port=port,
            login=login,
            password=password,
            virtualhost=self._vhost,
            timeout=self._timeout,
        )
        channel = await connection.channel(publisher_confirms=True, on_return_raises=False)
        await channel.declare_exchange(self.exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        self._connection = (connection, await channel.get_underlay_channel())
        return self._connection

    def _close(self, connection: tuple[AbstractConnection, AbstractChannel]) -> Awaitable[object]:
        return connection[0].close()


def _refused(target: str, message: Message, result: object) -> str:
    """Why the broker did not take `message`: returned (no queue bound for it), or nacked."""
    if isinstance(result, aiormq.abc.DeliveredMessage):
        return (
            f"RabbitMQ at {target}: no queue takes event {message.id} ({message.type}): "
            "bind a queue to the exchange first (routing key '#' takes every event)"
        )
    return f"RabbitMQ at {target} refused event {message.id}"


# aio-pika logs a failed connection itself; publishing reports it, once, as a PublishError.
logging.getLogger("aio_pika").addHandler(logging.NullHandler())
logging.getLogger("aiormq").addHandler(logging.NullHandler())
