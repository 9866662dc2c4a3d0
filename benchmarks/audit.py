"""Audit (format 2, the transparency log): verify, replay, proofs and sealing as the log grows.

    python benchmarks/audit.py [--events 10000 1000000] [--cases 200] [--rounds 3]
                               [--json out.json]

For each size, a SQLite store is filled with copies of a realistic history (every kind of
event), then each pass runs in a fresh process so that its peak memory is its own (VmHWM:
a child's ru_maxrss starts at its parent's), in this order:

- raw: a paged read of the log, the floor the other passes are held to;
- seal: the first seal of the store (`sealing.seal`: the RFC 9162 tree over every record,
  a signed checkpoint every `tlog.CHUNK` leaves);
- verify: `verify_log` over `ledger.records(app)` against the latest checkpoint (what
  `mediation audit verify` does on an intact store: it reads the sealed leaves, to name
  the altered records, only when a root does not match);
- replay: every record decoded and the deontology re-run;
- leaves: the leaf index (`tlog.LeafIndex`) caught up with the whole log, once;
- proofs: for `--cases` random cases, each record's inclusion proof made (LeafIndex
  lookup, `TransparencyLog.inclusion`, `record_at`) and checked (`root_from_inclusion`),
  best of `--rounds`; one consistency proof from size/2 to size, made and checked (best
  of 21); a case's export with its proofs (`write_export(app, out, case=...)`).

Targets: verify >= 0.5x and replay >= 0.25x the raw read's rate; peak memory flat from
the smallest size to the largest; a proof at the largest size only slightly slower than
at the smallest (O(log n)).
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from workload import copies, machine, peak_mb

from mediation_adapters.formats.export_writer import write_export
from mediation_adapters.security.note_keys import NoteSignerKey
from mediation_adapters.storage.ledger import logical_mapper, record_at, records, replay
from mediation_adapters.storage.sealing import seal, transparency_log
from mediation_adapters.storage.tlog import LeafIndex, TransparencyLog
from mediation_adapters.stores import open_store
from mediation_domain import Mediations
from mediation_domain.audit.merkle import leaf_data, leaf_hash, subtree_hash
from mediation_domain.audit.proofs import check_consistency, root_from_inclusion
from mediation_domain.audit.verification import Trust, verify_log
from mediation_domain.testing import record_every_event

BATCH = 10_000
STEPS = ("raw", "seal", "verify", "replay", "leaves", "proofs")
RATED = STEPS[:5]  # the passes over the whole log, rated in records/s
TARGETS = {"verify": 0.5, "replay": 0.25}
KEY_NAME = "bench.example/audit"
SEED = 20261203
Result = dict[str, Any]


def fill(url: str, events: int) -> None:
    """`events` stored events: copies of `record_every_event`'s history, fresh case ids."""
    template_app = Mediations()
    record_every_event(template_app)
    template = list(template_app.recorder.select_notifications(None, 1000))
    app = open_store(url)
    stream = itertools.islice(copies(template), events)
    while batch := list(itertools.islice(stream, BATCH)):
        app.recorder.insert_events(batch)
    app.close()


def measure(url: str, step: str, key: NoteSignerKey, cases: int, rounds: int) -> Result:
    """One pass over the store `url`, with its time and this process's peak memory."""
    app = open_store(url, create=False)
    extra: Result = {}
    started = time.perf_counter()
    if step == "raw":
        count = sum(1 for record in records(app) if record.state)
    elif step == "seal":
        made = seal(app, key)
        assert made is not None
        count = made.head.size
    elif step == "verify":
        with transparency_log(app) as log:
            latest = log.latest()
            assert latest is not None
            report = verify_log(latest.note, records(app), Trust([key.verifier]))
        assert report.ok, (report.problems[:3], report.unproven)
        count = report.records
    elif step == "replay":
        findings = sum(1 for _ in replay(records(app), logical_mapper(app)))
        assert findings == 0, "the benchmark history has violations"
        count = app.recorder.max_notification_id() or 0
    elif step == "leaves":
        index = LeafIndex(app)
        count = index.refresh()
        index.close()
    else:
        count, extra = proofs(app, cases, rounds)
    seconds = time.perf_counter() - started
    app.close()
    rate = count / seconds if seconds else 0.0
    return {"records": count, "seconds": seconds, "rate": rate, "peak_mb": peak_mb(), **extra}


