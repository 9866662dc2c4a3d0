"""A publisher idle for longer than the broker waits for a ping's answer keeps its connection."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import pytest

from mediation_adapters.publishing import Publisher, sink_for
from mediation_adapters.stores import open_store
from mediation_domain.testing.contract import record_every_event
from publishing.brokerside import stream_of, tally

pytestmark = pytest.mark.slow


@pytest.fixture
def impatient_nats(tmp_path):
    """A NATS server of the test's own that drops a client missing two pings 0.2 s apart."""
    binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "nats.conf"
    config.write_text(
        f'listen: "127.0.0.1:{port}"\nping_interval: "200ms"\nping_max: 2\n'
        f'jetstream {{ store_dir: "{tmp_path / "store"}" }}\n'
    )
    server = subprocess.Popen([binary, "-c", str(config)], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 15
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert time.monotonic() < deadline, "the private NATS server did not start"
            time.sleep(0.05)
    yield f"nats://127.0.0.1:{port}"
    server.terminate()
    server.wait(10)


def test_an_idle_publisher_answers_the_brokers_pings_and_keeps_its_connection(
    impatient_nats, tmp_path
):
    app = open_store(f"sqlite:///{tmp_path / 'cases.sqlite3'}")
    record_every_event(app)
    sink = sink_for(f"{impatient_nats}/mediation.events")
    publisher = Publisher(app, sink)
    publisher.publish()
    connection = sink._connection[0]  # noqa: SLF001 - the client the sink holds
    time.sleep(2)  # ten ping intervals: a client that does not answer is dropped after two
    assert connection.is_connected
    record_every_event(app)
    publisher.publish()  # no failure, no new connection
    assert sink._connection[0] is connection  # noqa: SLF001
    ids = [n.id for n in app.recorder.select_notifications(None, 1000)]
    assert tally(stream_of(impatient_nats, "mediation.events"), ids)["losses"] == 0
    publisher.close()
    app.close()
