"""Simple types in: the text, lists, dates, cursors, ids and settings given, checked and parsed."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple
from uuid import UUID, uuid4

from mediation_domain.activity_values import PartnerKind
from mediation_domain.case_values import PARTY_CONTACT, PARTY_NAME, Institution, Party
from mediation_domain.errors import InvalidInputError, quoted
from mediation_domain.names import direction_controls
from mediation_domain.privacy import Sealed, Sealing
from mediation_domain.values import (
    MAX_NAME_LENGTH,
    MAX_PARTIES,
    POITIERS,
    Neighbourhoods,
    PartyId,
)

_CURSOR_DIGITS = 18
_PAIR = 2  # an institution is given as (kind, name)


class _PartyFacts(NamedTuple):
    """A party as given, checked: its id, name and contact (to seal), its institution."""

    id: PartyId
    name: str
    contact: str
    institution: Institution | None = None

    def sealings(self) -> list[Sealing]:
        """What is sealed of the party, for it: its name, then its contact if it has one."""
        name = (self.id.value, PARTY_NAME, self.name)
        return [name, (self.id.value, PARTY_CONTACT, self.contact)] if self.contact else [name]

    def party(self, name: Sealed, contact: Sealed | None = None) -> Party:
        """The party, its values as sealed (or stand-ins, while the rules run)."""
        return Party(self.id, name, contact, self.institution)


def _personal_text(value: object, what: str, *, limit: int, required: bool) -> str:
    if not isinstance(value, str):
        message = f"{what} must be text, not {type(value).__name__}"
        raise InvalidInputError(message)
    text = unicodedata.normalize("NFC", value.strip())
    if required and not text:
        message = f"{what} is empty"
        raise InvalidInputError(message)
    if len(text) > limit:
        message = f"{what} is longer than {limit} characters"
        raise InvalidInputError(message)
    if any(unicodedata.category(c) in {"Cc", "Cs"} and c not in "\n\t" for c in text):
        message = f"{what} contains control characters or lone surrogates"
        raise InvalidInputError(message)
    if direction_controls(text):
        # U+202E and its kin reorder what a terminal or a page shows after them.
        message = f"{what} contains a direction override or isolate (U+202A-202E, U+2066-2069)"
        raise InvalidInputError(message)
    return text


def _items(value: object, what: str) -> list[Any]:
    """The items of a list argument; one string (or a mapping) is refused, not iterated."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        message = f"{what} must be a list, not {type(value).__name__}"
        raise InvalidInputError(message)
    return list(value)


def _day(value: object) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    message = f"invalid session date {quoted(value)}: expected a date or YYYY-MM-DD"
    raise InvalidInputError(message)


def _cursor(after: object) -> int | None:
    """The position a `cases_page` cursor stands for (None: the first page)."""
    if after is None:
        return None
    text = after if isinstance(after, str) else ""  # as pages give it: digits only
    if text.isascii() and text.isdigit() and len(text) <= _CURSOR_DIGITS:
        return int(text)  # below 10**18: a position any store can hold
    message = f"invalid cursor {quoted(after)}: pass the `after` of the page before"
    raise InvalidInputError(message)


def _institution(given: object) -> Institution | None:
    """The institution a party is, given as (kind, name); None (or "") for a person."""
    if given is None or given == "":
        return None
    if isinstance(given, str | bytes) or not isinstance(given, Sequence) or len(given) != _PAIR:
        message = f"give an institution as (kind, name), not {quoted(given)}"
        raise InvalidInputError(message)
    kind, name = given
    if not isinstance(name, str):
        message = f"institution name must be text, not {type(name).__name__}"
        raise InvalidInputError(message)
    return Institution(PartnerKind.parse(kind), unicodedata.normalize("NFC", name.strip()))


def _party_facts(
    name: object, party_id: str | None, contact: object, institution: object = None
) -> _PartyFacts:
    """A party's id (generated unless given), name, contact and institution, checked.

    For an institution, the name and contact are those of the person representing it.
    """
    pid = PartyId(party_id) if party_id is not None else PartyId(f"p-{uuid4().hex[:10]}")
    text = _personal_text(name, "party name", limit=MAX_NAME_LENGTH, required=True)
    reach = _personal_text(contact, "contact", limit=MAX_NAME_LENGTH, required=False)
    return _PartyFacts(pid, text, reach, _institution(institution))


def _parties_facts(
    parties: Sequence[str],
    party_ids: Sequence[str] | None,
    contacts: Sequence[str] | None,
    institutions: Sequence[object] | None = None,
) -> list[_PartyFacts]:
    """The facts of a request's parties: their names, with one id, contact, institution each."""
    names = _items(parties, "parties")
    if len(names) > MAX_PARTIES:
        message = f"a case holds at most {MAX_PARTIES} parties, not {len(names)}"
        raise InvalidInputError(message)
    ids = _aligned(names, party_ids, "party id", None)
    reach = _aligned(names, contacts, "contact", "", ' ("" for none)')
    kinds = _aligned(names, institutions, "institution", None, ' ("" for a person)')
    return [_party_facts(*fact) for fact in zip(names, ids, reach, kinds, strict=True)]


def _aligned(
    names: list[Any], given: Sequence[object] | None, word: str, none: object, hint: str = ""
) -> list[Any]:
    """One `word` per party, as `given`, or `none` for each when `given` is None."""
    items = [none] * len(names) if given is None else _items(given, f"{word}s")
    if len(items) != len(names):
        message = f"give one {word} per party{hint}, or none"
        raise InvalidInputError(message)
    return items


def _case_id(value: UUID | str) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value).strip())
    except ValueError:
        message = f"invalid case id {quoted(value)}: expected a UUID"
        raise InvalidInputError(message) from None


def _neighbourhoods(
    given: Neighbourhoods | Sequence[str] | None, configured: str | None
) -> Neighbourhoods:
    """The neighbourhoods given, else those configured (comma-separated), else Poitiers'."""
    if given is None:
        return Neighbourhoods.from_text(configured) if configured else POITIERS
    if isinstance(given, str):
        return Neighbourhoods.from_text(given)
    if isinstance(given, Neighbourhoods):
        return given
    return Neighbourhoods((*given,))


def _snapshot_every(setting: str) -> int:
    """The MEDIATION_SNAPSHOT_EVERY setting: a case is snapshotted every N events (0: never)."""
    every = setting.strip()
    if not every:
        return 0
    if not (every.isascii() and every.isdigit() and len(every) <= 9 and int(every) >= 1):  # noqa: PLR2004 - a billion events
        message = f"MEDIATION_SNAPSHOT_EVERY must be a whole number of events, not {quoted(every)}"
        raise InvalidInputError(message)
    return int(every)