def sample_cases(app: Mediations, cases: int) -> list[str]:
    """`cases` distinct cases, each found from a record picked at random (seeded)."""
    rng = random.Random(SEED)  # noqa: S311 - a reproducible sample, not a secret
    last = app.recorder.max_notification_id() or 0
    found: dict[str, None] = {}
    while len(found) < cases:
        found[str(record_at(app, rng.randint(1, last)).originator_id)] = None
    return list(found)


def proofs(app: Mediations, cases: int, rounds: int) -> tuple[int, Result]:
    """Inclusion proofs of a sample of cases, a consistency proof, and case exports."""
    chosen = sample_cases(app, cases)
    index = LeafIndex(app)
    with transparency_log(app) as log:
        latest = log.latest()
        assert latest is not None
        size, root = latest.head.size, latest.head.root
        made: list[tuple[int, list[bytes], Any]] = []
        make, check = [], []
        for _ in range(rounds):
            started = time.perf_counter()
            made = [
                (leaf, log.inclusion(leaf, size), record_at(app, notification))
                for case in chosen
                for notification, leaf in index.leaves_of(case)
                if leaf < size
            ]
            make.append((time.perf_counter() - started) / len(made))
            started = time.perf_counter()
            for leaf, path, record in made:
                found = root_from_inclusion(leaf, size, leaf_hash(leaf_data(record)), path)
                assert found == root, f"leaf {leaf} is not proven"
            check.append((time.perf_counter() - started) / len(made))
        consistency = consistency_figures(log, size, root)
    index.close()
    started = time.perf_counter()
    for case in chosen:
        write_export(app, io.StringIO(), case=uuid.UUID(case))
    exported = (time.perf_counter() - started) / len(chosen)
    return len(made), {
        "cases": len(chosen),
        "hashes": sum(len(path) for _, path, _ in made) / len(made),
        "make_us": min(make) * 1e6,
        "check_us": min(check) * 1e6,
        "export_ms": exported * 1e3,
        **consistency,
    }


