"""Write rate of rounds and orientations against cases', per store, side by side in one run.

    python benchmarks/activity_writes.py [--cases 200] [--rounds 3] [--postgres URL]
                                         [--mariadb URL] [--stores memory,sqlite,postgres,mariadb]

Three workloads alternate on each store, `--rounds` times (best kept), each command a
committed transaction:
  cases         the realistic case of six commands (workload.one_case)
  rounds        one proximity round (counts of contacts and observations, a team of two)
  orientations  a named person oriented (the name sealed: a key made for the person),
                then its follow-up (load, rules, save)
Figures are commands/s and the ratio of each activity to cases on the same store.
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from stores import mariadb, postgres, schema_of
from workload import one_case

from mediation_adapters.bootstrap import open_store
from mediation_domain import Mediations

WORKLOADS: dict[str, tuple[int, Callable[[Mediations], object]]] = {}


def _round(app: Mediations) -> None:
    end = datetime.now(UTC) - timedelta(minutes=10)
    app.record_round(
        neighbourhood="Couronneries",
        started_at=end - timedelta(hours=2),
        ended_at=end,
        team=["med-1", "med-2"],
        contacts={"greeting": 14, "information": 4, "listening": 2},
        observed={"public-space-and-housing": 1},
    )


def _orientation(app: Mediations) -> None:
    today = datetime.now(UTC).date()
    oriented = app.orient(
        by="med-1",
        need="benefits",
        partner="benefits-office",
        neighbourhood="Couronneries",
        follow_up_on=today + timedelta(days=14),
        name="Mme Nguyễn Thị Hoa",
        shared=["name", "situation"],
    )
    app.follow_up(oriented, outcome="right-opened")


WORKLOADS.update({"cases": (6, one_case), "rounds": (1, _round), "orientations": (2, _orientation)})


def rate(app: Mediations, workload: str, units: int) -> float:
    """Commands per second of `units` repetitions of a workload."""
    commands, run = WORKLOADS[workload]
    started = time.perf_counter()
    for _ in range(units):
        run(app)
    return units * commands / (time.perf_counter() - started)


@contextlib.contextmanager
def store_url(store: str, folder: Path, servers: dict[str, str]) -> Iterator[str]:
    """A new, empty store of that kind, dropped afterwards."""
    tag = uuid.uuid4().hex[:8]
    if store == "memory":
        yield "memory://"
    elif store == "sqlite":
        yield f"sqlite:///{folder / f'{tag}.sqlite3'}"
    elif store == "postgres":
        url = f"{servers['postgres']}?schema=bench_act_{tag}"
        try:
            yield url
        finally:
            with postgres(url) as connection:
                connection.execute(f'DROP SCHEMA IF EXISTS "{schema_of(url)}" CASCADE')
    else:
        name = f"bench_act_{tag}"
        with mariadb(servers["mariadb"]) as connection:
            connection.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
            try:
                yield f"{servers['mariadb'].rpartition('/')[0]}/{name}"
            finally:
                connection.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")


def measure(url: str, cases: int, rounds: int) -> dict[str, float]:
    """Commands/s of each workload on one store: alternating, the best round kept."""
    app = open_store(url)
    try:
        for workload in WORKLOADS:
            rate(app, workload, 3)  # warm up: tables, connections, statements
        units = {"cases": cases, "rounds": cases * 6, "orientations": cases * 3}
        best: dict[str, float] = {}
        for _ in range(rounds):
            for workload in WORKLOADS:
                best[workload] = max(best.get(workload, 0.0), rate(app, workload, units[workload]))
        return best
    finally:
        app.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--mariadb", default="mariadb://root@127.0.0.1:3306/test")
    parser.add_argument("--stores", default="memory,sqlite,postgres,mariadb")
    args = parser.parse_args()
    servers = {"postgres": args.postgres, "mariadb": args.mariadb}
    print(
        f"{args.cases} cases (x6 commands) against {args.cases * 6} rounds and "
        f"{args.cases * 3} orientations (x2 commands), best of {args.rounds} rounds"
    )
    print(f"{'store':<10}{'cases/s':>9}{'rounds/s':>10}{'ratio':>7}{'orient./s':>11}{'ratio':>7}")
    with tempfile.TemporaryDirectory() as folder:
        for store in args.stores.split(","):
            with store_url(store, Path(folder), servers) as url:
                best = measure(url, args.cases, args.rounds)
            cases, rounds, oriented = best["cases"], best["rounds"], best["orientations"]
            print(
                f"{store:<10}{cases:>9.0f}{rounds:>10.0f}{rounds / cases:>7.2f}"
                f"{oriented:>11.0f}{oriented / cases:>7.2f}"
            )


if __name__ == "__main__":
    main()
