"""The audit commands: keys that sign, seal, verify, replay, export."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

from mediation_adapters.bootstrap import build
from mediation_adapters.entrypoints.cli.arguments import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    Commands,
    positive,
    uuid_argument,
)
from mediation_adapters.entrypoints.cli.output import emit_json, progress
from mediation_adapters.formats.export import Export, write_export
from mediation_adapters.security.signing import generate_keys, load_check, load_signer
from mediation_adapters.storage.ledger import Ledger, logical_mapper, records, replay
from mediation_domain import InvalidInputError, Mediations
from mediation_domain.application.service import PrincipalService
from mediation_domain.audit import verify, verify_excerpt
from mediation_domain.authorisation import Action


def register(commands: Commands) -> None:
    """Declare the audit commands: each with its arguments, handler and permission."""
    audit = commands.group("audit", "tamper evidence and the auditor's replay", "audit commands")
    p = audit.add(
        "keygen",
        "create the Ed25519 key pair that signs checkpoints",
        Action.ADMINISTER,
        standalone=_audit_keygen,
    )
    p.add_argument("--private-key", required=True, help="file for the private key (mode 0600)")
    p.add_argument("--public-key", required=True, help="file for the public key")
    p = audit.add(
        "seal", "sign a checkpoint over everything recorded so far", Action.AUDIT, _audit_seal
    )
    p.add_argument("--private-key", help="the private key file (env MEDIATION_AUDIT_PRIVATE_KEY)")
    p = audit.add(
        "verify",
        "prove the stored history was not altered (exit 1 if it was)",
        Action.AUDIT,
        standalone=_audit_verify,
        json_help="print the report as JSON",
    )
    p.add_argument("--public-key", help="the public key file (env MEDIATION_AUDIT_PUBLIC_KEY)")
    p.add_argument("file", nargs="?", help="an export to verify offline (default: the store)")
    p = audit.add(
        "replay",
        "re-run the deontology over the history (exit 1 on violations)",
        Action.AUDIT,
        standalone=_audit_replay,
        json_help="print the violations as JSON",
    )
    p.add_argument("file", nargs="?", help="an export to replay offline (default: the store)")
    p = audit.add(
        "export", "write the history as JSON Lines for an auditor", Action.AUDIT, _audit_export
    )
    p.add_argument("--out", required=True, help="the file to write (never overwritten)")
    p.add_argument("--until", type=positive, help="stop after record N")
    p.add_argument("--case", type=uuid_argument, help="export one case only")


def _key_path(given: str | None, configured: str, variable: str, what: str) -> Path:
    path = given or configured
    if not path:
        message = f"give the {what} with --{what.replace(' ', '-')} or {variable}"
        raise InvalidInputError(message)
    return Path(path)


def _audit_keygen(args: argparse.Namespace) -> int:
    fingerprint = generate_keys(Path(args.private_key), Path(args.public_key))
    print(
        f"key {fingerprint}: private {args.private_key} (keep it out of the store), "
        f"public {args.public_key} (give it to auditors)"
    )
    return EXIT_OK


def _audit_seal(_: PrincipalService, args: argparse.Namespace) -> int:
    app: Mediations = args.app
    signer = load_signer(
        _key_path(
            args.private_key,
            args.settings.audit_private_key,
            "MEDIATION_AUDIT_PRIVATE_KEY",
            "private key",
        )
    )
    ledger = Ledger.of(app)
    try:
        checkpoint = ledger.seal(app, signer)
    finally:
        ledger.close()
    if checkpoint is None:
        print("nothing recorded since the last checkpoint: nothing to seal")
    else:
        print(
            f"sealed up to record {checkpoint.position}: head {checkpoint.head[:16]}… "
            f"signed by {checkpoint.key_id}"
        )
    return EXIT_OK


def _audit_verify(args: argparse.Namespace) -> int:
    check = load_check(
        _key_path(
            args.public_key,
            args.settings.audit_public_key,
            "MEDIATION_AUDIT_PUBLIC_KEY",
            "public key",
        )
    )
    with _history(args) as (stored, checkpoints, sealed, _, last_id):
        if sealed is None:  # one case's export: each record is checked on its own
            excerpt = ((r, r.previous, r.sealed) for r in progress(stored, "verify"))
            report = verify_excerpt(excerpt, checkpoints, check)
        else:
            report = verify(progress(stored, "verify", last_id), checkpoints, check, sealed)
    if args.json:
        emit_json(attrs.asdict(report) | {"ok": report.ok})
    else:
        print(
            f"{report.records} records; sealed up to {report.sealed_up_to}; "
            f"{report.unsealed} recorded since the last checkpoint"
        )
        if not report.head:
            print(
                "one case's export: each record is checked against its sealed link; only "
                "the full log can be held to every signed head"
            )
        for problem in report.problems:
            where = f" (case {problem.case_id})" if problem.case_id else ""
            print(f"  {problem.kind} at {problem.position}{where}: {problem.message}")
        print("intact" if report.ok else f"TAMPERED: {len(report.problems)} problem(s)")
    return EXIT_OK if report.ok else EXIT_CHECK_FAILED


def _audit_replay(args: argparse.Namespace) -> int:
    with _history(args) as (stored, _, __, mapper, last_id):
        findings = list(replay(progress(stored, "replay", last_id), mapper))
    if args.json:
        emit_json(
            [
                {
                    "position": f.position,
                    "case_id": str(f.case_id),
                    "version": f.version,
                    "rule": f.violation.rule,
                    "explanation": f.violation.message,
                }
                for f in findings
            ]
        )
    else:
        for f in findings:
            print(
                f"  {f.position}  case {f.case_id} v{f.version}  "
                f"{f.violation.rule}: {f.violation.message}"
            )
        print(
            "every recorded step respected the deontology"
            if not findings
            else f"{len(findings)} violation(s)"
        )
    return EXIT_CHECK_FAILED if findings else EXIT_OK


def _audit_export(_: PrincipalService, args: argparse.Namespace) -> int:
    app: Mediations = args.app
    ledger = Ledger.of(app)
    try:
        with Path(args.out).open("x", encoding="utf-8") as out:
            count = write_export(app, ledger, out, until=args.until, case=args.case)
    except FileExistsError:
        message = f"{args.out} exists: refusing to overwrite an export"
        raise InvalidInputError(message) from None
    finally:
        ledger.close()
    print(f"exported {count} records to {args.out}")
    return EXIT_OK


@contextmanager
def _history(args: argparse.Namespace) -> Iterator[tuple[Any, Any, Any, Any, int | None]]:
    """(records, checkpoints, sealed chain, mapper, last id) from an export or the store."""
    if args.file:
        export = Export(Path(args.file))
        sealed = None if export.case else export.sealed()
        yield export.records(), export.checkpoints, sealed, Mediations().mapper, None
        return
    app = build(args.settings, url=args.store)
    ledger = Ledger.of(app)
    try:
        last_id = app.recorder.max_notification_id()
        mapper = logical_mapper(app)
        yield records(app), ledger.checkpoints(), ledger.sealed(), mapper, last_id
    finally:
        ledger.close()
        app.close()
