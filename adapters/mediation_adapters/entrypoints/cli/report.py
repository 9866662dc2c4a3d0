"""The report command: activity indicators (cases and the work beside them) for funders."""

from __future__ import annotations

import argparse
import sys

from mediation_adapters.config import report_period, time_zone
from mediation_adapters.entrypoints.cli.arguments import EXIT_OK, Commands
from mediation_adapters.formats.report import (
    CSV_TABLES,
    FORMATS,
    LANGUAGES,
    check_table,
    default_by,
    render,
)
from mediation_adapters.storage.report_view import ReportView
from mediation_domain.application.service import PrincipalService
from mediation_domain.authorisation import Action
from mediation_domain.reports import dimensions


def register(commands: Commands) -> None:
    """Declare the report command, with its arguments, handler and permission."""
    p = commands.add(
        "report",
        "activity indicators for funders (partners' view unless --exact)",
        Action.REPORT,
        _report,
        description="Activity indicators by neighbourhood, domain and month, and the cases "
        "involving each kind of institution, with no personal data, then the work beside "
        "cases: presence hours and contacts of rounds, watch reports by partner, orientations "
        "by need and outcome, collective actions. Unless --exact, counts from 1 to 4 show as "
        "'< 5', the period is whole finished quarters, neighbourhoods, domains and kinds of "
        "institution come by quarter (the whole service by month), and the activities by "
        "quarter: what a partner or funder may receive.",
    )
    p.add_argument(
        "--from",
        dest="start",
        help="first month or day (YYYY-MM[-DD]); default Jan 1 (partners: four quarters back)",
    )
    p.add_argument(
        "--to",
        dest="end",
        help="last month or day; default today (partners: the last quarter over)",
    )
    p.add_argument("--as-of", help="the history as it stood then: a day or a time")
    p.add_argument(
        "--by",
        help="rows by neighbourhood,domain,month (default: all; partners: neighbourhood,domain)",
    )
    p.add_argument("--format", choices=FORMATS, default="table")
    p.add_argument(
        "--table",
        choices=CSV_TABLES,
        default="cases",
        help="with --format csv, what the file holds: the cases' table (default) or the "
        "activities' tables (rounds, watch reports, orientations, collective actions); the "
        "other formats hold both, and refuse --table activities",
    )
    p.add_argument("--lang", choices=LANGUAGES, default="fr")
    p.add_argument("--exact", action="store_true", help="exact counts: the service's own use")
    p.add_argument("--rebuild", action="store_true", help="fold the whole history again first")


def _report(desk: PrincipalService, args: argparse.Namespace) -> int:
    if args.exact:
        desk.require(Action.REPORT_EXACT)  # refused before the arguments are read further
    check_table(args.format, args.table)  # refused before a rebuild is started
    zone = time_zone(args.settings.time_zone)
    period = report_period(args.start, args.end, args.as_of, exact=args.exact, zone=zone)
    by = dimensions(args.by.split(",")) if args.by else default_by(exact=args.exact)
    if args.rebuild:
        view = ReportView(args.app)
        try:
            folded = view.rebuild()
            position = view.position() or 0
        finally:
            view.close()
        # Reports elsewhere catch the facts up before they read: they may fold some of them.
        print(
            f"report facts rebuilt: they stand at record {position} of the log "
            f"({folded} folded by this command)",
            file=sys.stderr,
        )
    report = desk.report(period, exact=args.exact)
    text = render(report, args.format, lang=args.lang, by=by, table=args.table)
    sys.stdout.write(text)
    return EXIT_OK
