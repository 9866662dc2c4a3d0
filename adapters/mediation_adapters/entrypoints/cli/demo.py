"""The demo command: a realistic year and week of Poitiers mediations and activities."""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Mapping, Sequence

from mediation_adapters.demo import DemoRun, record_activities, record_demo, record_year
from mediation_adapters.entrypoints.cli.arguments import EXIT_OK, Commands
from mediation_adapters.entrypoints.cli.output import invoked_as
from mediation_adapters.storage import redacted
from mediation_domain import CaseStatus, CaseView, InterventionDomain, Mediations
from mediation_domain.application.service import PrincipalService
from mediation_domain.authorisation import Action
from mediation_domain.privacy import ERASED


def register(commands: Commands) -> None:
    """Declare the demo command, with its arguments, handler and permission."""
    p = commands.add("demo", "record a realistic set of Poitiers mediations", Action.REQUEST, _demo)
    p.add_argument(
        "--week-only",
        action="store_true",
        help="only the week's stories of cases: neither the year of routine cases an empty "
        "store gets first, nor the team's rounds, watch reports, orientations and actions",
    )


def _demo(_: PrincipalService, args: argparse.Namespace) -> int:
    app: Mediations = args.app
    history = 0
    if not args.week_only and app.recorder.max_notification_id() is None:
        history = record_year(app)  # the first run only: the report then has a year to show
    run = record_demo(app)
    cases = app.list_cases()
    done = None if args.week_only else _activities(app, cases, run, year=bool(history))
    events = app.recorder.max_notification_id() or 0
    print(f"Recorded {len(run.cases)} mediations in {redacted(args.store)}", end="")
    print(f", after a year of {history} routine cases." if history else ".")
    print(f"(the store now holds {len(cases)} cases, {events} events).")
    if done is not None:
        _print_activities(done, "year" if history else "week")
    print()
    print("The deontology refused, as it must:")
    for attempt, refusal in run.refusals:
        print(f"  - {attempt}: {refusal.message} [{type(refusal).__name__}]")
    _print_counts(cases, app.neighbourhoods.names)
    for subject in run.erased:
        print(f"\nErased on request (GDPR): {subject}; its values now read {ERASED}.")
    me = invoked_as(args)
    print(f"\nNext: {me} list   |   {me} show {run.cases[0]}")
    print(f"      {me} report --exact   |   {me} report --format html > report.html")
    if done is not None:
        print(f"      {me} orientations --due   |   {me} watch list --open")
    return EXIT_OK


def _activities(
    app: Mediations, cases: Sequence[CaseView], run: DemoRun, *, year: bool
) -> Counter[str]:
    """The team's activities over the year (a first run) or the week.

    Orientations follow the cases of this run only: a later run orients no case again.
    """
    fresh = set(run.cases)
    mine = cases if year else [view for view in cases if view.case_id in fresh]
    return record_activities(app, mine, days=365 if year else 7)


def _print_activities(done: Mapping[str, int], period: str) -> None:
    """What the team recorded beside cases, in three lines."""
    rounds = _some(done["round"] + done["bus-round"], "proximity round")
    print(f"Beside cases, over the {period}: {rounds} ({done['bus-round']} on bus lines),")
    print(
        f"{_some(done['watch'], 'watch report')}, {_some(done['acknowledged'], 'acknowledgement')}"
        f" and {_some(done['closed'], 'answer')} from partners, "
        f"{_some(done['orientation'], 'orientation')} ({done['named']} named,"
    )
    print(
        f"{done['from-case']} from cases), {_some(done['follow-up'], 'follow-up')} "
        f"and {_some(done['action'], 'collective action')}."
    )


def _some(count: int, what: str) -> str:
    return f"{count} {what}{'' if count == 1 else 's'}"


def _print_counts(cases: Sequence[CaseView], places: Sequence[str]) -> None:
    """The store's cases by neighbourhood and status, then by domain."""
    statuses = [status.value for status in CaseStatus]
    by_place = Counter((v.neighbourhood, v.status.value) for v in cases)
    print(f"\n{'neighbourhood':<14}" + "".join(f"{s:>19}" for s in statuses) + f"{'total':>7}")
    for place in places:
        counts = [by_place[place, s] for s in statuses]
        print(f"{place:<14}" + "".join(f"{n:>19}" for n in counts) + f"{sum(counts):>7}")
    by_domain = Counter(v.domain.value for v in cases)
    print(
        "\nBy domain: " + ", ".join(f"{d.value} {by_domain[d.value]}" for d in InterventionDomain)
    )
