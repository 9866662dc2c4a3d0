"""The privacy commands: erasure, retention, a copy sealed again, the store key."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mediation_adapters.bootstrap import open_store
from mediation_adapters.config import Settings, read_store_key
from mediation_adapters.entrypoints.cli.arguments import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    Commands,
)
from mediation_adapters.entrypoints.cli.output import emit_json
from mediation_adapters.security.store_keys import new_store_key
from mediation_adapters.storage import StoreError, open_bundle, redacted
from mediation_adapters.storage.copy import copy_store
from mediation_domain import InvalidInputError, Mediations
from mediation_domain.application.archiving import ArchiveDue
from mediation_domain.application.erasure import RetentionDue
from mediation_domain.application.service import PrincipalService
from mediation_domain.authorisation import Action
from mediation_domain.privacy import ERASED, RetentionPeriod


def register(commands: Commands, settings: Settings) -> None:
    """Declare the privacy commands: each with its arguments, handler and permission."""
    p = commands.add(
        "erase",
        "erase a data subject's personal data for good",
        Action.ERASE,
        _erase,
        json_help="print what the erasure did as JSON",
    )
    p.add_argument(
        "subject", help="a party id, a case id (its summary and notes), or an oriented person's id"
    )
    p.add_argument("--reason", default="data-subject-request", help="a reason code (no free text)")
    p = commands.add(
        "retention",
        "list (or --apply: archive, then erase) records past their active period and archive",
        Action.ERASE,
        _retention,
        json_help="print the records due as one JSON array",
    )
    p.add_argument(
        "--older-than",
        default=settings.retention,
        help="the active period from the last contact: 2y, 18m, 6w or 90d "
        "(env MEDIATION_RETENTION; default 2y, the CNIL's)",
    )
    p.add_argument(
        "--archive-for",
        default=settings.archive_period,
        help="then in the intermediate archive, before erasure: 5y, 18m, ..., or 0 for none "
        "(env MEDIATION_ARCHIVE_PERIOD; default 5y, see docs/privacy.md)",
    )
    p.add_argument("--apply", action="store_true", help="archive and erase; else only list")
    p = commands.add(
        "copy",
        "copy the store into a new one, sealing every personal value again",
        Action.ADMINISTER,
        _copy,
    )
    p.add_argument("--to", required=True, help="the new, empty store's URL")
    p.add_argument("--to-key-file", help="encrypt the new store at rest with this store key")
    keys = commands.group("keys", "the store key (encryption at rest)", "key commands")
    p = keys.add(
        "new", "write a new random store key file", Action.ADMINISTER, standalone=_keys_new
    )
    p.add_argument("--out", required=True, help="the key file to create (mode 0600)")
    p = keys.add(
        "rotate",
        "re-wrap the store's data key under a new store key (see docs/privacy.md)",
        Action.ADMINISTER,
        standalone=_keys_rotate,
    )
    p.add_argument("--new-key-file", required=True, help="the new store key (keys new --out)")
    keys.add(
        "status",
        "whether the store is encrypted; how many subjects",
        Action.ADMINISTER,
        standalone=_keys_status,
    )


def _erase(desk: PrincipalService, args: argparse.Namespace) -> int:
    erasure = desk.erase_subject(args.subject, reason=args.reason)
    cases = len(erasure.cases)
    oriented = f" and {len(erasure.orientations)} orientation(s)" if erasure.orientations else ""
    if args.json:
        emit_json(erasure.to_dict())
    elif erasure.key_deleted:
        print(
            f"erased {erasure.subject}: key deleted, recorded on {erasure.recorded} of "
            f"{cases} case(s){oriented}; its values now read {ERASED}"
        )
    elif erasure.recorded:
        print(f"erased {erasure.subject}: recorded on {erasure.recorded} of {cases} case(s)")
    else:
        print(f"{erasure.subject} was already erased ({cases} case(s){oriented}): nothing to do")
    return _erasure_residue([erasure.subject], erasure.in_clear, purged=erasure.purged)


def _erasure_residue(subjects: Sequence[str], in_clear: int, *, purged: bool) -> int:
    """Say what an erasure could not reach; exit 1 when something remains."""
    status = EXIT_OK
    if in_clear:
        print(
            f"mediation: {in_clear} value(s) of {', '.join(subjects)} were stored in clear by "
            "release 0.1: deleting a key cannot erase them; copy the store (mediation copy "
            "--to URL) and destroy this one",
            file=sys.stderr,
        )
        status = EXIT_CHECK_FAILED
    if not purged:
        print(
            "mediation: another connection held the SQLite log: the deleted key's old bytes "
            "may stay in the -wal file until it is reset; run the erasure again when quiet",
            file=sys.stderr,
        )
        status = EXIT_CHECK_FAILED
    return status


def _retention(desk: PrincipalService, args: argparse.Namespace) -> int:
    period = RetentionPeriod.parse(args.older_than)
    archive = _archive_period(args.archive_for)
    archiving: list[ArchiveDue] = []
    if archive is not None:
        archiving = desk.apply_archive(period) if args.apply else desk.archive_due(period)
    step = desk.apply_retention if args.apply else desk.retention_due
    due = step(period, archive_for=archive)
    if args.json:
        emit_json([*map(_archived_as_json, archiving), *map(_due_as_json, due)])
    else:
        if archive is not None:
            _print_archived(archiving, period, applied=args.apply)
        _print_due(due, period if archive is None else f"{period} + {archive}", applied=args.apply)
    if not args.apply:
        return EXIT_OK
    named = [subject for d in due for subject in d.subjects]
    shown = [*named[:3], "..."] if len(named) > 3 else named  # noqa: PLR2004 - a few names
    return _erasure_residue(shown, sum(d.in_clear for d in due), purged=args.app.sealer.purge())


def _archive_period(text: str) -> RetentionPeriod | None:
    """The archive period, None for none ("0")."""
    return None if text.strip() in {"0", "0d", "0y", "none"} else RetentionPeriod.parse(text)


def _archived_as_json(due: ArchiveDue) -> dict[str, object]:
    return {
        "action": "archive",
        "record": str(due.record),
        "kind": due.kind,
        "last_contact": due.last_contact.isoformat(),
    }


def _print_archived(due: Sequence[ArchiveDue], period: RetentionPeriod, *, applied: bool) -> None:
    for item in due:
        print(f"{item.record}  {item.kind:<11}  last contact {item.last_contact:%Y-%m-%d}")
    verb = "archived" if applied else "would archive (dry run: add --apply)"
    print(f"{len(due)} record(s) with no contact for over {period}: {verb}")


def _due_as_json(due: RetentionDue) -> dict[str, object]:
    return {
        "action": "erase",
        "kind": due.kind,
        "record": str(due.case_id),
        "case_id": str(due.case_id),  # the record's id, for a case or an orientation alike
        "status": due.status.value if due.status else None,
        "last_contact": due.last_contact.isoformat(),
        "erase": list(due.subjects),
        "kept": list(due.kept),
    }


def _print_due(
    due: Sequence[RetentionDue], period: RetentionPeriod | str, *, applied: bool
) -> None:
    """One line per case due, then what was (or would be) erased."""
    for d in due:
        kept = f"  (kept, in a later case: {', '.join(d.kept)})" if d.kept else ""
        print(
            f"{d.case_id}  {d.status.value if d.status else d.kind:<9}  "
            f"last contact {d.last_contact:%Y-%m-%d}  "
            f"{', '.join(d.subjects) or '-'}{kept}"
        )
    verb = "erased" if applied else "would erase (dry run: add --apply)"
    subjects = sum(len(d.subjects) for d in due)
    cases = sum(d.kind == "case" for d in due)
    print(
        f"{cases} case(s) closed and {len(due) - cases} orientation(s), no contact for over "
        f"{period}: {verb} {subjects} subject(s)"
    )


def _copy(_: PrincipalService, args: argparse.Namespace) -> int:
    app: Mediations = args.app
    if redacted(args.to) == redacted(args.store):
        raise InvalidInputError("copy into a new store, not into the store itself")
    key = read_store_key(Path(args.to_key_file)) if args.to_key_file is not None else None
    target = open_store(args.to, store_key=key)
    try:
        report = copy_store(app, target)
    finally:
        target.close()
    print(
        f"copied {report.events} events to {redacted(args.to)}: {report.resealed} personal "
        f"values sealed again ({report.from_clear} of them had been stored in clear), "
        f"{report.erased_subjects} erased subject(s) kept erased"
    )
    if report.unreadable:
        print(f"{report.unreadable} value(s) had no key in the source: copied as they were")
    if report.renumbered:
        print(
            "the copy numbers its records anew (the source's log had gaps): publishing from it "
            "starts again from the first record, as another default source (change a --source "
            "you set too)"
        )
    print(
        "next: seal the new store's audit chain (mediation audit seal), then destroy the old "
        "store once your auditors no longer need it"
    )
    return EXIT_OK


def _keys_new(args: argparse.Namespace) -> int:
    fingerprint = new_store_key(Path(args.out))
    print(f"store key {fingerprint} written to {args.out} (mode 0600): keep it out of the store")
    return EXIT_OK


def _keys_rotate(args: argparse.Namespace) -> int:
    old = args.settings.store_key()
    if old is None:
        message = "give the current store key with MEDIATION_STORE_KEY_FILE or MEDIATION_STORE_KEY"
        raise InvalidInputError(message)
    new = read_store_key(Path(args.new_key_file))
    with _at_rest(args, old) as bundle:
        old_id, new_id = bundle.rotate_store_key(old, new)
    print(f"store key rotated: {old_id} -> {new_id}; the data key was re-wrapped, events untouched")
    print("from now on open the store with the new key; backups made before need the old one")
    return EXIT_OK


def _keys_status(args: argparse.Namespace) -> int:
    with _at_rest(args, args.settings.store_key()) as bundle:
        rows = bundle.store_key_status()
        counts = bundle.key_store().counts()
    at_rest = f"yes, store key {rows[0]} (since {rows[1]})" if rows else "no"
    print(f"encrypted at rest: {at_rest}")
    print(f"data subjects: {counts['live']} with a live key, {counts['erased']} erased")
    return EXIT_OK


@contextmanager
def _at_rest(args: argparse.Namespace, key: bytes | None) -> Iterator[Any]:
    """The existing store (never created here), if it keeps a store key (a SQL store)."""
    bundle = open_bundle(args.store, store_key=key, create=False)
    try:
        if not hasattr(bundle, "store_key_status"):
            message = f"the store {bundle.name} keeps no store key (encryption at rest)"
            raise StoreError(message)
        yield bundle
    finally:
        bundle.close()
