"""The case commands: request, join, assign, consents, sessions, endings; show and list."""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from mediation_adapters.config import time_zone
from mediation_adapters.entrypoints.cli.arguments import (
    EXIT_OK,
    Commands,
    Handler,
    Parser,
    as_of,
    codes,
    day,
    page_size,
)
from mediation_adapters.entrypoints.cli.output import (
    consented,
    emit_json,
    emit_json_list,
    invoked_as,
    party_line,
    print_case,
    print_list,
    recorded,
)
from mediation_adapters.formats.export import exported_records
from mediation_domain import (
    CaseStatus,
    CaseView,
    InterventionDomain,
    InvalidInputError,
    Mediations,
    Outcome,
    ReferralSource,
    SessionKind,
    WithdrawnBy,
)
from mediation_domain.activity_values import PartnerKind
from mediation_domain.application import MOST_CASES
from mediation_domain.application.service import PrincipalService
from mediation_domain.authorisation import Action
from mediation_domain.errors import quoted


def register(commands: Commands) -> None:
    """Declare the case commands: each with its arguments, handler and permission."""
    _add_commands(commands)
    _add_queries(commands)


def _request(desk: PrincipalService, args: argparse.Namespace) -> int:
    done = desk.request_mediation(
        domain=args.domain,
        neighbourhood=args.neighbourhood,
        referral=args.referral,
        parties=args.party,
        summary=args.summary,
        party_ids=args.party_id,
        contacts=args.contact,
        institutions=args.institution,
    )
    if args.json:
        return recorded(done, args)
    print(f"case {done.case.case_id}")
    for party in done.case.parties:
        print(f"  party {party_line(party)}")
    return EXIT_OK


def _join(desk: PrincipalService, args: argparse.Namespace) -> int:
    done = desk.join_party(
        args.case,
        name=args.name,
        party_id=args.party_id,
        contact=args.contact,
        institution=args.institution,
    )
    if not args.json:
        print(f"party {done.party}")
    return recorded(done, args)


def _assign(desk: PrincipalService, args: argparse.Namespace) -> int:
    done = desk.assign_mediator(
        args.case, mediator=args.mediator, ties=args.tie, waived_by=args.waived_by
    )
    return recorded(done, args)


def _withdraw_mediator(desk: PrincipalService, args: argparse.Namespace) -> int:
    return recorded(
        desk.withdraw_mediator(args.case, mediator=args.mediator, reason=args.reason), args
    )


def _consent(desk: PrincipalService, args: argparse.Namespace) -> int:
    return consented(desk.give_consent(args.case, party=args.party), args)


def _withdraw_consent(desk: PrincipalService, args: argparse.Namespace) -> int:
    return consented(desk.withdraw_consent(args.case, party=args.party), args)


def _refuse_consent(desk: PrincipalService, args: argparse.Namespace) -> int:
    return consented(desk.refuse_consent(args.case, party=args.party), args)


def _session(desk: PrincipalService, args: argparse.Namespace) -> int:
    done = desk.hold_session(
        args.case, kind=args.kind, attendees=args.attendee, held_on=args.date, notes=args.notes
    )
    return recorded(done, args)


def _withdraw(desk: PrincipalService, args: argparse.Namespace) -> int:
    return recorded(desk.withdraw(args.case, by=args.by, reason=args.reason), args)


def _resolve(desk: PrincipalService, args: argparse.Namespace) -> int:
    return recorded(desk.resolve(args.case, outcome=args.outcome), args)


def _show(desk: PrincipalService, args: argparse.Namespace) -> int:
    if args.archive_reason is not None:
        if args.as_of is not None:
            raise InvalidInputError("read an archived case as it stands: no --as-of with it")
        view = desk.read_archived_case(args.case, reason=args.archive_reason)
    elif isinstance(args.as_of, datetime):
        zone = time_zone(args.settings.time_zone)
        at = args.as_of if args.as_of.tzinfo else args.as_of.replace(tzinfo=zone)
        view = desk.get_case(args.case, at=at)
    else:
        view = desk.get_case(args.case, version=args.as_of)
    if args.json:
        emit_json(view.to_dict())
    else:
        print_case(view, time_zone(args.settings.time_zone))
    return EXIT_OK


