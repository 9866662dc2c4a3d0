"""Copy a store into a new, empty one, re-sealing every personal value on the way.

The way out for a store whose values release 0.1 wrote unencrypted (scheme `clear`), and
the way into encryption at rest for a store created without it. Every event is copied
with its case, version, time and facts; each personal value is opened in the source and
sealed again in the target under the target's own keys. What the source had erased stays
erased: its values are not carried over, and the target remembers the erasure.

The target starts a new audit chain: seal it, and keep the source (or its final export)
for the period your auditors require before destroying it. Publishing goes on where it
stood: the copy gets the store's publishing key (the same pseudonyms and source) and each
target's position, moved to where the same event lies in the copy's log.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence
from typing import Any

import attrs

from mediation_adapters.publishing.positions import Positions
from mediation_adapters.storage.ledger import logical_mapper, records
from mediation_adapters.stores import StoreError
from mediation_domain import Mediations
from mediation_domain.activities import PERSON_NAME, Orientation
from mediation_domain.case import (
    PARTY_CONTACT,
    PARTY_NAME,
    SUMMARY,
    MediationCase,
    Party,
    session_notes,
)
from mediation_domain.privacy import ERASED, SEALED, Sealed

_BATCH = 500
ERASED_SCHEME = "erased"  # a value whose subject was erased before the copy: nothing kept


@attrs.frozen
class CopyReport:
    """What a copy did."""

    events: int
    resealed: int
    from_clear: int
    erased_subjects: int
    unreadable: int
    renumbered: bool = False  # records got other ids: publishing starts again, as another source


class _Resealer:
    def __init__(self, source: Mediations, target: Mediations) -> None:
        self.source, self.target = source, target
        self.resealed = self.from_clear = self.unreadable = 0
        self.erased: set[str] = set()
        self.sessions: dict[str, int] = {}  # sessions seen so far, by case

    def value(self, value: Sealed | None, case: str, field: str) -> Sealed | None:
        if value is None:
            return None
        (text,) = self.source.sealer.open_all([(case, field, value)])
        if text == ERASED:
            self.erased.add(value.subject)
            return Sealed(value.subject, ERASED_SCHEME, "")
        if text == SEALED:  # no key for it in the source either: noise, carried as it is
            self.unreadable += 1
            return value
        self.resealed += 1
        self.from_clear += value.scheme == "clear"
        return self.target.sealer.seal_all(case, [(value.subject, field, text)])[0]

    def party(self, party: Party, case: str) -> Party:
        name = self.value(party.name, case, PARTY_NAME)
        assert name is not None  # noqa: S101 - a party always has a name
        contact = self.value(party.contact, case, PARTY_CONTACT)
        return attrs.evolve(party, name=name, contact=contact)  # an institution's kept

    def event(self, event: Any) -> Any:  # noqa: ANN401 - any recorded event
        case = str(event.originator_id)
        if isinstance(event, MediationCase.Requested):
            return _replace(
                event,
                parties=tuple(self.party(party, case) for party in event.parties),
                summary=self.value(event.summary, case, SUMMARY),
            )
        if isinstance(event, MediationCase.PartyJoined):
            return _replace(event, party=self.party(event.party, case))
        if isinstance(event, MediationCase.SessionHeld):
            held = self.sessions[case] = self.sessions.get(case, 0) + 1
            return _replace(event, notes=self.value(event.notes, case, session_notes(held)))
        if isinstance(event, Orientation.Oriented):  # a named person's name, sealed for them
            return _replace(event, name=self.value(event.name, case, PERSON_NAME))
        if isinstance(event, MediationCase.PersonalDataErased | Orientation.PersonErased):
            self.erased.add(event.subject)
        return event


def copy_store(source: Mediations, target: Mediations) -> CopyReport:
    """Copy every event of `source` into the empty `target`, re-sealing personal values."""
    if target.recorder.max_notification_id() is not None:
        message = "the target store is not empty: copy into a new store"
        raise StoreError(message)
    resealer = _Resealer(source, target)
    mapper = logical_mapper(source)
    published = _Published(source, target)
    events = 0
    batch, numbers = [], []
    for number, event in _events(source, mapper):
        batch.append(target.mapper.to_stored_event(resealer.event(event)))
        numbers.append(number)
        events += 1
        if len(batch) == _BATCH:
            published.moved(numbers, target.recorder.insert_events(batch))
            batch, numbers = [], []
    if batch:
        published.moved(numbers, target.recorder.insert_events(batch))
    published.carry_over()
    target.sealer.forget(sorted(resealer.erased))  # tombstones: nothing sealed for them again
    target.sealer.purge()
    return CopyReport(
        events=events,
        resealed=resealer.resealed,
        from_clear=resealer.from_clear,
        erased_subjects=len(resealer.erased),
        unreadable=resealer.unreadable,
        renumbered=published.renumbered and published.published,
    )


def _events(source: Mediations, mapper: Any) -> Iterator[tuple[int, Any]]:  # noqa: ANN401 - eventsourcing's
    for record in records(source):
        yield record.id, mapper.to_domain_event(record)


class _Published:
    """The source's publishing targets, their positions followed into the copy's log."""

    def __init__(self, source: Mediations, target: Mediations) -> None:
        self._stores = [app.store.projections() for app in (source, target) if app.store]
        self._positions = [Positions(store) for store in self._stores]
        # A source position -> the copy's, once seen (0: before the first record copied).
        self._wanted = dict.fromkeys(self._positions[0].all().values(), 0) if self._stores else {}
        self.renumbered = False  # a copied record got another id than it had
        self.published = bool(self._wanted)  # the source had published to some target

    def moved(self, numbers: Sequence[int], copied: Sequence[int] | None) -> None:
        """Source records `numbers` were copied as `copied` (None: a recorder that won't say)."""
        self.renumbered |= copied is None or list(numbers) != list(copied)
        for position in self._wanted:
            below = [n for n, _ in zip(numbers, copied or (), strict=False) if n <= position]
            if below:
                self._wanted[position] = copied[len(below) - 1]  # type: ignore[index]

    def carry_over(self) -> None:
        """Give the copy the key and the positions; release the projection stores."""
        try:
            if len(self._positions) == 2:  # noqa: PLR2004 - a source and a copy
                moved = None if self.renumbered else self._wanted.__getitem__
                self._positions[0].carry_over(self._positions[1], moved)
        finally:
            for store in self._stores:
                store.close()


def _replace(event: Any, **changes: Any) -> Any:  # noqa: ANN401 - the events are dataclasses
    return dataclasses.replace(event, **changes)
