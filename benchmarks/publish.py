"""Publishing to NATS JetStream and RabbitMQ: throughput against the bare client, then lag.

    python benchmarks/publish.py [--events 100000] [--rounds 3] [--nats URL] [--amqp URL]
        [--brokers nats,amqp] [--seconds 10] [--rate 200] [--polls 0.1 0.01] [--json out.json]

A SQLite store is filled as audit.py fills it (copies of `record_every_event`'s history, 17
events a case). `Publisher.publish()` to a sink that keeps what it is given times the
publisher's own work and makes the bodies the raw passes send. Then `--rounds` rounds, per
broker, of two passes in turn (the order alternates), each to a subject and file stream
(NATS) or a durable topic exchange and a durable queue bound by `#` (RabbitMQ) of its own,
made before, counted and deleted after:
- ours: `Publisher(app, sink_for(url)).publish()`, the whole log from position 0;
- raw: the same bodies and headers with the same client, in batches of `publisher.BATCH`,
  each batch confirmed before the next: NATS `js.publish_async`, the acks gathered;
  RabbitMQ aiormq `basic_publish` with publisher confirms, persistent and mandatory.
Both are connected before the clock starts. Target: ours >= 0.5x raw (median ratio).

Lag, per broker and poll: `mediation publish --to URL --poll P` in a process of its own
on a fresh SQLite store, while this process runs `--rate` commands a second for `--seconds`
(a request, then both consents) and a consumer in a thread here (a JetStream push
consumer, or `basic_consume` on the queue) notes each event's arrival: lag = arrival - the
CloudEvent's `time` (the event's timestamp, taken just before its commit; same clock).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator, Sequence
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import aiormq
import nats
from audit import fill
from nats.js.api import StorageType
from pamqp import commands as spec
from workload import machine, party_ids

from mediation_adapters.publishing import CONTENT_TYPE, Message, Publisher, sink_for
from mediation_adapters.publishing.publisher import BATCH
from mediation_adapters.stores import open_store
from mediation_domain import Mediations

PASSES = ("ours", "raw")
TARGET = 0.5
PERSISTENT: Any = {"content_type": CONTENT_TYPE, "delivery_mode": 2}  # as AmqpSink sends
REQUEST: Any = {
    "domain": "public-transport",
    "neighbourhood": "Beaulieu",
    "referral": "resident",
    "parties": ["Mme Rousseau", "M. Nguyễn"],
    "summary": "Incivilités répétées à l'arrêt de bus, ligne 1",
}
Result = dict[str, Any]
Arrived = Callable[[bytes], None]


def fresh_name() -> str:
    """A subject (NATS) or exchange and queue (RabbitMQ) of the pass's own."""
    return f"bench.publish.{uuid.uuid4().hex[:12]}"


def headers(message: Message) -> dict[str, str]:
    """What NatsSink sends with each message."""
    return {"Content-Type": CONTENT_TYPE, "Nats-Msg-Id": message.key}


def batches(messages: Sequence[Message]) -> Iterator[Sequence[Message]]:
    return (messages[i : i + BATCH] for i in range(0, len(messages), BATCH))


class Broker:
    name = ""

    def __init__(self, server: str) -> None:
        self.server, self.version = server.rstrip("/") + "/", ""

    def target(self, name: str) -> str:
        """The URL of subject or exchange `name`, for sink_for."""
        return f"{self.server}{name}"


class Nats(Broker):
    """JetStream: a file stream of the pass's one subject, made before and deleted after."""

    name = "nats"

    def admin(self, name: str, *, create: bool) -> int:
        """Make the stream taking subject `name`, or delete it: how many messages it held."""

        async def work() -> int:
            client = await nats.connect(self.server)
            js, v = client.jetstream(), client.connected_server_version
            self.version = f"{v.major}.{v.minor}.{v.patch}"
            stream = name.replace(".", "_").upper()
            if create:
                await js.add_stream(name=stream, subjects=[name], storage=StorageType.FILE)
            held = (await js.stream_info(stream)).state.messages
            if not create:
                await js.delete_stream(stream)
            await client.close()
            return int(held)

        return asyncio.run(work())

    async def raw(self, name: str, messages: Sequence[Message]) -> float:
        client = await nats.connect(self.server)
        js, started = client.jetstream(), time.perf_counter()
        for batch in batches(messages):
            acks = [await js.publish_async(name, m.body, headers=headers(m)) for m in batch]
            await asyncio.gather(*acks)
        seconds = time.perf_counter() - started
        await client.close()
        return seconds

    async def consume(self, name: str, arrived: Arrived) -> Callable[[], Coroutine[Any, Any, None]]:
        client = await nats.connect(self.server)

        async def received(message: Any) -> None:  # noqa: ANN401 - nats-py's Msg
            arrived(message.data)

        await client.jetstream().subscribe(name, cb=received)  # a push consumer, acked
        return client.close


