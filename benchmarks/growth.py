"""Growth: writes and reads on top of 10k, 100k and 1M events; time per event and peak RSS.

    python benchmarks/growth.py [--events 10000 100000 1000000]
                                [--store sqlite|postgres|mariadb] [--postgres URL]
                                [--mariadb URL] [--cases 300] [--gets 2000] [--repeats 21]
                                [--cap-seconds 180] [--cap-mb 4096] [--json out.json]

Item 4 of issue 8, and the case index of issue 16. For each size, an empty store (a SQLite
file in a temporary directory, a fresh PostgreSQL schema or a fresh MariaDB database) is
given a year of realistic cases through the public API (`demo.record_year`, ~4,500 events,
so their personal values are sealed with keys held by that store), then the cases the
index's passes need (index_reads.py, ~400 events), then filled up to the size with copies
of the year's stored events, each copy with fresh case ids (`recorder.insert_events`,
10,000 a transaction). On top of that history, each pass runs in a fresh process, so that
its peak RSS (VmHWM) is its own:

open      open the store and nothing else: the floor of every pass's peak RSS.
index     the case index folds the whole history (time per event); the passes after it
          find it caught up. Then index_reads.py's passes, after `list`.
get_case  `--gets` cases picked at random among all the store holds, each loaded once
          (time per call; the cases are the template's, ~6 events on average).
history   `Mediations.history()`: every stored event read page by page and decoded.
list      `iter_cases()`: every case, found in the index and loaded a page at a time,
          as `mediation list` prints them (time per event of the history).
page_mine, page_none, page_filtered, get_50, retention, erase
          index_reads.py: pages, loads, a retention dry run and erasures, the median of
          `--repeats` calls (time per call).
writes    `--cases` new cases of six commands through `Mediations` (request, assign, two
          consents, a joint session, resolve: each a load, the rules, sealing and a save),
          after 10 warm-up cases; time per event written. Runs last, so reads see the size.

A pass that takes longer than `--cap-seconds` or more than `--cap-mb` of address space is
stopped and reported as capped; a pass that does not find what the fill recorded stops the
run. Then the ratio of each figure between consecutive sizes (1M/100k with the default
sizes) and between the last and the first (1M/10k). Target: every ratio <= 1.5 (flat).
Last, per size, MEDIATOR's page against their 50 cases loaded one by one (target <= 1.2)
and an empty page against one load (target < 1).
"""

from __future__ import annotations

import argparse
import itertools
import json
import operator
import random
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import index_reads
from eventsourcing.persistence import StoredEvent
from stores import analyse, mariadb, postgres, schema_of
from workload import copies, machine, one_case, peak_mb

from mediation_adapters.bootstrap import open_store
from mediation_adapters.demo import record_year

BATCH = 10_000
PAGE = 10_000
WARM_UP_CASES = 10
EVENTS_PER_CASE = 6
TARGET = 1.5
# Reads only: each runs `--rounds` times, in turn with the others, and its best round is kept.
REPEATABLE = ("page_mine", "page_none", "page_filtered", "get_50", "retention")
INDEX_PASSES = (*REPEATABLE, "erase")
# `index` before every pass that reads the index; erasures write, so they come last of them.
PASSES = ("open", "index", "get_case", "history", "list", *INDEX_PASSES, "writes")
# The figure whose growth each pass is judged by.
MEASURES: dict[str, str] = {
    "index": "us_per_event",
    "get_case": "us_per_call",
    "history": "us_per_event",
    "list": "us_per_event",
    **dict.fromkeys(INDEX_PASSES, "us_per_call"),
    "writes": "us_per_event",
}

Figures = dict[str, Any]


# Fill ---------------------------------------------------------------------------------------


