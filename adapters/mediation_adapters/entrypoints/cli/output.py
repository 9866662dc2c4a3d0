"""What commands print: a case, a list, JSON, progress on a terminal."""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

from mediation_adapters.entrypoints.cli.arguments import EXIT_OK
from mediation_adapters.storage import redacted
from mediation_domain import CaseView, PartyView
from mediation_domain.application.service import Recorded


class _Identified(Protocol):
    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=_Identified)


def shown(moment: datetime, zone: ZoneInfo) -> str:
    """A time as `show` prints it, and `--as-of` reads it back: the service's, with offset."""
    return moment.astimezone(zone).isoformat(timespec="minutes")


def emit_json(data: object) -> None:
    """Print `data` as indented JSON, non-ASCII characters kept."""
    print(json.dumps(data, ensure_ascii=False, indent=2))


def party_line(party: PartyView) -> str:
    """A party's id and name; for an institution, its name and kind after its representative's.

    `p-martin  M. Martin, for Habitat de la Vienne (landlord)`.
    """
    line = f"{party.id}  {party.name}"
    if party.institution is None:
        return line
    return f"{line}, for {party.institution.name} ({party.institution.kind.value})"


def print_case(view: CaseView, zone: ZoneInfo) -> None:
    """A case, one fact a line, times in the service's zone."""
    rows = [
        ("status", f"{view.status.value} (version {view.version})"),
        ("domain", view.domain.value),
        ("neighbourhood", view.neighbourhood),
        ("referral", view.referral.value),
        ("requested", shown(view.requested_at, zone)),
        ("last event", shown(view.updated_at, zone)),
        ("summary", view.summary or "-"),
        ("mediator", view.mediator or "-"),
    ]
    for p in view.parties:
        contact = f"  {p.contact}" if p.contact else ""
        rows.append(("party", f"{party_line(p)}  (consent {p.consent.value}){contact}"))
    for s in view.sessions:
        rows.append(("session", f"{s.held_on}  {s.kind.value}  {', '.join(s.attendees)}"))
        if s.notes:
            rows.append(("  notes", s.notes))
    if view.erased:
        rows.append(("erased", ", ".join(view.erased)))
    if view.outcome:
        rows.append(("outcome", view.outcome.value))
    if view.withdrawn_by:
        rows.append(("withdrawn", f"by {view.withdrawn_by.value} ({view.withdrawal_reason})"))
    print(f"case {view.case_id}")
    for label, value in rows:
        print(f"  {label:<14}{value}")


def print_list(views: Iterable[CaseView], zone: ZoneInfo) -> None:
    """One line a case, printed as the cases are read (a long history is never held)."""
    header = ("case", "requested", "status", "neighbourhood", "domain", "mediator", "events")
    shown = False
    for v in views:
        if not shown:
            print("{:<36}  {:<10}  {:<17}  {:<13}  {:<24}  {:<10}  {}".format(*header))
            shown = True
        print(
            f"{v.case_id!s:<36}  {v.requested_at.astimezone(zone):%Y-%m-%d}  "
            f"{v.status.value:<17}  {v.neighbourhood:<13}  "
            f"{v.domain.value:<24}  {v.mediator or '-':<10}  {v.version}"
        )
    if not shown:
        print("no case matches")


def emit_json_list(items: Iterable[object]) -> None:
    """The JSON `emit_json` prints for a list, written an item at a time."""
    opened = False
    for item in items:
        text = json.dumps(item, ensure_ascii=False, indent=2).replace("\n", "\n  ")
        print(",\n  " if opened else "[\n  ", text, sep="", end="")
        opened = True
    print("\n]" if opened else "[]")


def recorded(result: Recorded, args: argparse.Namespace) -> int:
    """Say a command was recorded: the case's status and version (or the case as JSON)."""
    view = result.case
    if args.json:
        emit_json(view.to_dict() | {"recorded": True})
    else:
        print(f"recorded: case {view.case_id} is {view.status.value} (version {view.version})")
    return EXIT_OK


def consented(result: Recorded, args: argparse.Namespace) -> int:
    """`recorded`, or, when the command changed nothing, say so (exit 0: it is harmless)."""
    if result.recorded:
        return recorded(result, args)
    view = result.case
    if args.json:
        emit_json(view.to_dict() | {"recorded": False})
        return EXIT_OK
    consent = next(p.consent.value for p in view.parties if p.id == args.party)
    print(
        f"nothing to record: {args.party}'s consent is {consent}; case {view.case_id} stays "
        f"{view.status.value} (version {view.version})"
    )
    return EXIT_OK


def progress(items: Iterable[R], label: str, last_id: int | None = None) -> Iterator[R]:
    """Pass records through, showing count, rate and time left on a terminal (not when piped).

    `last_id`, the store's last notification id, gives the time left; an export has none.
    """
    if not sys.stderr.isatty():
        yield from items
        return
    started = shown = time.monotonic()
    count = 0
    for count, item in enumerate(items, start=1):
        yield item
        now = time.monotonic()
        if now - shown > 0.2:  # noqa: PLR2004 - five refreshes a second
            rate = count / (now - started)
            left = f", {(last_id - item.id) / rate:,.0f} s left" if last_id else ""
            print(f"\r{label}: {count:,} records, {rate:,.0f}/s{left}   ", end="", file=sys.stderr)
            shown = now
    print(f"\r{label}: {count:,} records{' ' * 40}", file=sys.stderr)


def invoked_as(args: argparse.Namespace) -> str:
    """How to run this program again on this store.

    `mediation` when the shell finds this program so, else the path it was run by; then
    the --store (password hidden) and --as given on the command line, not those the
    environment gives: the next command, run in the same shell, acts as this one did.
    """
    found = shutil.which("mediation")
    here = Path(sys.argv[0])
    if found and here.exists() and Path(found).resolve() == here.resolve():
        me = "mediation"
    else:
        me = shlex.quote(str(here)) if here.name == "mediation" else "mediation"
    if args.store != args.settings.store:
        me += f" --store {shlex.quote(redacted(args.store))}"
    if args.as_principal != args.settings.acting_as:
        me += f" --as {shlex.quote(args.as_principal)}"
    return me
