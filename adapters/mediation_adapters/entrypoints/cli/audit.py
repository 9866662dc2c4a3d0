"""The audit commands: keys, seal, checkpoint, witness, export, verify, replay."""

from __future__ import annotations

import argparse
from pathlib import Path

from mediation_adapters.entrypoints.cli.arguments import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    Commands,
    positive,
    uuid_argument,
)
from mediation_adapters.entrypoints.cli.audit_verify import (
    audit_replay,
    audit_verify,
    kept_checkpoint,
    trusted_keys,
    write_new,
)
from mediation_adapters.formats.export_writer import write_export
from mediation_adapters.security.note_keys import generate_note_keys, load_signer_key
from mediation_adapters.security.signing import load_check
from mediation_adapters.storage.sealing import seal, transparency_log
from mediation_domain import InvalidInputError, Mediations
from mediation_domain.application.service import PrincipalService
from mediation_domain.audit.checkpoints import COSIGNATURE, ED25519
from mediation_domain.audit.verification import Trust, check_checkpoint, check_grown
from mediation_domain.authorisation import Action

DEFAULT_NAME = "mediation-audit"


def register(commands: Commands) -> None:
    """Declare the audit commands: each with its arguments, handler and permission."""
    audit = commands.group("audit", "tamper evidence and the auditor's replay", "audit commands")
    p = audit.add(
        "keygen",
        "create a key that signs checkpoints (or a witness's key)",
        Action.ADMINISTER,
        standalone=_audit_keygen,
    )
    p.add_argument("--private-key", required=True, help="file for the private key (mode 0600)")
    p.add_argument("--public-key", required=True, help="file for the public key")
    p.add_argument(
        "--name",
        default=DEFAULT_NAME,
        help="the key's name: the log's origin, the same for every key of a log "
        f"(default {DEFAULT_NAME}; a witness: its own name)",
    )
    p.add_argument("--witness", action="store_true", help="a witness's key, that cosigns")
    p = audit.add(
        "seal", "sign a checkpoint over everything recorded so far", Action.AUDIT, _audit_seal
    )
    p.add_argument("--private-key", help="the private key file (env MEDIATION_AUDIT_PRIVATE_KEY)")
    p.add_argument(
        "--format-1-key",
        help="a store sealed in format 1: its format 1 public key (PEM), to verify it first",
    )
    p = audit.add(
        "checkpoint",
        "write the latest signed checkpoint, for an auditor to keep",
        Action.AUDIT,
        _audit_checkpoint,
    )
    p.add_argument("--out", required=True, help="the file to write (never overwritten)")
    p = audit.add(
        "witness",
        "check that the log only grew since a kept checkpoint, and cosign its latest",
        Action.AUDIT,
        _audit_witness,
    )
    p.add_argument("--key", required=True, help="the witness's private key file")
    p.add_argument("--since", required=True, help="the checkpoint the witness kept last time")
    p.add_argument(
        "--out", required=True, help="the cosigned checkpoint's file (never overwritten)"
    )
    _trust_arguments(p, witnesses=False)
    p = audit.add(
        "verify",
        "prove the history was not altered (exit 1 unless every record is proven)",
        Action.AUDIT,
        standalone=audit_verify,
        json_help="print the report as JSON",
    )
    _trust_arguments(p, witnesses=True)
    p.add_argument("--since", help="a checkpoint kept from an earlier audit: the log only grew")
    p.add_argument(
        "--checkpoint", help="verify against this checkpoint file (e.g. one a witness cosigned)"
    )
    p.add_argument("file", nargs="?", help="an export to verify offline (default: the store)")
    p = audit.add(
        "replay",
        "re-run the deontology over the history (exit 1 on violations)",
        Action.AUDIT,
        standalone=audit_replay,
        json_help="print the violations as JSON",
    )
    p.add_argument("file", nargs="?", help="an export to replay offline (default: the store)")
    p = audit.add(
        "export", "write the history as JSON Lines for an auditor", Action.AUDIT, _audit_export
    )
    p.add_argument("--out", required=True, help="the file to write (never overwritten)")
    p.add_argument("--until", type=positive, help="end at the last checkpoint up to record N")
    p.add_argument("--case", type=uuid_argument, help="one case, with its inclusion proofs")
    p.add_argument(
        "--unsealed",
        action="store_true",
        help="add the records after the last checkpoint (they cannot be proven)",
    )


