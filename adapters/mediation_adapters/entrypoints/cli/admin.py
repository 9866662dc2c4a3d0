"""The operator's commands: serve the HTTP API, make its tokens, look after the case index."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from mediation_adapters.bootstrap import build
from mediation_adapters.config import Settings, time_zone
from mediation_adapters.entrypoints.cli.arguments import EXIT_OK, Commands, host, port
from mediation_adapters.security.tokens import Tokens, add_token
from mediation_adapters.storage import redacted
from mediation_domain import InvalidInputError
from mediation_domain.application.service import PrincipalService
from mediation_domain.authorisation import Action


def register(commands: Commands, settings: Settings) -> None:
    """Declare the operator's commands: each with its arguments, handler and permission."""
    p = commands.add(
        "serve",
        "serve the HTTP API (extra mediation-domain[http])",
        Action.ADMINISTER,
        standalone=_serve,
    )
    p.add_argument("--host", type=host, default="127.0.0.1", help="the address to listen on")
    p.add_argument("--port", type=port, default=8000, help="the port (default 8000)")
    p.add_argument(
        "--tokens",
        default=settings.tokens,
        help="the token file (env MEDIATION_TOKENS; default tokens.json)",
    )
    tokens = commands.group("tokens", "bearer tokens of the HTTP API", "token commands")
    p = tokens.add(
        "add",
        "make a token for a role and identity; prints it once",
        Action.ADMINISTER,
        standalone=_tokens_add,
    )
    p.add_argument("--file", default=settings.tokens)
    p.add_argument("--role", required=True, help="mediator, coordinator, partner or auditor")
    p.add_argument("--identity", required=True, help="who: a mediator's id, a partner's name")
    p.add_argument("--days", type=int, help="the token expires after this many days")
    p = commands.add(
        "index",
        "the case index behind lists, erasure and retention: where it stands",
        Action.ADMINISTER,
        _index,
        description="The case index is kept beside the events and caught up before every "
        "list, erasure and retention; --rebuild folds the whole history into it again.",
    )
    p.add_argument("--rebuild", action="store_true", help="fold the whole history again")


def _serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn  # noqa: PLC0415 - the http extra

        from mediation_adapters.entrypoints.http import create_app  # noqa: PLC0415
    except ImportError:
        message = (
            "serving needs the http extra: pip install '.[http]' in a clone of mediation-domain"
        )
        raise InvalidInputError(message) from None
    tokens = Tokens.load(Path(args.tokens))
    app = build(args.settings, url=args.store)
    try:
        print(f"serving {redacted(args.store)} on http://{args.host}:{args.port}", flush=True)
        uvicorn.run(
            create_app(app, tokens, zone=time_zone(args.settings.time_zone)),
            host=args.host,
            port=args.port,
            workers=1,
            log_level="warning",
        )
    finally:
        app.close()
    return EXIT_OK


def _index(_: PrincipalService, args: argparse.Namespace) -> int:
    index = args.app.case_index
    folded = index.rebuild() if args.rebuild else index.refresh()
    done = "rebuilt" if args.rebuild else "caught up"
    print(f"case index {done}: it stands at record {index.position() or 0} of the log")
    # Readers elsewhere catch the index up before they read: they may fold some of it.
    print(f"{folded} records folded by this command")
    return EXIT_OK


def _tokens_add(args: argparse.Namespace) -> int:
    token = add_token(Path(args.file), args.role, args.identity, days=args.days)
    print(token)
    print(
        f"token for {args.role} {args.identity} (shown once; {args.file} keeps its digest only)",
        file=sys.stderr,
    )
    return EXIT_OK
