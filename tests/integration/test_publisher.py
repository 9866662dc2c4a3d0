"""The publisher: every event at least once, in log order, resumed from the confirmed position.

The broker here is an in-process sink that keeps what it confirmed and fails when told:
the real brokers' tests are in tests/integration/publishing.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from collections.abc import Sequence

import pytest
from eventsourcing.persistence import IntegrityError, StoredEvent
from hypothesis import given, settings
from hypothesis import strategies as st

from mediation_adapters.publishing import Message, Publisher, PublishError, sink_for
from mediation_adapters.publishing.sinks import BackgroundLoop
from mediation_adapters.storage.copy import copy_store
from mediation_adapters.stores import open_store
from mediation_domain import MediationError, Mediations
from mediation_domain.testing.contract import record_every_event


class Broker:
    """Confirms what it takes; `failures` says, per send, after how many it fails (None: none).

    A failing send may still have stored `stored_anyway` messages beyond those it confirmed:
    a broker that stored them and lost the confirmations.
    """

    def __init__(self, target: str = "memory://broker/events") -> None:
        self.target = target
        self.delivered: list[Message] = []
        self.failures: list[tuple[int, int] | None] = []
        self.closed = False

    def send(self, messages: Sequence[Message]) -> None:
        failure = self.failures.pop(0) if self.failures else None
        if failure is None:
            self.delivered += messages
            return
        confirmed, stored_anyway = min(failure[0], len(messages)), failure[1]
        self.delivered += messages[: confirmed + stored_anyway]
        message = "the broker is down"
        raise PublishError(message, confirmed)

    def close(self) -> None:
        self.closed = True

    def ids(self) -> list[int]:
        return [m.id for m in self.delivered]


def all_ids(app: Mediations) -> list[int]:
    return [n.id for n in app.recorder.select_notifications(None, 10_000)]


def record(app: Mediations, cases: int = 3) -> None:
    for _ in range(cases):
        record_every_event(app)


def test_every_event_is_published_once_in_log_order_then_nothing_new(store_url):
    app = open_store(store_url)
    record(app)
    broker = Broker()
    publisher = Publisher(app, broker, batch=7)
    assert publisher.publish() == len(all_ids(app))
    assert broker.ids() == all_ids(app)
    assert publisher.position() == all_ids(app)[-1]
    assert publisher.publish() == 0
    assert broker.ids() == all_ids(app)
    first = json.loads(broker.delivered[0].body)
    assert first["id"] == str(broker.delivered[0].id)
    assert broker.delivered[0].key == f"{first['source']}#{first['id']}"
    publisher.close()
    assert broker.closed
    app.close()


def test_a_failed_send_keeps_what_the_broker_confirmed_and_sends_only_the_rest_again(store_url):
    app = open_store(store_url)
    record(app)
    broker = Broker()
    broker.failures = [(3, 2)]  # 3 confirmed, 2 more stored without a confirmation
    publisher = Publisher(app, broker, batch=10)
    with pytest.raises(PublishError, match="the broker is down"):
        publisher.publish()
    ids = all_ids(app)
    assert publisher.position() == ids[2]
    publisher.publish()
    assert broker.ids() == ids[:5] + ids[3:]  # the two unconfirmed ones twice, nothing lost
    publisher.close()
    app.close()


def test_a_reopened_store_resumes_with_the_same_source_and_pseudonyms(tmp_path):
    url = f"sqlite:///{tmp_path / 'cases.sqlite3'}"
    app = open_store(url)
    record(app, cases=1)
    broker = Broker()
    with_default = Publisher(app, broker)
    with_default.publish()
    with_default.close()
    record(app, cases=1)
    app.close()
    app = open_store(url)
    again = Publisher(app, broker)
    assert again.publish() == len(all_ids(app)) // 2
    assert broker.ids() == all_ids(app)
    sources = {json.loads(m.body)["source"] for m in broker.delivered}
    assert sources == {with_default.source}
    assert sources.pop().startswith("urn:mediation-domain:")
    parties = [json.loads(m.body)["data"]["parties"] for m in broker.delivered[:1]]
    other = Broker("memory://another/target")
    elsewhere = Publisher(app, other, source="https://mediation.example.org")
    elsewhere.publish()
    elsewhere.close()
    again.close()
    assert json.loads(other.delivered[0].body)["data"]["parties"] == parties[0]
    assert json.loads(other.delivered[0].body)["source"] == "https://mediation.example.org"
    app.close()


def test_each_target_has_a_position_of_its_own(store_url):
    app = open_store(store_url)
    record(app, cases=1)
    first, second = Broker("memory://one/events"), Broker("memory://two/events")
    publishers = [Publisher(app, first)]
    publishers[0].publish()
    record(app, cases=1)
    publishers += [Publisher(app, first), Publisher(app, second)]
    for publisher in publishers[1:]:
        publisher.publish()
    assert first.ids() == second.ids() == all_ids(app)
    for publisher in publishers:
        publisher.close()
    app.close()


def test_run_publishes_events_as_they_are_recorded_and_tries_a_failed_broker_again(tmp_path):
    app = open_store(f"sqlite:///{tmp_path / 'cases.sqlite3'}")
    broker = Broker()
    broker.failures = [None, (0, 0), (0, 0)]
    publisher = Publisher(app, broker)
    stop = threading.Event()
    failures: list[float] = []
    runner = threading.Thread(
        target=publisher.run,
        args=(stop,),
        kwargs={"poll": 0.01, "on_failure": lambda _, retry: failures.append(retry)},
    )
    runner.start()
    try:
        record(app, cases=2)
        for _ in range(500):
            if broker.ids() and broker.ids()[-1] == all_ids(app)[-1]:
                break
            stop.wait(0.02)
    finally:
        stop.set()
        runner.join(10)
    assert not runner.is_alive()
    assert sorted(set(broker.ids())) == all_ids(app)
    assert failures[:2] in ([], [0.5], [0.5, 1.0])
    publisher.close()
    app.close()


@settings(max_examples=40, deadline=None)
@given(
    failures=st.lists(
        st.one_of(st.none(), st.tuples(st.integers(0, 12), st.integers(0, 3))), max_size=12
    ),
    batch=st.integers(1, 15),
)
def test_whatever_fails_every_event_arrives_in_order_and_only_unconfirmed_ones_twice(
    failures, batch
):
    app = open_store("memory://")
    record(app, cases=2)
    broker = Broker()
    broker.failures = list(failures)
    publisher = Publisher(app, broker, batch=batch)
    for _ in range(len(failures) + 1):
        try:
            publisher.publish()
            break
        except PublishError:
            continue
    ids = all_ids(app)
    delivered = broker.ids()
    assert set(delivered) == set(ids)  # none lost
    first_seen = list(dict.fromkeys(delivered))
    assert first_seen == ids  # in the log's order, so each case's order
    happened = failures[: len(failures) - len(broker.failures)]
    unconfirmed = sum(failure[1] for failure in happened if failure is not None)
    assert len(delivered) - len(ids) <= unconfirmed  # what was confirmed is never sent again
    publisher.close()
    app.close()


def test_a_copy_of_the_store_publishes_on_from_where_the_original_stood(tmp_path):
    source = open_store(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    record(source, cases=1)
    broker = Broker()
    before = Publisher(source, broker)
    before.publish()
    before.close()
    record(source, cases=1)  # recorded after the last publish: the copy publishes them
    copy = open_store(f"sqlite:///{tmp_path / 'new.sqlite3'}")
    copy_store(source, copy)
    after = Publisher(copy, broker)
    assert after.position() == len(all_ids(copy)) // 2
    assert after.publish() == len(all_ids(copy)) // 2
    assert after.source == before.source
    whole = Broker("memory://another/target")  # a new target of the copy: all its history
    elsewhere = Publisher(copy, whole)
    elsewhere.publish()
    elsewhere.close()
    assert [json.loads(m.body) for m in whole.delivered] == [
        json.loads(m.body) for m in broker.delivered
    ]  # the same events, ids, source and pseudonyms
    never = open_store("memory://")
    copy_store(open_store("memory://"), never)  # nothing ever published: nothing to carry
    nothing = Publisher(never, Broker())
    assert nothing.position() == 0
    nothing.close()
    after.close()
    for app in (source, copy, never):
        app.close()


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"batch": 0}, "invalid batch 0"),
        ({"source": ""}, "invalid source ''"),
        ({"source": "urn:x#frag"}, "invalid source"),
        ({"source": "https://médiation.example.org"}, "invalid source"),
        ({"source": "a b"}, "invalid source"),
    ],
)
def test_a_publisher_refuses_what_it_cannot_publish_with(arguments, message):
    app = open_store("memory://")
    with pytest.raises(MediationError, match=message):
        Publisher(app, Broker(), **arguments)
    app.close()


@pytest.mark.parametrize("poll", [0, -1, float("nan"), 3601])
def test_run_refuses_a_poll_that_is_not_a_time(poll):
    app = open_store("memory://")
    publisher = Publisher(app, Broker())
    with pytest.raises(MediationError, match="invalid poll"):
        publisher.run(threading.Event(), poll=poll)
    publisher.close()
    app.close()


def test_a_missing_client_is_the_publish_extra_and_any_other_import_error_itself(monkeypatch):
    monkeypatch.delitem(sys.modules, "mediation_adapters.publishing.nats_sink", raising=False)
    monkeypatch.setitem(sys.modules, "nats", None)
    with pytest.raises(MediationError, match=r"publish extra \(nats is missing\)"):
        sink_for("nats://127.0.0.1:4222/events")
    monkeypatch.setitem(sys.modules, "mediation_adapters.publishing.amqp_sink", None)
    with pytest.raises(ImportError):
        sink_for("amqp://guest:guest@127.0.0.1:5672/events")


def test_a_copy_of_a_log_with_gaps_publishes_again_from_the_start_as_another_source(
    postgres_url, tmp_path
):
    source = open_store(postgres_url)
    record(source, cases=1)
    first = source.recorder.select_notifications(None, 1)[0]
    with pytest.raises(IntegrityError):  # refused, yet it took an id on PostgreSQL: a gap
        source.recorder.insert_events(
            [StoredEvent(first.originator_id, first.originator_version, first.topic, first.state)]
        )
    record(source, cases=1)
    assert all_ids(source) != list(range(1, len(all_ids(source)) + 1))
    broker = Broker()
    before = Publisher(source, broker)
    before.publish()
    before.close()
    copy = open_store(f"sqlite:///{tmp_path / 'copy.sqlite3'}")
    assert copy_store(source, copy).renumbered
    after = Publisher(copy, broker)
    assert after.position() == 0  # the same ids name other events in the copy
    assert after.source != before.source  # so (source, id) never names two events
    after.publish()
    again = broker.delivered[-len(all_ids(copy))]  # the copy's first, published anew
    old, new = (json.loads(m.body) for m in (broker.delivered[0], again))
    assert new["data"] == old["data"]  # the same pseudonyms
    after.close()
    source.close()
    copy.close()


def test_a_sink_holds_no_thread_until_it_sends_and_none_once_closed():
    before = threading.active_count()
    sink = sink_for("nats://127.0.0.1:4222/events")
    assert threading.active_count() == before
    sink.close()
    assert threading.active_count() == before


def test_a_clients_cancelled_wait_is_a_broker_failure_to_try_again():
    loop = BackgroundLoop("publish to nowhere")

    async def cancelled() -> None:
        raise asyncio.CancelledError  # as aiormq cancels a call when heartbeats stop

    with pytest.raises(PublishError, match="publish to nowhere: the connection was cancelled"):
        loop.run(cancelled())
    loop.close()
