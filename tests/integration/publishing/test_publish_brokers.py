"""`mediation publish` to the machine's NATS JetStream and RabbitMQ, read back by their clients."""

from __future__ import annotations

import asyncio
import json
import signal
import socket
import uuid

import aio_pika
import nats
import pytest
from nats.js.api import StreamConfig

from mediation_adapters.publishing import CONTENT_TYPE, Publisher, sink_for
from mediation_adapters.publishing.positions import PROJECTION, TABLE
from mediation_adapters.stores import open_store
from mediation_domain.ports import Row
from mediation_domain.testing.contract import record_every_event
from publishing.brokerside import (
    bind_queue,
    drop_exchange,
    drop_stream,
    each_once,
    log_ids,
    publish,
    publisher,
    queue_of,
    recorded_store,
    stream_of,
    tally,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def store(tmp_path) -> tuple[str, list[int]]:
    """A SQLite store holding every kind of event, and its notification ids."""
    url = recorded_store(tmp_path, 3)
    return url, log_ids(url)


@pytest.fixture
def subject(nats_url):
    name = f"mdtest.{uuid.uuid4().hex[:12]}.events"
    yield name
    drop_stream(nats_url, name)


@pytest.fixture
def exchange(amqp_url):
    name = f"mdtest-{uuid.uuid4().hex[:12]}"
    yield name
    drop_exchange(amqp_url, name)


def test_every_event_reaches_jetstream_once_in_order_as_a_cloudevent(store, nats_url, subject):
    url, ids = store
    done = publish(url, f"{nats_url}/{subject}", "--once", "--source", "https://m.example.org")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        f"{len(ids)} events published to {nats_url}/{subject}: it stands at record {ids[-1]}\n"
    )
    received = stream_of(nats_url, subject)
    assert tally(received, ids) == each_once(ids)
    for delivery in received:
        assert (
            delivery.properties["Nats-Msg-Id"] == f"{subject}:https://m.example.org#{delivery.id}"
        )
        assert delivery.properties["Content-Type"] == CONTENT_TYPE
        assert delivery.event["specversion"] == "1.0"
        assert delivery.event["type"].startswith("mediation.case.")
    again = publish(url, f"{nats_url}/{subject}", "--once")
    assert again.returncode == 0
    assert again.stdout.startswith(f"nothing new to publish to {nats_url}/{subject}: ")