def _trust_arguments(p: argparse.ArgumentParser, *, witnesses: bool) -> None:
    p.add_argument(
        "--public-key",
        action="append",
        help="a file of the log's trusted public keys, one a line; repeatable "
        "(env MEDIATION_AUDIT_PUBLIC_KEY)",
    )
    if witnesses:
        p.add_argument(
            "--witness",
            action="append",
            default=[],
            help="a witness's public key file: its cosignature is required; repeatable",
        )


def _audit_keygen(args: argparse.Namespace) -> int:
    kind = COSIGNATURE if args.witness else ED25519
    key = generate_note_keys(Path(args.private_key), Path(args.public_key), args.name, kind)
    label = f"{key.name}+{key.key_id.hex()}"
    print(
        f"key {label}: private {args.private_key} (keep it out of the store), "
        f"public {args.public_key} (give it to auditors)"
    )
    return EXIT_OK


def _audit_seal(_: PrincipalService, args: argparse.Namespace) -> int:
    app: Mediations = args.app
    path = args.private_key or args.settings.audit_private_key
    if not path:
        message = "give the private key with --private-key or MEDIATION_AUDIT_PRIVATE_KEY"
        raise InvalidInputError(message)
    signer = load_signer_key(Path(path))
    old = load_check(Path(args.format_1_key)) if args.format_1_key else None
    made = seal(app, signer, format_1_key=old)
    if made is None:
        print("nothing recorded since the last checkpoint: nothing to seal")
    else:
        print(
            f"sealed {made.head.size} records, up to record {made.last_id}: "
            f"signed by {signer.name}+{signer.key_id.hex()}"
        )
    return EXIT_OK


def _audit_checkpoint(_: PrincipalService, args: argparse.Namespace) -> int:
    with transparency_log(args.app) as log:
        latest = log.latest()
    if latest is None:
        message = "this store's transparency log was never sealed: seal it first"
        raise InvalidInputError(message)
    write_new(Path(args.out), latest.note.render(), "a checkpoint")
    print(f"the checkpoint over {latest.head.size} records is in {args.out}: keep it")
    return EXIT_OK


def _audit_witness(_: PrincipalService, args: argparse.Namespace) -> int:
    witness = load_signer_key(Path(args.key))
    if witness.kind != COSIGNATURE:
        message = f"{args.key} is a log's key: a witness cosigns with a key made with --witness"
        raise InvalidInputError(message)
    trust = Trust(trusted_keys(args))
    old = kept_checkpoint(Path(args.since), trust)
    with transparency_log(args.app) as log:
        latest = log.latest()
        if latest is None:
            message = "this store's transparency log was never sealed: nothing to witness"
            raise InvalidInputError(message)
        signed = check_checkpoint(latest.note, trust)
        proof = log.consistency(old.size, latest.head.size) if old.size <= latest.head.size else []
    refused = [p.message for p in signed.problems] + list(signed.unproven)
    grown = check_grown(old, latest.head, proof)
    if grown is not None:
        refused.append(grown.message)
    if refused:
        for reason in refused:
            print(f"  {reason}")
        print("NOT COSIGNED: the log's latest checkpoint does not extend the kept one")
        return EXIT_CHECK_FAILED
    write_new(Path(args.out), latest.note.sign(witness).render(), "a checkpoint")
    print(
        f"the log grew from {old.size} to {latest.head.size} records: cosigned by "
        f"{witness.name}+{witness.key_id.hex()} in {args.out}"
    )
    return EXIT_OK


def _audit_export(_: PrincipalService, args: argparse.Namespace) -> int:
    app: Mediations = args.app
    if args.case and args.unsealed:
        message = "--unsealed is for a whole log: a case's records are proven, so sealed"
        raise InvalidInputError(message)
    out = Path(args.out)
    try:
        with out.open("x", encoding="utf-8") as file:
            count, checkpoint = write_export(
                app, file, case=args.case, until=args.until, unsealed=args.unsealed
            )
    except FileExistsError:
        message = f"{args.out} exists: refusing to overwrite an export"
        raise InvalidInputError(message) from None
    except BaseException:
        out.unlink(missing_ok=True)  # a refused export leaves no half-written file
        raise
    size = checkpoint.head.size if checkpoint else 0
    print(f"exported {count} records to {args.out}, proven by a checkpoint of {size} records")
    if checkpoint is None and args.until:
        print(f"no checkpoint covers records up to {args.until} only: nothing in it can be proven")
    elif checkpoint is None:
        print("the log was never sealed: nothing in this export can be proven (audit seal)")
    return EXIT_OK
