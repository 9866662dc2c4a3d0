"""docs/integrations.md, as written: its CloudEvents are the code's, its walkthroughs run.

Each CloudEvent of the doc is compared with what the publisher makes of the same event of
`record_every_event` on a new store: the same attributes and `data` fields, in the same
order, the same values, except those that differ from run to run (case ids, pseudonyms,
times, a session's date), which must have the same form and correspond one to one (the
doc's were made so, with `app.clock` ticking a day at a time from 2026-03-02: make them
again when record_every_event changes). The consumer examples are the doc's code blocks,
byte for byte. The console blocks then run, in order, against the machine's NATS and
RabbitMQ, on a subject, exchange and queue of the test's own (the doc's names replaced),
and the Python block publishes from its own process.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import aio_pika
import nats
import pytest
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from doc_transcripts import console_steps, looks_like
from mediation_adapters.bootstrap import open_store
from mediation_adapters.publishing import Message, Publisher
from mediation_domain import Mediations
from mediation_domain.public_events import (
    CASE_LINK,
    LEFT_OUT,
    PARTIES,
    PARTY,
    PSEUDONYM,
    PUBLIC_FIELDS,
)
from mediation_domain.public_events import SUBJECT as ERASED_SUBJECT
from mediation_domain.testing.contract import record_every_activity, record_every_event

ROOT = Path(__file__).parents[3]
TEXT = (ROOT / "docs" / "integrations.md").read_text(encoding="utf-8")
EXAMPLES = ("consume_nats.py", "consume_rabbitmq.py")
SOURCE = "https://mediation.example.org"
NAME, QUEUE = "mediation-events", "case-management"  # the doc's; each run has its own
RENAMED = {PSEUDONYM, PARTIES, PARTY, ERASED_SUBJECT, CASE_LINK}  # pseudonyms, or record ids
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[45][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
PSEUDONYM_FORM = re.compile(r"[0-9a-f]{20}")
TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{6})?Z")
DAY = re.compile(r"\d{4}-\d\d-\d\d")


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"^```{kind}\n(.*?)^```", TEXT, re.MULTILINE | re.DOTALL)


def _table(heading: str) -> list[list[str]]:
    """The cells of each row of the first table after `heading`, its header left out."""
    lines = TEXT.split(f"\n{heading}\n", 1)[1].splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("|"))
    rows = list(itertools.takewhile(lambda line: line.startswith("|"), lines[start:]))
    return [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[2:]]


class _Nowhere:
    """A sink that is never sent to: the publisher only makes the messages."""

    target = "memory://nowhere"

    def send(self, messages: object) -> None:
        raise AssertionError(messages)

    def close(self) -> None:
        pass


def _messages(app: Mediations) -> list[Message]:
    publisher = Publisher(app, _Nowhere(), source=SOURCE)
    try:
        return publisher.messages(0, 10_000)
    finally:
        publisher.close()


def _made() -> dict[str, dict]:
    """The CloudEvents of record_every_event, then record_every_activity, by id.

    The cases are recorded four years ago, so that the log's times follow its order (the
    activities' orientation is recorded three years ago, to be archived now).
    """
    app = open_store("memory://")
    try:
        app.clock = lambda: datetime.now(UTC) - timedelta(days=4 * 365)
        record_every_event(app)
        app.clock = None
        record_every_activity(app)
        return {str(m.id): json.loads(m.body) for m in _messages(app)}
    finally:
        app.close()


class _Renaming:
    """Values shown in the doc for values made in this run: one to one, every time."""

    def __init__(self) -> None:
        self.made_for: dict[str, str] = {}
        self.shown_for: dict[str, str] = {}

    def same(self, shown: object, made: object) -> None:
        if shown is None:  # no id to rename (an orientation from no case)
            assert made is None
            return
        if isinstance(shown, list):
            assert isinstance(made, list)
            assert len(shown) == len(made)
            for one, other in zip(shown, made, strict=True):
                self.same(one, other)
            return
        assert isinstance(shown, str)
        assert isinstance(made, str)
        assert UUID.fullmatch(shown) or PSEUDONYM_FORM.fullmatch(shown), shown
        assert bool(UUID.fullmatch(shown)) == bool(UUID.fullmatch(made)), (shown, made)
        assert self.made_for.setdefault(shown, made) == made, shown
        assert self.shown_for.setdefault(made, shown) == shown, shown


def test_the_doc_shows_one_cloudevent_of_each_event_type():
    shown = [json.loads(block)["type"] for block in _blocks("json")]
    made = {event["type"] for event in _made().values()}
    assert len(made) == len(PUBLIC_FIELDS)  # record_every_event records every kind
    assert sorted(shown) == sorted(made)


def test_each_cloudevent_of_the_doc_is_what_the_publisher_makes_of_that_event():
    made, names, times = _made(), _Renaming(), []
    fields = {kind.__name__: declared for kind, declared in PUBLIC_FIELDS.items()}
    for shown in map(json.loads, _blocks("json")):
        event = made[shown["id"]]  # a new store numbers its events alike every run
        assert list(shown) == list(event)
        for attribute in set(shown) - {"subject", "time", "data"}:
            assert shown[attribute] == event[attribute], (shown["id"], attribute)
        assert UUID.fullmatch(shown["subject"]), shown["subject"]
        names.same(shown["subject"], event["subject"])
        assert TIME.fullmatch(shown["time"]), shown["time"]
        assert TIME.fullmatch(event["time"]), event["time"]
        times.append(shown["time"])
        declared = fields[shown["type"].split(".")[2]]
        assert list(shown["data"]) == list(event["data"]), shown["id"]
        for field, value in shown["data"].items():
            if declared[field] in RENAMED:
                names.same(value, event["data"][field])
            elif isinstance(value, str) and DAY.fullmatch(value):
                assert DAY.fullmatch(event["data"][field])
            elif isinstance(value, str) and TIME.fullmatch(value):  # a round's, an archive's
                assert TIME.fullmatch(event["data"][field])
            else:
                assert value == event["data"][field], (shown["id"], field)
    assert times == sorted(times)


def test_the_data_table_lists_what_each_event_publishes_and_leaves_out():
    rows = {row[0]: row[1:] for row in _table("### What `data` holds")}
    for kind, declared in PUBLIC_FIELDS.items():
        published, left_out = rows.pop(kind.__name__)
        assert re.findall(r"`(\w+)`", published) == [
            f for f, k in declared.items() if k != LEFT_OUT
        ]
        assert re.findall(r"`(\w+)`", left_out) == [f for f, k in declared.items() if k == LEFT_OUT]
    assert not rows


def test_the_attribute_table_names_every_attribute_in_order():
    attributes = [re.fullmatch(r"`(\w+)`", row[0]).group(1) for row in _table("## The CloudEvent")]
    assert attributes == list(next(iter(_made().values())))


def test_erasing_a_case_publishes_the_case_id_as_the_erased_subject():
    app = open_store("memory://")
    try:
        case_id = str(record_every_event(app))
        app.erase_subject(case_id)
        erased = json.loads(_messages(app)[-1].body)
    finally:
        app.close()
    assert erased["type"] == "mediation.case.PersonalDataErased.v1"
    assert erased["subject"] == erased["data"]["subject"] == case_id


def test_the_doc_shows_each_consumer_example_as_it_is():
    blocks = _blocks("python")
    for name in EXAMPLES:
        assert (ROOT / "examples" / name).read_text(encoding="utf-8") in blocks, name


def test_each_consumer_example_stays_within_forty_lines_of_code():
    for name in EXAMPLES:
        text = (ROOT / "examples" / name).read_text(encoding="utf-8")
        code = text.split('"""', 2)[2].splitlines()  # after the docstring
        assert len([line for line in code if line.strip() and line.strip()[0] != "#"]) <= 40


