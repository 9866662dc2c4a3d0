"""The activity commands: proximity rounds, watch reports, orientations, collective actions.

Each is declared with its arguments, handler and permission; the service layer applies
the policy (a mediator records only work they took part in, follows up only their own
orientations), these commands only parse and print. Nothing they print names a person,
except `orientation ID`, made to show the oriented person's name to whom may read it.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from mediation_adapters.config import time_zone
from mediation_adapters.entrypoints.cli.activity_output import listed, printed
from mediation_adapters.entrypoints.cli.arguments import Commands, codes, day
from mediation_domain import InterventionDomain, InvalidInputError
from mediation_domain.activity_values import (
    MAX_COUNT,
    AccessNeed,
    ActionKind,
    ContactKind,
    OrientationOutcome,
    PartnerKind,
    SharedItem,
    WatchAnswer,
    WatchKind,
)
from mediation_domain.application.service import PrincipalService
from mediation_domain.authorisation import Action
from mediation_domain.errors import quoted

_RECORDED_JSON = "print what was recorded as JSON"
_LIST_JSON = "print them as one JSON array"


def register(commands: Commands) -> None:
    """Declare the activity commands: each with its arguments, handler and permission."""
    _add_round_and_action(commands)
    _add_watch(
        commands.group(
            "watch", "social and technical watch: situations reported to partners", "steps"
        )
    )
    _add_orientation(commands)
    _add_lists(commands)


# Arguments --------------------------------------------------------------------------------


def _listed(text: str) -> list[str]:
    """A comma-separated list (med-1,med-2); the option may also be repeated."""
    return [item.strip() for item in text.split(",")]


def _count(text: str) -> int:
    """A count: 0 to MAX_COUNT."""
    digits = text.isascii() and text.isdigit() and len(text) <= len(str(MAX_COUNT))
    if not (digits and int(text) <= MAX_COUNT):
        message = f"invalid count {quoted(text)}: a whole number from 0 to {MAX_COUNT}"
        raise argparse.ArgumentTypeError(message)
    return int(text)


def _tally(text: str) -> list[tuple[str, int]]:
    """Counts by kind: greeting=3,information=2."""
    pairs = []
    for item in text.split(","):
        code, equals, number = item.partition("=")
        if not equals:
            message = f"invalid counts {quoted(text)}: expected KIND=N,KIND=N (greeting=3)"
            raise argparse.ArgumentTypeError(message)
        pairs.append((code.strip(), _count(number.strip())))
    return pairs


def _moment(text: str) -> datetime:
    """A date and time, to the minute; without an offset, the service's time."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        message = f"invalid time {quoted(text)}: expected YYYY-MM-DDTHH:MM"
        raise argparse.ArgumentTypeError(message) from None