def fill(url: str, events: int) -> tuple[list[str], list[str], float]:
    """Fill the empty store `url` to `events` events.

    Returns the ids of the year's cases and their copies, those of index_reads.MEDIATOR's
    cases, and the seconds taken.
    """
    started = time.perf_counter()
    app = open_store(url)
    try:
        record_year(app)
        template: list[StoredEvent] = []
        start: int | None = None
        while page := app.recorder.select_notifications(start, PAGE, inclusive_of_start=False):
            template += page
            start = page[-1].id
        mine = index_reads.record_cases(app)  # after the template is read: never copied
        cases = [str(r.originator_id) for r in template if r.originator_version == 1]
        recorded = app.recorder.max_notification_id() or 0
        feed = copies(template)
        missing = events - recorded
        while missing > 0:
            batch = list(itertools.islice(feed, min(missing, BATCH)))
            app.recorder.insert_events(batch)
            cases += [str(r.originator_id) for r in batch if r.originator_version == 1]
            missing -= len(batch)
        held = app.recorder.max_notification_id() or 0
        assert held == max(events, recorded), (held, events)
    finally:
        app.close()
    return cases, mine, time.perf_counter() - started


# Passes (each in its own process) -----------------------------------------------------------


def measure(url: str, step: str, ids_file: Path, cases: int, repeats: int) -> Figures:
    """Run one pass on the store `url` in this process; its figures and this process's peak."""
    app = open_store(url)
    figures: Figures = {}
    try:
        started = time.perf_counter()
        if step in index_reads.PASSES:
            mine = json.loads(ids_file.read_text())["mine"]
            figures = index_reads.PASSES[step](app, mine, repeats)
            seconds = time.perf_counter() - started
        elif step == "get_case":
            ids = json.loads(ids_file.read_text())["sample"]
            app.get_case(ids[0])  # warm up the connection and the key store
            started = time.perf_counter()
            events = sum(app.get_case(case_id).version for case_id in ids)
            seconds = time.perf_counter() - started
            figures = {"calls": len(ids), "events": events, "us_per_call": seconds / len(ids)}
        elif step == "history":
            events = sum(1 for _ in app.history())
            seconds = time.perf_counter() - started
            figures = {"events": events, "us_per_event": seconds / events}
        elif step == "list":
            events = app.recorder.max_notification_id() or 0
            index_reads.check_current(app)
            started = time.perf_counter()
            listed = sum(1 for _ in app.iter_cases())
            seconds = time.perf_counter() - started
            figures = {"events": events, "cases": listed, "us_per_event": seconds / events}
        elif step == "writes":
            for _ in range(WARM_UP_CASES):
                one_case(app)
            before = app.recorder.max_notification_id() or 0
            started = time.perf_counter()
            for _ in range(cases):
                one_case(app)
            seconds = time.perf_counter() - started
            events = (app.recorder.max_notification_id() or 0) - before
            assert events == cases * EVENTS_PER_CASE, events
            figures = {"events": events, "us_per_event": seconds / events}
        else:
            seconds = time.perf_counter() - started
        figures["seconds"] = seconds
        figures = {k: v * 1e6 if k.startswith("us_") else v for k, v in figures.items()}
    finally:
        app.close()
    figures["peak_mb"] = peak_mb()
    return figures


def run_pass(url: str, step: str, ids_file: Path, args: argparse.Namespace) -> Figures:
    """The pass `step` in a fresh process, stopped past `--cap-seconds` or `--cap-mb`."""
    cap_seconds: float = args.cap_seconds

    command = [sys.executable, __file__, "--measure", step, "--url", url]
    command += ["--ids", str(ids_file), "--cases", str(args.cases), "--cap-mb", str(args.cap_mb)]
    command += ["--repeats", str(args.repeats)]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=True,
            timeout=cap_seconds,
        )
    except subprocess.TimeoutExpired:
        return {"capped": f"stopped after {cap_seconds:.0f} s"}
    except subprocess.CalledProcessError as error:
        last = (error.stderr.strip().splitlines() or ["?"])[-1]
        if index_reads.CheckFailedError.__name__ in last:
            message = f"the {step} pass found the store wrong: {last}"
            raise SystemExit(message) from None
        return {"capped": f"failed after {time.perf_counter() - started:.0f} s: {last}"}
    figures: Figures = json.loads(done.stdout)
    return figures


