"""The `mediation` command: case commands and queries on a store, and the demo.

Exit codes: 0 done; 1 a check failed; 2 bad input or a refused command (one line on
stderr, nothing stored).
"""

from __future__ import annotations

import argparse
import contextlib
import ipaddress
import json
import os
import re
import shlex
import shutil
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn, Protocol, TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

import attrs
from eventsourcing.domain import EventSourcingError
from eventsourcing.persistence import PersistenceError
from eventsourcing.utils import TopicError

from mediation_adapters.bootstrap import build, open_store
from mediation_adapters.config import DEFAULT_STORE, Settings, read_store_key
from mediation_adapters.demo import record_demo, record_year
from mediation_adapters.ledger import Ledger
from mediation_adapters.report_formats import DEFAULT_BY, FORMATS, LANGUAGES, render
from mediation_adapters.reporting import ReportView, report_period, time_zone
from mediation_adapters.storage import StoreError, open_bundle, redacted
from mediation_adapters.storage.registry import forms
from mediation_domain import (
    CaseStatus,
    CaseView,
    InterventionDomain,
    InvalidInputError,
    MediationError,
    Mediations,
    Outcome,
    ReferralSource,
    SessionKind,
    WithdrawnBy,
)
from mediation_domain.application import MOST_CASES
from mediation_domain.audit import verify, verify_excerpt
from mediation_domain.authorisation import (
    Action,
    Principal,
    authorise,
    authorise_speaking_for,
    principal_from,
    sees_all_cases,
)
from mediation_domain.errors import quoted, shortened
from mediation_domain.privacy import ERASED, RetentionPeriod
from mediation_domain.reports import dimensions

EXIT_OK, EXIT_CHECK_FAILED, EXIT_REFUSED = 0, 1, 2

Handler = Callable[[Mediations, argparse.Namespace], int]


class _Identified(Protocol):
    @property
    def id(self) -> int: ...


R = TypeVar("R", bound=_Identified)


_QUOTED = re.compile(r"'([^']*)'")


class _Parser(argparse.ArgumentParser):
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
        # argparse repeats what it refuses whole ("invalid choice: '...'"): cut it short.
        message = shortened(_QUOTED.sub(lambda found: quoted(found[1]), message))
        self.exit(EXIT_REFUSED, f"{self.prog}: {message} (see --help)\n")


def _codes(vocabulary: Iterable[object]) -> str:
    return ", ".join(str(getattr(member, "value", member)) for member in vocabulary)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        message = f"invalid date {quoted(text)}: expected YYYY-MM-DD"
        raise argparse.ArgumentTypeError(message) from None


_A_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_TO_THE_MINUTE = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?:[+-]\d{2}:\d{2}|Z)?")


def _as_of(text: str) -> int | datetime:
    """An event number, or a time: to the minute (as `show` prints), the minute's end.

    No offset: the service's time, read in _show (as `report --as-of` does).
    """
    if text.isdigit():
        return _positive(text)
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


def _shown(moment: datetime, zone: ZoneInfo) -> str:
    """A time as `show` prints it, and `--as-of` reads it back: the service's, with offset."""
    return moment.astimezone(zone).isoformat(timespec="minutes")


def _case_from_export(path: Path, case: str) -> Mediations:
    """An in-memory application holding one case's records from an export file."""
    from eventsourcing.persistence import StoredEvent  # noqa: PLC0415

    from mediation_adapters.export import Export  # noqa: PLC0415

    try:
        wanted = UUID(case)
    except ValueError:
        message = f"invalid case id {quoted(case)}: expected a UUID"
        raise InvalidInputError(message) from None
    app = Mediations()
    app.recorder.insert_events(
        [
            StoredEvent(r.originator_id, r.originator_version, r.topic, r.state)
            for r in Export(path).records()
            if r.originator_id == wanted
        ]
    )
    return app


