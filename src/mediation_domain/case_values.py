"""What a case holds besides vocabularies: its parties, its sessions, its personal fields."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

import attrs

from mediation_domain.privacy import Sealed
from mediation_domain.values import PartyId, SessionKind

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


@attrs.frozen
class Party:
    """A party: its pseudonymous id, its sealed display name and (optional) sealed contact."""

    id: PartyId
    name: Sealed
    contact: Sealed | None = None


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
