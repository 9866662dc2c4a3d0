"""`mediation audit verify` and `replay`: on the store or an export, of format 2 or 1."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import attrs

from mediation_adapters.bootstrap import build
from mediation_adapters.entrypoints.cli.arguments import EXIT_CHECK_FAILED, EXIT_OK
from mediation_adapters.entrypoints.cli.output import emit_json, progress
from mediation_adapters.formats import export_v1
from mediation_adapters.formats.export import Export, verify_export, version_of
from mediation_adapters.security.note_keys import load_verifier_keys
from mediation_adapters.security.signing import load_check
from mediation_adapters.storage.ledger import logical_mapper, records, replay
from mediation_adapters.storage.sealing import transparency_log
from mediation_domain import InvalidInputError, Mediations
from mediation_domain.audit import verify, verify_excerpt
from mediation_domain.audit.checkpoints import COSIGNATURE, NoteError, SignedNote, TreeHead
from mediation_domain.audit.verification import LogVerification, Trust, verify_log


def trusted_keys(args: argparse.Namespace) -> list[Any]:
    """The log's public keys the auditor gave (files of keys, one a line)."""
    paths = args.public_key or (
        [args.settings.audit_public_key] if args.settings.audit_public_key else []
    )
    if not paths:
        message = "give the public key with --public-key or MEDIATION_AUDIT_PUBLIC_KEY"
        raise InvalidInputError(message)
    return load_verifier_keys([Path(p) for p in paths])


def _trust(args: argparse.Namespace) -> Trust:
    witnesses = [Path(p) for p in args.witness]
    return Trust(
        trusted_keys(args), load_verifier_keys(witnesses, COSIGNATURE) if witnesses else []
    )


def read_note(path: Path, what: str) -> SignedNote:
    """The signed checkpoint in the file `path`; InvalidInputError naming `what` otherwise."""
    try:
        note = SignedNote.parse(path.read_bytes().decode())
        TreeHead.parse(note.text)
    except OSError as error:
        message = f"cannot read {what} {path}: {error.strerror}"
        raise InvalidInputError(message) from None
    except (UnicodeDecodeError, NoteError) as error:
        message = f"{path} is not a signed checkpoint: {error}"
        raise InvalidInputError(message) from None
    return note


def kept_checkpoint(path: Path, trust: Trust) -> TreeHead:
    """The tree head of a checkpoint an auditor kept, signed by a trusted key."""
    note = read_note(path, "the kept checkpoint")
    try:
        head = TreeHead.parse(note.text)
        signed, _ = note.verified_by(trust.logs)
    except NoteError as error:
        message = f"the kept checkpoint {path}: {error}"
        raise InvalidInputError(message) from None
    if not signed:
        message = f"the kept checkpoint {path} is signed by none of the trusted keys"
        raise InvalidInputError(message)
    if head.size == 0:
        message = f"the kept checkpoint {path} covers no record: it proves nothing"
        raise InvalidInputError(message)
    return head


def write_new(path: Path, text: str, what: str) -> None:
    """Write `text` to a new file `path`; InvalidInputError if it exists."""
    try:
        with path.open("x", encoding="utf-8") as file:
            file.write(text)
    except FileExistsError:
        message = f"{path} exists: refusing to overwrite {what}"
        raise InvalidInputError(message) from None


def audit_verify(args: argparse.Namespace) -> int:
    """Verify the store, or an export, and print what was found."""
    if args.file:
        if version_of(Path(args.file)) == 1:
            return _verify_format_1(args)
        return _verify_file(args)
    app = build(args.settings, url=args.store)  # opened once, whatever its format
    try:
        with transparency_log(app) as log:
            format_1 = log.format() == 1
            if not format_1:
                report = _verify_store(args, app, log)
        if format_1:
            return _verify_format_1(args, app)
    finally:
        app.close()
    _print(report, args, "")
    return EXIT_OK if report.ok else EXIT_CHECK_FAILED


def _checkpoints_given(args: argparse.Namespace, trust: Trust) -> tuple[Any, Any]:
    """The checkpoint kept from an earlier audit (`--since`) and one to hold to."""
    since = kept_checkpoint(Path(args.since), trust) if args.since else None
    given = read_note(Path(args.checkpoint), "the checkpoint") if args.checkpoint else None
    return since, given


def _verify_file(args: argparse.Namespace) -> int:
    trust = _trust(args)
    since, given = _checkpoints_given(args, trust)
    export = Export(Path(args.file))
    report = verify_export(export, trust, since=since, checkpoint=given)
    scope = ""
    if export.case is not None:
        scope = f"one case's export ({export.case}): each record held to the checkpoint"
        scope += " by its proof (whether later records of the case were left out, only"
        scope += " the whole log can tell)"
    _print(report, args, scope)
    return EXIT_OK if report.ok else EXIT_CHECK_FAILED


