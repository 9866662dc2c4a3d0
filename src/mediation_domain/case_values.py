"""What a case holds besides vocabularies: its parties, its sessions, its personal fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import attrs

from mediation_domain.activity_values import PartnerKind
from mediation_domain.errors import InvalidInputError, quoted
from mediation_domain.names import hidden_characters
from mediation_domain.privacy import Sealed
from mediation_domain.values import MAX_NAME_LENGTH, PartyId, SessionKind

# The fields a personal value fills: sealing binds a value to its field (and its case), so
# a contact moved into a name, or a summary into notes, no longer opens. Stored format.
SUMMARY = "case.summary"
PARTY_NAME = "party.name"
PARTY_CONTACT = "party.contact"


def session_notes(ordinal: int) -> str:
    """The field of the notes of the case's `ordinal`-th session, from 1.

    Notes moved to another session of the same case no longer open there.
    """
    return f"session.{ordinal}.notes"


def _institution_name(_: object, __: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str):
        message = f"institution name must be text, not {type(value).__name__}"
        raise InvalidInputError(message)
    if not value.strip():
        raise InvalidInputError("institution name is empty")
    if len(value) > MAX_NAME_LENGTH:
        message = f"institution name {quoted(value)} is longer than {MAX_NAME_LENGTH} characters"
        raise InvalidInputError(message)
    if hidden_characters(value):
        message = (
            f"institution name {quoted(value)} holds a control, invisible or direction "
            "character: type it again"
        )
        raise InvalidInputError(message)


@attrs.frozen
class Institution:
    """An institution taking part in a mediation: its kind, and its name, in clear.

    An institution's name is not personal data: anyone who sees the case reads it, and
    erasing the person who represents it leaves it. It is shown as it was typed, so it
    holds no control, invisible or direction character.
    """

    kind: PartnerKind = attrs.field(validator=attrs.validators.instance_of(PartnerKind))
    name: str = attrs.field(validator=_institution_name)


@attrs.frozen
class Party:
    """A party: its pseudonymous id, its sealed display name and (optional) sealed contact.

    A party is a person, or an institution (`institution`): then `name` and `contact` are
    its representative's, sealed as a person's are. The representative is the data
    subject under the party's id: they consent, attend sessions and may be erased.
    """

    id: PartyId
    name: Sealed
    contact: Sealed | None = None
    institution: Institution | None = None


@attrs.frozen
class HeldSession:
    """A session as the case remembers it."""

    kind: SessionKind
    attendees: tuple[PartyId, ...]
    held_on: date
    notes: Sealed | None = None


def personal_values(
    case_id: str,
    summary: Sealed,
    parties: Mapping[PartyId, Party],
    sessions: Iterable[HeldSession],
) -> list[tuple[str, str, Sealed]]:
    """A case's personal values as (field, its owner, the value): `MediationCase.sealed_values`."""
    values = [(SUMMARY, case_id, summary)]
    for pid, party in parties.items():
        values.append((PARTY_NAME, pid.value, party.name))
        if party.contact is not None:
            values.append((PARTY_CONTACT, pid.value, party.contact))
    notes = [
        (session_notes(n), case_id, s.notes)
        for n, s in enumerate(sessions, 1)
        if s.notes is not None
    ]
    return values + notes
