"""A writer process for the concurrency and crash tests (run as a script, never collected)."""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time

from mediation_adapters.stores import open_store
from mediation_domain import ConcurrencyError, MediationCase
from mediation_domain.case import PARTY_NAME, Party
from mediation_domain.values import PartyId

RETRIES = 200


def hammer(url: str, cases: list[str], name: str, threads: int, commands: int) -> None:
    """Join parties to the shared cases from several threads, retrying on ConcurrencyError."""
    app = open_store(url)
    tally = {"accepted": 0, "conflicts": 0}
    lock = threading.Lock()

    def work(thread: int) -> None:
        for n in range(commands):
            case_id = cases[(thread + n) % len(cases)]
            for _ in range(RETRIES):
                try:
                    app.join_party(case_id, name="Voisin", party_id=f"{name}-{thread}-{n}")
                except ConcurrencyError:
                    with lock:
                        tally["conflicts"] += 1
                    continue
                with lock:
                    tally["accepted"] += 1
                break
            else:
                message = f"gave up on {case_id} after {RETRIES} conflicts"
                raise RuntimeError(message)

    failures: list[BaseException] = []

    def guarded(thread: int) -> None:
        try:
            work(thread)
        except BaseException as failure:  # a thread's error must fail the process, not vanish
            failures.append(failure)
            raise

    started = time.perf_counter()
    workers = [threading.Thread(target=guarded, args=(t,)) for t in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    tally["seconds"] = time.perf_counter() - started  # type: ignore[assignment]
    app.close()
    if failures:
        sys.exit(f"{len(failures)} thread(s) failed: {failures[0]!r}")
    print(json.dumps(tally), flush=True)


def write_until_killed(url: str) -> None:
    """Open cases and save three events at once on each, reporting every commit, forever."""
    app = open_store(url)
    while True:
        case_id = app.request_mediation(
            domain="public-transport",
            neighbourhood="Beaulieu",
            referral="resident",
            parties=["Premier"],
        )
        print(f"{case_id} 1", flush=True)
        case: MediationCase = app.repository.get(case_id)
        for n in range(3):
            (name,) = app.sealer.seal_all(str(case_id), [(f"p-{n}", PARTY_NAME, "Voisin")])
            case.join(Party(PartyId(f"p-{n}"), name))
        app.save(case)
        print(f"{case_id} 4", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["hammer", "until-killed"])
    parser.add_argument("url")
    parser.add_argument("--cases", default="")
    parser.add_argument("--name", default="w")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--commands", type=int, default=20)
    args = parser.parse_args()
    if args.mode == "hammer":
        hammer(args.url, args.cases.split(","), args.name, args.threads, args.commands)
    else:
        write_until_killed(args.url)
    sys.exit(0)


if __name__ == "__main__":
    main()