def _list(desk: PrincipalService, args: argparse.Namespace) -> int:
    wanted = {
        "status": args.status,
        "neighbourhood": args.neighbourhood,
        "domain": args.domain,
        "mediator": args.mediator,
    }
    after: str | None = None
    if args.limit is None and args.after is None:
        views: Iterable[CaseView] = desk.iter_cases(**wanted)
    else:
        page = desk.cases_page(**wanted, after=args.after, limit=args.limit or MOST_CASES)
        views, after = page.cases, page.after
    if args.json:
        emit_json_list(view.to_dict() for view in views)
    else:
        print_list(views, time_zone(args.settings.time_zone))
    if after is not None:
        print(f"more cases follow: {_next_page(wanted, args, after)}", file=sys.stderr)
    return EXIT_OK


def _next_page(wanted: dict[str, str | None], args: argparse.Namespace, after: str) -> str:
    """The command that lists the next page: the same filters, limit and output."""
    words = [invoked_as(args), "list"]
    words += [f"--{name} {shlex.quote(value)}" for name, value in wanted.items() if value]
    words += [f"--limit {args.limit}"] if args.limit else []
    words += ["--json"] if args.json else []
    return " ".join([*words, f"--after {after}"])


def from_export(path: Path, case: str) -> Mediations:
    """An in-memory application holding one case's records from an export file."""
    try:
        wanted = UUID(case)
    except ValueError:
        message = f"invalid case id {quoted(case)}: expected a UUID"
        raise InvalidInputError(message) from None
    app = Mediations()
    app.recorder.insert_events(
        [
            StoredEvent(r.originator_id, r.originator_version, r.topic, r.state)
            for r in exported_records(path)
            if r.originator_id == wanted
        ]
    )
    return app


def _add_commands(commands: Commands) -> None:
    p = commands.add("request", "open a case", Action.REQUEST, _request, json_help=_CASE_JSON)
    p.add_argument("--domain", required=True, help=codes(InterventionDomain))
    p.add_argument("--neighbourhood", required=True, help="a configured neighbourhood")
    p.add_argument("--referral", required=True, help=codes(ReferralSource))
    p.add_argument("--party", action="append", required=True, help="a party's name (repeat)")
    p.add_argument("--party-id", action="append", help="pseudonymous id per party (repeat)")
    p.add_argument("--summary", default="", help="what the mediation is about")
    p.add_argument("--contact", action="append", help="a contact per party, in order (repeat)")
    p.add_argument(
        "--institution",
        action="append",
        type=_institution,
        metavar="KIND:NAME",
        help='per party, in order (repeat; "" for a person): the party is this institution, '
        "its --party the person who represents it; e.g. 'landlord:Habitat de la Vienne'; "
        f"kinds: {codes(PartnerKind)}",
    )

    p = _on_case(commands, "join", "add a party to a case", Action.ACT_ON_CASE, _join)
    p.add_argument(
        "--name", required=True, help="the party's name (an institution's: its representative's)"
    )
    p.add_argument("--party-id", help="a pseudonymous id (generated if omitted)")
    p.add_argument("--contact", default="", help="how to reach the party (sealed)")
    p.add_argument(
        "--institution",
        type=_institution,
        metavar="KIND:NAME",
        help="the party is this institution, --name the person who represents it "
        f"(e.g. 'school:École Jules Ferry'); kinds: {codes(PartnerKind)}",
    )

    summary = "assign a mediator (with their declaration of ties)"
    p = _on_case(commands, "assign", summary, Action.ASSIGN, _assign)
    p.add_argument("--mediator", required=True, help="the mediator's id")
    p.add_argument(
        "--tie", action="append", default=[], help="party id the mediator has a tie with"
    )
    p.add_argument(
        "--waived-by", action="append", default=[], help="party id who waived in writing"
    )

    summary = "the mediator refuses or withdraws"
    p = _on_case(
        commands, "withdraw-mediator", summary, Action.MEDIATOR_WITHDRAWS, _withdraw_mediator
    )
    p.add_argument("--mediator", required=True, help="the assigned mediator's id")
    p.add_argument("--reason", required=True, help="a reason code, e.g. conflict-of-interest")

    for name, handler, summary in (
        ("consent", _consent, "a party gives consent"),
        ("withdraw-consent", _withdraw_consent, "a party withdraws consent (no reason needed)"),
        ("refuse-consent", _refuse_consent, "a party refuses to take part"),
    ):
        p = _on_case(commands, name, summary, Action.ACT_ON_CASE, handler)
        p.add_argument("--party", required=True, help="the party's id")

    p = _on_case(commands, "session", "record a session held", Action.ACT_ON_CASE, _session)
    p.add_argument("--kind", required=True, help=codes(SessionKind))
    p.add_argument("--attendee", action="append", required=True, help="party id present (repeat)")
    p.add_argument("--date", type=day, help="YYYY-MM-DD (default today)")
    p.add_argument("--notes", default="", help="the mediator's notes (sealed for the case)")

    summary = "end a mediation before its resolution"
    p = _on_case(commands, "withdraw", summary, Action.ACT_ON_CASE, _withdraw)
    p.add_argument("--by", required=True, help=codes(WithdrawnBy))
    p.add_argument("--reason", required=True, help="a reason code, e.g. no-longer-needed")

    summary = "end a mediation with its outcome"
    p = _on_case(commands, "resolve", summary, Action.ACT_ON_CASE, _resolve)
    p.add_argument("--outcome", required=True, help=codes(Outcome))


