"""The demo command: a realistic year and week of Poitiers mediations."""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Sequence

from mediation_adapters.demo import record_demo, record_year
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
        help="only the week of stories, not the year of routine cases an empty store gets first",
    )


def _demo(_: PrincipalService, args: argparse.Namespace) -> int:
    app: Mediations = args.app
    history = 0
    if not args.week_only and app.recorder.max_notification_id() is None:
        history = record_year(app)  # the first run only: the report then has a year to show
    run = record_demo(app)
    cases = app.list_cases()
    events = app.recorder.max_notification_id() or 0
    print(f"Recorded {len(run.cases)} mediations in {redacted(args.store)}", end="")
    print(f", after a year of {history} routine cases." if history else ".")
    print(f"(the store now holds {len(cases)} cases, {events} events).\n")
    print("The deontology refused, as it must:")
    for attempt, refusal in run.refusals:
        print(f"  - {attempt}: {refusal.message} [{type(refusal).__name__}]")
    _print_counts(cases, app.neighbourhoods.names)
    for subject in run.erased:
        print(f"\nErased on request (GDPR): {subject}; its values now read {ERASED}.")
    me = invoked_as(args)
    print(f"\nNext: {me} list   |   {me} show {run.cases[0]}")
    print(f"      {me} report --exact   |   {me} report --format html > report.html")
    return EXIT_OK


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