class Amqp(Broker):
    """RabbitMQ: the pass's durable topic exchange, and a durable queue bound to it by `#`."""

    name = "amqp"

    def admin(self, name: str, *, create: bool) -> int:
        """Make the exchange and queue `name`, or delete them: how many messages it held."""

        async def work() -> int:
            connection = await aiormq.connect(self.server)
            self.version = str(connection.server_properties.get("version", ""))
            channel = await connection.channel()
            if create:
                await channel.exchange_declare(name, exchange_type="topic", durable=True)
                await channel.queue_declare(name, durable=True)
                await channel.queue_bind(name, name, routing_key="#")
                held = 0
            else:
                deleted = await channel.queue_delete(name)
                await channel.exchange_delete(name)
                held = deleted.message_count if deleted else -1
            await connection.close()
            return held

        return asyncio.run(work())

    async def raw(self, name: str, messages: Sequence[Message]) -> float:
        connection = await aiormq.connect(self.server)
        channel = await connection.channel(publisher_confirms=True)
        started = time.perf_counter()
        for batch in batches(messages):
            sent = (
                channel.basic_publish(
                    m.body,
                    exchange=name,
                    routing_key=m.type,
                    properties=spec.Basic.Properties(
                        **PERSISTENT, message_id=m.key, message_type=m.type
                    ),
                    mandatory=True,
                )
                for m in batch
            )
            confirmations = await asyncio.gather(*sent)
            assert all(isinstance(c, spec.Basic.Ack) for c in confirmations)
        seconds = time.perf_counter() - started
        await connection.close()
        return seconds

    async def consume(self, name: str, arrived: Arrived) -> Callable[[], Coroutine[Any, Any, None]]:
        connection = await aiormq.connect(self.server)

        async def received(message: aiormq.abc.DeliveredMessage) -> None:
            arrived(message.body)

        await (await connection.channel()).basic_consume(name, received, no_ack=True)
        return connection.close


def ours(app: Mediations, broker: Broker, name: str, events: int) -> float:
    sink = sink_for(broker.target(name))
    sink.send([])  # connected, the stream found or the exchange declared, before the clock
    publisher = Publisher(app, sink)
    started = time.perf_counter()
    published = publisher.publish()
    seconds = time.perf_counter() - started
    publisher.close()
    assert published == events, (published, events)
    return seconds


def throughput(app: Mediations, brokers: list[Broker], events: int, rounds: int) -> Result:
    messages: list[Message] = []  # a sink that keeps what it is given
    keeper = SimpleNamespace(target="bench://kept", send=messages.extend, close=lambda: None)
    publisher = Publisher(app, keeper)
    started = time.perf_counter()
    assert publisher.publish() == events
    own = events / (time.perf_counter() - started)
    publisher.close()
    figures: Result = {"own_rate": own, "bytes": statistics.mean(len(m.body) for m in messages)}
    for broker in brokers:
        figures[broker.name] = {kind: [] for kind in PASSES}
    for round_ in range(rounds):
        for broker in brokers:
            for kind in PASSES if round_ % 2 == 0 else PASSES[::-1]:
                name = fresh_name()
                broker.admin(name, create=True)
                try:
                    if kind == "ours":
                        seconds = ours(app, broker, name, events)
                    else:
                        seconds = asyncio.run(broker.raw(name, messages))
                finally:
                    held = broker.admin(name, create=False)
                assert held == events, f"{broker.name} {kind}: {held} of {events} stored"
                figures[broker.name][kind].append(events / seconds)
                print(f"  round {round_ + 1}: {broker.name} {kind} done", file=sys.stderr)
    for broker in brokers:
        rates = figures[broker.name]
        rates["ratios"] = [o / r for o, r in zip(rates["ours"], rates["raw"], strict=True)]
        rates["ratio"] = statistics.median(rates["ratios"])
    return figures


