"""What every command shares: the parser, the argument types and the command registry.

A command family (cases.py, privacy.py...) declares each command in one place with
`Commands.add`: its name and help, its arguments, the handler that runs it and the
permission it needs (an `Action` of the policy, checked by the service layer).
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import re
from collections.abc import Callable, Iterable
from datetime import date, datetime, timedelta
from typing import Any, NoReturn
from uuid import UUID

from mediation_domain.application import MOST_CASES
from mediation_domain.application.service import PrincipalService
from mediation_domain.authorisation import Action
from mediation_domain.errors import quoted, shortened

EXIT_OK, EXIT_CHECK_FAILED, EXIT_REFUSED = 0, 1, 2

# A command on a store: the service as the user may call it, and the parsed arguments
# (`args.app` is the application itself, for the work that is not a case command).
Handler = Callable[[PrincipalService, argparse.Namespace], int]
# A command that opens no store before it runs (or opens it its own way).
Standalone = Callable[[argparse.Namespace], int]

_QUOTED = re.compile(r"'([^']*)'")
# argparse lists every choice of a refused one: a command's are many, and --help lists them.
_CHOICES = re.compile(r" \(choose from [^)]*\)")
_MOST_CHOICES = 120


class Parser(argparse.ArgumentParser):
    """Reports usage errors on one line, exit 2, like every other refusal.

    Every subcommand also takes --store and --as after its name (`mediation serve --store
    URL`), overriding the ones given before it.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401 - argparse's
        kwargs.setdefault("allow_abbrev", False)  # `--st` must not mean --status or --store
        super().__init__(*args, **kwargs)
        if " " in self.prog:  # a subcommand's parser
            self.add_argument("--store", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
            self.add_argument(
                "--as", dest="as_principal", default=argparse.SUPPRESS, help=argparse.SUPPRESS
            )

    def error(self, message: str) -> NoReturn:
        """Exit 2 with one line; what argparse quotes whole ("invalid choice: '...'") cut."""
        message = _CHOICES.sub(
            lambda found: "" if len(found[0]) > _MOST_CHOICES else found[0], message
        )
        message = shortened(_QUOTED.sub(lambda found: quoted(found[1]), message))
        self.exit(EXIT_REFUSED, f"{self.prog}: {message} (see --help)\n")


class Commands:
    """The subcommands of a parser; `add` declares one with its handler and permission."""

    def __init__(self, subparsers: argparse._SubParsersAction[Parser]) -> None:
        self._subparsers = subparsers

    def add(  # noqa: PLR0913 - a command's parts, declared together
        self,
        name: str,
        summary: str,
        permission: Action,
        run: Handler | None = None,
        *,
        standalone: Standalone | None = None,
        case: bool = False,
        json_help: str | None = None,
        description: str | None = None,
    ) -> Parser:
        """A command: `run` on the store (or `standalone`), allowed to whom `permission` is.

        `case` adds the case id argument; `json_help`, a --json flag.
        """
        parser = self._subparsers.add_parser(name, help=summary, description=description or summary)
        if case:
            parser.add_argument("case", help="the case id (a UUID)")
        if json_help:
            parser.add_argument("--json", action="store_true", help=json_help)
        parser.set_defaults(handler=run, standalone=standalone, permission=permission)
        return parser

    def group(self, name: str, summary: str, title: str) -> Commands:
        """A command with steps of its own (`mediation audit verify`)."""
        parser = self._subparsers.add_parser(name, help=summary)
        return Commands(parser.add_subparsers(title=title, metavar="STEP", required=True))


def codes(vocabulary: Iterable[object]) -> str:
    """The codes of a vocabulary, for a help text."""
    return ", ".join(str(getattr(member, "value", member)) for member in vocabulary)


def day(text: str) -> date:
    """A day, YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        message = f"invalid date {quoted(text)}: expected YYYY-MM-DD"
        raise argparse.ArgumentTypeError(message) from None


_A_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


_TO_THE_MINUTE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?:[+-]\d{2}:\d{2}|Z)?")


def as_of(text: str) -> int | datetime:
    """An event number, or a time: to the minute (as `show` prints), the minute's end.

    No offset: the service's time, read by `show` (as `report --as-of` does).
    """
    if text.isdigit():
        return positive(text)
    if _A_DAY.fullmatch(text.strip()):  # a day, as `report --as-of` reads it: its end
        text = f"{text.strip()}T23:59"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        message = f"invalid --as-of {quoted(text)}: an event number or a time like 2026-05-01T12:00"
        raise argparse.ArgumentTypeError(message) from None
    if _TO_THE_MINUTE.fullmatch(text.strip()):
        moment += timedelta(minutes=1, microseconds=-1)  # every event of that minute
    return moment


def uuid_argument(text: str) -> UUID:
    """A case id."""
    try:
        return UUID(text)
    except ValueError:
        message = f"invalid case id {quoted(text)}: expected a UUID"
        raise argparse.ArgumentTypeError(message) from None


_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def host(text: str) -> str:
    """An IP address or a host name to listen on."""
    with contextlib.suppress(ValueError):
        return str(ipaddress.ip_address(text))
    if len(text) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in text.split(".")):  # noqa: PLR2004 - DNS's limit
        return text
    message = f"invalid --host {quoted(text)}: an IP address or a host name"
    raise argparse.ArgumentTypeError(message)


def port(text: str) -> int:
    """A TCP port to listen on."""
    if not (text.isascii() and text.isdigit() and len(text) <= 5 and 0 < int(text) <= 65535):  # noqa: PLR2004
        message = f"invalid --port {quoted(text)}: a number from 1 to 65535"
        raise argparse.ArgumentTypeError(message)
    return int(text)


def positive(text: str) -> int:
    """An event number: 1, 2, ..."""
    if not text.isdigit() or int(text) < 1:
        message = f"invalid event number {quoted(text)}: expected 1, 2, ..."
        raise argparse.ArgumentTypeError(message)
    return int(text)


def page_size(text: str) -> int:
    """A number of cases a page holds (--limit)."""
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MOST_CASES):
        message = f"invalid --limit {quoted(text)}: a number of cases from 1 to {MOST_CASES}"
        raise argparse.ArgumentTypeError(message)
    return int(text)