def consistency_figures(log: TransparencyLog, size: int, root: bytes) -> Result:
    """One consistency proof from size // 2 leaves to `size`: made and checked, best of 21."""
    old = max(1, size // 2)
    old_root = subtree_hash(0, old, log.node)  # what an auditor kept of the older tree
    make, check = [], []
    for _ in range(21):
        started = time.perf_counter()
        path = log.consistency(old, size)
        make.append(time.perf_counter() - started)
        started = time.perf_counter()
        check_consistency(old, old_root, size, root, path)
        check.append(time.perf_counter() - started)
    return {
        "consistency_hashes": len(path),
        "consistency_make_us": min(make) * 1e6,
        "consistency_check_us": min(check) * 1e6,
    }


def run_step(url: str, step: str, key_file: Path, cases: int, rounds: int) -> Result:
    """`measure` in a fresh process: its peak memory is its own."""
    command = [sys.executable, __file__, "--step", step, "--store", url, "--key", str(key_file)]
    done = subprocess.run(
        [*command, "--cases", str(cases), "--rounds", str(rounds)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        sys.exit(f"the {step} pass failed:\n{done.stderr}")
    result: Result = json.loads(done.stdout)
    return result


def store_mb(folder: Path) -> float:
    """The store's size on disk, its WAL included."""
    return sum(f.stat().st_size for f in folder.glob("audit.sqlite3*")) / 1e6


def one_size(events: int, cases: int, rounds: int) -> Result:
    """Fill a store of `events` records and run every pass on it."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        url = f"sqlite:///{folder / 'audit.sqlite3'}"
        key_file = folder / "note.key"
        key_file.write_text(NoteSignerKey.generate(KEY_NAME).text() + "\n")
        started = time.perf_counter()
        fill(url, events)
        sizes = {"filled": store_mb(folder)}
        figures: Result = {"fill_s": time.perf_counter() - started, "passes": {}}
        for step in STEPS:
            figures["passes"][step] = run_step(url, step, key_file, cases, rounds)
            print(f"  {events:,} events: {step} done", file=sys.stderr)
            if step in ("seal", "leaves"):
                sizes[f"after_{step}"] = store_mb(folder)
        figures["store_mb"] = sizes
    return figures


def print_tables(runs: dict[int, Result]) -> None:
    """The passes side by side, the proofs, then the targets, met or not."""
    print(f"{'events':>10} {'pass':<7}{'records/s':>11}{'/ raw':>7}{'seconds':>9}{'peak MB':>9}")
    for events, figures in runs.items():
        passes = figures["passes"]
        raw = passes["raw"]["rate"]
        for step in RATED:
            p = passes[step]
            print(
                f"{events:>10,} {step:<7}{p['rate']:>11,.0f}{p['rate'] / raw:>7.2f}"
                f"{p['seconds']:>9.2f}{p['peak_mb']:>9.0f}"
            )
    print(
        f"\n{'events':>10}{'proofs':>8}{'hashes':>8}{'make us':>9}{'check us':>10}"
        f"{'export ms':>11}{'cons. hashes':>14}{'make us':>9}{'check us':>10}{'peak MB':>9}"
    )
    for events, figures in runs.items():
        p = figures["passes"]["proofs"]
        print(
            f"{events:>10,}{p['records']:>8,}{p['hashes']:>8.1f}{p['make_us']:>9.1f}"
            f"{p['check_us']:>10.1f}{p['export_ms']:>11.2f}{p['consistency_hashes']:>14}"
            f"{p['consistency_make_us']:>9.1f}{p['consistency_check_us']:>10.1f}"
            f"{p['peak_mb']:>9.0f}"
        )
    print(f"\n{'events':>10}{'fill s':>8}{'store MB':>10}{'+ sealed':>10}{'+ leaf index':>14}")
    for events, figures in runs.items():
        mb = figures["store_mb"]
        print(
            f"{events:>10,}{figures['fill_s']:>8.1f}{mb['filled']:>10.1f}"
            f"{mb['after_seal'] - mb['filled']:>10.1f}"
            f"{mb['after_leaves'] - mb['after_seal']:>14.1f}"
        )
    print()
    for events, figures in runs.items():
        raw = figures["passes"]["raw"]["rate"]
        for step, target in TARGETS.items():
            ratio = figures["passes"][step]["rate"] / raw
            verdict = "met" if ratio >= target else "NOT met"
            print(f"{events:,} events: {step} / raw {ratio:.3f}, target {target}: {verdict}")
    if len(runs) > 1:
        small, large = runs[min(runs)]["passes"], runs[max(runs)]["passes"]
        growth = ", ".join(f"{s} {large[s]['peak_mb'] / small[s]['peak_mb']:.2f}" for s in STEPS)
        print(f"peak memory, {max(runs):,} / {min(runs):,} events: {growth}")
        proof = ", ".join(
            f"{what} {large['proofs'][what] / small['proofs'][what]:.2f}"
            for what in ("hashes", "make_us", "check_us", "export_ms", "consistency_make_us")
        )
        print(f"proofs, {max(runs):,} / {min(runs):,} events: {proof}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, nargs="+", default=[10_000, 1_000_000])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--step", choices=STEPS)
    parser.add_argument("--store")
    parser.add_argument("--key", type=Path)
    args = parser.parse_args()
    if args.step:
        key = NoteSignerKey.parse(args.key.read_text().strip())
        print(json.dumps(measure(args.store, args.step, key, args.cases, args.rounds)))
        return
    runs = {events: one_size(events, args.cases, args.rounds) for events in args.events}
    print_tables(runs)
    if args.json:
        facts = {"machine": machine(["sqlite"], ""), "command": sys.argv}
        args.json.write_text(json.dumps({**facts, "runs": runs}, indent=2) + "\n")


if __name__ == "__main__":
    main()
