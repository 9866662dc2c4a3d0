"""Real brokers for the publishing tests.

`nats_url` and `amqp_url` are the machine's shared NATS (JetStream on) and RabbitMQ, which
.ci/run starts: unreachable, they fail the tests under CI and skip them elsewhere, as
`postgres_server` does. `private_nats` and `private_rabbit` are servers of the tests' own, to
stop, kill and start again on the same port and the same data directory:

    server.url                 nats://127.0.0.1:PORT or amqp://guest:guest@127.0.0.1:PORT/
    server.running             True while its process lives
    server.stop(kill=False)    SIGTERM and wait (kill=True: SIGKILL); a no-op when stopped
    server.start()             same port, same data: streams, durable queues, messages survive
    server.restart()           stop(), then start()

start() returns once the server answers its protocol (the INFO line, Connection.Start), or
fails the test with the server's log. Teardown always stops them; neither ever touches the
shared servers on 4222 and 5672.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn
from uuid import uuid4

import pytest

HOST = "127.0.0.1"
NATS_PORT = 4222
AMQP_PORT = 5672
EPMD_PORT = int(os.environ.get("ERL_EPMD_PORT", "4369"))
NATS_URL = f"nats://{HOST}:{NATS_PORT}"
AMQP_URL = f"amqp://guest:guest@{HOST}:{AMQP_PORT}/"
AMQP_HEADER = b"AMQP\x00\x00\x09\x01"  # AMQP 0-9-1
CONNECTION_START = b"\x00\x0a\x00\x0a"  # class 10 (connection), method 10 (start)
# Debian's /usr/sbin/rabbitmq-server is a wrapper: as root it runs the node as the user
# rabbitmq from /var/lib/rabbitmq, and as rabbitmq it writes to the shared node's startup
# log. The script it wraps runs a node as whoever calls it, with nothing but our settings.
RABBITMQ_SCRIPT = "/usr/lib/rabbitmq/bin/rabbitmq-server"
STARTUP_COMPLETE = b"Server startup complete"  # the node log's last line of a boot


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


def _binary(name: str, *candidates: str) -> str:
    """The server's executable; missing, it fails under CI and skips elsewhere."""
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return candidate
    found = shutil.which(name) or shutil.which(name, path="/usr/local/sbin:/usr/sbin:/sbin")
    if found is None:
        _unavailable(f"{name} is not installed: the private {name} tests need it")
    return found


