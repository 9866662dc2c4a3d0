"""The `mediation` command: case commands and queries on a store, and the demo.

Exit codes: 0 done; 1 a check failed; 2 bad input or a refused command (one line on
stderr, nothing stored).

Each family of commands (cases, activities, privacy, audit, report, admin, publish, demo)
declares its commands in its own module: parser, handler and the permission the service
layer checks, together.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from eventsourcing.domain import EventSourcingError
from eventsourcing.persistence import PersistenceError
from eventsourcing.utils import TopicError

from mediation_adapters.bootstrap import build, service
from mediation_adapters.config import DEFAULT_STORE, Settings
from mediation_adapters.entrypoints.cli import (
    activities,
    admin,
    audit,
    cases,
    demo,
    privacy,
    publish,
    report,
)
from mediation_adapters.entrypoints.cli.arguments import (
    EXIT_CHECK_FAILED,
    EXIT_OK,
    EXIT_REFUSED,
    Commands,
    Handler,
    Parser,
    Standalone,
)
from mediation_adapters.storage.registry import forms
from mediation_domain import MediationError
from mediation_domain.application.service import require
from mediation_domain.authorisation import principal_from
from mediation_domain.errors import quoted, shortened

__all__ = ["main"]


def parser(settings: Settings) -> Parser:
    """The command line: global options, then every family's commands."""
    parser = Parser(prog="mediation", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--store",
        default=settings.store,
        help=f"the store: {'; '.join(forms())} (env MEDIATION_STORE; default {DEFAULT_STORE})",
    )
    parser.add_argument(
        "--as",
        dest="as_principal",
        default=settings.acting_as,
        metavar="ROLE:IDENTITY",
        help="act as mediator:ID, coordinator:ID, partner:ID or auditor:ID, under the same "
        "policy as the HTTP API (env MEDIATION_AS; default coordinator:operator). Whoever "
        "can read the store's files is not stopped by it: it narrows a shell, it is no "
        "security boundary",
    )
    commands = Commands(parser.add_subparsers(title="commands", metavar="COMMAND", required=True))
    demo.register(commands)
    cases.register(commands)
    activities.register(commands)
    report.register(commands)
    audit.register(commands)
    privacy.register(commands, settings)
    admin.register(commands, settings)
    publish.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `mediation` command; returns its exit code."""
    settings = Settings.from_environ(os.environ)  # the one place the settings are read
    args = parser(settings).parse_args(argv)
    args.settings = settings
    try:
        return _run(args)
    except MediationError as refusal:
        print(f"mediation: {shortened(refusal.message)}", file=sys.stderr)
    except PersistenceError as failure:
        detail = str(failure).splitlines()[0] if str(failure) else type(failure).__name__
        print(f"mediation: store error: {shortened(detail)}", file=sys.stderr)
    except (EventSourcingError, TopicError) as failure:  # a record altered or foreign
        print(
            f"mediation: a stored record cannot be read ({type(failure).__name__}): "
            "mediation audit verify says which was altered",
            file=sys.stderr,
        )
    except BrokenPipeError:
        # The reader (e.g. `| head`) has gone: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as failure:  # a path too long, a folder that cannot be written...
        where = f": {quoted(failure.filename)}" if failure.filename else ""
        print(f"mediation: {failure.strerror or type(failure).__name__}{where}", file=sys.stderr)
    except Exception as failure:  # noqa: BLE001 - the last guard: one line, never a traceback
        print(
            f"mediation: unexpected {type(failure).__name__}: {shortened(str(failure))} "
            "(a damaged store or a bug: run mediation audit verify, and report it)",
            file=sys.stderr,
        )
        return EXIT_CHECK_FAILED
    return EXIT_REFUSED


def _run(args: argparse.Namespace) -> int:
    """The command, once its principal's role may run it (the role first: before the store)."""
    principal = principal_from(args.as_principal)
    require(principal, args.permission)
    standalone: Standalone | None = args.standalone
    if standalone is not None:
        return standalone(args)
    handler: Handler = args.handler
    source = getattr(args, "source", None)  # show --from reads an export, not the store
    app = (
        cases.from_export(Path(source), args.case)
        if source
        else build(args.settings, url=args.store)
    )
    try:
        args.app = app
        return handler(service(app).for_principal(principal), args)
    finally:
        app.close()
