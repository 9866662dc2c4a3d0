"""A real `mediation serve` process on 127.0.0.1 (a free port), a real store, real tokens."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from mediation_adapters.security.tokens import add_token
from mediation_adapters.stores import open_store

MEDIATION = str(Path(sys.executable).with_name("mediation"))
ROLES = {
    "coordinator": ("coordinator", "coord-1"),
    "mediator": ("mediator", "med-1"),
    "other_mediator": ("mediator", "med-2"),
    "partner": ("partner", "ville-de-poitiers"),
    "auditor": ("auditor", "cabinet-audit"),
}


@dataclass
class Server:
    url: str
    tokens: dict[str, str]
    store: str

    def client(self, who: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("http")
    store = f"sqlite:///{folder / 'cases.sqlite3'}"
    open_store(store).close()
    tokens_file = folder / "tokens.json"
    tokens = {who: add_token(tokens_file, *role) for who, role in ROLES.items()}
    port = _free_port()
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATION_")}
    process = subprocess.Popen(
        # The form the issue and docs/http.md give: options after `serve`.
        [
            MEDIATION,
            "serve",
            "--store",
            store,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--tokens",
            str(tokens_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            httpx.get(f"{url}/openapi.json", timeout=1)
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                out, err = process.communicate()
                pytest.fail(f"the server did not start: {err or out}")
            time.sleep(0.1)
    yield Server(url, tokens, store)
    process.terminate()
    try:
        _, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    assert "Traceback" not in err, err  # no request ever crashed the server
