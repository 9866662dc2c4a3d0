"""Our commands and reads side by side with bare eventsourcing and raw SQL, in one run.

    python benchmarks/run.py [--cases 1000] [--rounds 3]
                             [--stores memory,sqlite,postgres,mariadb]
                             [--postgres URL] [--mariadb URL] [--json out.json]

Every figure is measured in the same run on the same machine, and read as a ratio:

writes   `--cases` cases of six commands through `Mediations` (request with two names and a
         summary, assign, two consents, a joint session with notes, resolve: each a load,
         the rules, sealing and one `save()`), against the same number of events of a
         bare eventsourcing `Aggregate` whose stored states have the same sizes, each
         also in its own `save()`: "bare" loads the aggregate before each event (the
         shape of our commands), "bare, save only" keeps it in memory. Set-ups run in
         alternation, `--rounds` times, the best round kept. Target: ours >= 0.8x bare.
         On MariaDB "bare" is eventsourcing-sqlalchemy's recorder (PyMySQL), the one an
         integrator reaches for first: it takes no insert lock, so its log can skip ids
         (adapters/mediation-mariadb/tests/test_naive_recorder.py); ours takes one.
raw      the stored events we wrote, inserted again by sqlite3 `executemany` in one
         transaction, or by psycopg binary `COPY`, and read back 1,000 rows a page; our
         write rate and our log reads (eventsourcing's recorder alone, then
         `Mediations.history()`, which decodes every event) as fractions of those.
get_case cases of 6, 20 and 60 events, on a store without snapshots, on one with
         snapshots on (MEDIATION_SNAPSHOT_EVERY: each load looks for a snapshot first)
         but none taken, then after `take_snapshot` (MediationCase.Snapshot, as shipped).
list     `list_cases()` over every case the run wrote.

growth   then `growth.py` for each persistent store asked for (unless `--no-growth`):
         writes, get_case, history, listing and the case index's reads on 10k, 100k and
         1M events, each pass in a process of its own for its peak RSS; the ratio of each
         between sizes (target <= 1.5), and a page against the loads of its cases.

Each store starts empty (SQLite files in a temporary directory, PostgreSQL schemas and
MariaDB databases dropped at the end; MariaDB needs `pip install
./adapters/mediation-mariadb[dev]`). `python -m benchmarks` runs this script.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Notification
from stores import bare_env, mariadb, postgres, schema_of
from workload import consented_case, machine, one_case

from mediation_adapters.bootstrap import open_store
from mediation_domain import Mediations

STORES = ("memory", "sqlite", "postgres", "mariadb")
EVENTS_PER_CASE = 6
LENGTHS = (EVENTS_PER_CASE, 20, 60)  # events of the cases get_case reads
PAGE = 1_000
GET_CASE_CALLS = 500
TARGET = 0.8

Figures = dict[str, Any]


# Writes ------------------------------------------------------------------------------------


def case_of(app: Mediations, events: int) -> uuid.UUID:
    """The realistic six-event case, or one still in mediation after `events` - 4 sessions."""
    if events == EVENTS_PER_CASE:
        return one_case(app)
    case_id, a, b = consented_case(app, "Bruit de voisinage")
    for _ in range(events - 4):  # after the request, the assignment and two consents
        app.hold_session(case_id, kind="joint-session", attendees=[a, b], notes="Suivi")
    return case_id


class Bare(Aggregate):
    """A bare eventsourcing aggregate: one text payload per event, no rules, no sealing."""

    def __init__(self, payload: str) -> None:
        self.payload = payload

    @event("Noted")
    def note(self, payload: str) -> None:
        """Record the next payload."""
        self.payload = payload


class BareApp(Application[uuid.UUID]):
    """eventsourcing's application with its default JSON transcoder."""


def bare_payloads(app: BareApp, sizes: Sequence[int]) -> list[str]:
    """Payloads that give bare events the stored sizes `sizes` (first a creation)."""
    probe = Bare("")
    probe.note("")
    created, noted = (len(app.mapper.to_stored_event(e).state) for e in probe.collect_events())
    return ["x" * (sizes[0] - created), *("x" * (size - noted) for size in sizes[1:])]


def bare_case(app: BareApp, payloads: Sequence[str], *, load: bool) -> uuid.UUID:
    """One bare aggregate, one `save()` per event; with `load`, reloaded before each event."""
    bare = Bare(payloads[0])
    app.save(bare)
    for payload in payloads[1:]:
        if load:
            bare = app.repository.get(bare.id)
        bare.note(payload)
        app.save(bare)
    return bare.id


