"""What the brokers received, read with their own clients: every delivery, duplicates kept."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aio_pika
import nats
from nats.js.errors import NotFoundError

from mediation_adapters.stores import open_store
from mediation_domain.testing.contract import record_every_event

SCRIPT = Path(sys.executable).with_name("mediation")


@dataclass
class Delivery:
    """One message as a consumer got it: the CloudEvent and the broker's own properties."""

    event: dict[str, Any]
    properties: dict[str, Any]

    @property
    def id(self) -> int:
        return int(self.event["id"])


def publish(
    store: str, target: str, *args: str, timeout: float = 120
) -> subprocess.CompletedProcess:
    """`mediation publish --to target ...` on `store`, as a user runs it."""
    env = {**os.environ, "MEDIATION_STORE": store}
    return subprocess.run(
        [str(SCRIPT), "publish", "--to", target, *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
    )


def publisher(store: str, target: str, *args: str) -> subprocess.Popen[str]:
    """`mediation publish --to target` running until stopped, Ctrl-C as in a terminal.

    A test run in the background (`.ci/run &`) ignores SIGINT, and so would the command:
    it gets the default back, as a user's terminal gives it.
    """
    env = {**os.environ, "MEDIATION_STORE": store}
    return subprocess.Popen(
        [str(SCRIPT), "publish", "--to", target, "--poll", "0.02", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
    )


def stream_of(server: str, subject: str) -> list[Delivery]:
    """Every message JetStream holds on `subject`, in the stream's order."""

    async def read() -> list[Delivery]:
        client = await nats.connect(server)
        try:
            stream = client.jetstream()
            subscription = await stream.pull_subscribe(subject)
            found: list[Delivery] = []
            while True:
                try:
                    batch = await subscription.fetch(1000, timeout=1)
                except TimeoutError:  # nats-py's, or asyncio's: fetch raises either
                    return found
                for message in batch:
                    found.append(Delivery(json.loads(message.data), dict(message.headers or {})))
                    await message.ack()
        finally:
            await client.close()

    return asyncio.run(read())


def drop_stream(server: str, subject: str) -> None:
    """Delete the stream that takes `subject` (the shared server keeps nothing of a test)."""

    async def drop() -> None:
        client = await nats.connect(server)
        try:
            stream = client.jetstream()
            try:
                name = await stream.find_stream_name_by_subject(subject)
            except NotFoundError:
                return
            await stream.delete_stream(name)
        finally:
            await client.close()

    asyncio.run(drop())


def bind_queue(server: str, exchange: str) -> str:
    """A durable queue taking every event of `exchange` (declared as the publisher does)."""

    async def bind() -> str:
        connection = await aio_pika.connect(server)
        async with connection:
            channel = await connection.channel()
            place = await channel.declare_exchange(
                exchange, aio_pika.ExchangeType.TOPIC, durable=True
            )
            queue = await channel.declare_queue(f"{exchange}.all", durable=True)
            await queue.bind(place, "#")
            return queue.name

    return asyncio.run(bind())


def queue_of(server: str, queue: str) -> list[Delivery]:
    """Every message waiting in `queue`, taken off it, in the queue's order."""

    async def drain() -> list[Delivery]:
        connection = await aio_pika.connect(server)
        async with connection:
            channel = await connection.channel()
            source = await channel.get_queue(queue)
            found: list[Delivery] = []
            while (message := await source.get(no_ack=True, fail=False)) is not None:
                properties = {
                    "message_id": message.message_id,
                    "type": message.type,
                    "content_type": message.content_type,
                    "delivery_mode": int(message.delivery_mode),
                    "routing_key": message.routing_key,
                }
                found.append(Delivery(json.loads(message.body), properties))
            return found

    return asyncio.run(drain())


def drop_exchange(server: str, exchange: str) -> None:
    """Delete the exchange and its queue from the shared broker."""

    async def drop() -> None:
        connection = await aio_pika.connect(server)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(f"{exchange}.all")
            await channel.exchange_delete(exchange)

    asyncio.run(drop())


def tally(deliveries: list[Delivery], expected: list[int]) -> dict[str, int]:
    """Events, deliveries, duplicates and losses; asserts each case's order was kept."""
    ids = [delivery.id for delivery in deliveries]
    first_seen = list(dict.fromkeys(ids))
    versions: dict[str, int] = {}
    for delivery in deliveries:
        subject, version = delivery.event["subject"], delivery.event["caseversion"]
        if version > versions.get(subject, 0):
            assert version == versions.get(subject, 0) + 1, "a case's event came out of order"
            versions[subject] = version
    assert first_seen == sorted(first_seen), "events came out of the log's order"
    return {
        "events": len(expected),
        "deliveries": len(ids),
        "duplicates": len(ids) - len(first_seen),
        "losses": len(set(expected) - set(ids)),
    }


def each_once(expected: list[int]) -> dict[str, int]:
    """The tally of every event delivered once: what a deduplicating broker must show."""
    return {"events": len(expected), "deliveries": len(expected), "duplicates": 0, "losses": 0}


def recorded_store(folder: Path, histories: int) -> str:
    """A SQLite store in `folder` holding `histories` copies of every kind of event."""
    url = f"sqlite:///{folder / 'cases.sqlite3'}"
    app = open_store(url)
    for _ in range(histories):
        record_every_event(app)
    app.close()
    return url


def log_ids(store: str) -> list[int]:
    """The notification ids of the store's whole log."""
    app = open_store(store)
    try:
        return [n.id for n in app.recorder.select_notifications(None, 10**6)]
    finally:
        app.close()
