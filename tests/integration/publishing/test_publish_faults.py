"""Faults: the publisher killed at random points, the broker restarted mid-stream or down at start.

Each runs on a broker of the test's own (never the shared ones) while cases are recorded,
then reads every delivery back: none lost, each case's order kept, duplicates only where
the broker cannot deduplicate (RabbitMQ). Each test prints its tally (events, deliveries,
duplicates, losses): `pytest -s` shows them.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mediation_adapters.publishing.positions import Positions
from mediation_adapters.stores import open_store
from mediation_domain.testing.contract import record_every_event
from publishing.brokerside import (
    Delivery,
    bind_queue,
    log_ids,
    publish,
    publisher,
    queue_of,
    recorded_store,
    stream_of,
    tally,
)

pytestmark = pytest.mark.slow
SEED = int(os.environ.get("MEDIATION_FAULT_SEED", random.randrange(2**32)))


@dataclass
class Broker:
    """A private broker as these tests use it: where to publish, and how to read it all."""

    name: str
    target: str
    received: Callable[[], list[Delivery]]
    restart: Callable[[], None]
    stop: Callable[[], None]
    start: Callable[[], None]
    deduplicates: bool


@pytest.fixture(params=["nats", "rabbitmq"])
def broker(request: pytest.FixtureRequest) -> Broker:
    if request.param == "nats":
        server = request.getfixturevalue("private_nats")
        subject = "mediation.events"
        return Broker(
            "nats",
            f"{server.url}/{subject}",
            lambda: stream_of(server.url, subject),
            server.restart,
            server.stop,
            server.start,
            deduplicates=True,
        )
    node = request.getfixturevalue("private_rabbit")
    exchange = f"mediation-{random.randrange(10**9)}"
    queue = bind_queue(node.url, exchange)
    return Broker(
        "rabbitmq",
        f"{node.url}{exchange}",
        lambda: queue_of(node.url, queue),
        node.restart,
        node.stop,
        node.start,
        deduplicates=False,
    )


@pytest.fixture
def store(tmp_path: Path) -> str:
    """A SQLite store with some history already (a publisher has a backlog to work through)."""
    return recorded_store(tmp_path, 100)


@pytest.fixture
def recording(store: str) -> Iterator[threading.Event]:
    """Cases recorded in the background while the test runs, until the event is set."""
    done = threading.Event()

    def record() -> None:
        app = open_store(store)
        try:
            while not done.wait(0.01):
                record_every_event(app)
        finally:
            app.close()

    writer = threading.Thread(target=record)
    writer.start()
    yield done
    done.set()
    writer.join(30)


def position(store: str) -> int:
    """Where the store's one target stands (0 before its first confirmed event)."""
    app = open_store(store)
    projections = app.store.projections()
    try:
        return sum(Positions(projections).all().values())
    finally:
        projections.close()
        app.close()


def caught_up(store: str, process: subprocess.Popen[str], timeout: float = 90) -> int:
    """Wait until the target stands at the log's end; returns that end."""
    end = log_ids(store)[-1]
    deadline = time.monotonic() + timeout
    while position(store) < end:
        if process.poll() is not None:
            pytest.fail(f"the publisher stopped: {process.communicate()}")
        assert time.monotonic() < deadline, f"stuck at {position(store)} of {end}"
        time.sleep(0.1)
    return end


def stopped(process) -> tuple[int, str, str]:
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=30)
    return process.returncode, out, err


def checked(broker: Broker, store: str, what: str) -> dict[str, int]:
    figures = tally(broker.received(), log_ids(store))
    print(f"\n{what} on {broker.name} (seed {SEED}): {figures}")  # noqa: T201 - the tally
    assert figures["losses"] == 0
    assert figures["deliveries"] >= figures["events"]
    if broker.deduplicates:
        assert figures["duplicates"] == 0
    return figures


def test_a_publisher_killed_at_random_points_loses_nothing(broker, store, recording):
    rng = random.Random(SEED)
    behind = 0
    for _ in range(6):
        process = publisher(store, broker.target)
        time.sleep(rng.uniform(0.4, 1.5))  # the command starts in about 0.4 s
        process.kill()
        process.communicate(timeout=10)
        behind += position(store) < log_ids(store)[-1]
    recording.set()
    done = publish(store, broker.target, "--once")
    assert done.returncode == 0, done.stderr
    checked(broker, store, f"6 SIGKILLs ({behind} with events left to publish)")


def test_a_broker_restarted_mid_stream_gets_every_event(broker, store, recording):
    process = publisher(store, broker.target)
    try:
        time.sleep(1.0)
        broker.restart()
        time.sleep(1.0)
        broker.restart()
        time.sleep(0.5)
        recording.set()
        caught_up(store, process)
    finally:
        code, out, err = stopped(process)
    assert code == 0, err
    assert "events published to" in out
    assert "Traceback" not in err
    assert all("(trying again in " in line for line in err.splitlines())
    checked(broker, store, f"2 broker restarts ({len(err.splitlines())} failed sends retried)")


def test_a_broker_down_at_start_gets_every_event_once_it_is_up(broker, store, recording):
    broker.stop()
    process = publisher(store, broker.target)
    try:
        time.sleep(2.0)
        broker.start()
        recording.set()
        caught_up(store, process)
    finally:
        code, out, err = stopped(process)
    assert code == 0, err
    failures = err.splitlines()
    assert failures
    assert all(line.startswith("mediation: ") for line in failures)
    assert all("(trying again in " in line for line in failures)
    assert "events published to" in out
    checked(broker, store, f"broker down at start ({len(failures)} failed sends retried)")