def test_jetstream_drops_what_a_publisher_sends_again_after_losing_its_position(
    store, nats_url, subject
):
    url, ids = store
    assert publish(url, f"{nats_url}/{subject}", "--once").returncode == 0
    app = open_store(url)
    projections = app.store.projections()
    projections.declare(PROJECTION, {TABLE: ()})
    with projections.writing(PROJECTION) as tx:
        ((key, row),) = tx.select(TABLE)
        half = {**json.loads(row.doc), "position": ids[len(ids) // 2]}
        tx.put(TABLE, {key: Row(json.dumps(half))})  # as if it died before recording the rest
    projections.close()
    app.close()
    assert publish(url, f"{nats_url}/{subject}", "--once").returncode == 0
    assert tally(stream_of(nats_url, subject), ids)["duplicates"] == 0


def test_every_event_reaches_a_rabbitmq_queue_once_in_order_as_a_cloudevent(
    store, amqp_url, exchange
):
    url, ids = store
    queue = bind_queue(amqp_url, exchange)
    done = publish(url, f"{amqp_url}{exchange}", "--once")
    assert done.returncode == 0, done.stderr
    received = queue_of(amqp_url, queue)
    assert tally(received, ids)["deliveries"] == len(ids)
    assert tally(received, ids)["losses"] == 0
    source = received[0].event["source"]
    for delivery in received:
        assert delivery.properties == {
            "message_id": f"{source}#{delivery.id}",
            "type": delivery.event["type"],
            "content_type": CONTENT_TYPE,
            "delivery_mode": 2,
            "routing_key": delivery.event["type"],
        }


def test_an_exchange_no_queue_takes_stops_publishing_without_losing_an_event(
    store, amqp_url, exchange
):
    url, ids = store
    refused = publish(url, f"{amqp_url}{exchange}", "--once")
    assert refused.returncode == 1
    assert refused.stderr.count("\n") == 1
    assert "no queue takes event" in refused.stderr
    assert "Traceback" not in refused.stderr
    queue = bind_queue(amqp_url, exchange)
    assert publish(url, f"{amqp_url}{exchange}", "--once").returncode == 0
    assert tally(queue_of(amqp_url, queue), ids)["losses"] == 0


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("kafka://127.0.0.1:9092/events", "unknown target 'kafka://127.0.0.1:9092/events'"),
        ("nats://127.0.0.1:4222/events.>", "invalid NATS target"),
        ("nats://127.0.0.1:4222/", "invalid NATS target"),
        ("amqp://guest:secret@127.0.0.1:5672/", "invalid AMQP target 'amqp://127.0.0.1:5672/'"),
        ("amqp://guest:guest@127.0.0.1:5672/amq.topic", "invalid AMQP target"),
        ("nats://127.0.0.1:abc/events", "invalid NATS target 'nats://127.0.0.1:abc/events'"),
        ("nats://127.0.0.1:99999/events", "invalid NATS target"),
        ("nats://127.0.0.1:0/events", "invalid NATS target"),
        ("nats://127.0.0.1:4222/events?stream=x", "invalid NATS target"),
        ("nats://127.0.0.1:4222/events#x", "invalid NATS target"),
        ("nats://[::1/events", "invalid NATS target"),
        ("amqp://guest:secret@[zz/events", "invalid AMQP target"),
        ("amqp://guest:secret@127.0.0.1:70000/x", "invalid AMQP target"),
        ("amqp://127.0.0.1:5672/events", "invalid AMQP target"),
        ("amqp://guest@127.0.0.1:5672/events", "invalid AMQP target"),
        ("amqp://guest:secret@127.0.0.1:5672/events?heartbeat=1", "invalid AMQP target"),
        ("amqp://guest:secret@127.0.0.1:5672/events?vhost=", "invalid AMQP target"),
    ],
)
def test_a_malformed_target_is_refused_in_one_line_with_no_password(store, target, message):
    refused = publish(store[0], target, "--once")
    assert refused.returncode == 2
    assert message in refused.stderr
    assert "secret" not in refused.stderr
    assert refused.stderr.count("\n") == 1


def test_a_source_that_is_not_a_uri_is_refused_before_any_broker_is_reached(store):
    refused = publish(store[0], "nats://127.0.0.1:9/events", "--once", "--source", "urn:x#1")
    assert refused.returncode == 2
    assert refused.stderr.startswith("mediation: invalid source 'urn:x#1': ")
    assert refused.stderr.count("\n") == 1


def test_an_exchange_of_another_type_is_one_line_and_exit_1(store, amqp_url, exchange):
    async def declare() -> None:
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            await channel.declare_exchange(exchange, aio_pika.ExchangeType.FANOUT, durable=True)

    asyncio.run(declare())
    refused = publish(store[0], f"{amqp_url}{exchange}", "--once")
    assert refused.returncode == 1
    assert "PRECONDITION_FAILED" in refused.stderr
    assert refused.stderr.count("\n") == 1, refused.stderr  # no client's leftovers after it


def test_an_unreachable_broker_is_one_line_and_exit_1_and_nothing_moves(store):
    url, _ = store
    refused = publish(url, "amqp://guest:secret@127.0.0.1:9/events", "--once")
    assert refused.returncode == 1
    assert refused.stderr.startswith("mediation: RabbitMQ at amqp://127.0.0.1:9/events")
    assert "secret" not in refused.stderr
    assert refused.stderr.count("\n") == 1
    refused = publish(url, "nats://127.0.0.1:9/events", "--once")
    assert refused.returncode == 1
    assert refused.stderr.startswith("mediation: NATS at nats://127.0.0.1:9/events")
    assert refused.stderr.count("\n") == 1


def test_only_a_coordinator_may_publish(store):
    refused = publish(store[0], "nats://127.0.0.1:4222/events", "--once", "--as", "partner:caf")
    assert refused.returncode == 2
    assert refused.stderr == "mediation: a partner may not administer\n"