def best_rounds(url: str, ids_file: Path, args: argparse.Namespace) -> Figures:
    """The REPEATABLE passes, `--rounds` times each, in turn: the fastest round of each.

    On this shared machine a process sometimes runs 1.7x slower from start to end, whatever
    it runs, and such spells last seconds: taking turns spreads each pass's rounds over
    them. A pass's peak RSS is the highest of its rounds.
    """
    rounds: dict[str, list[Figures]] = {step: [] for step in REPEATABLE}
    for _ in range(args.rounds):
        for step in REPEATABLE:
            rounds[step].append(run_pass(url, step, ids_file, args))
    best: Figures = {}
    for step, found in rounds.items():
        timed = [figures for figures in found if "capped" not in figures]
        if not timed:
            best[step] = found[0]
            continue
        fastest = min(timed, key=lambda figures: figures["us_per_call"])
        best[step] = fastest | {
            "rounds": len(timed),
            "us_per_call_rounds": [figures["us_per_call"] for figures in timed],
            "peak_mb": max(figures["peak_mb"] for figures in timed),
        }
    return best


# Stores and machine -------------------------------------------------------------------------


def store_url(store: str, folder: Path, args: argparse.Namespace, size: int) -> str:
    """A URL for an empty store of `size` events (a MariaDB store creates its database)."""
    if store == "sqlite":
        return f"sqlite:///{folder / f'growth_{size}.sqlite3'}"
    name = f"bench_growth_{size}_{uuid.uuid4().hex[:8]}"
    if store == "mariadb":
        return f"{args.mariadb.rpartition('/')[0]}/{name}"
    return f"{args.postgres}?schema={name}"


def drop(url: str) -> None:
    """Drop a PostgreSQL store's schema or a MariaDB store's database (SQLite's file goes
    with its folder)."""
    if url.startswith("postgresql://"):
        with postgres(url) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema_of(url)}" CASCADE')
    elif url.startswith("mariadb://"):
        with mariadb(url) as connection:
            connection.cursor().execute(f"DROP DATABASE IF EXISTS `{url.rpartition('/')[2]}`")


def measure_size(store: str, folder: Path, args: argparse.Namespace, size: int) -> Figures:
    """Fill a store to `size` events, then run every pass on it."""
    url = store_url(store, folder, args, size)
    try:
        cases, mine, fill_seconds = fill(url, size)
        ids_file = folder / f"ids_{size}.json"
        picked = random.Random(size).sample(  # noqa: S311 - a sample, not a secret
            cases, min(args.gets, len(cases))
        )
        ids_file.write_text(json.dumps({"sample": picked, "mine": mine}))
        stage: Figures = {"events": size, "cases": len(cases), "fill_seconds": fill_seconds}
        print(f"  {size:,} fill: {fill_seconds:.1f} s", file=sys.stderr, flush=True)
        for step in PASSES:
            if step not in REPEATABLE:
                stage[step] = run_pass(url, step, ids_file, args)
            elif step == REPEATABLE[0]:  # and the others, in turn
                stage |= best_rounds(url, ids_file, args)
            print(f"  {size:,} {step}: {stage[step]}", file=sys.stderr, flush=True)
            if step == "index" and args.analyze:
                analyse(url)
    finally:
        drop(url)
    return stage


# Table --------------------------------------------------------------------------------------


def _figure(stage: Figures, step: str, key: str) -> float | None:
    value = stage[step].get(key)
    return float(value) if value is not None else None


def _cell(value: float | None, width: int, digits: int = 1) -> str:
    return f"{'capped':>{width}}" if value is None else f"{value:>{width},.{digits}f}"