def _verify_store(args: argparse.Namespace, app: Mediations, log: Any) -> LogVerification:  # noqa: ANN401
    trust = _trust(args)
    since, given = _checkpoints_given(args, trust)
    latest = log.latest()
    note = given or (latest.note if latest else None)
    last_id = app.recorder.max_notification_id()
    report = verify_log(note, progress(records(app), "verify", last_id), trust, since=since)
    if report.problems and latest is not None:  # again, to name the records that differ
        leaves = log.sealed_leaves(latest.head.size)
        again = progress(records(app), "locate", last_id)
        report = verify_log(note, again, trust, since=since, sealed_leaves=leaves)
    return report


def _print(report: LogVerification, args: argparse.Namespace, scope: str) -> None:
    if args.json:
        emit_json(attrs.asdict(report) | {"format": 2, "status": report.status, "ok": report.ok})
        return
    signers = ", ".join(report.signed_by) or "no trusted key"
    witnesses = f"; cosigned by {', '.join(report.witnessed_by)}" if report.witnessed_by else ""
    held = (
        f"the checkpoint signs {report.tree_size} (signed by {signers}{witnesses})"
        if report.tree_size or report.signed_by
        else "no checkpoint holds"
    )
    print(f"audit format 2: {report.records} records; {held}")
    if scope:
        print(scope)
    for problem in report.problems:
        where = f" (case {problem.case_id})" if problem.case_id else ""
        print(f"  {problem.kind} at {problem.position}{where}: {problem.message}")
    for reason in report.unproven:
        print(f"  unproven: {reason}")
    if report.problems:
        print(f"TAMPERED: {len(report.problems)} problem(s)")
    else:
        print("intact" if report.ok else "UNVERIFIED: not every record is proven")


def _verify_format_1(args: argparse.Namespace, app: Mediations | None = None) -> int:
    """Format 1's chain, checked with the format 1 (PEM) public key."""
    paths = args.public_key or [args.settings.audit_public_key]
    if not paths[0]:
        message = "give the format 1 public key with --public-key or MEDIATION_AUDIT_PUBLIC_KEY"
        raise InvalidInputError(message)
    check = load_check(Path(paths[0]))
    with _history_1(args, app) as (stored, checkpoints, sealed, _, last_id, case):
        if case:
            excerpt = ((r, r.previous, r.sealed) for r in progress(stored, "verify"))
            report = verify_excerpt(excerpt, checkpoints, check)
        else:
            report = verify(progress(stored, "verify", last_id), checkpoints, check, sealed)
    unverifiable = bool(case)
    ok = report.ok and not unverifiable and report.unsealed == 0
    if args.json:
        emit_json(attrs.asdict(report) | {"format": 1, "ok": ok})
        return EXIT_OK if ok else EXIT_CHECK_FAILED
    print(
        f"audit format 1: {report.records} records; sealed up to {report.sealed_up_to}; "
        f"{report.unsealed} recorded since the last checkpoint"
    )
    for problem in report.problems:
        where = f" (case {problem.case_id})" if problem.case_id else ""
        print(f"  {problem.kind} at {problem.position}{where}: {problem.message}")
    if report.problems:
        print(f"TAMPERED: {len(report.problems)} problem(s)")
    elif unverifiable:
        print("UNVERIFIABLE: format 1 cannot bind one case's records to a signature")
    elif report.unsealed:
        print(f"UNVERIFIED: {report.unsealed} records after the last checkpoint are not signed")
    else:
        print("intact (audit format 1)")
    return EXIT_OK if ok else EXIT_CHECK_FAILED


def audit_replay(args: argparse.Namespace) -> int:
    """Re-run the deontology over the store's or an export's records."""
    if args.file and version_of(Path(args.file)) == 2:  # noqa: PLR2004
        stored = progress(Export(Path(args.file)).stored(), "replay")
        findings = list(replay(stored, Mediations().mapper))
    else:
        with _history_1(args) as (stored, _, __, mapper, last_id, ___):
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


@contextmanager
def _history_1(
    args: argparse.Namespace, opened: Mediations | None = None
) -> Iterator[tuple[Any, Any, Any, Any, int | None, Any]]:
    """(records, format 1 checkpoints, sealed chain, mapper, last id, case) of a file or store.

    The store is `opened` (left open) or, without it, opened here and closed after.
    """
    if args.file:
        export = export_v1.Export(Path(args.file))
        sealed = None if export.case else export.sealed()
        yield export.records(), export.checkpoints, sealed, Mediations().mapper, None, export.case
        return
    app = opened or build(args.settings, url=args.store)
    try:
        with transparency_log(app) as log:
            ledger = log.format_1()
            checkpoints = ledger.checkpoints() if log.format() == 1 else []
            last_id = app.recorder.max_notification_id()
            mapper = logical_mapper(app)
            yield records(app), checkpoints, ledger.sealed(), mapper, last_id, None
    finally:
        if opened is None:
            app.close()
