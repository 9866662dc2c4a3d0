"""The brokers of conftest.py do what it says, through the real clients (nats-py, aio-pika)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from urllib.parse import urlsplit
from uuid import uuid4

import aio_pika
import nats
import pytest
from nats.js import JetStreamContext
from nats.js.api import StorageType
from nats.js.errors import NotFoundError
from pamqp.commands import Basic, Queue

pytestmark = pytest.mark.slow  # real brokers; the private ones are processes of their own

PERSISTENT = aio_pika.DeliveryMode.PERSISTENT


@contextlib.asynccontextmanager
async def _jetstream(url: str) -> AsyncIterator[JetStreamContext]:
    client = await nats.connect(url, allow_reconnect=False, connect_timeout=5)
    try:
        yield client.jetstream()
    finally:
        await client.close()


def _refuses_connections(url: str) -> bool:
    address = urlsplit(url)
    try:
        with socket.create_connection((address.hostname, address.port), timeout=2):
            return False
    except ConnectionRefusedError:
        return True


def test_the_shared_nats_stores_a_jetstream_message_and_returns_it(nats_url):
    name = f"MDTEST_{uuid4().hex}"
    subject = f"mdtest.{name}.case-opened"

    async def scenario():
        async with _jetstream(nats_url) as jetstream:
            await jetstream.add_stream(name=name, subjects=[subject])
            try:
                ack = await jetstream.publish(subject, b"opened", headers={"Nats-Msg-Id": name})
                stored = await jetstream.get_msg(name, ack.seq)
            finally:
                await jetstream.delete_stream(name)
            with pytest.raises(NotFoundError):
                await jetstream.stream_info(name)
        return ack, stored

    ack, stored = asyncio.run(scenario())
    assert (ack.stream, ack.duplicate) == (name, None)
    assert (stored.subject, stored.data) == (subject, b"opened")
    assert stored.headers == {"Nats-Msg-Id": name}


def test_a_private_nats_keeps_messages_and_duplicate_window_across_a_restart(private_nats):
    ids = [f"case-{n}-opened" for n in range(3)]

    async def publish():
        async with _jetstream(private_nats.url) as jetstream:
            await jetstream.add_stream(name="CASES", subjects=["cases.>"], storage=StorageType.FILE)
            return [
                await jetstream.publish(
                    "cases.opened", msg_id.encode(), headers={"Nats-Msg-Id": msg_id}
                )
                for msg_id in ids
            ]

    async def read_back():
        async with _jetstream(private_nats.url) as jetstream:
            stored = [await jetstream.get_msg("CASES", seq) for seq in (1, 2, 3)]
            again = await jetstream.publish(
                "cases.opened", ids[1].encode(), headers={"Nats-Msg-Id": ids[1]}
            )
            info = await jetstream.stream_info("CASES")
        return stored, again, info.state.messages

    acks = asyncio.run(publish())
    assert [(ack.seq, ack.duplicate) for ack in acks] == [(1, None), (2, None), (3, None)]

    private_nats.stop()
    assert not private_nats.running
    assert _refuses_connections(private_nats.url)
    private_nats.start()
    assert private_nats.running

    stored, again, count = asyncio.run(read_back())
    assert [message.data for message in stored] == [msg_id.encode() for msg_id in ids]
    assert [message.headers for message in stored] == [{"Nats-Msg-Id": i} for i in ids]
    assert (again.duplicate, again.seq, count) == (True, 2, 3)


def test_a_killed_private_nats_starts_again_with_its_stream(private_nats):
    async def create():
        async with _jetstream(private_nats.url) as jetstream:
            await jetstream.add_stream(name="KEPT", subjects=["kept.>"], storage=StorageType.FILE)
            return await jetstream.publish("kept.before", b"before")

    async def publish_again():
        async with _jetstream(private_nats.url) as jetstream:
            info = await jetstream.stream_info("KEPT")
            return info, await jetstream.publish("kept.after", b"after")

    assert asyncio.run(create()).seq == 1
    private_nats.stop(kill=True)
    assert not private_nats.running
    assert _refuses_connections(private_nats.url)
    private_nats.restart()  # a no-op stop, then start
    assert private_nats.running

    info, ack = asyncio.run(publish_again())
    assert (info.config.subjects, info.config.storage) == (["kept.>"], StorageType.FILE)
    assert (ack.stream, ack.duplicate) == ("KEPT", None)


def test_the_shared_rabbitmq_confirms_a_message_and_delivers_it(amqp_url):
    name = f"mdtest.{uuid4().hex}"

    async def scenario():
        received = None
        async with await aio_pika.connect(amqp_url) as connection:
            channel = await connection.channel(publisher_confirms=True)
            try:
                exchange = await channel.declare_exchange(
                    name, aio_pika.ExchangeType.DIRECT, durable=True
                )
                queue = await channel.declare_queue(name, durable=True)
                await queue.bind(exchange, routing_key="case.opened")
                message = aio_pika.Message(b"opened", delivery_mode=PERSISTENT, message_id=name)
                confirmation = await exchange.publish(message, routing_key="case.opened")
                async with asyncio.timeout(10), queue.iterator() as messages:
                    async for delivered in messages:
                        async with delivered.process():
                            received = (delivered.body, delivered.message_id)
                        break
            finally:  # on a channel of its own: a failure above may have closed the first
                cleanup = await connection.channel()
                deleted = await cleanup.queue_delete(name)
                await cleanup.exchange_delete(name)
        return confirmation, received, deleted

    confirmation, received, deleted = asyncio.run(scenario())
    assert isinstance(confirmation, Basic.Ack)
    assert received == (b"opened", name)
    assert isinstance(deleted, Queue.DeleteOk)
    assert deleted.message_count == 0  # consumed and acked before the queue went


async def _publish_durably(url: str, name: str, bodies: list[bytes]) -> list[object]:
    """A durable topic exchange, a durable queue bound to `#`, persistent messages, confirmed."""
    async with await aio_pika.connect(url) as connection:
        channel = await connection.channel(publisher_confirms=True)
        exchange = await channel.declare_exchange(name, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(name, durable=True)
        await queue.bind(exchange, routing_key="#")
        return [
            await exchange.publish(
                aio_pika.Message(body, delivery_mode=PERSISTENT), routing_key=f"case.{n}.opened"
            )
            for n, body in enumerate(bodies)
        ]


async def _drain(url: str, name: str) -> tuple[int, list[tuple[bytes, object]]]:
    """How many messages the queue held, then each one's body and delivery mode, acked."""
    async with await aio_pika.connect(url) as connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(name, passive=True)
        count = queue.declaration_result.message_count
        received = []
        while (message := await queue.get(fail=False, timeout=5)) is not None:
            received.append((message.body, message.delivery_mode))
            await message.ack()
        await queue.delete(if_unused=False, if_empty=False)
        await channel.exchange_delete(name)
    return count, received