# The walkthroughs, on the machine's brokers.


def _reachable(port: int, greeting: Callable[[socket.socket], bool], what: str) -> None:
    """The broker answers its protocol on 127.0.0.1:`port`; else fail under CI, skip elsewhere."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
            if greeting(sock):
                return
            reason = f"{what} on port {port} does not speak its protocol"
    except OSError as error:
        reason = f"{what} unreachable on port {port}: {error} (.ci/run starts it)"
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _nats_greets(sock: socket.socket) -> bool:
    return sock.recv(5).startswith(b"INFO")


def _amqp_starts(sock: socket.socket) -> bool:
    sock.sendall(b"AMQP\x00\x00\x09\x01")
    return sock.recv(1) == b"\x01"  # a method frame: Connection.Start


@pytest.fixture
def nats_server() -> None:
    _reachable(4222, _nats_greets, "NATS")


@pytest.fixture
def rabbitmq_server() -> None:
    _reachable(5672, _amqp_starts, "RabbitMQ")


@dataclass
class Walkthrough:
    """A folder with a store of record_every_event and the examples, and names of its own."""

    folder: Path
    name: str
    queue: str
    printed: str  # what a consumer prints: each event once, in the log's order
    env: dict[str, str]

    def ours(self, text: str) -> str:
        return text.replace(NAME, self.name).replace(QUEUE, self.queue)

    def consumed(self, scheme: str) -> list[str]:
        """Run the doc's console steps on this broker, in order; what each consumer printed."""
        steps = console_steps(TEXT)
        assert all(("nats://" in c) != ("amqp://" in c) for c, _ in steps)
        printed = []
        for command, shown in steps:
            if f"{scheme}://" in command:
                done = subprocess.run(
                    ["/bin/bash", "-c", self.ours(command)], cwd=self.folder, env=self.env,
                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=120,
                    check=False,
                )  # fmt: skip
                expected = self.ours("".join(f"{line}\n" for line in shown))
                assert looks_like(expected).fullmatch(done.stdout), (command, done.stdout)
                if "examples/consume_" in command:
                    printed.append(done.stdout)
        return printed