def events_per_second(write_case: Callable[[], object], cases: int) -> float:
    """Events per second of `cases` calls of `write_case`."""
    started = time.perf_counter()
    for _ in range(cases):
        write_case()
    return cases * EVENTS_PER_CASE / (time.perf_counter() - started)


def stored_sizes(notifications: Sequence[Notification]) -> list[int]:
    """Bytes of stored state of each event."""
    return [len(notification.state) for notification in notifications]


def measure_writes(ours: Mediations, bare: BareApp, cases: int, rounds: int) -> Figures:
    """Events/s of ours, bare (load + save) and bare (save only), best of `rounds`."""
    first = one_case(ours)  # warm up (tables, connections), and the sizes to match
    written = ours.recorder.select_notifications(None, EVENTS_PER_CASE)
    assert all(n.originator_id == first for n in written)
    sizes = stored_sizes(written)
    payloads = bare_payloads(bare, sizes)
    bare_id = bare_case(bare, payloads, load=True)
    assert stored_sizes(bare.recorder.select_notifications(None, EVENTS_PER_CASE)) == sizes
    assert bare.repository.get(bare_id).version == EVENTS_PER_CASE
    setups: dict[str, Callable[[], object]] = {
        "ours": lambda: one_case(ours),
        "bare": lambda: bare_case(bare, payloads, load=True),
        "bare_save_only": lambda: bare_case(bare, payloads, load=False),
    }
    best = dict.fromkeys(setups, 0.0)
    for _ in range(rounds):
        for name, write_case in setups.items():
            best[name] = max(best[name], events_per_second(write_case, cases))
    return {
        "stored_bytes_per_event": sizes,
        "ours_events_per_second": best["ours"],
        "bare_events_per_second": best["bare"],
        "ours_over_bare": best["ours"] / best["bare"],
        "bare_save_only_events_per_second": best["bare_save_only"],
        "ours_over_bare_save_only": best["ours"] / best["bare_save_only"],
    }


# Raw limits and log reads ------------------------------------------------------------------


def all_notifications(app: Mediations) -> list[Notification]:
    """Every stored event of `app`, in the order recorded."""
    found: list[Notification] = []
    start: int | None = None
    while page := app.recorder.select_notifications(start, PAGE, inclusive_of_start=False):
        found.extend(page)
        start = page[-1].id
    return found


def timed_rate(action: Callable[[], int], rounds: int) -> float:
    """The best items/s of `rounds` runs of `action`, which returns how many it handled."""
    best = 0.0
    for _ in range(rounds):
        started = time.perf_counter()
        count = action()
        best = max(best, count / (time.perf_counter() - started))
    return best


def read_ours(app: Mediations, rounds: int) -> Figures:
    """Log reads through eventsourcing's recorder alone, then through `Mediations.history()`."""

    def recorder() -> int:
        return len(all_notifications(app))

    def history() -> int:
        return sum(1 for _ in app.history())

    return {
        "recorder_read_events_per_second": timed_rate(recorder, rounds),
        "history_read_events_per_second": timed_rate(history, rounds),
    }


SQLITE_TABLE = (
    "CREATE TABLE raw_events (originator_id TEXT, originator_version INTEGER, topic TEXT, "
    "state BLOB, PRIMARY KEY (originator_id, originator_version))"
)  # eventsourcing's stored_events table
SQLITE_INSERT = "INSERT INTO raw_events VALUES (?, ?, ?, ?)"
SQLITE_PAGE = (
    "SELECT rowid, originator_id, originator_version, topic, state FROM raw_events "
    "WHERE rowid > ? ORDER BY rowid LIMIT ?"
)


def raw_sqlite(path: Path, notifications: Sequence[Notification], rounds: int) -> Figures:
    """sqlite3 `executemany` of the rows in one transaction, and a paged read (WAL, as ours)."""
    rows = [
        (uuid.UUID(str(n.originator_id)).hex, n.originator_version, n.topic, n.state)
        for n in notifications
    ]
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")

    def write() -> int:
        connection.execute("DROP TABLE IF EXISTS raw_events")
        connection.execute(SQLITE_TABLE)
        connection.execute("BEGIN")
        connection.executemany(SQLITE_INSERT, rows)
        connection.execute("COMMIT")
        return len(rows)

    def read() -> int:
        count, last = 0, 0
        while page := connection.execute(SQLITE_PAGE, (last, PAGE)).fetchall():
            count += len(page)
            last = page[-1][0]
        return count

    try:
        return {
            "raw_write_events_per_second": timed_rate(write, rounds),
            "raw_read_events_per_second": timed_rate(read, rounds),
        }
    finally:
        connection.close()