def ratios(stages: Sequence[Figures]) -> list[Figures]:
    """Each measure and each peak RSS at one size over the size before it, then the last
    size over the first."""
    pairs = list(itertools.pairwise(stages))
    if len(stages) > 2:  # noqa: PLR2004 - with two sizes the pair is already the whole span
        pairs.append((stages[0], stages[-1]))
    found: list[Figures] = []
    for low, high in pairs:
        pair: Figures = {"sizes": f"{high['events']:,}/{low['events']:,}", "measures": {}}
        for step, key in MEASURES.items():
            for name, figure in ((f"{step} {key}", key), (f"{step} peak_mb", "peak_mb")):
                a, b = _figure(low, step, figure), _figure(high, step, figure)
                ratio = b / a if a and b is not None else None
                met = None if ratio is None else ratio <= TARGET
                pair["measures"][name] = {"ratio": ratio, "met": met}
        found.append(pair)
    return found


def show(stages: Sequence[Figures], found: Sequence[Figures], facts: Figures, store: str) -> None:
    """The tables per size, then the ratios against the target, then the comparisons."""
    names = {"postgresql": "PostgreSQL", "sqlite": "SQLite", "python": "Python"}
    print(", ".join([*(f"{names.get(k, k)} {v}" for k, v in facts.items()), f"store {store}"]))
    show_log(stages)
    show_index(stages)
    for pair in found:
        print(f"ratios {pair['sizes']} (target <= {TARGET}):")
        for name, result in pair["measures"].items():
            ratio, met = result["ratio"], result["met"]
            verdict = "n/a (capped)" if met is None else ("met" if met else "NOT met")
            shown = "-" if ratio is None else f"{ratio:.2f}"
            print(f"  {name:<28}{shown:>7}  {verdict}")
    show_comparisons(stages)


def show_log(stages: Sequence[Figures]) -> None:
    """Fill, open, get_case, history, list and writes per size."""
    print(
        f"{'':>10}{'fill':>7}{'open':>7}{'-- get_case --':>17}{'-- history --':>17}"
        f"{'---------- iter_cases ----------':>35}{'--- writes ---':>17}"
    )
    print(
        f"{'events':>10}{'s':>7}{'MB':>7}{'us/call':>10}{'MB':>7}{'us/event':>10}{'MB':>7}"
        f"{'cases':>10}{'s':>8}{'us/event':>10}{'MB':>7}{'us/event':>10}{'MB':>7}"
    )
    for s in stages:
        print(
            f"{s['events']:>10,}{s['fill_seconds']:>7.1f}"
            f"{_cell(_figure(s, 'open', 'peak_mb'), 7, 0)}"
            f"{_cell(_figure(s, 'get_case', 'us_per_call'), 10)}"
            f"{_cell(_figure(s, 'get_case', 'peak_mb'), 7, 0)}"
            f"{_cell(_figure(s, 'history', 'us_per_event'), 10)}"
            f"{_cell(_figure(s, 'history', 'peak_mb'), 7, 0)}"
            f"{s['cases']:>10,}{_cell(_figure(s, 'list', 'seconds'), 8)}"
            f"{_cell(_figure(s, 'list', 'us_per_event'), 10)}"
            f"{_cell(_figure(s, 'list', 'peak_mb'), 7, 0)}"
            f"{_cell(_figure(s, 'writes', 'us_per_event'), 10)}"
            f"{_cell(_figure(s, 'writes', 'peak_mb'), 7, 0)}"
        )
        for step in PASSES:
            if "capped" in s[step]:
                print(f"{'':>10}{step} capped: {s[step]['capped']}")


