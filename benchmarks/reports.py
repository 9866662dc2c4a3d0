"""Report view: a refresh after 1,000 new events against a full rebuild, side by side.

    python benchmarks/reports.py [--events 100000 1000000] [--new 1000] [--rounds 5]
                                 [--store sqlite|postgres] [--postgres URL] [--json out.json]

One history is grown through the sizes of `--events`, from copies of a year of realistic
cases (`demo.record_year`: ~720 cases, ~4,600 events in time order, fresh case ids in each
copy). At each size, `ReportView.rebuild()` folds the whole history (timed); then, `--rounds`
times, `--new` events are appended and `refresh()` is timed (median and best kept). The new
events continue the copy being written, so they are new cases and later steps of cases the
view already holds, as in service. Last, `report(exact=True)` is timed: it reads every
case's facts, so its cost grows with the cases, not with the events since the last refresh.

Target: at the largest size, a rebuild takes >= 50x the time of a refresh after `--new`
(1,000) events. The per-event columns show that a refresh costs what its new events cost,
whatever the history: its microseconds per event stay near a rebuild's, at every size.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import platform
import sqlite3
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

from eventsourcing.persistence import StoredEvent
from stores import postgres, schema_of
from workload import copies

from mediation_adapters.bootstrap import open_store
from mediation_adapters.config import report_period
from mediation_adapters.demo import record_year
from mediation_adapters.storage.report_view import ReportView
from mediation_domain import Mediations

BATCH = 10_000
TARGET = 50


def append(app: Mediations, feed: Iterator[StoredEvent], count: int) -> int:
    """Record the next `count` events of `feed`; returns how many cases they open."""
    opened = 0
    while count > 0:
        batch = list(itertools.islice(feed, min(count, BATCH)))
        app.recorder.insert_events(batch)
        opened += sum(record.originator_version == 1 for record in batch)
        count -= len(batch)
    return opened


def timed(action: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds `action` took, and what it returned."""
    started = time.perf_counter()
    result = action()
    return time.perf_counter() - started, result


def run(url: str, sizes: list[int], new: int, rounds: int) -> list[dict[str, float]]:
    """Grow one history through `sizes`; the figures measured at each."""
    template_app = Mediations()
    record_year(template_app)
    feed = copies(list(template_app.recorder.select_notifications(None, 10_000)))
    app = open_store(url)
    view = ReportView(app)
    period = report_period(None, None, exact=True)
    stages: list[dict[str, float]] = []
    events = cases = 0
    try:
        for size in sizes:
            fill_seconds, opened = timed(partial(append, app, feed, size - events))
            events, cases = size, cases + opened
            rebuild, folded = timed(view.rebuild)
            assert folded == events, (folded, events)
            refreshes = []
            for _ in range(rounds):
                cases += append(app, feed, new)
                events += new
                seconds, folded = timed(view.refresh)
                assert folded == new, (folded, new)
                refreshes.append(seconds)
            report_seconds, report = timed(partial(view.report, period, exact=True))
            assert report.total().counts["requests"].low > 0
            refresh = statistics.median(refreshes)
            stages.append(
                {
                    "events": size,
                    "fill_seconds": fill_seconds,
                    "rebuild_seconds": rebuild,
                    "rebuild_events_per_second": size / rebuild,
                    "refresh_seconds_median": refresh,
                    "refresh_seconds_best": min(refreshes),
                    "rebuild_over_refresh": rebuild / refresh,
                    "rebuild_us_per_event": rebuild / size * 1e6,
                    "refresh_us_per_event": refresh / new * 1e6,
                    "refresh_over_rebuild_per_event": (refresh / new) / (rebuild / size),
                    "report_cases": cases,
                    "report_seconds": report_seconds,
                }
            )
    finally:
        view.close()
        app.close()
    return stages


def machine(url: str) -> dict[str, str | int | None]:
    """What the figures were measured on."""
    facts: dict[str, str | int | None] = {
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
    }
    if url.startswith("postgresql://"):
        with postgres(url) as connection:
            facts["postgresql"] = connection.execute("SHOW server_version").fetchone()[0]
    return facts


def show(stages: list[dict[str, float]], new: int, rounds: int) -> None:
    """The table, then the target at the largest size."""
    print(f"refresh: {new:,} new events, median and best of {rounds} rounds")
    print(
        f"{'':>10}{'--- rebuild ---':>21}{'--- refresh ---':>21}{'rebuild/':>10}"
        f"{'-- us per event --':>26}{'-- report(exact) --':>20}"
    )
    print(
        f"{'events':>10}{'s':>10}{'events/s':>11}{'median s':>11}{'best s':>10}{'refresh':>10}"
        f"{'rebuild':>9}{'refresh':>9}{'ratio':>8}{'cases':>10}{'s':>10}"
    )
    for s in stages:
        print(
            f"{s['events']:>10,}{s['rebuild_seconds']:>10.2f}"
            f"{s['rebuild_events_per_second']:>11,.0f}{s['refresh_seconds_median']:>11.4f}"
            f"{s['refresh_seconds_best']:>10.4f}{s['rebuild_over_refresh']:>10.0f}"
            f"{s['rebuild_us_per_event']:>9.1f}{s['refresh_us_per_event']:>9.1f}"
            f"{s['refresh_over_rebuild_per_event']:>8.2f}{s['report_cases']:>10,}"
            f"{s['report_seconds']:>10.2f}"
        )
    last = stages[-1]
    verdict = "met" if last["rebuild_over_refresh"] >= TARGET else "NOT met"
    print(
        f"target: a rebuild >= {TARGET}x a refresh of {new:,} events at {last['events']:,} "
        f"events: {last['rebuild_over_refresh']:.0f}x, {verdict}"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--new", type=int, default=1_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--store", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    sizes = sorted(set(args.events))
    with tempfile.TemporaryDirectory() as folder:
        if args.store == "sqlite":
            url = f"sqlite:///{Path(folder) / 'reports.sqlite3'}"
        else:
            url = f"{args.postgres}?schema=bench_reports_{uuid.uuid4().hex[:8]}"
        try:
            facts = machine(url)
            stages = run(url, sizes, args.new, args.rounds)
        finally:
            if args.store == "postgres":
                with postgres(url) as connection:
                    connection.execute(f'DROP SCHEMA IF EXISTS "{schema_of(url)}" CASCADE')
    print(", ".join([*(f"{name} {value}" for name, value in facts.items()), f"store {args.store}"]))
    show(stages, args.new, args.rounds)
    if args.json:
        figures = {"machine": facts, "store": args.store, "new": args.new, "rounds": args.rounds}
        args.json.write_text(json.dumps({**figures, "stages": stages}, indent=2) + "\n")


if __name__ == "__main__":
    main()