POSTGRES_TABLE = (
    "CREATE TABLE raw_events (originator_id uuid NOT NULL, originator_version bigint NOT NULL, "
    "topic text, state bytea, notification_id bigserial, "
    "PRIMARY KEY (originator_id, originator_version))"
)  # eventsourcing's stored_events table, with its unique index below
POSTGRES_INDEX = "CREATE UNIQUE INDEX raw_events_notification_id ON raw_events (notification_id)"
POSTGRES_COPY = (
    "COPY raw_events (originator_id, originator_version, topic, state) FROM STDIN (FORMAT BINARY)"
)
POSTGRES_PAGE = (
    "SELECT notification_id, originator_id, originator_version, topic, state FROM raw_events "
    "WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
)


def raw_postgres(url: str, notifications: Sequence[Notification], rounds: int) -> Figures:
    """psycopg binary `COPY` of the rows in one transaction, and a paged read."""
    rows = [(n.originator_id, n.originator_version, n.topic, n.state) for n in notifications]
    with postgres(url) as connection:
        connection.execute(f'SET search_path TO "{schema_of(url)}"')

        def write() -> int:
            connection.execute("DROP TABLE IF EXISTS raw_events")
            connection.execute(POSTGRES_TABLE)
            connection.execute(POSTGRES_INDEX)
            with (
                connection.transaction(),
                connection.cursor() as cursor,
                cursor.copy(POSTGRES_COPY) as copy,
            ):
                copy.set_types(["uuid", "bigint", "text", "bytea"])
                for row in rows:
                    copy.write_row(row)
            return len(rows)

        def read() -> int:
            count, last = 0, 0
            with connection.cursor() as cursor:
                while page := cursor.execute(POSTGRES_PAGE, (last, PAGE), prepare=True).fetchall():
                    count += len(page)
                    last = page[-1][0]
            return count

        return {
            "raw_write_events_per_second": timed_rate(write, rounds),
            "raw_read_events_per_second": timed_rate(read, rounds),
        }


# get_case with and without snapshots -------------------------------------------------------


@contextlib.contextmanager
def snapshotting() -> Iterator[None]:
    """Stores opened within have snapshots on, none taken by saves (taken by hand below)."""
    os.environ["MEDIATION_SNAPSHOT_EVERY"] = "9" * 9  # the most it takes: never reached
    try:
        yield
    finally:
        del os.environ["MEDIATION_SNAPSHOT_EVERY"]


def get_case_rate(app: Mediations, case_id: uuid.UUID) -> float:
    """get_case calls per second."""
    started = time.perf_counter()
    for _ in range(GET_CASE_CALLS):
        app.get_case(case_id)
    return GET_CASE_CALLS / (time.perf_counter() - started)


def measure_get_case(plain: Mediations, snapped: Mediations, rounds: int) -> Figures:
    """get_case/s by case length: no snapshots, snapshots on but none taken, one taken."""
    cases = {events: (case_of(plain, events), case_of(snapped, events)) for events in LENGTHS}
    figures: Figures = {}

    def best(app: Mediations, case_id: uuid.UUID) -> float:
        return max(get_case_rate(app, case_id) for _ in range(rounds))

    for events, (plain_id, snapped_id) in cases.items():
        assert plain.get_case(plain_id).version == events
        figures[f"get_case_{events}_no_snapshots"] = best(plain, plain_id)
        figures[f"get_case_{events}_snapshotting_none_taken"] = best(snapped, snapped_id)
        before = snapped.get_case(snapped_id)
        snapped.take_snapshot(snapped_id)  # as shipped: MediationCase.Snapshot
        assert snapped.get_case(snapped_id) == before, "the snapshot changed the case"
        figures[f"get_case_{events}_snapshot"] = best(snapped, snapped_id)
        figures[f"get_case_{events}_snapshot_over_none"] = (
            figures[f"get_case_{events}_snapshot"] / figures[f"get_case_{events}_no_snapshots"]
        )
    long_id = cases[LENGTHS[-1]][1]
    snapped.resolve(long_id, outcome="agreement")  # a command on a case loaded from a snapshot
    resolved = snapped.get_case(long_id)
    assert resolved.version == LENGTHS[-1] + 1, "a command after a snapshot went wrong"
    return figures


# One store ---------------------------------------------------------------------------------