def _free_ports(count: int) -> list[int]:
    """Ports nobody listens on now: bound together, so they are distinct."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind((HOST, 0))
        return [sock.getsockname()[1] for sock in sockets]


def _receive(sock: socket.socket, enough: int) -> bytes:
    """At least `enough` bytes, or all the peer sent before closing."""
    data = b""
    while len(data) < enough and (chunk := sock.recv(4096)):
        data += chunk
    return data


def _check_nats(port: int, timeout: float = 2.0) -> None:
    """A NATS server greets every client with an INFO line; OSError says why not."""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        greeting = _receive(sock, 5)
    if not greeting.startswith(b"INFO "):
        reason = f"no INFO line on port {port}: {greeting[:40]!r}"
        raise ConnectionError(reason)


def _check_amqp(port: int, timeout: float = 2.0) -> None:
    """An AMQP 0-9-1 broker answers the protocol header with Connection.Start."""
    with socket.create_connection((HOST, port), timeout=timeout) as sock:
        sock.sendall(AMQP_HEADER)
        frame = _receive(sock, 11)  # type, channel (2), size (4), class and method (2 + 2)
    if frame[:3] != b"\x01\x00\x00" or frame[7:11] != CONNECTION_START:
        reason = f"no Connection.Start on port {port}: {frame[:16]!r}"
        raise ConnectionError(reason)


def _failure(check: Callable[[int], None], port: int) -> str | None:
    """Why `check` failed on `port`, None when it passed."""
    try:
        check(port)
    except OSError as error:
        return str(error)
    return None


def _epmd_names() -> set[str]:
    """The Erlang nodes registered with epmd (NAMES_REQ), none when epmd is down."""
    try:
        with socket.create_connection((HOST, EPMD_PORT), timeout=2) as sock:
            sock.sendall(b"\x00\x01n")
            answer = _receive(sock, 1 << 20)
    except OSError:
        return set()
    lines = answer[4:].decode(errors="replace").splitlines()  # after epmd's own port
    return {line.split()[1] for line in lines if line.startswith("name ")}


def _pids_with(variable: str) -> list[int]:
    """Our processes whose environment holds `variable` (NAME=value), from /proc."""
    wanted, pids = variable.encode(), []
    for entry in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            if wanted in (entry / "environ").read_bytes().split(b"\0"):
                pids.append(int(entry.name))
    return [pid for pid in pids if pid != os.getpid()]


def _tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"--- {path}: absent"
    text = path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    return "\n".join([f"--- {path} (last {len(text)} lines):", *text])


class PrivateBroker:
    """A broker process of the test's own, on a port and a data directory that outlive it."""

    kind = "broker"
    start_timeout = 15.0
    stop_timeout = 30.0

    def __init__(self, workdir: Path, port: int, url: str) -> None:
        workdir.mkdir(parents=True, exist_ok=True)
        self.workdir = workdir
        self.port = port
        self.url = url
        self.output = workdir / "server.out"  # stdout and stderr of every run, appended
        self.log_files = [self.output]
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> None:
        if self.running:
            reason = f"the private {self.kind} at {self.url} is already running"
            raise RuntimeError(reason)
        self.stop()  # reaps a process that died on its own
        self._before_start()
        with self.output.open("ab") as output:
            self._process = process = subprocess.Popen(
                self._command(),
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env=self._environment(),
                cwd=self.workdir,
            )
        deadline = time.monotonic() + self.start_timeout
        while (reason := self._not_ready()) is not None:
            if process.poll() is not None:
                self._fail(f"exited with status {process.returncode} while starting")
            if time.monotonic() > deadline:
                self._fail(f"not ready after {self.start_timeout:.0f} s: {reason}")
            time.sleep(0.1)

    def stop(self, kill: bool = False) -> None:
        process, self._process = self._process, None
        if process is not None:
            if process.poll() is None and not kill:
                process.send_signal(signal.SIGTERM)
                with contextlib.suppress(subprocess.TimeoutExpired):
                    process.wait(self.stop_timeout)
            if process.poll() is None:
                self._kill(process)
            process.wait(self.stop_timeout)
        self._after_stop()

    def restart(self) -> None:
        self.stop()
        self.start()

    def logs(self) -> str:
        return "\n".join(_tail(path) for path in self.log_files)

    def _fail(self, what: str) -> NoReturn:
        self.stop(kill=True)
        pytest.fail(f"private {self.kind} on port {self.port} {what}\n{self.logs()}", pytrace=False)

    def _kill(self, process: subprocess.Popen[bytes]) -> None:
        process.kill()

    def _before_start(self) -> None:
        pass

    def _after_stop(self) -> None:
        pass

    def _environment(self) -> dict[str, str] | None:
        return None  # inherited

    def _command(self) -> list[str]:
        raise NotImplementedError

    def _not_ready(self) -> str | None:
        raise NotImplementedError


class PrivateNats(PrivateBroker):
    """nats-server -js on a free port, its JetStream store in the test's directory."""

    kind = "nats-server"

    def __init__(self, binary: str, workdir: Path) -> None:
        (port,) = _free_ports(1)
        super().__init__(workdir, port, f"nats://{HOST}:{port}")
        self.binary = binary
        self.store = workdir / "store"

    def _command(self) -> list[str]:
        return [self.binary, "-js", "-a", HOST, "-p", str(self.port), "-sd", str(self.store)]

    def _not_ready(self) -> str | None:
        return _failure(_check_nats, self.port)