@pytest.fixture
def walkthrough(tmp_path: Path) -> Walkthrough:
    app = open_store(f"sqlite:///{tmp_path / 'cases.sqlite3'}")
    try:
        record_every_event(app)
        printed = "".join(
            f"{m.id} {m.subject} {json.loads(m.body)['caseversion']} {m.type}\n"
            for m in _messages(app)
        )
    finally:
        app.close()
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATION_")}
    env |= {
        "MEDIATION_STORE": "sqlite:///cases.sqlite3",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}",
        "PYTHONUNBUFFERED": "1",
    }
    name = f"mdtest-{uuid4().hex[:12]}"
    return Walkthrough(tmp_path, name, f"{name}-queue", printed, env)


@contextlib.asynccontextmanager
async def _jetstream() -> AsyncIterator[JetStreamContext]:
    client = await nats.connect("nats://127.0.0.1:4222", allow_reconnect=False)
    try:
        yield client.jetstream()
    finally:
        await client.close()


async def _nats_state(walk: Walkthrough) -> tuple[int, int, int]:
    """The stream's messages, and its durable consumer's unacknowledged and pending ones."""
    async with _jetstream() as jetstream:
        stream = await jetstream.find_stream_name_by_subject(walk.name)
        info = await jetstream.stream_info(stream)
        consumer = await jetstream.consumer_info(stream, walk.queue)
    return info.state.messages, consumer.num_ack_pending, consumer.num_pending


async def _nats_cleanup(walk: Walkthrough) -> None:
    async with _jetstream() as jetstream:
        with contextlib.suppress(NotFoundError):  # none made: the test failed before
            await jetstream.delete_stream(await jetstream.find_stream_name_by_subject(walk.name))


def _publish_from_python(walk: Walkthrough) -> tuple[int, str, str]:
    """The doc's Python block, run until SIGTERM: its exit code, output and errors."""
    (block,) = [block for block in _blocks("python") if "Publisher(" in block]
    publishing = subprocess.Popen(
        [sys.executable, "-c", walk.ours(block)], cwd=walk.folder, env=walk.env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        first = publishing.stdout.readline()  # once printed, it runs: SIGTERM stops it
        publishing.send_signal(signal.SIGTERM)
        rest, errors = publishing.communicate(timeout=60)
    finally:
        publishing.kill()
        publishing.wait()
    return publishing.returncode, first + rest, errors


@pytest.mark.slow
@pytest.mark.usefixtures("nats_server")
def test_the_nats_walkthrough_and_the_python_block_run_as_written(walkthrough):
    events = walkthrough.printed.count("\n")
    try:
        assert walkthrough.consumed("nats") == [walkthrough.printed, ""]
        assert asyncio.run(_nats_state(walkthrough)) == (events, 0, 0)  # no copy, all acked
        done, output, errors = _publish_from_python(walkthrough)
        assert (done, errors) == (0, "")
        assert output == f"0 published; the broker confirmed up to record {events}\n"
    finally:
        asyncio.run(_nats_cleanup(walkthrough))


async def _rabbitmq(walk: Walkthrough, *, delete: bool = False) -> int | None:
    """How many messages wait in the walkthrough's queue; or delete it and its exchange."""
    async with await aio_pika.connect("amqp://guest:guest@127.0.0.1:5672/") as connection:
        channel = await connection.channel()
        if delete:
            await channel.queue_delete(walk.queue)
            await channel.exchange_delete(walk.name)
            return None
        queue = await channel.declare_queue(walk.queue, passive=True)
        return queue.declaration_result.message_count


@pytest.mark.slow
@pytest.mark.usefixtures("rabbitmq_server")
def test_the_rabbitmq_walkthrough_runs_as_written(walkthrough):
    try:
        assert walkthrough.consumed("amqp") == ["", walkthrough.printed, ""]
        assert asyncio.run(_rabbitmq(walkthrough)) == 0  # every copy acknowledged
    finally:
        asyncio.run(_rabbitmq(walkthrough, delete=True))