def measure_store(store: str, urls: dict[str, str], cases: int, rounds: int) -> Figures:
    """Every figure of one store; `urls` names an empty store for ours, bare and raw."""
    ours = open_store(urls["ours"])
    bare = BareApp(bare_env(urls["bare"]))
    with snapshotting():
        snapped = open_store(urls["ours"])
    try:
        figures = measure_writes(ours, bare, cases, rounds)
        notifications = all_notifications(ours)
        figures["log_events"] = len(notifications)
        figures |= read_ours(ours, rounds)
        if store == "sqlite":
            figures |= raw_sqlite(Path(urls["raw"]), notifications, rounds)
        elif store == "postgres":
            figures |= raw_postgres(urls["raw"], notifications, rounds)
        if "raw_write_events_per_second" in figures:
            for ours_key, raw_key, ratio_key in (
                ("ours_events_per_second", "raw_write", "ours_write_over_raw"),
                ("recorder_read_events_per_second", "raw_read", "recorder_read_over_raw"),
                ("history_read_events_per_second", "raw_read", "history_read_over_raw"),
            ):
                figures[ratio_key] = figures[ours_key] / figures[f"{raw_key}_events_per_second"]
        started = time.perf_counter()
        listed = ours.list_cases()
        figures["list_cases_seconds"] = time.perf_counter() - started
        figures["list_cases_cases"] = len(listed)
        figures |= measure_get_case(ours, snapped, rounds)
    finally:
        snapped.close()
        bare.close()
        ours.close()
    return figures


@contextlib.contextmanager
def empty_stores(store: str, folder: Path, servers: dict[str, str]) -> Iterator[dict[str, str]]:
    """URLs of empty stores for ours, bare and raw; schemas and databases dropped afterwards."""
    if store == "memory":
        yield {"ours": "memory://", "bare": "memory://"}
        return
    if store == "sqlite":
        yield {
            "ours": f"sqlite:///{folder / 'ours.sqlite3'}",
            "bare": f"sqlite:///{folder / 'bare.sqlite3'}",
            "raw": str(folder / "raw.sqlite3"),
        }
        return
    tag = uuid.uuid4().hex[:8]
    if store == "mariadb":
        names = {use: f"bench_run_{tag}_{use}" for use in ("ours", "bare")}
        with mariadb(servers["mariadb"]) as connection:
            for name in names.values():
                connection.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
            try:
                server = servers["mariadb"].rpartition("/")[0]
                yield {use: f"{server}/{name}" for use, name in names.items()}
            finally:
                for name in names.values():
                    connection.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
        return
    urls = {
        use: f"{servers['postgres']}?schema=bench_run_{tag}_{use}"
        for use in ("ours", "bare", "raw")
    }
    schemas = [schema_of(url) for url in urls.values()]
    with postgres(urls["ours"]) as connection:
        for schema in schemas:
            connection.execute(f'CREATE SCHEMA "{schema}"')
        try:
            yield urls
        finally:
            for schema in schemas:
                connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# Report ------------------------------------------------------------------------------------


ROWS: tuple[tuple[str, str, str], ...] = (
    # (label, key, format): "rate" events or calls per second, "ratio", "s" seconds
    ("writes, events/s: ours", "ours_events_per_second", "rate"),
    ("  bare eventsourcing (load + save)", "bare_events_per_second", "rate"),
    ("  ours / bare (target >= 0.8)", "ours_over_bare", "ratio"),
    ("  bare eventsourcing (save only)", "bare_save_only_events_per_second", "rate"),
    ("  ours / bare save only", "ours_over_bare_save_only", "ratio"),
    ("  raw executemany / COPY", "raw_write_events_per_second", "rate"),
    ("  ours / raw", "ours_write_over_raw", "ratio"),
    ("log read, events/s: raw pages", "raw_read_events_per_second", "rate"),
    ("  eventsourcing recorder", "recorder_read_events_per_second", "rate"),
    ("  recorder / raw", "recorder_read_over_raw", "ratio"),
    ("  ours: history(), decoded", "history_read_events_per_second", "rate"),
    ("  history / raw", "history_read_over_raw", "ratio"),
    ("get_case, calls/s: 6 events", "get_case_6_no_snapshots", "rate"),
    ("  6, snapshots on, none taken", "get_case_6_snapshotting_none_taken", "rate"),
    ("  6, from a snapshot", "get_case_6_snapshot", "rate"),
    ("  6, snapshot / none", "get_case_6_snapshot_over_none", "ratio"),
    ("  20 events", "get_case_20_no_snapshots", "rate"),
    ("  20, snapshots on, none taken", "get_case_20_snapshotting_none_taken", "rate"),
    ("  20, from a snapshot", "get_case_20_snapshot", "rate"),
    ("  20, snapshot / none", "get_case_20_snapshot_over_none", "ratio"),
    ("  60 events", "get_case_60_no_snapshots", "rate"),
    ("  60, snapshots on, none taken", "get_case_60_snapshotting_none_taken", "rate"),
    ("  60, from a snapshot", "get_case_60_snapshot", "rate"),
    ("  60, snapshot / none", "get_case_60_snapshot_over_none", "ratio"),
    ("list_cases(): cases", "list_cases_cases", "count"),
    ("  seconds", "list_cases_seconds", "s"),
)


