"""Write rate of the Mediations commands on each store, side by side in one run.

    python benchmarks/write_rate.py [--cases 200] [--postgres postgresql://postgres@127.0.0.1/test]

Each case is six commands (request, assign, two consents, a joint session, resolve), each
one load + rules + one committed transaction. Figures are commands per second and the
ratio to the in-memory store measured in the same run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from pathlib import Path

from mediation_adapters.stores import env_for, open_store, postgres_connection
from mediation_domain import Mediations


def one_case(app: Mediations) -> int:
    case_id = app.request_mediation(
        domain="public-transport", neighbourhood="Beaulieu", referral="resident", parties=["A", "B"]
    )
    a, b = (party.id for party in app.get_case(case_id).parties)
    app.assign_mediator(case_id, mediator="med-1")
    app.give_consent(case_id, party=a)
    app.give_consent(case_id, party=b)
    app.hold_session(case_id, kind="joint-session", attendees=[a, b])
    app.resolve(case_id, outcome="agreement")
    return 6


def rate(url: str, cases: int) -> float:
    app = open_store(url)
    one_case(app)  # warm up: tables, connections
    started = time.perf_counter()
    commands = sum(one_case(app) for _ in range(cases))
    elapsed = time.perf_counter() - started
    app.close()
    return commands / elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        stores = {
            "memory": "memory://",
            "sqlite": f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
            "postgres": f"{args.postgres}?schema=bench_{uuid.uuid4().hex[:8]}",
        }
        rates = {name: rate(url, args.cases) for name, url in stores.items()}
    base = rates["memory"]
    print(f"{'store':<10}{'commands/s':>12}{'ratio to memory':>18}")
    for name, value in rates.items():
        print(f"{name:<10}{value:>12.0f}{value / base:>18.3f}")
    _drop_schema(stores["postgres"])


def _drop_schema(url: str) -> None:
    env = env_for(url)
    with postgres_connection(env) as connection:
        connection.execute(f'DROP SCHEMA "{env["POSTGRES_SCHEMA"]}" CASCADE')


if __name__ == "__main__":
    main()