def show_index(stages: Sequence[Figures]) -> None:
    """The index's catch-up (us/event) and its reads (ms a call, median) per size."""
    steps = ("index", *INDEX_PASSES)
    print(f"{'':>10}" + "".join(f"{step:^15}" for step in steps))
    units = "".join(f"{'us/event' if step == 'index' else 'ms':>9}{'MB':>6}" for step in steps)
    print(f"{'events':>10}{units}")
    for s in stages:
        cells = [
            _cell(_figure(s, step, MEASURES[step]), 9, 1)
            if step == "index"
            else _cell(_scaled(_figure(s, step, MEASURES[step]), 1e-3), 9, 2)
            for step in steps
        ]
        peaks = [_cell(_figure(s, step, "peak_mb"), 6, 0) for step in steps]
        print(f"{s['events']:>10,}" + "".join(a + b for a, b in zip(cells, peaks, strict=True)))


def show_comparisons(stages: Sequence[Figures]) -> None:
    """The page of 50 cases against their 50 loads, and an empty page against one load."""
    print("pages against get_case, timed in turn in the get_50 pass (medians, ms):")
    print(
        f"{'events':>10}{'page_mine':>11}{'get_50':>9}{'ratio':>7}"
        f"{'warm: page_none':>17}{'get_case':>10}{'ratio':>7}"
        f"{'once: page_none':>17}{'get_case':>10}{'ratio':>7}"
    )
    for s in stages:
        found = index_reads.comparisons(s)
        if not found:
            print(f"{s['events']:>10,}  capped")
            continue
        gets = s["get_50"]
        print(
            f"{s['events']:>10,}{gets['us_page_mine_alongside'] / 1e3:>11.2f}"
            f"{gets['us_per_call'] / 1e3:>9.2f}{found['page_mine / get_50']['ratio']:>7.2f}"
            f"{gets['us_page_none_in_a_row'] / 1e3:>17.3f}"
            f"{gets['us_per_call'] / gets['calls'] / 1e3:>10.3f}"
            f"{found['page_none / get_case, warm']['ratio']:>7.2f}"
            f"{gets['us_page_none_once'] / 1e3:>17.3f}{gets['us_get_case_once'] / 1e3:>10.3f}"
            f"{found['page_none / get_case, once']['ratio']:>7.2f}"
        )
    for name, (bound, target) in index_reads.COMPARISONS.items():
        verdicts = [index_reads.comparisons(s).get(name, {}).get("met") for s in stages]
        sign = "<=" if bound is operator.le else "<"
        verdict = "met at every size" if all(verdicts) else "NOT met at every size"
        print(f"  {name} (target {sign} {target}): {verdict}")


def _scaled(value: float | None, factor: float) -> float | None:
    return None if value is None else value * factor


def main() -> None:
    """Parse the arguments; run one pass (`--measure`) or the whole benchmark."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--store", choices=("sqlite", "postgres", "mariadb"), default="sqlite")
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--mariadb", default="mariadb://root@127.0.0.1:3306/test")
    parser.add_argument("--cases", type=int, default=300)
    parser.add_argument("--gets", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--analyze",
        action="store_true",
        help="gather the planner's statistics after the index pass (autovacuum's ANALYZE)",
    )
    parser.add_argument("--cap-seconds", type=float, default=180.0)
    parser.add_argument("--cap-mb", type=int, default=4_096)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--measure", choices=PASSES, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--ids", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        cap = args.cap_mb * 1024 * 1024  # address space: past it, the pass fails (capped)
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
        print(json.dumps(measure(args.url, args.measure, args.ids, args.cases, args.repeats)))
        return
    facts = machine([args.store], args.postgres, args.mariadb)
    with tempfile.TemporaryDirectory() as folder:
        stages = [
            measure_size(args.store, Path(folder), args, size) for size in sorted(args.events)
        ]
    found = ratios(stages)
    show(stages, found, facts, args.store)
    if args.json:
        figures = {"machine": facts, "store": args.store, "target": TARGET, "cases": args.cases}
        figures |= {"gets": args.gets, "repeats": args.repeats, "rounds": args.rounds}
        figures |= {"analyze": args.analyze, "stages": stages}
        figures |= {"ratios": found, "comparisons": [index_reads.comparisons(s) for s in stages]}
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