class Consumer:
    """Notes when each message arrives, on an event loop in a thread of its own."""

    def __init__(self, broker: Broker, name: str) -> None:
        self.arrivals: list[tuple[float, bytes]] = []
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._close = self._call(broker.consume(name, self._arrived))

    def _call(self, work: Coroutine[Any, Any, Any]) -> Any:  # noqa: ANN401 - what `work` returns
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(30)

    def _arrived(self, body: bytes) -> None:
        self.arrivals.append((time.time(), body))

    def wait_for(self, last: int, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while last not in {int(json.loads(body)["id"]) for _, body in list(self.arrivals)}:
            assert time.monotonic() < deadline, f"event {last} never arrived"
            time.sleep(0.05)

    def stop(self) -> None:
        self._call(self._close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()


def commanding(app: Mediations) -> Iterator[None]:
    """A request, then both parties' consents, over and over: one event a command."""
    while True:
        a, b = party_ids()
        case = app.request_mediation(**REQUEST, party_ids=[a, b])
        yield
        app.give_consent(case, party=a)
        yield
        app.give_consent(case, party=b)
        yield


def lag(broker: Broker, poll: float, seconds: float, rate: float) -> Result:
    name = fresh_name()
    broker.admin(name, create=True)
    with tempfile.TemporaryDirectory() as folder:
        store = f"sqlite:///{Path(folder) / 'lag.sqlite3'}"
        app = open_store(store)
        mediation = Path(sys.executable).parent / "mediation"
        command = [str(mediation), "publish", "--store", store, "--to", broker.target(name)]
        consumer = Consumer(broker, name)
        process = subprocess.Popen(
            [*command, "--poll", str(poll)], stdout=subprocess.PIPE, text=True
        )
        try:
            assert process.stdout is not None
            process.stdout.readline()  # "publishing to ...": started
            work = commanding(app)
            for _ in range(3):  # a warm-up case: connected, the first batch sent
                next(work)
            warm = app.recorder.max_notification_id() or 0
            consumer.wait_for(warm)
            count, late, started = round(rate * seconds), 0.0, time.perf_counter()
            for i in range(count):
                due = started + i / rate
                if (ahead := due - time.perf_counter()) > 0:
                    time.sleep(ahead)
                else:
                    late = max(late, -ahead)
                next(work)
            elapsed = time.perf_counter() - started
            last = app.recorder.max_notification_id() or 0
            consumer.wait_for(last)
        finally:
            process.terminate()
            process.communicate(timeout=30)
            consumer.stop()
            app.close()
            broker.admin(name, create=False)
    lags: dict[int, float] = {}
    for arrived, body in consumer.arrivals:
        event = json.loads(body)
        if (number := int(event["id"])) > warm and number not in lags:
            lags[number] = arrived - datetime.fromisoformat(event["time"]).timestamp()
    ms = sorted(v * 1e3 for v in lags.values())
    assert len(ms) == last - warm, (len(ms), last - warm)
    return {
        "events": len(ms),
        "commands_per_s": count / elapsed,
        "most_late_s": late,
        "median_ms": statistics.median(ms),
        "p99_ms": statistics.quantiles(ms, n=100)[98],
        "max_ms": ms[-1],
    }


def print_tables(figures: Result, brokers: list[Broker], lags: Result) -> None:
    rounds = len(figures[brokers[0].name]["ours"])
    heads = "".join(f"{f'round {r + 1}':>11}" for r in range(rounds))
    print(f"publisher alone (no broker): {figures['own_rate']:,.0f} events/s, batch {BATCH}")
    print(f"{'broker':<7}{'events/s':<10}{heads}{'median':>11}")
    for broker in brokers:
        rates = figures[broker.name]
        for i, kind in enumerate((*PASSES, "ratios")):
            shown = "{:>11.2f}" if kind == "ratios" else "{:>11,.0f}"
            cells = "".join(shown.format(v) for v in [*rates[kind], statistics.median(rates[kind])])
            label = "ours/raw" if kind == "ratios" else kind
            print(f"{broker.name if i == 0 else '':<7}{label:<10}{cells}")
    print("\nbroker  poll s  events   cmd/s  median ms   p99 ms   max ms")
    for key, f in lags.items():
        broker, poll = key.split(" ")
        print(
            f"{broker:<7}{poll:>7}{f['events']:>8,}{f['commands_per_s']:>8.0f}"
            f"{f['median_ms']:>11.1f}{f['p99_ms']:>9.1f}{f['max_ms']:>9.1f}"
        )
    print()
    for broker in brokers:
        ratio = figures[broker.name]["ratio"]
        verdict = "met" if ratio >= TARGET else "NOT met"
        print(f"{broker.name}: ours / raw {ratio:.2f} (median), target {TARGET}: {verdict}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--nats", default="nats://127.0.0.1:4222")
    parser.add_argument("--amqp", default="amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--brokers", default="nats,amqp")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--polls", type=float, nargs="*", default=[0.1, 0.01])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    chosen: dict[str, Broker] = {"nats": Nats(args.nats), "amqp": Amqp(args.amqp)}
    brokers = [chosen[name] for name in args.brokers.split(",")]
    with tempfile.TemporaryDirectory() as folder:
        url, started = f"sqlite:///{Path(folder) / 'publish.sqlite3'}", time.perf_counter()
        fill(url, args.events)  # audit.py's: copies of record_every_event's history
        app = open_store(url, create=False)
        print(f"  filled in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        figures = throughput(app, brokers, args.events, args.rounds)
        app.close()
    lags = {
        f"{broker.name} {poll:g}": lag(broker, poll, args.seconds, args.rate)
        for broker in brokers
        for poll in args.polls
    }
    print_tables(figures, brokers, lags)
    if args.json:
        facts: Result = {"machine": machine(["sqlite"], ""), "command": sys.argv}
        facts["machine"].update({f"{b.name}_server": b.version for b in brokers})
        result = {**facts, "batch": BATCH, "throughput": figures, "lag": lags}
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
