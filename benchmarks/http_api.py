"""Requests per second through `mediation serve` (one uvicorn worker, SQLite), from a loopback
load generator in the same run.

    python benchmarks/http_api.py [--seconds 10] [--connections 8]

Read: GET /cases/{id} of a case with two parties, a mediator and a session (its personal
values opened). Command: POST /cases/{id}/consents over 400 cases in turn, withdrawing
then giving a party's consent (each loads the case, checks the rules, records one event,
and answers with the case). The generator shares the machine's cores with the server:
the figures are a floor.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from mediation_adapters.security.tokens import add_token
from mediation_adapters.stores import open_store

MEDIATION = str(Path(sys.executable).with_name("mediation"))
CASES = 400  # commands rotate over them, so no case's history grows long during the run


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _prepare(folder: Path) -> tuple[str, str, str, list[str]]:
    url = f"sqlite:///{folder / 'bench.sqlite3'}"
    app = open_store(url)
    case_ids = []
    for _ in range(CASES):
        case_id = app.request_mediation(
            domain="public-transport",
            neighbourhood="Beaulieu",
            referral="resident",
            parties=["Mme Rousseau", "M. Nguyễn"],
            summary="Incivilités à l'arrêt de bus",
        )
        a, b = (p.id for p in app.get_case(case_id).parties)
        app.assign_mediator(case_id, mediator="med-1")
        app.give_consent(case_id, party=a)
        app.give_consent(case_id, party=b)
        app.hold_session(case_id, kind="joint-session", attendees=[a, b], notes="Accord")
        case_ids.append(str(case_id))
    parties = [app.get_case(case).parties[0].id for case in case_ids]
    app.close()
    token = add_token(folder / "tokens.json", "coordinator", "bench")
    return (
        url,
        token,
        str(folder / "tokens.json"),
        [f"{c}|{p}" for c, p in zip(case_ids, parties, strict=True)],
    )


async def _load(base: str, token: str, seconds: float, connections: int, make) -> tuple[int, int]:  # noqa: ANN001
    done = failed = 0
    deadline = time.perf_counter() + seconds
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits) as client:

        async def worker(number: int) -> None:
            nonlocal done, failed
            step = 0
            while time.perf_counter() < deadline:
                method, path, body = make(number, step)
                response = await client.request(method, path, json=body)
                step += 1
                if response.status_code < 300:  # noqa: PLR2004
                    done += 1
                else:
                    failed += 1

        await asyncio.gather(*(worker(n) for n in range(connections)))
    return done, failed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url, token, tokens, cases = _prepare(Path(folder))
        port = _free_port()
        environment = {k: v for k, v in os.environ.items() if not k.startswith("MEDIATION_")}
        server = subprocess.Popen(
            [MEDIATION, "--store", url, "serve", "--tokens", tokens, "--port", str(port)],
            env=environment,
            stdout=subprocess.DEVNULL,
        )
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(100):
                try:
                    httpx.get(f"{base}/openapi.json", timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)

            def read(number: int, _: int) -> tuple[str, str, None]:
                case, _party = cases[number % len(cases)].split("|")
                return "GET", f"/cases/{case}", None

            def command(number: int, step: int) -> tuple[str, str, dict[str, str]]:
                # Connection n takes cases n, n + connections, ...: never another's case.
                case, party = cases[(number + step * args.connections) % len(cases)].split("|")
                decision = (
                    "withdraw" if (step * args.connections // len(cases)) % 2 == 0 else "give"
                )
                return "POST", f"/cases/{case}/consents", {"party": party, "decision": decision}

            results = {}
            for name, make in (("read", read), ("command", command)):
                done, failed = asyncio.run(_load(base, token, args.seconds, args.connections, make))
                results[name] = (done / args.seconds, failed)
        finally:
            server.terminate()
            server.wait(timeout=20)
    print(f"one uvicorn worker, SQLite, {args.connections} connections, {args.seconds:.0f} s each")
    print(f"{'endpoint':<40}{'requests/s':>12}{'refused':>10}")
    for label, name in (("GET /cases/{id}", "read"), ("POST /cases/{id}/consents", "command")):
        rate, refused = results[name]
        print(f"{label:<40}{rate:>12.0f}{refused:>10}")


if __name__ == "__main__":
    main()
