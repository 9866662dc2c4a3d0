"""Simple types in, for the activities: times, days, counts, teams, bus lines, ids."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from uuid import UUID

from mediation_domain.activity_values import MAX_LINE_LENGTH, ContactKind
from mediation_domain.application.interface import _day, _items
from mediation_domain.clock import now
from mediation_domain.errors import InvalidInputError, quoted
from mediation_domain.names import hidden_characters
from mediation_domain.values import InterventionDomain, MediatorId

EARLIEST, LATEST = date(2000, 1, 1), date(3000, 1, 1)  # a round's times, well inside datetime


def _local_today() -> date:
    return now().astimezone().date()


def _on(value: object, what: str) -> date:
    """A day given as a date or YYYY-MM-DD; None is today (the machine's local day)."""
    if value is None:
        return _local_today()
    try:
        day = _day(value)
    except InvalidInputError:
        message = f"invalid {what} {quoted(value)}: expected a date, YYYY-MM-DD"
        raise InvalidInputError(message) from None
    _plausible(day, what, quoted(day.isoformat()))
    return day


def _moment(value: object, what: str) -> datetime:
    """A time given as a datetime or ISO 8601 text; a naive time is the machine's local time."""
    moment = value
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            moment = None
    shown = quoted(value.isoformat() if isinstance(value, datetime) else value)
    if not isinstance(moment, datetime):
        message = f"invalid {what} {shown}: expected a date and time, YYYY-MM-DDTHH:MM"
        raise InvalidInputError(message)
    _plausible(moment.date(), what, shown)
    aware = moment.astimezone() if moment.tzinfo is None else moment
    # As stored (a fixed offset): the rules then see what the auditor's replay will read.
    return datetime.fromisoformat(aware.isoformat())


def _plausible(day: date, what: str, shown: str) -> None:
    """A day of the service's work: from 2000 to 2999 (a typo otherwise, or an overflow)."""
    if not EARLIEST <= day < LATEST:
        message = f"invalid {what} {shown}: expected a day from {EARLIEST} to 2999"
        raise InvalidInputError(message)


def _counts(
    value: object, vocabulary: type[ContactKind | InterventionDomain], what: str
) -> dict[str, int]:
    """Counts by kind: a mapping of codes (or names) to whole numbers, each kind once."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        message = f"{what} must be counts by kind, not {type(value).__name__}"
        raise InvalidInputError(message)
    counts: dict[str, int] = {}
    for key, count in value.items():
        code = vocabulary.parse(key).value
        if code in counts:
            msg = f"{what} counts {code} twice"
            raise InvalidInputError(msg)
        if isinstance(count, bool) or not isinstance(count, int):
            msg = f"{what} {code} must be a whole number, not {quoted(count)}"
            raise InvalidInputError(msg)
        counts[code] = count
    return counts


def _mediators(value: object, what: str) -> tuple[MediatorId, ...]:
    return tuple(MediatorId(str(item)) for item in _items(value, what))


def _bus_line(value: object) -> str | None:
    if value is None or value == "":
        return None
    text = str(value).strip()
    if not text or len(text) > MAX_LINE_LENGTH or hidden_characters(text) or not text.isprintable():
        message = f"invalid bus line {quoted(value)}: 1 to {MAX_LINE_LENGTH} printable characters"
        raise InvalidInputError(message)
    return text


def _activity_id(value: object, word: str) -> UUID:
    try:
        return UUID(str(value).strip())
    except ValueError:
        msg = f"invalid {word} id {quoted(value)}: expected a UUID"
        raise InvalidInputError(msg) from None