def _cell(value: Any, kind: str) -> str:  # noqa: ANN401 - a figure of any kind
    if value is None:
        return "-"
    if kind == "ratio":
        return f"{value:.2f}"
    if kind == "s":
        return f"{value:.3f}"
    return f"{value:,.0f}"


def show(results: dict[str, Figures], facts: dict[str, str | int | None], args: Any) -> None:  # noqa: ANN401 - argparse's namespace
    """The machine, then one table: a row per measure, a column per store."""
    names = {"postgresql": "PostgreSQL", "sqlite": "SQLite", "python": "Python"}
    parts = [f"{facts['cores']} cores ({facts['cpu']})"]
    parts += [f"{names.get(k, k)} {v}" for k, v in facts.items() if k not in {"cores", "cpu"}]
    print(", ".join(parts))
    log = {store: figures["log_events"] for store, figures in results.items()}
    print(
        f"writes: {args.cases} cases x {EVENTS_PER_CASE} events per set-up and round, best of "
        f"{args.rounds} rounds; log read: the events written ({', '.join(map(str, log.values()))})"
    )
    print(f"{'measure':<36}" + "".join(f"{store:>12}" for store in results))
    for label, key, kind in ROWS:
        print(f"{label:<36}" + "".join(f"{_cell(f.get(key), kind):>12}" for f in results.values()))
    for store, figures in results.items():
        verdict = "met" if figures["ours_over_bare"] >= TARGET else "NOT met"
        print(f"{store}: ours / bare {figures['ours_over_bare']:.2f}, target {TARGET}: {verdict}")


def grow(stores: Sequence[str], args: Any) -> dict[str, Any]:  # noqa: ANN401 - argparse's
    """growth.py on each persistent store asked for: its table printed, its figures returned."""
    found: dict[str, Any] = {}
    sizes = [str(size) for size in args.growth_events]
    for store in (s for s in ("sqlite", "postgres", "mariadb") if s in stores):
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "growth.json"
            command = [sys.executable, str(Path(__file__).with_name("growth.py"))]
            command += ["--store", store, "--postgres", args.postgres, "--mariadb", args.mariadb]
            command += ["--json", str(out)]
            print(f"\ngrowth, {store}:", flush=True)
            subprocess.run([*command, "--events", *sizes], check=True)
            found[store] = json.loads(out.read_text())
    return found


def main() -> None:
    """Measure every store asked for, print the table, write the JSON if asked."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--stores", default=",".join(STORES))
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--mariadb", default="mariadb://root@127.0.0.1:3306/test")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--no-growth", action="store_true", help="skip growth.py")
    parser.add_argument(
        "--growth-events", type=int, nargs="+", default=[10_000, 100_000, 1_000_000]
    )
    args = parser.parse_args()
    stores = [store.strip() for store in args.stores.split(",") if store.strip()]
    unknown = sorted(set(stores) - set(STORES))
    if unknown:
        parser.error(f"unknown store {unknown[0]!r}: choose among {', '.join(STORES)}")
    facts = machine(stores, args.postgres, args.mariadb)
    servers = {"postgres": args.postgres, "mariadb": args.mariadb}
    results: dict[str, Figures] = {}
    with tempfile.TemporaryDirectory() as folder:
        for store in stores:
            with empty_stores(store, Path(folder), servers) as urls:
                results[store] = measure_store(store, urls, args.cases, args.rounds)
    show(results, facts, args)
    growth = {} if args.no_growth else grow(stores, args)
    if args.json:
        measured = {
            "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "machine": facts,
            "cases": args.cases,
            "rounds": args.rounds,
            "stores": results,
            "growth": growth,
        }
        args.json.write_text(json.dumps(measured, indent=2, default=str) + "\n")


if __name__ == "__main__":
    main()