def _add_queries(commands: Commands) -> None:
    summary = "show a case, now or as of an event number"
    p = _on_case(commands, "show", summary, Action.READ_CASE, _show)
    p.add_argument(
        "--as-of",
        type=as_of,
        help="the case as it stood after event N, or at a time as show prints it "
        "(2026-05-01T12:00+02:00; to the minute: the minute's end; without an offset: the "
        "service's time, MEDIATION_TIMEZONE)",
    )
    p.add_argument("--from", dest="source", help="read the case from an audit export file")
    p.add_argument(
        "--archive-reason",
        help="read an archived case's personal values (coordinator), for this reason code "
        "(e.g. litigation): the read is recorded in the log",
    )

    json_help = "print the cases as one JSON array"
    p = commands.add("list", "list cases", Action.LIST_CASES, _list, json_help=json_help)
    p.epilog = (
        "Cases are printed in request order as they are read, a page of the store at a "
        "time. If the store fails midway, the output stops there (with --json, an "
        "unfinished array) and the exit code is 2: only a 0 exit means the whole list. "
        "With --limit, the command that prints the next page is written to stderr."
    )
    p.add_argument("--limit", type=page_size, help=f"at most this many cases (1 to {MOST_CASES})")
    p.add_argument("--after", help="the cursor a limited list gave, for the next page")
    p.add_argument("--status", help=codes(CaseStatus))
    p.add_argument("--neighbourhood")
    p.add_argument("--domain", help=codes(InterventionDomain))
    p.add_argument("--mediator")


_CASE_JSON = "print the case as JSON"


def _institution(text: str) -> tuple[str, str] | None:
    """An institution as --institution gives it, KIND:NAME ("" for a person)."""
    if not text:
        return None
    kind, colon, name = text.partition(":")
    if not colon:
        message = f"invalid --institution {quoted(text)}: KIND:NAME, e.g. 'landlord:Habitat'"
        raise argparse.ArgumentTypeError(message)
    return kind, name


def _on_case(
    commands: Commands, name: str, summary: str, permission: Action, run: Handler
) -> Parser:
    """A command on one case: its id first, --json to print the case as JSON."""
    return commands.add(name, summary, permission, run, case=True, json_help=_CASE_JSON)