class PrivateRabbit(PrivateBroker):
    """A second RabbitMQ node: its own name, ports, config, plugins, data and logs.

    It shares epmd with the machine's node and nothing else (its Erlang cookie is created in
    its own HOME): `HOME=<workdir> /usr/lib/rabbitmq/bin/rabbitmqctl -n <node> ...` reaches it.
    """

    kind = "rabbitmq node"
    start_timeout = 60.0
    stop_timeout = 60.0

    def __init__(self, script: str, workdir: Path) -> None:
        port, dist_port = _free_ports(2)
        super().__init__(workdir, port, f"amqp://guest:guest@{HOST}:{port}/")
        self.script = script
        self.node = f"mdtest-{uuid4().hex[:12]}@localhost"
        self.dist_port = dist_port
        self.node_log = workdir / "log" / f"{self.node}.log"
        self.log_files.append(self.node_log)
        (workdir / "conf.d").mkdir(exist_ok=True)
        (workdir / "enabled_plugins").write_text("", encoding="utf-8")  # none: no 15672
        (workdir / "rabbitmq-env.conf").write_text("", encoding="utf-8")
        (workdir / "rabbitmq.conf").write_text(
            f"listeners.tcp.1 = {HOST}:{port}\n", encoding="utf-8"
        )
        self._boots = 0

    def _environment(self) -> dict[str, str]:
        inherited = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(("RABBITMQ_", "ERL_")) and name != "NOTIFY_SOCKET"
        }
        return inherited | {
            "HOME": str(self.workdir),  # the Erlang cookie
            "RABBITMQ_NODENAME": self.node,
            "RABBITMQ_NODE_IP_ADDRESS": HOST,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(self.dist_port),
            "RABBITMQ_CONF_ENV_FILE": str(self.workdir / "rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": str(self.workdir / "rabbitmq.conf"),
            "RABBITMQ_CONFIG_FILES": str(self.workdir / "conf.d"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.workdir / "advanced.config"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.workdir / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.workdir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.workdir / "log"),
            "RABBITMQ_PID_FILE": str(self.workdir / "node.pid"),
            "ERL_EPMD_ADDRESS": HOST,
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }

    def _command(self) -> list[str]:
        return [self.script]

    def _node_pids(self) -> list[int]:
        """The script, beam.smp and its helpers: every process of this node, and only those."""
        return _pids_with(f"RABBITMQ_NODENAME={self.node}")

    def _registered(self) -> bool:
        return self.node.split("@")[0] in _epmd_names()

    def _before_start(self) -> None:
        deadline = time.monotonic() + 10
        while self._registered():  # a killed node's name leaves epmd with its socket
            if time.monotonic() > deadline:
                pytest.fail(f"{self.node} is still registered with epmd", pytrace=False)
            time.sleep(0.1)
        self._boots = self._startups()

    def _startups(self) -> int:
        return self.node_log.read_bytes().count(STARTUP_COMPLETE) if self.node_log.exists() else 0

    def _not_ready(self) -> str | None:
        if (reason := _failure(_check_amqp, self.port)) is not None:
            return reason
        if self._startups() <= self._boots:
            return "AMQP answers, but the node log does not say its startup is complete"
        return None

    def _kill(self, process: subprocess.Popen[bytes]) -> None:
        # beam.smp first: the script then reaps it and exits, leaving no zombie behind.
        for pid in self._node_pids():
            if pid != process.pid:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(10)
        if process.poll() is None:
            process.kill()

    def _after_stop(self) -> None:
        """Kill whatever of this node outlived its script, then wait for epmd to let go."""
        if self.node.startswith("rabbit@"):  # never the shared node, whatever happens
            reason = f"refusing to touch the node {self.node}"
            raise RuntimeError(reason)
        for pid in self._node_pids():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while (self._node_pids() or self._registered()) and time.monotonic() < deadline:
            time.sleep(0.1)


@pytest.fixture(scope="session")
def nats_url() -> str:
    """The machine's shared NATS with JetStream; unreachable: fails under CI, skips elsewhere."""
    try:
        _check_nats(NATS_PORT)
    except OSError as error:
        _unavailable(f"NATS unreachable at {NATS_URL}: {error} (.ci/run starts it)")
    return NATS_URL


@pytest.fixture(scope="session")
def amqp_url() -> str:
    """The machine's shared RabbitMQ; unreachable: fails under CI, skips elsewhere."""
    try:
        _check_amqp(AMQP_PORT)
    except OSError as error:
        _unavailable(f"RabbitMQ unreachable at {HOST}:{AMQP_PORT}: {error} (.ci/run starts it)")
    return AMQP_URL


@pytest.fixture
def private_nats(tmp_path: Path) -> Iterator[PrivateNats]:
    """A nats-server of the test's own (it starts in milliseconds: one per test)."""
    server = PrivateNats(_binary("nats-server", "/usr/sbin/nats-server"), tmp_path / "nats")
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def private_rabbit_node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateRabbit]:
    """One private node per test module: a node boots in about 7 s, and stops in 2."""
    script = _binary("rabbitmq-server", RABBITMQ_SCRIPT)
    node = PrivateRabbit(script, tmp_path_factory.mktemp("rabbit"))
    try:
        node.start()
        yield node
    finally:
        node.stop()


@pytest.fixture
def private_rabbit(private_rabbit_node: PrivateRabbit) -> PrivateRabbit:
    """The module's private node, running: started again if an earlier test left it stopped."""
    if not private_rabbit_node.running:
        private_rabbit_node.start()
    return private_rabbit_node