def test_two_targets_in_one_stream_of_the_operators_each_get_every_event(store, nats_url):
    url, ids = store
    prefix = f"mdtest.{uuid.uuid4().hex[:12]}"

    async def make_stream() -> None:
        client = await nats.connect(nats_url)
        try:
            await client.jetstream().add_stream(
                name=prefix.replace(".", "_"), subjects=[f"{prefix}.>"]
            )
        finally:
            await client.close()

    asyncio.run(make_stream())
    try:
        for tool in ("crm", "warehouse"):
            assert publish(url, f"{nats_url}/{prefix}.{tool}", "--once").returncode == 0
            assert tally(stream_of(nats_url, f"{prefix}.{tool}"), ids)["losses"] == 0
    finally:
        drop_stream(nats_url, f"{prefix}.crm")


def test_an_event_too_big_for_the_stream_stops_publishing_before_it_and_keeps_the_order(
    tmp_path, nats_url, subject
):
    url = f"sqlite:///{tmp_path / 'cases.sqlite3'}"
    app = open_store(url)
    record_every_event(app)
    big = app.request_mediation(
        domain="public-transport",
        neighbourhood="Beaulieu",
        referral="resident",
        parties=[f"Habitant {n}" for n in range(40)],
        summary="...",
    )
    record_every_event(app)
    ids = [n.id for n in app.recorder.select_notifications(None, 1000)]
    app.close()

    async def stream(most: int) -> None:
        client = await nats.connect(nats_url)
        try:
            config = StreamConfig(
                name=subject.replace(".", "_"), subjects=[subject], max_msg_size=most
            )
            jetstream = client.jetstream()
            if most == 1200:
                await jetstream.add_stream(config)
            else:
                await jetstream.update_stream(config)
        finally:
            await client.close()

    asyncio.run(stream(1200))  # the 17 events before it fit, with their headers
    refused = publish(url, f"{nats_url}/{subject}", "--once")
    assert refused.returncode == 1
    assert "bytes, more than the stream or server takes (1200)" in refused.stderr
    assert len(stream_of(nats_url, subject)) == 17
    asyncio.run(stream(-1))
    assert publish(url, f"{nats_url}/{subject}", "--once").returncode == 0
    received = stream_of(nats_url, subject)
    assert tally(received, ids) == each_once(ids)
    assert received[17].event["subject"] == str(big)


def test_ctrl_c_while_a_broker_keeps_the_publisher_waiting_is_one_line_and_exit_1(store):
    with socket.socket() as silent:  # accepts, never answers: the client waits for INFO
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        silent.settimeout(60)
        port = silent.getsockname()[1]
        process = publisher(store[0], f"nats://127.0.0.1:{port}/events", "--once")
        connection, _ = silent.accept()  # the publisher is connecting: it waits from now on
        with connection:
            process.send_signal(signal.SIGINT)
            _, err = process.communicate(timeout=30)
    assert process.returncode == 1
    assert err.startswith("mediation: interrupted: nats://127.0.0.1:"), err
    assert err.count("\n") == 1, err


def test_an_event_that_fits_with_its_headers_is_sent_however_close_to_the_limit(
    store, nats_url, subject
):
    url, ids = store
    app = open_store(url)
    publisher_ = Publisher(app, sink_for(f"{nats_url}/{subject}"))
    largest = max(len(m.body) for m in publisher_.messages(0, ids[-1]))
    publisher_.close()
    app.close()

    async def stream() -> None:  # room for the largest body and ~140 bytes of headers only
        client = await nats.connect(nats_url)
        try:
            config = StreamConfig(
                name=subject.replace(".", "_"), subjects=[subject], max_msg_size=largest + 160
            )
            await client.jetstream().add_stream(config)
        finally:
            await client.close()

    asyncio.run(stream())
    done = publish(url, f"{nats_url}/{subject}", "--once")
    assert done.returncode == 0, done.stderr
    assert tally(stream_of(nats_url, subject), ids) == each_once(ids)
