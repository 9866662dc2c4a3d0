"""Write rate of the Mediations commands on each store, and the cost of sealing, in one run.

    python benchmarks/write_rate.py [--cases 200] [--rounds 3] [--postgres URL]

Each case is six commands (request with two names and a summary, assign, two consents, a
joint session with notes, resolve), each one load + rules + one committed transaction.
For each store, three set-ups run in alternation, `--rounds` times (best kept):
  clear     a sealer that stores personal values as they are (the cost of no sealing)
  sealed    as shipped: AES-GCM per data subject, keys in the store's database
  at-rest   sealed, and every event encrypted at rest (SQLite and PostgreSQL)
Figures are commands per second and ratios measured in the same run.
"""

from __future__ import annotations

import argparse
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from stores import postgres, schema_of
from workload import one_case

from mediation_adapters.bootstrap import open_store
from mediation_domain import Mediations
from mediation_domain.privacy import Opening, Sealed, Sealing

STORE_KEY = bytes(range(32))
COMMANDS_PER_CASE = 6


class ClearSealer:
    """No sealing: the baseline that shows what sealing costs. Never for real data."""

    def seal_all(self, _: str, values: Sequence[Sealing]) -> list[Sealed]:
        """Wrap the texts as they are."""
        return [Sealed(subject, "clear", text) for subject, _, text in values]

    def open_all(self, values: Sequence[Opening]) -> list[str]:
        """The texts as stored."""
        return [value.text for _, _, value in values]

    def forget(self, _: list[str]) -> set[str]:
        """Nothing to forget."""
        return set()

    def purge(self) -> bool:
        """Nothing lingers."""
        return True

    def knows(self, _: str) -> bool:
        """No key store."""
        return False


def rate(app: Mediations, cases: int) -> float:
    started = time.perf_counter()
    for _ in range(cases):
        one_case(app)
    commands = cases * COMMANDS_PER_CASE
    return commands / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    schemas = {
        setup: f"{args.postgres}?schema=bench_{setup.replace('-', '_')}_{uuid.uuid4().hex[:8]}"
        for setup in ("clear", "sealed", "at-rest")
    }
    with tempfile.TemporaryDirectory() as folder:
        urls = {
            "memory": dict.fromkeys(("clear", "sealed"), "memory://"),
            "sqlite": {s: f"sqlite:///{Path(folder) / f'{s}.sqlite3'}" for s in schemas},
            "postgres": schemas,
        }
        best = measure(urls, args.cases, args.rounds)
    base = best["memory", "clear"]
    print(f"{args.cases} cases x 6 commands, best of {args.rounds} rounds")
    print(f"{'store':<10}{'setup':<9}{'commands/s':>12}{'vs clear':>10}{'vs memory':>11}")
    for (store, setup), value in best.items():
        clear = best[store, "clear"]
        print(f"{store:<10}{setup:<9}{value:>12.0f}{value / clear:>10.3f}{value / base:>11.3f}")
    for schema_url in schemas.values():
        _drop_schema(schema_url)


def measure(
    urls: dict[str, dict[str, str]], cases: int, rounds: int
) -> dict[tuple[str, str], float]:
    """Commands/s per (store, set-up): set-ups run in alternation, the best round kept."""
    openers = {
        "clear": lambda url: open_store(url, sealer=ClearSealer()),
        "sealed": open_store,
        "at-rest": lambda url: open_store(url, store_key=STORE_KEY),
    }
    apps = {
        (store, setup): openers[setup](url)
        for store, setups in urls.items()
        for setup, url in setups.items()
    }
    for app in apps.values():
        one_case(app)  # warm up: tables, connections
    best: dict[tuple[str, str], float] = {}
    for _ in range(rounds):
        for key, app in apps.items():
            best[key] = max(best.get(key, 0.0), rate(app, cases))
    for app in apps.values():
        app.close()
    return best


def _drop_schema(url: str) -> None:
    with postgres(url) as connection:
        connection.execute(f'DROP SCHEMA "{schema_of(url)}" CASCADE')


if __name__ == "__main__":
    main()
