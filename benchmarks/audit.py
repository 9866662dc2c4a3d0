"""Audit speed and memory: verify and replay as ratios to a raw paged read of the same log.

    python benchmarks/audit.py [--events 100000 1000000]

For each size, a SQLite store is filled with copies of a realistic history (every kind of
event), sealed, then each pass runs in a fresh process so that its peak memory is its own
(VmHWM: a child's ru_maxrss starts at its parent's): a raw paged read of the log (the
floor), verify (chain recomputed and held to the sealed chain and the signed checkpoint),
and replay (every record decoded and the deontology re-run). Targets: verify >= 0.5x and
replay >= 0.25x the raw read's rate.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from eventsourcing.persistence import StoredEvent
from workload import peak_mb

from mediation_adapters.security.signing import Ed25519Check, Ed25519Signer
from mediation_adapters.storage.ledger import Ledger, records, replay
from mediation_adapters.stores import open_store
from mediation_domain import Mediations
from mediation_domain.audit import verify
from mediation_domain.testing import record_every_event

BATCH = 10_000


def fill(url: str, events: int) -> None:
    template_app = Mediations()
    record_every_event(template_app)
    template = list(template_app.recorder.select_notifications(None, 1000))
    app = open_store(url)
    batch: list[StoredEvent] = []
    written = 0
    while written < events:
        ids: dict[object, uuid.UUID] = {}
        for record in template:
            if written == events:
                break
            case = ids.setdefault(record.originator_id, uuid.uuid4())
            batch.append(StoredEvent(case, record.originator_version, record.topic, record.state))
            written += 1
        if len(batch) >= BATCH or written == events:
            app.recorder.insert_events(batch)
            batch = []
    app.close()


def measure(url: str, step: str, key_hex: str) -> dict[str, float]:
    app = open_store(url)
    private = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(key_hex))
    started = time.perf_counter()
    if step == "raw":
        count = sum(1 for record in records(app) if record.state)
    elif step == "seal":
        ledger = Ledger(url)
        ledger.seal(app, Ed25519Signer(private))
        ledger.close()
        count = app.recorder.max_notification_id() or 0
    elif step == "verify":
        ledger = Ledger(url)
        report = verify(
            records(app), ledger.checkpoints(), Ed25519Check(private.public_key()), ledger.sealed()
        )
        ledger.close()
        assert report.ok, report.problems[:3]
        count = report.records
    else:
        count = 0
        for _ in replay(records(app), app.mapper):
            count += 1
        assert count == 0, "the benchmark history has violations"
        count = app.recorder.max_notification_id() or 0
    seconds = time.perf_counter() - started
    app.close()
    return {"records": count, "seconds": seconds, "rate": count / seconds, "peak_mb": peak_mb()}


def run_step(url: str, step: str, key_hex: str) -> dict[str, float]:
    done = subprocess.run(
        [sys.executable, __file__, "--step", step, "--store", url, "--key", key_hex],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--step")
    parser.add_argument("--store")
    parser.add_argument("--key")
    args = parser.parse_args()
    if args.step:
        print(json.dumps(measure(args.store, args.step, args.key)))
        return
    key_hex = Ed25519PrivateKey.generate().private_bytes_raw().hex()
    print(f"{'events':>9} {'pass':<7}{'records/s':>11}{'ratio to raw':>14}{'peak MB':>9}")
    for events in args.events:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite:///{Path(folder) / 'audit.sqlite3'}"
            fill(url, events)
            results = {
                step: run_step(url, step, key_hex) for step in ("raw", "seal", "verify", "replay")
            }
        raw = results["raw"]["rate"]
        for step, result in results.items():
            print(
                f"{events:>9} {step:<7}{result['rate']:>11,.0f}{result['rate'] / raw:>14.2f}"
                f"{result['peak_mb']:>9.0f}"
            )


if __name__ == "__main__":
    main()
