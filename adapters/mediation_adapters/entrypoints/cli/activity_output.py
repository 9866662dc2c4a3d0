"""What the activity commands print: an activity's facts, a table of them, or JSON.

Facts come from the activity index and hold no person's name: an oriented person shows
as their pseudonymous id (or "anonymous"); only `orientation ID` adds the name it opened.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from mediation_adapters.config import time_zone
from mediation_adapters.entrypoints.cli.arguments import EXIT_OK
from mediation_adapters.entrypoints.cli.output import emit_json, emit_json_list, shown

Doc = dict[str, Any]
Facts = list[tuple[str, str]]
# A column of a table: its header, its width (0: the last, as wide as it gets), its text.
Column = tuple[str, int, Callable[[Doc, ZoneInfo], str]]

WORDS = {
    "round": "round",
    "action": "collective action",
    "watch": "watch report",
    "orientation": "orientation",
}


def printed(doc: Doc, what: str, args: argparse.Namespace) -> int:
    """An activity: its id first, then what was recorded on it and its facts (or its JSON).

    `what` is empty when nothing was recorded (a read); a "name" in `doc` is printed,
    as `orientation ID` alone gives it.
    """
    if args.json:
        emit_json(doc | ({"recorded": True} if what else {}))
        return EXIT_OK
    zone = time_zone(args.settings.time_zone)
    print(f"{doc['id']}  {WORDS[doc['kind']]}{f' {what}' if what else ''}")
    for label, value in _FACTS[doc["kind"]](doc, zone):
        print(f"  {label:<14}{value}")
    return EXIT_OK


def listed(
    docs: Sequence[Doc], kind: str, args: argparse.Namespace, *, nothing: str | None = None
) -> int:
    """Activities of one kind: a table, one a line, in the order given (or a JSON array)."""
    if args.json:
        emit_json_list(docs)
        return EXIT_OK
    if not docs:
        print(nothing or f"no {WORDS[kind]} matches")
        return EXIT_OK
    zone = time_zone(args.settings.time_zone)
    columns = _COLUMNS[kind]
    print(_row([header for header, _, _ in columns], columns))
    for doc in docs:
        print(_row([text(doc, zone) for _, _, text in columns], columns))
    return EXIT_OK


def _row(cells: Sequence[str], columns: Sequence[Column]) -> str:
    widths = (width for _, width, _ in columns)
    return "  ".join(f"{cell:<{width}}" for cell, width in zip(cells, widths, strict=True)).rstrip()


def _time(value: str, zone: ZoneInfo) -> datetime:
    return datetime.fromisoformat(value).astimezone(zone)


def _listing(items: Sequence[str]) -> str:
    return ", ".join(items) or "-"


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{code} {count}" for code, count in counts.items()) or "-"


def _round_facts(doc: Doc, zone: ZoneInfo) -> Facts:
    return [
        ("neighbourhood", doc["neighbourhood"]),
        ("where", f"bus line {doc['bus_line']}" if doc["bus_line"] else "on foot"),
        ("started", shown(_time(doc["started_at"], zone), zone)),
        ("ended", shown(_time(doc["ended_at"], zone), zone)),
        ("team", _listing(doc["team"])),
        ("contacts", _counts(doc["contacts"])),
        ("observed", _counts(doc["observed"])),
    ]


def _action_facts(doc: Doc, _: ZoneInfo) -> Facts:
    return [
        ("action", doc["action"]),
        ("domain", doc["domain"]),
        ("neighbourhood", doc["neighbourhood"]),
        ("held on", doc["on"]),
        ("attendance", str(doc["attendance"])),
        ("partners", _listing(doc["partners"])),
        ("team", _listing(doc["team"])),
    ]


def _watch_facts(doc: Doc, _: ZoneInfo) -> Facts:
    facts = [
        ("about", doc["watch"]),
        ("domain", doc["domain"]),
        ("neighbourhood", doc["neighbourhood"]),
        ("partner", doc["partner"]),
        ("reported on", doc["on"]),
        ("status", doc["status"]),
    ]
    for label, field in (("acknowledged", "acknowledged_on"), ("closed", "closed_on")):
        if doc[field]:
            facts.append((label, doc[field]))
    if doc["answer"]:
        facts.append(("answer", doc["answer"]))
    return facts


def _orientation_facts(doc: Doc, _: ZoneInfo) -> Facts:
    person = doc["subject"] or "anonymous"
    return [
        ("need", doc["need"]),
        ("partner", doc["partner"]),
        ("neighbourhood", doc["neighbourhood"]),
        ("oriented on", doc["on"]),
        ("mediator", doc["mediator"]),
        ("person", f"{person} (erased)" if doc["erased"] else person),
        ("shared", _listing(doc["shared"])),
        ("case", doc["case"] or "-"),
        ("status", doc["status"]),
        ("follow-up due", doc["due"] or "-"),
        ("follow-ups", str(doc["follow_ups"])),
        ("outcome", doc["outcome"] or "-"),
        ("last contact", doc["last_contact_on"]),
        *([("name", doc["name"])] if doc.get("name") else []),
    ]


_FACTS: dict[str, Callable[[Doc, ZoneInfo], Facts]] = {
    "round": _round_facts,
    "action": _action_facts,
    "watch": _watch_facts,
    "orientation": _orientation_facts,
}


def _hours(doc: Doc, zone: ZoneInfo) -> str:
    return f"{_time(doc['started_at'], zone):%H:%M}-{_time(doc['ended_at'], zone):%H:%M}"


def _field(name: str) -> Callable[[Doc, ZoneInfo], str]:
    return lambda doc, _: "-" if doc[name] is None or doc[name] == "" else str(doc[name])


def _joined(name: str) -> Callable[[Doc, ZoneInfo], str]:
    return lambda doc, _: _listing(doc[name])


def _total(name: str) -> Callable[[Doc, ZoneInfo], str]:
    return lambda doc, _: str(sum(doc[name].values()))


_ID: Column = ("id", 36, _field("id"))
_COLUMNS: dict[str, tuple[Column, ...]] = {
    "round": (
        _ID,
        ("day", 10, lambda doc, zone: f"{_time(doc['started_at'], zone):%Y-%m-%d}"),
        ("hours", 11, _hours),
        ("neighbourhood", 13, _field("neighbourhood")),
        ("bus", 4, _field("bus_line")),
        ("contacts", 8, _total("contacts")),
        ("observed", 8, _total("observed")),
        ("team", 0, _joined("team")),
    ),
    "action": (
        _ID,
        ("held on", 10, _field("on")),
        ("action", 17, _field("action")),
        ("domain", 24, _field("domain")),
        ("neighbourhood", 13, _field("neighbourhood")),
        ("attendance", 10, _field("attendance")),
        ("partners", 24, _joined("partners")),
        ("team", 0, _joined("team")),
    ),
    "watch": (
        _ID,
        ("reported", 10, _field("on")),
        ("status", 12, _field("status")),
        ("about", 20, _field("watch")),
        ("domain", 24, _field("domain")),
        ("neighbourhood", 13, _field("neighbourhood")),
        ("partner", 18, _field("partner")),
        ("answer", 0, _field("answer")),
    ),
    "orientation": (
        _ID,
        ("oriented", 10, _field("on")),
        ("due", 10, _field("due")),
        ("status", 7, _field("status")),
        ("need", 14, _field("need")),
        ("partner", 18, _field("partner")),
        ("neighbourhood", 13, _field("neighbourhood")),
        ("mediator", 10, _field("mediator")),
        ("outcome", 0, _field("outcome")),
    ),
}