def _uuid(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        message = f"invalid case id {quoted(text)}: expected a UUID"
        raise argparse.ArgumentTypeError(message) from None


_HOST_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")


def _host(text: str) -> str:
    """An IP address or a host name to listen on."""
    with contextlib.suppress(ValueError):
        return str(ipaddress.ip_address(text))
    if len(text) <= 253 and all(_HOST_LABEL.fullmatch(label) for label in text.split(".")):  # noqa: PLR2004 - DNS's limit
        return text
    message = f"invalid --host {quoted(text)}: an IP address or a host name"
    raise argparse.ArgumentTypeError(message)


def _port(text: str) -> int:
    """A TCP port to listen on."""
    if not (text.isascii() and text.isdigit() and len(text) <= 5 and 0 < int(text) <= 65535):  # noqa: PLR2004
        message = f"invalid --port {quoted(text)}: a number from 1 to 65535"
        raise argparse.ArgumentTypeError(message)
    return int(text)


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        message = f"invalid event number {quoted(text)}: expected 1, 2, ..."
        raise argparse.ArgumentTypeError(message)
    return int(text)


# Output ----------------------------------------------------------------------------------


def _emit_json(data: object) -> None:
    print(json.dumps(data, ensure_ascii=False, indent=2))


def _print_case(view: CaseView, zone: ZoneInfo) -> None:
    rows = [
        ("status", f"{view.status.value} (version {view.version})"),
        ("domain", view.domain.value),
        ("neighbourhood", view.neighbourhood),
        ("referral", view.referral.value),
        ("requested", _shown(view.requested_at, zone)),
        ("last event", _shown(view.updated_at, zone)),
        ("summary", view.summary or "-"),
        ("mediator", view.mediator or "-"),
    ]
    for p in view.parties:
        contact = f"  {p.contact}" if p.contact else ""
        rows.append(("party", f"{p.id}  {p.name}  (consent {p.consent.value}){contact}"))
    for s in view.sessions:
        rows.append(("session", f"{s.held_on}  {s.kind.value}  {', '.join(s.attendees)}"))
        if s.notes:
            rows.append(("  notes", s.notes))
    if view.erased:
        rows.append(("erased", ", ".join(view.erased)))
    if view.outcome:
        rows.append(("outcome", view.outcome.value))
    if view.withdrawn_by:
        rows.append(("withdrawn", f"by {view.withdrawn_by.value} ({view.withdrawal_reason})"))
    print(f"case {view.case_id}")
    for label, value in rows:
        print(f"  {label:<14}{value}")


def _print_list(views: Iterable[CaseView], zone: ZoneInfo) -> None:
    """One line a case, printed as the cases are read (a long history is never held)."""
    header = ("case", "requested", "status", "neighbourhood", "domain", "mediator", "events")
    shown = False
    for v in views:
        if not shown:
            print("{:<36}  {:<10}  {:<17}  {:<13}  {:<24}  {:<10}  {}".format(*header))
            shown = True
        print(
            f"{v.case_id!s:<36}  {v.requested_at.astimezone(zone):%Y-%m-%d}  "
            f"{v.status.value:<17}  {v.neighbourhood:<13}  "
            f"{v.domain.value:<24}  {v.mediator or '-':<10}  {v.version}"
        )
    if not shown:
        print("no case matches")


def _emit_json_list(items: Iterable[object]) -> None:
    """The JSON `_emit_json` prints for a list, written an item at a time."""
    opened = False
    for item in items:
        text = json.dumps(item, ensure_ascii=False, indent=2).replace("\n", "\n  ")
        print(",\n  " if opened else "[\n  ", text, sep="", end="")
        opened = True
    print("\n]" if opened else "[]")


def _done(app: Mediations, args: argparse.Namespace) -> int:
    view = app.get_case(args.case)
    if args.json:
        _emit_json(view.to_dict() | {"recorded": True})
    else:
        print(f"recorded: case {view.case_id} is {view.status.value} (version {view.version})")
    return EXIT_OK


# Commands --------------------------------------------------------------------------------


def _request(app: Mediations, args: argparse.Namespace) -> int:
    args.case = app.request_mediation(
        domain=args.domain,
        neighbourhood=args.neighbourhood,
        referral=args.referral,
        parties=args.party,
        summary=args.summary,
        party_ids=args.party_id,
        contacts=args.contact,
    )
    if args.json:
        return _done(app, args)
    view = app.get_case(args.case)
    print(f"case {view.case_id}")
    for party in view.parties:
        print(f"  party {party.id}  {party.name}")
    return EXIT_OK


def _join(app: Mediations, args: argparse.Namespace) -> int:
    party = app.join_party(args.case, name=args.name, party_id=args.party_id, contact=args.contact)
    if not args.json:
        print(f"party {party}")
    return _done(app, args)


def _assign(app: Mediations, args: argparse.Namespace) -> int:
    app.assign_mediator(args.case, mediator=args.mediator, ties=args.tie, waived_by=args.waived_by)
    return _done(app, args)


def _withdraw_mediator(app: Mediations, args: argparse.Namespace) -> int:
    app.withdraw_mediator(args.case, mediator=args.mediator, reason=args.reason)
    return _done(app, args)


def _consent(app: Mediations, args: argparse.Namespace) -> int:
    return _consented(app, args, recorded=app.give_consent(args.case, party=args.party))


def _withdraw_consent(app: Mediations, args: argparse.Namespace) -> int:
    return _consented(app, args, recorded=app.withdraw_consent(args.case, party=args.party))


def _refuse_consent(app: Mediations, args: argparse.Namespace) -> int:
    return _consented(app, args, recorded=app.refuse_consent(args.case, party=args.party))


def _consented(app: Mediations, args: argparse.Namespace, *, recorded: bool) -> int:
    """`_done`, or, when the command changed nothing, say so (exit 0: it is harmless)."""
    if recorded:
        return _done(app, args)
    view = app.get_case(args.case)
    if args.json:
        _emit_json(view.to_dict() | {"recorded": False})
        return EXIT_OK
    consent = next(p.consent.value for p in view.parties if p.id == args.party)
    print(
        f"nothing to record: {args.party}'s consent is {consent}; case {view.case_id} stays "
        f"{view.status.value} (version {view.version})"
    )
    return EXIT_OK


def _session(app: Mediations, args: argparse.Namespace) -> int:
    app.hold_session(
        args.case, kind=args.kind, attendees=args.attendee, held_on=args.date, notes=args.notes
    )
    return _done(app, args)


def _withdraw(app: Mediations, args: argparse.Namespace) -> int:
    app.withdraw(args.case, by=args.by, reason=args.reason)
    return _done(app, args)


def _resolve(app: Mediations, args: argparse.Namespace) -> int:
    app.resolve(args.case, outcome=args.outcome)
    return _done(app, args)


def _show(app: Mediations, args: argparse.Namespace) -> int:
    if isinstance(args.as_of, datetime):
        zone = time_zone(args.settings.time_zone)
        at = args.as_of if args.as_of.tzinfo else args.as_of.replace(tzinfo=zone)
        view = app.get_case(args.case, at=at)
    else:
        view = app.get_case(args.case, version=args.as_of)
    if args.json:
        _emit_json(view.to_dict())
    else:
        _print_case(view, time_zone(args.settings.time_zone))
    return EXIT_OK


def _list(app: Mediations, args: argparse.Namespace) -> int:
    wanted = {
        "status": args.status,
        "neighbourhood": args.neighbourhood,
        "domain": args.domain,
        "mediator": args.mediator,
    }
    after: str | None = None
    if args.limit is None and args.after is None:
        views: Iterable[CaseView] = app.iter_cases(**wanted)
    else:
        page = app.cases_page(**wanted, after=args.after, limit=args.limit or MOST_CASES)
        views, after = page.cases, page.after
    if args.json:
        _emit_json_list(view.to_dict() for view in views)
    else:
        _print_list(views, time_zone(args.settings.time_zone))
    if after is not None:
        again = " ".join(
            f"--{name} {shlex.quote(value)}" for name, value in wanted.items() if value is not None
        )
        limit = f" --limit {args.limit}" if args.limit else ""
        print(
            f"more cases follow: mediation list {again}{limit} --after {after}".replace("  ", " "),
            file=sys.stderr,
        )
    return EXIT_OK


def _page_size(text: str) -> int:
    if not (text.isascii() and text.isdigit() and 1 <= int(text) <= MOST_CASES):
        message = f"invalid --limit {quoted(text)}: a number of cases from 1 to {MOST_CASES}"
        raise argparse.ArgumentTypeError(message)
    return int(text)


def _demo(app: Mediations, args: argparse.Namespace) -> int:
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
    statuses = [status.value for status in CaseStatus]
    by_place = Counter((v.neighbourhood, v.status.value) for v in cases)
    print(f"\n{'neighbourhood':<14}" + "".join(f"{s:>19}" for s in statuses) + f"{'total':>7}")
    for place in app.neighbourhoods.names:
        counts = [by_place[place, s] for s in statuses]
        print(f"{place:<14}" + "".join(f"{n:>19}" for n in counts) + f"{sum(counts):>7}")
    by_domain = Counter(v.domain.value for v in cases)
    print(
        "\nBy domain: " + ", ".join(f"{d.value} {by_domain[d.value]}" for d in InterventionDomain)
    )
    for subject in run.erased:
        print(f"\nErased on request (GDPR): {subject}; its values now read {ERASED}.")
    me = _invoked_as(args)
    print(f"\nNext: {me} list   |   {me} show {run.cases[0]}")
    print(f"      {me} report --exact   |   {me} report --format html > report.html")
    return EXIT_OK


def _invoked_as(args: argparse.Namespace) -> str:
    """How to run this program again on this store.

    `mediation` when the shell finds this program so, else the path it was run by; then
    the --store given on the command line (not one the environment gives), password hidden.
    """
    found = shutil.which("mediation")
    here = Path(sys.argv[0])
    if found and here.exists() and Path(found).resolve() == here.resolve():
        me = "mediation"
    else:
        me = shlex.quote(str(here)) if here.name == "mediation" else "mediation"
    if args.store != args.settings.store:
        me += f" --store {shlex.quote(redacted(args.store))}"
    return me


def _report(app: Mediations, args: argparse.Namespace) -> int:
    zone = time_zone(args.settings.time_zone)
    period = report_period(args.start, args.end, args.as_of, exact=args.exact, zone=zone)
    by = dimensions(args.by.split(","))  # checked before the view is read
    view = ReportView(app)
    try:
        if args.rebuild:
            folded = view.rebuild()
            print(f"report facts rebuilt from {folded} events", file=sys.stderr)
        report = view.report(period, exact=args.exact)
        text = render(report, args.format, lang=args.lang, by=by)
    finally:
        view.close()
    sys.stdout.write(text)
    return EXIT_OK


# Privacy ---------------------------------------------------------------------------------


def _erase(app: Mediations, args: argparse.Namespace) -> int:
    erasure = app.erase_subject(args.subject, reason=args.reason)
    cases = len(erasure.cases)
    if args.json:
        _emit_json(erasure.to_dict())
    elif erasure.key_deleted:
        print(
            f"erased {erasure.subject}: key deleted, recorded on {erasure.recorded} of "
            f"{cases} case(s); its values now read {ERASED}"
        )
    elif erasure.recorded:
        print(f"erased {erasure.subject}: recorded on {erasure.recorded} of {cases} case(s)")
    else:
        print(f"{erasure.subject} was already erased ({cases} case(s)): nothing to do")
    return _erasure_residue([erasure.subject], erasure.in_clear, purged=erasure.purged)


def _erasure_residue(subjects: Sequence[str], in_clear: int, *, purged: bool) -> int:
    """Say what an erasure could not reach; exit 1 when something remains."""
    status = EXIT_OK
    if in_clear:
        print(
            f"mediation: {in_clear} value(s) of {', '.join(subjects)} were stored in clear by "
            "release 0.1: deleting a key cannot erase them; copy the store (mediation copy "
            "--to URL) and destroy this one",
            file=sys.stderr,
        )
        status = EXIT_CHECK_FAILED
    if not purged:
        print(
            "mediation: another connection held the SQLite log: the deleted key's old bytes "
            "may stay in the -wal file until it is reset; run the erasure again when quiet",
            file=sys.stderr,
        )
        status = EXIT_CHECK_FAILED
    return status


def _retention(app: Mediations, args: argparse.Namespace) -> int:
    period = RetentionPeriod.parse(args.older_than)
    due = app.apply_retention(period) if args.apply else app.retention_due(period)
    if args.json:
        _emit_json(
            [
                {
                    "case_id": str(d.case_id),
                    "status": d.status.value,
                    "last_contact": d.last_contact.isoformat(),
                    "erase": list(d.subjects),
                    "kept": list(d.kept),
                }
                for d in due
            ]
        )
    else:
        for d in due:
            kept = f"  (kept, in a later case: {', '.join(d.kept)})" if d.kept else ""
            print(
                f"{d.case_id}  {d.status.value:<9}  last contact {d.last_contact:%Y-%m-%d}  "
                f"{', '.join(d.subjects) or '-'}{kept}"
            )
        verb = "erased" if args.apply else "would erase (dry run: add --apply)"
        subjects = sum(len(d.subjects) for d in due)
        print(
            f"{len(due)} case(s) closed, no contact for over {period}: {verb} {subjects} subject(s)"
        )
    if not args.apply:
        return EXIT_OK
    named = [subject for d in due for subject in d.subjects]
    shown = [*named[:3], "..."] if len(named) > 3 else named  # noqa: PLR2004 - a few names
    return _erasure_residue(shown, sum(d.in_clear for d in due), purged=app.sealer.purge())


def _copy(app: Mediations, args: argparse.Namespace) -> int:
    from mediation_adapters.copy import copy_store  # noqa: PLC0415

    if redacted(args.to) == redacted(args.store):
        raise InvalidInputError("copy into a new store, not into the store itself")
    key = read_store_key(Path(args.to_key_file)) if args.to_key_file is not None else None
    target = open_store(args.to, store_key=key)
    try:
        report = copy_store(app, target)
    finally:
        target.close()
    print(
        f"copied {report.events} events to {redacted(args.to)}: {report.resealed} personal "
        f"values sealed again ({report.from_clear} of them had been stored in clear), "
        f"{report.erased_subjects} erased subject(s) kept erased"
    )
    if report.unreadable:
        print(f"{report.unreadable} value(s) had no key in the source: copied as they were")
    print(
        "next: seal the new store's audit chain (mediation audit seal), then destroy the old "
        "store once your auditors no longer need it"
    )
    return EXIT_OK


def _serve(args: argparse.Namespace) -> int:
    try:
        import uvicorn  # noqa: PLC0415 - the http extra

        from mediation_adapters.http import create_app  # noqa: PLC0415
    except ImportError:
        message = (
            "serving needs the http extra: pip install '.[http]' in a clone of mediation-domain"
        )
        raise InvalidInputError(message) from None
    from mediation_adapters.tokens import Tokens  # noqa: PLC0415

    tokens = Tokens.load(Path(args.tokens))
    app = _open(args)
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


def _tokens_add(args: argparse.Namespace) -> int:
    from mediation_adapters.tokens import add_token  # noqa: PLC0415

    token = add_token(Path(args.file), args.role, args.identity, days=args.days)
    print(token)
    print(
        f"token for {args.role} {args.identity} (shown once; {args.file} keeps its digest only)",
        file=sys.stderr,
    )
    return EXIT_OK


def _keys_new(args: argparse.Namespace) -> int:
    from mediation_adapters.keystores import new_store_key  # noqa: PLC0415

    fingerprint = new_store_key(Path(args.out))
    print(f"store key {fingerprint} written to {args.out} (mode 0600): keep it out of the store")
    return EXIT_OK


def _keys_rotate(args: argparse.Namespace) -> int:
    old = args.settings.store_key()
    if old is None:
        message = "give the current store key with MEDIATION_STORE_KEY_FILE or MEDIATION_STORE_KEY"
        raise InvalidInputError(message)
    new = read_store_key(Path(args.new_key_file))
    with _at_rest(args, old) as bundle:
        old_id, new_id = bundle.rotate_store_key(old, new)
    print(f"store key rotated: {old_id} -> {new_id}; the data key was re-wrapped, events untouched")
    print("from now on open the store with the new key; backups made before need the old one")
    return EXIT_OK


def _keys_status(args: argparse.Namespace) -> int:
    with _at_rest(args, args.settings.store_key()) as bundle:
        rows = bundle.store_key_status()
        counts = bundle.key_store().counts()
    at_rest = f"yes, store key {rows[0]} (since {rows[1]})" if rows else "no"
    print(f"encrypted at rest: {at_rest}")
    print(f"data subjects: {counts['live']} with a live key, {counts['erased']} erased")
    return EXIT_OK


@contextmanager
def _at_rest(args: argparse.Namespace, key: bytes | None) -> Iterator[Any]:
    """The existing store (never created here), if it keeps a store key (a SQL store)."""
    bundle = open_bundle(args.store, store_key=key, create=False)
    try:
        if not hasattr(bundle, "store_key_status"):
            message = f"the store {bundle.name} keeps no store key (encryption at rest)"
            raise StoreError(message)
        yield bundle
    finally:
        bundle.close()


def _open(args: argparse.Namespace) -> Mediations:
    return build(args.settings, url=args.store)


# Audit -----------------------------------------------------------------------------------


def _key_path(given: str | None, configured: str, variable: str, what: str) -> Path:
    path = given or configured
    if not path:
        message = f"give the {what} with --{what.replace(' ', '-')} or {variable}"
        raise InvalidInputError(message)
    return Path(path)


def _audit_keygen(args: argparse.Namespace) -> int:
    from mediation_adapters.signing import generate_keys  # noqa: PLC0415

    fingerprint = generate_keys(Path(args.private_key), Path(args.public_key))
    print(
        f"key {fingerprint}: private {args.private_key} (keep it out of the store), "
        f"public {args.public_key} (give it to auditors)"
    )
    return EXIT_OK


def _audit_seal(app: Mediations, args: argparse.Namespace) -> int:
    from mediation_adapters.signing import load_signer  # noqa: PLC0415

    signer = load_signer(
        _key_path(
            args.private_key,
            args.settings.audit_private_key,
            "MEDIATION_AUDIT_PRIVATE_KEY",
            "private key",
        )
    )
    ledger = Ledger.of(app)
    try:
        checkpoint = ledger.seal(app, signer)
    finally:
        ledger.close()
    if checkpoint is None:
        print("nothing recorded since the last checkpoint: nothing to seal")
    else:
        print(
            f"sealed up to record {checkpoint.position}: head {checkpoint.head[:16]}… "
            f"signed by {checkpoint.key_id}"
        )
    return EXIT_OK


def _audit_verify(args: argparse.Namespace) -> int:
    from mediation_adapters.signing import load_check  # noqa: PLC0415

    check = load_check(
        _key_path(
            args.public_key,
            args.settings.audit_public_key,
            "MEDIATION_AUDIT_PUBLIC_KEY",
            "public key",
        )
    )
    with _history(args) as (stored, checkpoints, sealed, _, last_id):
        if sealed is None:  # one case's export: each record is checked on its own
            excerpt = ((r, r.previous, r.sealed) for r in _progress(stored, "verify"))
            report = verify_excerpt(excerpt, checkpoints, check)
        else:
            report = verify(_progress(stored, "verify", last_id), checkpoints, check, sealed)
    if args.json:
        _emit_json(attrs.asdict(report) | {"ok": report.ok})
    else:
        print(
            f"{report.records} records; sealed up to {report.sealed_up_to}; "
            f"{report.unsealed} recorded since the last checkpoint"
        )
        if not report.head:
            print(
                "one case's export: each record is checked against its sealed link; only "
                "the full log can be held to every signed head"
            )
        for problem in report.problems:
            where = f" (case {problem.case_id})" if problem.case_id else ""
            print(f"  {problem.kind} at {problem.position}{where}: {problem.message}")
        print("intact" if report.ok else f"TAMPERED: {len(report.problems)} problem(s)")
    return EXIT_OK if report.ok else EXIT_CHECK_FAILED


def _audit_replay(args: argparse.Namespace) -> int:
    from mediation_adapters.ledger import replay  # noqa: PLC0415

    with _history(args) as (stored, _, __, mapper, last_id):
        findings = list(replay(_progress(stored, "replay", last_id), mapper))
    if args.json:
        _emit_json(
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


def _audit_export(app: Mediations, args: argparse.Namespace) -> int:
    from mediation_adapters.export import write_export  # noqa: PLC0415

    ledger = Ledger.of(app)
    try:
        with Path(args.out).open("x", encoding="utf-8") as out:
            count = write_export(app, ledger, out, until=args.until, case=args.case)
    except FileExistsError:
        message = f"{args.out} exists: refusing to overwrite an export"
        raise InvalidInputError(message) from None
    finally:
        ledger.close()
    print(f"exported {count} records to {args.out}")
    return EXIT_OK


@contextmanager
def _history(args: argparse.Namespace) -> Iterator[tuple[Any, Any, Any, Any, int | None]]:
    """(records, checkpoints, sealed chain, mapper, last id) from an export or the store."""
    if args.file:
        from mediation_adapters.export import Export  # noqa: PLC0415

        export = Export(Path(args.file))
        sealed = None if export.case else export.sealed()
        yield export.records(), export.checkpoints, sealed, Mediations().mapper, None
        return
    from mediation_adapters.ledger import logical_mapper, records  # noqa: PLC0415

    app = _open(args)
    ledger = Ledger.of(app)
    try:
        last_id = app.recorder.max_notification_id()
        mapper = logical_mapper(app)
        yield records(app), ledger.checkpoints(), ledger.sealed(), mapper, last_id
    finally:
        ledger.close()
        app.close()


def _progress(items: Iterable[R], label: str, last_id: int | None = None) -> Iterator[R]:
    """Pass records through, showing count, rate and time left on a terminal (not when piped).

    `last_id`, the store's last notification id, gives the time left; an export has none.
    """
    if not sys.stderr.isatty():
        yield from items
        return
    started = shown = time.monotonic()
    count = 0
    for count, item in enumerate(items, start=1):
        yield item
        now = time.monotonic()
        if now - shown > 0.2:  # noqa: PLR2004 - five refreshes a second
            rate = count / (now - started)
            left = f", {(last_id - item.id) / rate:,.0f} s left" if last_id else ""
            print(f"\r{label}: {count:,} records, {rate:,.0f}/s{left}   ", end="", file=sys.stderr)
            shown = now
    print(f"\r{label}: {count:,} records{' ' * 40}", file=sys.stderr)


# Who may run what: the policy of mediation_domain.authorisation, as over HTTP.
_ACTIONS: dict[Handler, Action] = {
    _demo: Action.REQUEST,
    _request: Action.REQUEST,
    _join: Action.ACT_ON_CASE,
    _assign: Action.ASSIGN,
    _withdraw_mediator: Action.MEDIATOR_WITHDRAWS,
    _consent: Action.ACT_ON_CASE,
    _withdraw_consent: Action.ACT_ON_CASE,
    _refuse_consent: Action.ACT_ON_CASE,
    _session: Action.ACT_ON_CASE,
    _withdraw: Action.ACT_ON_CASE,
    _resolve: Action.ACT_ON_CASE,
    _show: Action.READ_CASE,
    _list: Action.LIST_CASES,
    _report: Action.REPORT,
    _erase: Action.ERASE,
    _retention: Action.ERASE,
    _copy: Action.ADMINISTER,
    _audit_seal: Action.AUDIT,
    _audit_export: Action.AUDIT,
}
_STANDALONE_ACTIONS: dict[Callable[[argparse.Namespace], int], Action] = {
    _audit_keygen: Action.ADMINISTER,
    _audit_verify: Action.AUDIT,
    _audit_replay: Action.AUDIT,
    _keys_new: Action.ADMINISTER,
    _keys_rotate: Action.ADMINISTER,
    _keys_status: Action.ADMINISTER,
    _serve: Action.ADMINISTER,
    _tokens_add: Action.ADMINISTER,
}
_ON_ONE_CASE = frozenset(
    {Action.READ_CASE, Action.ACT_ON_CASE, Action.MEDIATOR_WITHDRAWS, Action.ASSIGN}
)


# Parser ----------------------------------------------------------------------------------


def _command(  # noqa: PLR0913 - a command's parts, declared together
    commands: argparse._SubParsersAction[_Parser],
    name: str,
    handler: Handler,
    summary: str,
    *,
    case: bool = True,
    json_help: str | None = "print the case as JSON",
) -> _Parser:
    parser = commands.add_parser(name, help=summary, description=summary)
    if case:
        parser.add_argument("case", help="the case id (a UUID)")
    if json_help:
        parser.add_argument("--json", action="store_true", help=json_help)
    parser.set_defaults(handler=handler)
    return parser


def _add_report(commands: argparse._SubParsersAction[_Parser]) -> None:
    p = commands.add_parser(
        "report",
        help="activity indicators for funders (partners' view unless --exact)",
        description="Activity indicators by neighbourhood, domain and month, with no personal "
        "data. Unless --exact, counts from 1 to 4 show as '< 5' and the period is whole "
        "finished months: what a partner or funder may receive.",
    )
    p.add_argument("--from", dest="start", help="first month or day (YYYY-MM[-DD]); default Jan 1")
    p.add_argument("--to", dest="end", help="last month or day; default the last finished month")
    p.add_argument("--as-of", help="the history as it stood then: a day or a time")
    p.add_argument("--by", default=",".join(DEFAULT_BY), help="rows by neighbourhood,domain,month")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.add_argument("--lang", choices=LANGUAGES, default="fr")
    p.add_argument("--exact", action="store_true", help="exact counts: the service's own use")
    p.add_argument("--rebuild", action="store_true", help="fold the whole history again first")
    p.set_defaults(handler=_report)


def _add_audit(commands: argparse._SubParsersAction[_Parser]) -> None:
    audit = commands.add_parser("audit", help="tamper evidence and the auditor's replay")
    steps = audit.add_subparsers(title="audit commands", metavar="STEP", required=True)
    p = steps.add_parser("keygen", help="create the Ed25519 key pair that signs checkpoints")
    p.add_argument("--private-key", required=True, help="file for the private key (mode 0600)")
    p.add_argument("--public-key", required=True, help="file for the public key")
    p.set_defaults(standalone=_audit_keygen)
    p = steps.add_parser("seal", help="sign a checkpoint over everything recorded so far")
    p.add_argument("--private-key", help="the private key file (env MEDIATION_AUDIT_PRIVATE_KEY)")
    p.set_defaults(handler=_audit_seal)
    p = steps.add_parser(
        "verify", help="prove the stored history was not altered (exit 1 if it was)"
    )
    p.add_argument("--public-key", help="the public key file (env MEDIATION_AUDIT_PUBLIC_KEY)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument("file", nargs="?", help="an export to verify offline (default: the store)")
    p.set_defaults(standalone=_audit_verify)
    p = steps.add_parser(
        "replay", help="re-run the deontology over the history (exit 1 on violations)"
    )
    p.add_argument("--json", action="store_true", help="print the violations as JSON")
    p.add_argument("file", nargs="?", help="an export to replay offline (default: the store)")
    p.set_defaults(standalone=_audit_replay)
    p = steps.add_parser("export", help="write the history as JSON Lines for an auditor")
    p.add_argument("--out", required=True, help="the file to write (never overwritten)")
    p.add_argument("--until", type=_positive, help="stop after record N")
    p.add_argument("--case", type=_uuid, help="export one case only")
    p.set_defaults(handler=_audit_export)


def _add_http(commands: argparse._SubParsersAction[_Parser], settings: Settings) -> None:
    p = commands.add_parser("serve", help="serve the HTTP API (extra mediation-domain[http])")
    p.add_argument("--host", type=_host, default="127.0.0.1", help="the address to listen on")
    p.add_argument("--port", type=_port, default=8000, help="the port (default 8000)")
    p.add_argument(
        "--tokens",
        default=settings.tokens,
        help="the token file (env MEDIATION_TOKENS; default tokens.json)",
    )
    p.set_defaults(standalone=_serve)
    tokens = commands.add_parser("tokens", help="bearer tokens of the HTTP API")
    steps = tokens.add_subparsers(title="token commands", metavar="STEP", required=True)
    p = steps.add_parser("add", help="make a token for a role and identity; prints it once")
    p.add_argument("--file", default=settings.tokens)
    p.add_argument("--role", required=True, help="mediator, coordinator, partner or auditor")
    p.add_argument("--identity", required=True, help="who: a mediator's id, a partner's name")
    p.add_argument("--days", type=int, help="the token expires after this many days")
    p.set_defaults(standalone=_tokens_add)


def _add_privacy(commands: argparse._SubParsersAction[_Parser], settings: Settings) -> None:
    p = _command(
        commands,
        "erase",
        _erase,
        "erase a data subject's personal data for good",
        case=False,
        json_help="print what the erasure did as JSON",
    )
    p.add_argument("subject", help="a party id, or a case id (its summary and notes)")
    p.add_argument("--reason", default="data-subject-request", help="a reason code (no free text)")
    p = _command(
        commands,
        "retention",
        _retention,
        "list (or --apply: erase) personal data of cases closed with no contact for a period",
        case=False,
        json_help="print the cases due as one JSON array",
    )
    p.add_argument(
        "--older-than",
        default=settings.retention,
        help="2y, 18m, 6w or 90d (env MEDIATION_RETENTION; default 2y)",
    )
    p.add_argument("--apply", action="store_true", help="erase; without it, only list")
    p = _command(
        commands,
        "copy",
        _copy,
        "copy the store into a new one, sealing every personal value again",
        case=False,
        json_help=None,
    )
    p.add_argument("--to", required=True, help="the new, empty store's URL")
    p.add_argument("--to-key-file", help="encrypt the new store at rest with this store key")
    keys = commands.add_parser("keys", help="the store key (encryption at rest)")
    steps = keys.add_subparsers(title="key commands", metavar="STEP", required=True)
    p = steps.add_parser("new", help="write a new random store key file")
    p.add_argument("--out", required=True, help="the key file to create (mode 0600)")
    p.set_defaults(standalone=_keys_new)
    p = steps.add_parser(
        "rotate", help="re-wrap the store's data key under a new store key (see docs/privacy.md)"
    )
    p.add_argument("--new-key-file", required=True, help="the new store key (keys new --out)")
    p.set_defaults(standalone=_keys_rotate)
    p = steps.add_parser("status", help="whether the store is encrypted; how many subjects")
    p.set_defaults(standalone=_keys_status)


def _add_queries(commands: argparse._SubParsersAction[_Parser]) -> None:
    p = _command(commands, "show", _show, "show a case, now or as of an event number")
    p.add_argument(
        "--as-of",
        type=_as_of,
        help="the case as it stood after event N, or at a time as show prints it "
        "(2026-05-01T12:00+02:00; to the minute: the minute's end; without an offset: the "
        "service's time, MEDIATION_TIMEZONE)",
    )
    p.add_argument("--from", dest="source", help="read the case from an audit export file")

    p = _command(
        commands,
        "list",
        _list,
        "list cases",
        case=False,
        json_help="print the cases as one JSON array",
    )
    p.epilog = (
        "Cases are printed in request order as they are read, a page of the store at a "
        "time. If the store fails midway, the output stops there (with --json, an "
        "unfinished array) and the exit code is 2: only a 0 exit means the whole list. "
        "With --limit, the command that prints the next page is written to stderr."
    )
    p.add_argument("--limit", type=_page_size, help=f"at most this many cases (1 to {MOST_CASES})")
    p.add_argument("--after", help="the cursor a limited list gave, for the next page")
    p.add_argument("--status", help=_codes(CaseStatus))
    p.add_argument("--neighbourhood")
    p.add_argument("--domain", help=_codes(InterventionDomain))
    p.add_argument("--mediator")


def _parser(settings: Settings) -> _Parser:
    parser = _Parser(prog="mediation", description=__doc__.splitlines()[0])
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
    commands = parser.add_subparsers(title="commands", metavar="COMMAND", required=True)

    p = _command(
        commands,
        "demo",
        _demo,
        "record a realistic set of Poitiers mediations",
        case=False,
        json_help=None,
    )
    p.add_argument(
        "--week-only",
        action="store_true",
        help="only the week of stories, not the year of routine cases an empty store gets first",
    )

    p = _command(commands, "request", _request, "open a case", case=False)
    p.add_argument("--domain", required=True, help=_codes(InterventionDomain))
    p.add_argument("--neighbourhood", required=True, help="a configured neighbourhood")
    p.add_argument("--referral", required=True, help=_codes(ReferralSource))
    p.add_argument("--party", action="append", required=True, help="a party's name (repeat)")
    p.add_argument("--party-id", action="append", help="pseudonymous id per party (repeat)")
    p.add_argument("--summary", default="", help="what the mediation is about")
    p.add_argument("--contact", action="append", help="a contact per party, in order (repeat)")

    p = _command(commands, "join", _join, "add a party to a case")
    p.add_argument("--name", required=True, help="the party's name")
    p.add_argument("--party-id", help="a pseudonymous id (generated if omitted)")
    p.add_argument("--contact", default="", help="how to reach the party (sealed)")

    p = _command(commands, "assign", _assign, "assign a mediator (with their declaration of ties)")
    p.add_argument("--mediator", required=True, help="the mediator's id")
    p.add_argument(
        "--tie", action="append", default=[], help="party id the mediator has a tie with"
    )
    p.add_argument(
        "--waived-by", action="append", default=[], help="party id who waived in writing"
    )

    p = _command(
        commands, "withdraw-mediator", _withdraw_mediator, "the mediator refuses or withdraws"
    )
    p.add_argument("--mediator", required=True, help="the assigned mediator's id")
    p.add_argument("--reason", required=True, help="a reason code, e.g. conflict-of-interest")

    for name, handler, summary in (
        ("consent", _consent, "a party gives consent"),
        ("withdraw-consent", _withdraw_consent, "a party withdraws consent (no reason needed)"),
        ("refuse-consent", _refuse_consent, "a party refuses to take part"),
    ):
        p = _command(commands, name, handler, summary)
        p.add_argument("--party", required=True, help="the party's id")

    p = _command(commands, "session", _session, "record a session held")
    p.add_argument("--kind", required=True, help=_codes(SessionKind))
    p.add_argument("--attendee", action="append", required=True, help="party id present (repeat)")
    p.add_argument("--date", type=_day, help="YYYY-MM-DD (default today)")
    p.add_argument("--notes", default="", help="the mediator's notes (sealed for the case)")

    p = _command(commands, "withdraw", _withdraw, "end a mediation before its resolution")
    p.add_argument("--by", required=True, help=_codes(WithdrawnBy))
    p.add_argument("--reason", required=True, help="a reason code, e.g. no-longer-needed")

    p = _command(commands, "resolve", _resolve, "end a mediation with its outcome")
    p.add_argument("--outcome", required=True, help=_codes(Outcome))

    _add_queries(commands)
    _add_report(commands)
    _add_audit(commands)
    _add_privacy(commands, settings)
    _add_http(commands, settings)

    return parser


def _authorise(
    app: Mediations, principal: Principal, handler: Handler, args: argparse.Namespace
) -> None:
    """Hold the command to the same policy as the HTTP API (`--as ROLE:IDENTITY`)."""
    action = _ACTIONS[handler]
    authorise(principal, action)
    case = getattr(args, "case", None)
    if case is not None and action in _ON_ONE_CASE and not getattr(args, "source", None):
        authorise(principal, action, (case, app.get_case(case).mediator))
    if handler is _list and not sees_all_cases(principal):
        args.mediator = principal.identity  # a mediator lists their own cases
    if handler is _join and args.party_id is not None:
        authorise(principal, Action.NAME_PARTY_IDS)
    if handler is _withdraw_mediator:
        authorise_speaking_for(principal, args.mediator)
    if handler is _report and args.exact:
        authorise(principal, Action.REPORT_EXACT)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `mediation` command; returns its exit code."""
    settings = Settings.from_environ(os.environ)  # the one place the settings are read
    args = _parser(settings).parse_args(argv)
    args.settings = settings
    try:
        principal = principal_from(args.as_principal)
        standalone: Callable[[argparse.Namespace], int] | None = getattr(args, "standalone", None)
        if standalone is not None:
            authorise(principal, _STANDALONE_ACTIONS[standalone])
            return standalone(args)
        handler: Handler = args.handler
        authorise(principal, _ACTIONS[handler])  # the role first: before any setting is read
        source = getattr(args, "source", None)  # show --from reads an export, not the store
        app = _case_from_export(Path(source), args.case) if source else _open(args)
        try:
            _authorise(app, principal, handler, args)
            return handler(app, args)
        finally:
            app.close()
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