def test_a_private_rabbitmq_keeps_persistent_messages_across_a_restart(private_rabbit):
    assert urlsplit(private_rabbit.url).port != 5672
    assert not private_rabbit.node.startswith("rabbit@")
    name = f"mdtest.{uuid4().hex}"
    bodies = [f"case {n} opened".encode() for n in range(3)]

    confirmations = asyncio.run(_publish_durably(private_rabbit.url, name, bodies))
    assert all(isinstance(confirmation, Basic.Ack) for confirmation in confirmations)

    private_rabbit.stop()
    assert not private_rabbit.running
    assert _refuses_connections(private_rabbit.url)
    private_rabbit.start()
    assert private_rabbit.running

    count, received = asyncio.run(_drain(private_rabbit.url, name))
    assert count == 3
    assert received == [(body, PERSISTENT) for body in bodies]


def test_a_killed_private_rabbitmq_starts_again_with_its_confirmed_messages(private_rabbit):
    name = f"mdtest.{uuid4().hex}"
    confirmations = asyncio.run(_publish_durably(private_rabbit.url, name, [b"confirmed"]))
    assert isinstance(confirmations[0], Basic.Ack)

    private_rabbit.stop(kill=True)
    assert not private_rabbit.running
    assert _refuses_connections(private_rabbit.url)
    private_rabbit.start()
    assert private_rabbit.running

    # A confirm of a persistent message routed to a durable queue means it was on disk.
    assert asyncio.run(_drain(private_rabbit.url, name)) == (1, [(b"confirmed", PERSISTENT)])