def _counted(pairs: Sequence[tuple[str, int]] | None, option: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for code, count in pairs or ():
        if code in counts:
            message = f"{option} counts {quoted(code)} twice"
            raise InvalidInputError(message)
        counts[code] = count
    return counts


def _in(moment: datetime, zone: ZoneInfo) -> datetime:
    """A time without an offset is the service's (MEDIATION_TIMEZONE), as `show` reads it."""
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


# Handlers ---------------------------------------------------------------------------------


def _round(desk: PrincipalService, args: argparse.Namespace) -> int:
    zone = time_zone(args.settings.time_zone)
    done = desk.record_round(
        neighbourhood=args.neighbourhood,
        started_at=_in(args.start, zone),
        ended_at=_in(args.end, zone),
        team=args.team,
        contacts=_counted(args.contacts, "--contacts"),
        observed=_counted(args.observed, "--observed"),
        bus_line=args.bus_line,
    )
    return printed(done, "recorded", args)


def _action(desk: PrincipalService, args: argparse.Namespace) -> int:
    done = desk.record_action(
        kind=args.kind,
        domain=args.domain,
        neighbourhood=args.neighbourhood,
        attendance=args.attendance,
        held_on=args.on,
        partners=args.partners,
        team=args.team,
    )
    return printed(done, "recorded", args)


def _report(desk: PrincipalService, args: argparse.Namespace) -> int:
    done = desk.report_watch(
        kind=args.kind,
        domain=args.domain,
        neighbourhood=args.neighbourhood,
        partner=args.partner,
        reported_on=args.on,
    )
    return printed(done, "recorded", args)


def _acknowledge(desk: PrincipalService, args: argparse.Namespace) -> int:
    return printed(desk.acknowledge_watch(args.report, on=args.on), "acknowledged", args)


def _close(desk: PrincipalService, args: argparse.Namespace) -> int:
    return printed(desk.close_watch(args.report, answer=args.answer, on=args.on), "closed", args)


def _orient(desk: PrincipalService, args: argparse.Namespace) -> int:
    done = desk.orient(
        need=args.need,
        partner=args.partner,
        neighbourhood=args.neighbourhood,
        follow_up_on=args.follow_up,
        by=args.by,
        oriented_on=args.on,
        name=args.name,
        shared=args.share,
        case_id=args.case,
    )
    return printed(done, "recorded", args)


def _follow_up(desk: PrincipalService, args: argparse.Namespace) -> int:
    done = desk.follow_up(args.orientation, outcome=args.outcome, on=args.on, next_on=args.next)
    return printed(done, "followed up", args)


def _orientation(desk: PrincipalService, args: argparse.Namespace) -> int:
    if args.archive_reason is not None:  # the coordinator's, the read recorded first
        name = desk.read_archived_person(args.orientation, reason=args.archive_reason)
    else:
        name = desk.orientation_person(args.orientation)  # refused first: another's, or none
    return printed(desk.get_activity(args.orientation) | {"name": name}, "", args)


def _rounds(desk: PrincipalService, args: argparse.Namespace) -> int:
    return listed(desk.list_activities("round"), "round", args)


def _actions(desk: PrincipalService, args: argparse.Namespace) -> int:
    return listed(desk.list_activities("action"), "action", args)


def _watch_list(desk: PrincipalService, args: argparse.Namespace) -> int:
    if args.open:
        return listed(desk.open_watch_reports(), "watch", args, nothing="no open watch report")
    return listed(desk.list_activities("watch"), "watch", args)


def _orientations(desk: PrincipalService, args: argparse.Namespace) -> int:
    if args.due is None:
        return listed(desk.list_activities("orientation"), "orientation", args)
    by = None if args.due is True else args.due  # --due alone: today
    due = desk.orientations_due(by)
    return listed(due, "orientation", args, nothing=f"no follow-up due by {by or 'today'}")


# Declarations -----------------------------------------------------------------------------


def _add_round_and_action(commands: Commands) -> None:
    summary = "record a proximity round (on foot, or on a bus line), once it has ended"
    p = commands.add("round", summary, Action.RECORD_ACTIVITY, _round, json_help=_RECORDED_JSON)
    p.add_argument("--neighbourhood", required=True, help="a configured neighbourhood")
    p.add_argument(
        "--start",
        type=_moment,
        required=True,
        help="YYYY-MM-DDTHH:MM (without an offset: the service's time, MEDIATION_TIMEZONE)",
    )
    p.add_argument("--end", type=_moment, required=True, help="YYYY-MM-DDTHH:MM, after --start")
    _team(p, "the mediators on the round (a mediator names themselves)", required=True)
    p.add_argument(
        "--contacts",
        type=_tally,
        action="extend",
        metavar="KIND=N,...",
        help=f"contacts by kind, e.g. greeting=3,information=2 ({codes(ContactKind)})",
    )
    p.add_argument(
        "--observed",
        type=_tally,
        action="extend",
        metavar="DOMAIN=N,...",
        help=f"situations observed by domain, e.g. public-transport=1 "
        f"({codes(InterventionDomain)})",
    )
    p.add_argument("--bus-line", help="the bus line ridden (default: on foot)")

    summary = "record a collective action held (meeting, workshop...)"
    p = commands.add("action", summary, Action.RECORD_ACTIVITY, _action, json_help=_RECORDED_JSON)
    p.add_argument("--kind", required=True, help=codes(ActionKind))
    p.add_argument("--domain", required=True, help=codes(InterventionDomain))
    p.add_argument("--neighbourhood", required=True, help="a configured neighbourhood")
    p.add_argument("--attendance", type=_count, required=True, help="how many attended")
    _on(p, "the day it was held")
    p.add_argument(
        "--partners",
        type=_listed,
        action="extend",
        default=[],
        metavar="KIND,...",
        help=f"kinds of partner that took part ({codes(PartnerKind)})",
    )
    _team(p, "the mediators who led it (a mediator names themselves)", required=False)


def _add_watch(watch: Commands) -> None:
    summary = "record a situation reported to a partner"
    p = watch.add("report", summary, Action.RECORD_ACTIVITY, _report, json_help=_RECORDED_JSON)
    p.add_argument("--kind", required=True, help=codes(WatchKind))
    p.add_argument("--domain", required=True, help=codes(InterventionDomain))
    p.add_argument("--neighbourhood", required=True, help="a configured neighbourhood")
    p.add_argument("--partner", required=True, help=codes(PartnerKind))
    _on(p, "the day it was reported")

    summary = "record the partner's acknowledgement of a report"
    p = watch.add(
        "acknowledge", summary, Action.RECORD_ACTIVITY, _acknowledge, json_help=_RECORDED_JSON
    )
    p.add_argument("report", help="the watch report's id")
    _on(p, "the day it was acknowledged")

    summary = "record the partner's answer, which closes a report"
    p = watch.add("close", summary, Action.RECORD_ACTIVITY, _close, json_help=_RECORDED_JSON)
    p.add_argument("report", help="the watch report's id")
    p.add_argument("--answer", required=True, help=codes(WatchAnswer))
    _on(p, "the day of the answer")

    p = watch.add(
        "list", "list watch reports", Action.READ_ACTIVITIES, _watch_list, json_help=_LIST_JSON
    )
    p.add_argument("--open", action="store_true", help="only those not closed, oldest first")


def _add_orientation(commands: Commands) -> None:
    summary = "record a person oriented to a partner for an access-to-rights need"
    p = commands.add("orient", summary, Action.RECORD_ACTIVITY, _orient, json_help=_RECORDED_JSON)
    p.add_argument("--need", required=True, help=codes(AccessNeed))
    p.add_argument("--partner", required=True, help=codes(PartnerKind))
    p.add_argument("--neighbourhood", required=True, help="a configured neighbourhood")
    p.add_argument(
        "--follow-up", type=day, required=True, help="YYYY-MM-DD: when to check what became of it"
    )
    p.add_argument("--by", help="the orienting mediator (default: you, acting as a mediator)")
    p.add_argument(
        "--name",
        default="",
        help="the person's name, sealed (default: anonymous); shown only by `orientation ID`",
    )
    p.add_argument(
        "--share",
        type=_listed,
        action="extend",
        default=[],
        metavar="ITEM,...",
        help=f"what the person agreed the partner may receive ({codes(SharedItem)})",
    )
    p.add_argument("--case", help="the id of the case it comes from")
    _on(p, "the day of the orientation")

    summary = "record a follow-up of an orientation and its outcome"
    p = commands.add("follow-up", summary, Action.FOLLOW_UP, _follow_up, json_help=_RECORDED_JSON)
    p.add_argument("orientation", help="the orientation's id")
    p.add_argument("--outcome", required=True, help=codes(OrientationOutcome))
    p.add_argument(
        "--next", type=day, help="YYYY-MM-DD: the next follow-up (for an outcome in progress)"
    )
    _on(p, "the day of the follow-up")

    summary = "show an orientation with the person's name (its mediator or the coordinator)"
    p = commands.add(
        "orientation", summary, Action.READ_ACTIVITIES, _orientation, json_help="print it as JSON"
    )
    p.add_argument("orientation", help="the orientation's id")
    p.add_argument(
        "--archive-reason",
        help="an archived orientation's person (coordinator), for this reason code: the read "
        "is recorded in the log",
    )


def _add_lists(commands: Commands) -> None:
    for name, run, what in (
        ("rounds", _rounds, "list proximity rounds, in the order recorded"),
        ("actions", _actions, "list collective actions, in the order recorded"),
    ):
        commands.add(name, what, Action.READ_ACTIVITIES, run, json_help=_LIST_JSON)
    summary = "list orientations (a mediator's own), or those whose follow-up is due"
    p = commands.add(
        "orientations", summary, Action.READ_ACTIVITIES, _orientations, json_help=_LIST_JSON
    )
    p.add_argument(
        "--due",
        nargs="?",
        const=True,
        type=day,
        metavar="DATE",
        help="only open ones whose follow-up is due by DATE (YYYY-MM-DD; alone: today), "
        "soonest first",
    )


def _team(p: argparse.ArgumentParser, what: str, *, required: bool) -> None:
    p.add_argument(
        "--team",
        type=_listed,
        action="extend",
        required=required,
        default=None if required else [],
        metavar="MEDIATOR,...",
        help=what,
    )


def _on(p: argparse.ArgumentParser, what: str) -> None:
    p.add_argument("--on", type=day, help=f"YYYY-MM-DD: {what} (default today)")
