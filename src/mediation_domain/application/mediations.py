"""Mediations: the application's commands, and how its cases are recorded (the store, hooks)."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any, ClassVar, Concatenate, ParamSpec, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import Application
from eventsourcing.persistence import (
    JSONTranscoder,
    PersistenceError,
    RecordConflictError,
    Recording,
    Transcoder,
)
from eventsourcing.utils import Environment, EnvType

from mediation_domain.application.activities import Activities
from mediation_domain.application.archiving import Archiving
from mediation_domain.application.erasure import Erasing
from mediation_domain.application.interface import (
    _day,
    _items,
    _neighbourhoods,
    _parties_facts,
    _party_facts,
    _PartyFacts,
    _personal_text,
    _snapshot_every,
)
from mediation_domain.application.queries import Queries
from mediation_domain.case import (
    SUMMARY,
    MediationCase,
    Party,
    now,
    session_notes,
    stamped_by,
)
from mediation_domain.errors import ConcurrencyError, InvalidInputError
from mediation_domain.ports import StoreBundle
from mediation_domain.privacy import KeyedSealer, MemoryKeyStore, Sealed, Sealer, Sealing
from mediation_domain.transcodings import LeanJSONTranscoder, register_value_transcodings
from mediation_domain.values import (
    MAX_PARTIES,
    MAX_TEXT_LENGTH,
    InterventionDomain,
    MediatorId,
    Neighbourhoods,
    Outcome,
    PartyId,
    ReasonCode,
    ReferralSource,
    SessionKind,
    WithdrawnBy,
)

_R = TypeVar("_R")
_P = ParamSpec("_P")
_log = logging.getLogger("mediation_domain")
_PROBE = Sealed("", "probe", "")  # stands for a value while the rules run, never stored


def _stamped(
    command: Callable[Concatenate[Mediations, _P], _R],
) -> Callable[Concatenate[Mediations, _P], _R]:
    """The command stamps the events it makes by the application's clock."""

    @functools.wraps(command)
    def stamped(app: Mediations, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with stamped_by(app.clock):
            return command(app, *args, **kwargs)

    return stamped


def _snapshots_due(objs: tuple[Any, ...], every: int) -> list[MediationCase]:
    """The cases whose save takes them past a multiple of `every` events (none when 0)."""
    cases = [case for case in objs if every and isinstance(case, MediationCase)]
    return [c for c in cases if c.version // every > (c.version - len(c.pending_events)) // every]


class Mediations(Queries, Erasing, Archiving, Activities, Application[UUID]):
    """Records mediation cases; every command is checked against the deontology first.

    `env` is eventsourcing's (the store); neighbourhoods come from the argument, else the
    MEDIATION_NEIGHBOURHOODS setting (comma-separated), else the Poitiers preset.
    Personal values are sealed by `sealer`: in memory, one over a key store in memory;
    a persistent store needs a persistent key store (`mediation_adapters.stores.open_store`
    wires one in the same database).
    """

    name = "Mediations"
    env: ClassVar[dict[str, str]] = {"PERSISTENCE_MODULE": "eventsourcing.popo"}

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        store: StoreBundle | None = None,
        neighbourhoods: Neighbourhoods | Sequence[str] | None = None,
        sealer: Sealer | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        # The store bundle: its settings select the events' persistence (over `env`'s and
        # the process environment's), and its key store seals personal values.
        self.store = store
        if store is not None:
            env = {**(env or {}), **store.environment()}
            sealer = sealer or KeyedSealer(store.key_store())
        super().__init__(env)
        # Stamps new events: None is the wall clock; simulations and tests pass their own.
        self.clock = clock
        configured = self.env.get("MEDIATION_NEIGHBOURHOODS")
        self.neighbourhoods = _neighbourhoods(neighbourhoods, configured)
        if sealer is None:
            if self.env.get("PERSISTENCE_MODULE", "eventsourcing.popo") != "eventsourcing.popo":
                message = (
                    "a persistent store needs a persistent key store for personal data: "
                    "open it with mediation_adapters.stores.open_store(url)"
                )
                super().close()
                raise InvalidInputError(message)
            sealer = KeyedSealer(MemoryKeyStore())
        self.sealer: Sealer = sealer
        # Called after each save with the last notification id recorded (e.g. to seal).
        self.on_recorded: Callable[[Mediations, int], None] | None = None
        # Called by close(), after the store: adapters release what they opened beside it.
        self.on_close: list[Callable[[], None]] = []

    def construct_env(self, name: str, env: EnvType | None = None) -> Environment:
        """The store's settings; MEDIATION_SNAPSHOT_EVERY=N turns eventsourcing's snapshots on.

        A case is then snapshotted each time a save takes it past a multiple of N events
        (benchmarks/README.md says for which case lengths that pays off). Off by default.
        """
        found = super().construct_env(name, env)
        self.snapshot_every = _snapshot_every(found.get("MEDIATION_SNAPSHOT_EVERY", ""))
        if self.snapshot_every:
            found["IS_SNAPSHOTTING_ENABLED"] = "y"
        return found

    def close(self) -> None:
        """Release the case index and the store, then what adapters opened beside them."""
        self._close_index()
        self._close_activity_index()
        super().close()
        while self.on_close:
            self.on_close.pop()()

    def construct_transcoder(self) -> Transcoder:
        """The JSON transcoder, unless the environment names another (TRANSCODER_TOPIC)."""
        if self.env.get(self.factory.TRANSCODER_TOPIC):
            return super().construct_transcoder()
        transcoder = LeanJSONTranscoder()
        self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """Add our value objects, vocabularies and dates to eventsourcing's defaults."""
        super().register_transcodings(transcoder)
        register_value_transcodings(transcoder)

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:  # noqa: ANN401
        """Record the cases' new events atomically; a stale case raises ConcurrencyError.

        With snapshots on, the cases a save takes past a multiple of MEDIATION_SNAPSHOT_EVERY
        events are snapshotted as they are in hand, once their events are recorded.
        """
        due = _snapshots_due(objs, self.snapshot_every)
        try:
            recordings = super().save(*objs, **kwargs)
        except RecordConflictError:
            ids = ", ".join(str(getattr(obj, "id", "?")) for obj in objs)
            message = f"case {ids} changed meanwhile; reload it and retry"
            raise ConcurrencyError(message) from None
        if self.on_recorded is not None and recordings:
            self.on_recorded(self, max(r.notification.id for r in recordings))
        if due and self.snapshots is not None:
            try:
                self.snapshots.put([MediationCase.Snapshot.take(case) for case in due])
            except PersistenceError as error:
                # The events are recorded: raising would report a stored command as failed
                # (and a retry would record it twice). A missing snapshot only slows reads.
                _log.warning("recorded, but no snapshot stored (reads replay instead): %s", error)
        return recordings

    # Commands -------------------------------------------------------------------------------

    @_stamped
    def request_mediation(  # noqa: PLR0913 - a request has this many facts
        self,
        *,
        domain: InterventionDomain | str,
        neighbourhood: str,
        referral: ReferralSource | str,
        parties: Sequence[str],
        summary: str = "",
        party_ids: Sequence[str] | None = None,
        contacts: Sequence[str] | None = None,
        institutions: Sequence[tuple[str, str] | None] | None = None,
    ) -> UUID:
        """Open a case; parties are display names, given pseudonymous ids unless `party_ids`.

        `contacts`, if given, holds one contact per party ("" for none); like the names and
        the summary, contacts are sealed before they are stored. `institutions`, if given,
        holds one per party: None for a person, (kind, name) for an institution, whose
        name is kept in clear, the party's name and contact being its representative's.
        """
        facts = _parties_facts(parties, party_ids, contacts, institutions)
        summary = _personal_text(summary, "summary", limit=MAX_TEXT_LENGTH, required=False)
        case_id = uuid4()
        what = InterventionDomain.parse(domain)
        where = self.neighbourhoods.canonical(neighbourhood)
        source = ReferralSource.parse(referral)

        def opened(parties: Sequence[Party], summary: Sealed) -> MediationCase:
            return MediationCase.request(
                case_id=case_id,
                domain=what,
                neighbourhood=where,
                referral=source,
                parties=parties,
                summary=summary,
            )

        # The rules first, on unsealed stand-ins: a refused request makes no key.
        opened([fact.party(_PROBE) for fact in facts], _PROBE)
        sealed_parties, (sealed_summary,) = self._sealed(
            case_id, facts, [(str(case_id), SUMMARY, summary)]
        )
        case = opened(sealed_parties, sealed_summary)
        self.save(case)
        return case_id

    @_stamped
    def join_party(  # noqa: PLR0913 - a party has this many facts
        self,
        case_id: UUID | str,
        *,
        name: str,
        party_id: str | None = None,
        contact: str = "",
        institution: tuple[str, str] | None = None,
        expected_version: int | None = None,
    ) -> str:
        """Add a party (a person, or an `institution` (kind, name)); returns its id."""
        case = self._load(case_id, expected_version)
        if len(case.parties) >= MAX_PARTIES:
            message = f"case {case.id} has {MAX_PARTIES} parties already: the most a case holds"
            raise InvalidInputError(message)
        fact = _party_facts(name, party_id, contact, institution)
        case.check(case.PartyJoined, party=fact.party(_PROBE))
        (party,), _ = self._sealed(case.id, [fact])  # sealed once the rules accept the party
        case.join(party)
        self.save(case)
        return str(party.id)

    def assign_mediator(
        self,
        case_id: UUID | str,
        *,
        mediator: str,
        ties: Sequence[str] = (),
        waived_by: Sequence[str] = (),
        expected_version: int | None = None,
    ) -> None:
        """Assign a mediator, who declares any tie with a party (`ties`) and the written waivers."""
        mediator_id = MediatorId(mediator)
        declared = [PartyId(p) for p in _items(ties, "ties")]
        waivers = [PartyId(p) for p in _items(waived_by, "waived_by")]
        self._act(
            case_id, lambda case: case.assign(mediator_id, declared, waivers), expected_version
        )

    def withdraw_mediator(
        self,
        case_id: UUID | str,
        *,
        mediator: str,
        reason: str,
        expected_version: int | None = None,
    ) -> None:
        """Record that the assigned mediator refused or withdrew (`reason` is a code)."""
        mediator_id, code = MediatorId(mediator), ReasonCode(reason)
        self._act(
            case_id, lambda case: case.mediator_withdraws(mediator_id, code), expected_version
        )

    def give_consent(
        self, case_id: UUID | str, *, party: str, expected_version: int | None = None
    ) -> bool:
        """Record a party's free consent.

        False, recording nothing, when their consent is live already.
        """
        party_id = PartyId(party)
        return self._act(case_id, lambda case: case.give_consent(party_id), expected_version)

    def withdraw_consent(
        self, case_id: UUID | str, *, party: str, expected_version: int | None = None
    ) -> bool:
        """Record that a party revoked their consent (no reason asked).

        False, recording nothing, when they have no live consent to withdraw (it is
        pending, withdrawn or refused).
        """
        party_id = PartyId(party)
        return self._act(case_id, lambda case: case.withdraw_consent(party_id), expected_version)

    def refuse_consent(
        self, case_id: UUID | str, *, party: str, expected_version: int | None = None
    ) -> bool:
        """Record that a party declined to take part.

        False, recording nothing, when their refusal is recorded already.
        """
        party_id = PartyId(party)
        return self._act(case_id, lambda case: case.refuse_consent(party_id), expected_version)

    @_stamped
    def hold_session(  # noqa: PLR0913 - a session has this many facts
        self,
        case_id: UUID | str,
        *,
        kind: SessionKind | str,
        attendees: Sequence[str],
        held_on: date | str | None = None,
        notes: str = "",
        expected_version: int | None = None,
    ) -> None:
        """Record a session (today unless `held_on`); its notes are sealed for the case."""
        session_kind = SessionKind.parse(kind)
        present = [PartyId(p) for p in _items(attendees, "attendees")]
        day = now().astimezone().date() if held_on is None else _day(held_on)  # local day
        text = _personal_text(notes, "session notes", limit=MAX_TEXT_LENGTH, required=False)
        case = self._load(case_id, expected_version)
        field = session_notes(case.session_count + 1)
        sealed = (
            self.sealer.seal_all(str(case.id), [(str(case.id), field, text)])[0] if text else None
        )
        case.hold_session(session_kind, present, day, sealed)
        self.save(case)

    def withdraw(
        self,
        case_id: UUID | str,
        *,
        by: WithdrawnBy | str,
        reason: str,
        expected_version: int | None = None,
    ) -> None:
        """End a mediation before its resolution (`by` party, mediator or service)."""
        who, code = WithdrawnBy.parse(by), ReasonCode(reason)
        self._act(case_id, lambda case: case.withdraw(who, code), expected_version)

    def resolve(
        self,
        case_id: UUID | str,
        *,
        outcome: Outcome | str,
        expected_version: int | None = None,
    ) -> None:
        """End a mediation with its outcome."""
        result = Outcome.parse(outcome)
        self._act(case_id, lambda case: case.resolve(result), expected_version)

    # Internals ------------------------------------------------------------------------------

    def _sealed(
        self, case_id: UUID, facts: Sequence[_PartyFacts], more: Sequence[Sealing] = ()
    ) -> tuple[list[Party], list[Sealed]]:
        """The parties with their values sealed in the case, and `more`, in one key lookup."""
        values = [value for fact in facts for value in fact.sealings()]
        sealed = iter(self.sealer.seal_all(str(case_id), [*values, *more]))
        # Each party's name, then its contact if it has one: in the order `sealings` gave.
        parties = [
            fact.party(next(sealed), next(sealed) if fact.contact else None) for fact in facts
        ]
        return parties, list(sealed)

    @_stamped
    def _act(
        self,
        case_id: UUID | str,
        command: Callable[[MediationCase], None],
        expected_version: int | None = None,
    ) -> bool:
        """Run `command` on the case and save it; False when it recorded nothing."""
        case = self._load(case_id, expected_version)
        command(case)
        if not case.pending_events:
            return False
        self.save(case)
        return True
