"""A costly report neither runs beside another nor holds other clients back (issue 13)."""

from __future__ import annotations

import asyncio
import threading

import httpx

import mediation_adapters.entrypoints.http.endpoints as endpoints_module
from mediation_adapters.entrypoints.http import REPORTS_WAITING, create_app
from mediation_adapters.security.tokens import Tokens, digest
from mediation_adapters.stores import open_store
from mediation_domain.authorisation import Principal, Role


def _server() -> tuple[object, dict[str, str]]:
    tokens = Tokens(
        {
            digest("coordinator"): (Principal(Role.COORDINATOR, "c"), None),
            digest("partner"): (Principal(Role.PARTNER, "p"), None),
        }
    )
    return create_app(open_store("memory://"), tokens), {
        who: f"Bearer {who}" for who in ("coordinator", "partner")
    }


async def _get(asgi: object, path: str, query: dict[str, str], token: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=asgi)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path, params=query, headers={"Authorization": token})


def test_reports_are_computed_one_at_a_time_while_other_clients_are_served(monkeypatch):
    asgi, tokens = _server()
    api = asgi.state.api
    release, lock = threading.Event(), threading.Lock()
    running = {"now": 0, "most": 0}

    def held_render(*_, **__) -> str:
        with lock:
            running["now"] += 1
            running["most"] = max(running["most"], running["now"])
        release.wait(30)
        with lock:
            running["now"] -= 1
        return "{}"

    monkeypatch.setattr(endpoints_module, "render", held_render)

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=asgi)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            headers = {"Authorization": tokens["partner"]}
            reports = [
                asyncio.create_task(client.get("/report", headers=headers))
                for _ in range(REPORTS_WAITING)
            ]
            for _ in range(3000):  # until every report is computing or waiting
                if api.reports_waiting == REPORTS_WAITING:
                    break
                await asyncio.sleep(0.01)
            assert api.reports_waiting == REPORTS_WAITING
            busy = await client.get("/report", headers=headers)
            assert busy.status_code == 503
            assert busy.json()["type"] == "/problems/busy"
            assert busy.headers["retry-after"] == "5"
            listed = await client.get("/cases", headers={"Authorization": tokens["coordinator"]})
            assert listed.status_code == 200  # served while the reports wait
            release.set()
            answers = await asyncio.gather(*reports)
            assert [answer.status_code for answer in answers] == [200] * REPORTS_WAITING

    asyncio.run(scenario())
    assert running["most"] == 1
    assert api.reports_waiting == 0


def test_the_reviewers_costly_report_is_refused_in_one_line():
    asgi, tokens = _server()
    query = {"from": "0001-01", "to": "2026-10", "by": "neighbourhood,domain,month"}
    answer = asyncio.run(_get(asgi, "/report", query, tokens["partner"]))
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"].startswith("a report covers at most 240 months")
