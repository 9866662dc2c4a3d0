"""Mediations: the application service (commands and queries, simple types in and out)."""

from __future__ import annotations

import contextlib
import functools
import itertools
import logging
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Concatenate, ParamSpec, TypeVar, cast
from uuid import UUID, uuid4

import attrs
from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import (
    JSONTranscoder,
    PersistenceError,
    RecordConflictError,
    Recording,
    Transcoder,
)
from eventsourcing.utils import Environment, EnvType, get_topic

from mediation_domain.case import (
    PARTY_CONTACT,
    PARTY_NAME,
    SUMMARY,
    MediationCase,
    Party,
    now,
    session_notes,
    stamped_by,
)
from mediation_domain.errors import (
    CaseNotFoundError,
    ConcurrencyError,
    InvalidInputError,
    StaleVersionError,
    quoted,
)
from mediation_domain.names import direction_controls
from mediation_domain.ports import EventsOfMany, StoreBundle
from mediation_domain.privacy import (
    LEGACY_CLEAR,
    KeyedSealer,
    MemoryKeyStore,
    RetentionPeriod,
    Sealed,
    Sealer,
    Sealing,
    SubjectNotFoundError,
)
from mediation_domain.reports import Period, Report, facts_of
from mediation_domain.transcodings import LeanJSONTranscoder, register_value_transcodings
from mediation_domain.values import (
    MAX_NAME_LENGTH,
    MAX_PARTIES,
    MAX_TEXT_LENGTH,
    POITIERS,
    CaseStatus,
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
from mediation_domain.views import CaseView

_PAGE = 500  # rows read from the store at a time
MOST_CASES = 1000  # the largest page of cases `cases_page` hands out
_CURSOR_DIGITS = 18
_ERASE_TRIES = 3
_ERASED = "PersonalDataErased"
_REQUESTED = get_topic(MediationCase.Requested)
_T = TypeVar("_T")
_R = TypeVar("_R")
_P = ParamSpec("_P")
_log = logging.getLogger("mediation_domain")


def _project(
    case: MediationCase | None, events: Iterable[MediationCase.Event]
) -> MediationCase | None:
    """Replay a case's events, as eventsourcing's own projector does.

    Without its per-event isinstance check against a runtime Protocol: about 10 us an
    event, a third of a command in memory (benchmarks/run.py).
    """
    for event in events:
        case = cast("MediationCase | None", event.mutate(case))
    return case


@attrs.frozen
class CasePage:
    """A page of cases, and the cursor that asks for the next (None after the last)."""

    cases: tuple[CaseView, ...]
    after: str | None


@attrs.frozen
class Erasure:
    """What erasing a data subject did: the cases concerned and whether the key was live."""

    subject: str
    cases: tuple[UUID, ...]
    key_deleted: bool
    recorded: int
    # Values of the subject that release 0.1 stored unencrypted: deleting a key cannot
    # erase them; only copying the store (`mediation copy`) and destroying the old one can.
    in_clear: int = 0
    # False while the deleted key's old bytes may linger in the store's files (a reader
    # elsewhere held SQLite's log): `Sealer.purge()`, or erasing again, retries.
    purged: bool = True

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data, as the CLI's --json and the HTTP API give it."""
        return {
            "subject": self.subject,
            "cases": [str(case) for case in self.cases],
            "key_deleted": self.key_deleted,
            "recorded": self.recorded,
            "in_clear": self.in_clear,
            "purge": "done" if self.purged else "pending",
        }


@attrs.frozen
class RetentionDue:
    """A closed case past the retention period, and whose personal data is erased with it.

    A party who also appears in a case not yet due keeps their data (listed as `kept`).
    """

    case_id: UUID
    status: CaseStatus
    last_contact: datetime
    subjects: tuple[str, ...]
    kept: tuple[str, ...]
    in_clear: int = 0  # values of `subjects` stored in clear by release 0.1 (see Erasure)


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
    text = after.strip() if isinstance(after, str) else ""
    if text.isascii() and text.isdigit() and len(text) <= _CURSOR_DIGITS:
        return int(text)  # below 10**18: a position any store can hold
    message = f"invalid cursor {quoted(after)}: pass the `after` of the page before"
    raise InvalidInputError(message)


_PartyFacts = tuple[PartyId, str, str]
_PROBE = Sealed("", "probe", "")  # stands for a value while the rules run, never stored


def _party_facts(name: object, party_id: str | None, contact: object) -> _PartyFacts:
    """A party's id (generated unless given), name and contact, checked."""
    pid = PartyId(party_id) if party_id is not None else PartyId(f"p-{uuid4().hex[:10]}")
    text = _personal_text(name, "party name", limit=MAX_NAME_LENGTH, required=True)
    reach = _personal_text(contact, "contact", limit=MAX_NAME_LENGTH, required=False)
    return pid, text, reach


def _case_id(value: UUID | str) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value).strip())
    except ValueError:
        message = f"invalid case id {quoted(value)}: expected a UUID"
        raise InvalidInputError(message) from None


@attrs.frozen
class _Wanted:
    """What a listing asks for; None is anything."""

    status: CaseStatus | None
    place: str | None
    domain: InterventionDomain | None
    mediator: MediatorId | None

    @property
    def by_request(self) -> bool:
        """Whether the request alone can rule a case out (its place and domain never change)."""
        return self.place is not None or self.domain is not None

    def requested(self, event: MediationCase.Requested) -> bool:
        """Whether a case so requested can be wanted."""
        return (self.place is None or event.neighbourhood == self.place) and (
            self.domain is None or event.domain is self.domain
        )

    def holds(self, case: MediationCase) -> bool:
        """Whether a case whose request was wanted is wanted as it stands."""
        return (self.status is None or case.status is self.status) and (
            self.mediator is None or case.mediator == self.mediator
        )


def _chunks(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    """`items` in lists of `size` (the last may be shorter)."""
    found = iter(items)
    while chunk := list(itertools.islice(found, size)):
        yield chunk


def _stamped(
    command: Callable[Concatenate[Mediations, _P], _R],
) -> Callable[Concatenate[Mediations, _P], _R]:
    """The command stamps the events it makes by the application's clock."""

    @functools.wraps(command)
    def stamped(app: Mediations, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        with stamped_by(app.clock):
            return command(app, *args, **kwargs)

    return stamped


class Mediations(Application[UUID]):
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
        if neighbourhoods is None:
            configured = self.env.get("MEDIATION_NEIGHBOURHOODS")
            neighbourhoods = Neighbourhoods.from_text(configured) if configured else POITIERS
        elif isinstance(neighbourhoods, str):
            neighbourhoods = Neighbourhoods.from_text(neighbourhoods)
        elif not isinstance(neighbourhoods, Neighbourhoods):
            neighbourhoods = Neighbourhoods((*neighbourhoods,))
        self.neighbourhoods = neighbourhoods
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
        every = found.get("MEDIATION_SNAPSHOT_EVERY", "").strip()
        self.snapshot_every = 0
        if every:
            if not (every.isascii() and every.isdigit() and len(every) <= 9 and int(every) >= 1):  # noqa: PLR2004 - a billion events
                message = (
                    f"M"
                    f"EDIATION_SNAPSHOT_EVERY must be a whole number of events, not {quoted(every)}"
                )
                raise InvalidInputError(message)
            self.snapshot_every = int(every)
            found["IS_SNAPSHOTTING_ENABLED"] = "y"
        return found

    def close(self) -> None:
        """Release the store, then what adapters opened beside it (e.g. the key store)."""
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
        every = self.snapshot_every
        due = [
            case
            for case in objs
            if every
            and isinstance(case, MediationCase)
            and case.version // every > (case.version - len(case.pending_events)) // every
        ]
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
    ) -> UUID:
        """Open a case; parties are display names, given pseudonymous ids unless `party_ids`.

        `contacts`, if given, holds one contact per party ("" for none); like the names and
        the summary, contacts are sealed before they are stored.
        """
        names = _items(parties, "parties")
        if len(names) > MAX_PARTIES:
            message = f"a case holds at most {MAX_PARTIES} parties, not {len(names)}"
            raise InvalidInputError(message)
        ids = [None] * len(names) if party_ids is None else _items(party_ids, "party ids")
        if len(ids) != len(names):
            raise InvalidInputError("give one party id per party, or none")
        reach = [""] * len(names) if contacts is None else _items(contacts, "contacts")
        if len(reach) != len(names):
            raise InvalidInputError('give one contact per party ("" for none), or none')
        facts = [_party_facts(*fact) for fact in zip(names, ids, reach, strict=True)]
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
        opened([Party(pid, _PROBE) for pid, _, _ in facts], _PROBE)
        sealed_parties, (sealed_summary,) = self._sealed(
            case_id, facts, [(str(case_id), SUMMARY, summary)]
        )
        case = opened(sealed_parties, sealed_summary)
        self.save(case)
        return case_id

    @_stamped
    def join_party(
        self,
        case_id: UUID | str,
        *,
        name: str,
        party_id: str | None = None,
        contact: str = "",
        expected_version: int | None = None,
    ) -> str:
        """Add a party to a case; returns its pseudonymous id."""
        case = self._load(case_id, expected_version)
        if len(case.parties) >= MAX_PARTIES:
            message = f"case {case.id} has {MAX_PARTIES} parties already: the most a case holds"
            raise InvalidInputError(message)
        fact = _party_facts(name, party_id, contact)
        case.check(case.PartyJoined, party=Party(fact[0], _PROBE))
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

    def erase_subject(self, subject: str, *, reason: str = "data-subject-request") -> Erasure:
        """Erase a data subject (a party id, or a case id for its free text) for good.

        Deletes the subject's key, so every value sealed for it becomes unreadable, and
        records PersonalDataErased (no personal data in it) on each case concerned. The
        cases still reload and count. Erasing again is harmless; a subject neither a case
        nor the key store knows is a SubjectNotFoundError. Finds the cases by one pass
        over the history; a concurrent change to one of them is retried.
        """
        code = ReasonCode(reason)
        who, holding = self._holding(subject)
        plan = {case.id: [who] for case in holding}
        deleted, recorded, in_clear = self._erase([who], plan, code)
        return Erasure(who, tuple(plan), who in deleted, recorded, in_clear, self.sealer.purge())

    def _holding(self, subject: object) -> tuple[str, list[MediationCase]]:
        """The subject as recorded, and the cases holding it (or its key alone)."""
        if not isinstance(subject, str) or not subject.strip():
            message = f"invalid data subject {quoted(subject)}: give a party id or a case id"
            raise InvalidInputError(message)
        text = subject.strip()
        spellings = [text]
        with contextlib.suppress(ValueError):
            spellings.append(str(UUID(text)))  # a case id, however it was written
        cases = list(self._all_cases())
        for who in spellings:
            holding = [case for case in cases if who in case.subjects]
            if holding or self.sealer.knows(who):
                return who, holding
        PartyId(text)  # a malformed id is invalid input, not merely unknown
        message = f"no case holds personal data of {text}"
        raise SubjectNotFoundError(message)

    def retention_due(
        self, older_than: RetentionPeriod | str, *, now: datetime | None = None
    ) -> list[RetentionDue]:
        """Closed cases with no contact for longer than `older_than`, with data left to erase.

        Last contact is the case's last recorded event other than an erasure.
        """
        period = older_than if isinstance(older_than, RetentionPeriod) else None
        period = period or RetentionPeriod.parse(cast("str", older_than))
        cutoff = period.before(now or datetime.now(UTC))
        due: list[tuple[MediationCase, datetime]] = []
        not_due: set[str] = set()
        for case, contact in self._all_cases_contacted():
            if case.closed_as is not None and contact < cutoff:
                due.append((case, contact))
            else:
                not_due.update(case.subjects)
        found = []
        for case, contact in due:
            left = [s for s in case.subjects if s not in case.erased]
            erase = tuple(s for s in left if s not in not_due)
            if erase:  # a case whose data is all erased, or all kept for now, is not listed
                kept = tuple(s for s in left if s in not_due)
                values = case.sealed_values()
                clear = sum(v.scheme == LEGACY_CLEAR and v.subject in erase for _, _, v in values)
                found.append(RetentionDue(case.id, case.status, contact, erase, kept, clear))
        return found

    def apply_retention(
        self, older_than: RetentionPeriod | str, *, now: datetime | None = None
    ) -> list[RetentionDue]:
        """Erase the personal data `retention_due` lists (the facts stay, for statistics).

        The deleted keys' old bytes are purged; when a reader elsewhere held them,
        `sealer.purge()` is False until a later call succeeds.
        """
        due = self.retention_due(older_than, now=now)
        if due:
            plan = {item.case_id: list(item.subjects) for item in due}
            subjects = sorted({subject for item in due for subject in item.subjects})
            self._erase(subjects, plan, ReasonCode("retention-period"))
            self.sealer.purge()
        return due

    @_stamped
    def _erase(
        self, subjects: Sequence[str], plan: dict[UUID, list[str]], reason: ReasonCode
    ) -> tuple[set[str], int, int]:
        """Erase `subjects`, recording it on each case of `plan` for its subjects there.

        Returns the keys deleted now, the cases that recorded it, and the values release
        0.1 stored in clear, which deleting keys cannot reach.

        The keys go first, in one go: that is the erasure. Then each case records it, once
        loaded and in one save; a case changed meanwhile is reloaded and retried, and a
        failure after the keys are gone leaves events that running the erasure again records.
        """
        deleted = self.sealer.forget(subjects)
        for attempt in range(_ERASE_TRIES):
            changed, loaded = [], [self._load(case_id) for case_id in plan]
            for case in loaded:
                before = case.version
                for subject in plan[case.id]:
                    case.erase(subject, reason)
                if case.version != before:
                    changed.append(case)
            try:
                if changed:
                    self.save(*changed)
            except ConcurrencyError:
                if attempt == _ERASE_TRIES - 1:
                    raise
                continue
            in_clear = sum(
                value.scheme == LEGACY_CLEAR and value.subject in plan[case.id]
                for case in loaded
                for _, _, value in case.sealed_values()
            )
            return deleted, len(changed), in_clear
        raise AssertionError  # pragma: no cover - the loop returns or raises

    # Queries --------------------------------------------------------------------------------

    def get_case(
        self, case_id: UUID | str, version: int | None = None, *, at: datetime | None = None
    ) -> CaseView:
        """The case now, or as it stood after its event `version` (1 = the request) or at `at`.

        A naive `at` is taken as UTC.
        """
        case = self._load(case_id)
        if at is not None:
            if version is not None:
                raise InvalidInputError("give a version or a time, not both")
            version = self._version_at(case, at)
        if version is not None:
            if (
                isinstance(version, bool)
                or not isinstance(version, int)
                or not 1 <= version <= case.version
            ):
                message = f"version must be between 1 and {case.version}, not {quoted(version)}"
                raise InvalidInputError(message)
            case = self.repository.get(case.id, version=version, projector_func=_project)
        return CaseView.of(case, self.sealer)

    def _version_at(self, case: MediationCase, at: datetime) -> int:
        if not isinstance(at, datetime):
            message = f"invalid time {quoted(at)}: expected a datetime"
            raise InvalidInputError(message)
        moment = at if at.tzinfo else at.replace(tzinfo=UTC)
        version = 0
        for event in self.events.get(case.id):
            if cast("MediationCase.Event", event).timestamp > moment:
                break
            version = event.originator_version
        if version == 0:
            message = f"case {case.id} was requested after {moment.isoformat()}"
            raise InvalidInputError(message)
        return version

    def list_cases(
        self,
        *,
        status: CaseStatus | str | None = None,
        neighbourhood: str | None = None,
        domain: InterventionDomain | str | None = None,
        mediator: str | None = None,
    ) -> list[CaseView]:
        """Cases in the order they were requested, filtered by whatever is given.

        Holds every matching case at once: `iter_cases` streams them instead, and
        `cases_page` hands them out a page at a time.
        """
        return list(
            self.iter_cases(
                status=status, neighbourhood=neighbourhood, domain=domain, mediator=mediator
            )
        )

    def iter_cases(
        self,
        *,
        status: CaseStatus | str | None = None,
        neighbourhood: str | None = None,
        domain: InterventionDomain | str | None = None,
        mediator: str | None = None,
    ) -> Iterator[CaseView]:
        """The cases `list_cases` gives, one page of the store in memory at a time.

        The filters are checked at once, before the first case is read.
        """
        wanted = self._case_filter(status, neighbourhood, domain, mediator)
        pages = _chunks(self._cases_after(wanted, None, _PAGE), _PAGE)
        return (
            view for page in pages for view in CaseView.all_of([c for _, c in page], self.sealer)
        )

    def cases_page(  # noqa: PLR0913 - the filters of list_cases, a cursor and a size
        self,
        *,
        status: CaseStatus | str | None = None,
        neighbourhood: str | None = None,
        domain: InterventionDomain | str | None = None,
        mediator: str | None = None,
        after: str | None = None,
        limit: int = 100,
    ) -> CasePage:
        """Up to `limit` cases of `list_cases`, from the cursor `after` of the page before.

        The page's `after` is the cursor of the next page, None after the last. A case
        requested while a client pages is found on a later page, never twice.
        """
        if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MOST_CASES:
            message = f"limit must be between 1 and {MOST_CASES}, not {quoted(limit)}"
            raise InvalidInputError(message)
        start = _cursor(after)
        wanted = self._case_filter(status, neighbourhood, domain, mediator)
        # One more than asked, if there is one: then there is a next page.
        cases = self._cases_after(wanted, start, min(_PAGE, limit + 1))
        found = list(itertools.islice(cases, limit + 1))
        chosen = found[:limit]
        cursor = str(chosen[-1][0]) if len(found) > limit else None
        return CasePage(tuple(CaseView.all_of([c for _, c in chosen], self.sealer)), cursor)

    def _case_filter(
        self,
        status: CaseStatus | str | None,
        neighbourhood: str | None,
        domain: InterventionDomain | str | None,
        mediator: str | None,
    ) -> _Wanted:
        """The filters, checked now: a wrong one is refused before any case is read."""
        return _Wanted(
            status=None if status is None else CaseStatus.parse(status),
            place=None if neighbourhood is None else self.neighbourhoods.canonical(neighbourhood),
            domain=None if domain is None else InterventionDomain.parse(domain),
            mediator=None if mediator is None else MediatorId(mediator),
        )

    def _cases_after(
        self, wanted: _Wanted, start: int | None, read: int
    ) -> Iterator[tuple[int, MediationCase]]:
        """The wanted cases requested after position `start`, with their requests' positions.

        In request order. Reads the requests alone (eventsourcing's topic filter on the
        notification log), `read` at a time: a request of another place or domain is passed
        over unloaded, any other case is loaded for its status and mediator. Memory holds
        one read, however long the history.
        """
        while page := self.recorder.select_notifications(
            start, read, topics=(_REQUESTED,), inclusive_of_start=False
        ):
            candidates = [
                notification
                for notification in page
                if not wanted.by_request
                or wanted.requested(
                    cast("MediationCase.Requested", self.mapper.to_domain_event(notification))
                )
            ]
            ids = [cast("UUID", n.originator_id) for n in candidates]
            cases = self._load_many(ids)
            for notification, case_id in zip(candidates, ids, strict=True):
                case = cases[case_id]
                if wanted.holds(case):
                    yield notification.id, case
            start = page[-1].id

    def assignment(self, case_id: UUID | str) -> tuple[int, str | None]:
        """The case's version and mediator, without opening any personal value."""
        case = self._load(case_id)
        return case.version, str(case.mediator) if case.mediator else None

    def report(self, period: Period, *, exact: bool = False) -> Report:
        """The activity indicators over `period`, from a fold of the whole history.

        `exact=False` is the partners' view (small counts hidden). Stores keep the facts
        up to date incrementally instead: `mediation_adapters.reporting.ReportView`.
        """
        return Report.of(facts_of(self.history()).values(), period, exact=exact)

    # Internals ------------------------------------------------------------------------------

    def _sealed(
        self, case_id: UUID, facts: Sequence[_PartyFacts], more: Sequence[Sealing] = ()
    ) -> tuple[list[Party], list[Sealed]]:
        """The parties with their values sealed in the case, and `more`, in one key lookup."""
        values = [(pid.value, PARTY_NAME, name) for pid, name, _ in facts]
        values += [(pid.value, PARTY_CONTACT, contact) for pid, _, contact in facts if contact]
        sealed = iter(self.sealer.seal_all(str(case_id), [*values, *more]))
        names = [next(sealed) for _ in facts]
        contacts = [next(sealed) if contact else None for _, _, contact in facts]
        parties = [
            Party(pid, name, contact)
            for (pid, _, _), name, contact in zip(facts, names, contacts, strict=True)
        ]
        return parties, list(sealed)

    def _load(self, case_id: UUID | str, expected_version: int | None = None) -> MediationCase:
        """The case; with `expected_version`, only if it is still at that version."""
        uuid = _case_id(case_id)
        try:
            case: MediationCase = self.repository.get(uuid, projector_func=_project)
        except AggregateNotFoundError:
            message = f"no case {uuid}"
            raise CaseNotFoundError(message) from None
        if expected_version is not None and case.version != expected_version:
            message = (
                f"case {uuid} is at version {case.version}, not {expected_version}: "
                "reload it and decide again"
            )
            raise StaleVersionError(message)
        return case

    def _load_many(self, case_ids: Sequence[UUID]) -> dict[UUID, MediationCase]:
        """The cases, read in one query where the store can (ports.EventsOfMany).

        Elsewhere (or with snapshots on, which a case-by-case load uses), one at a time.
        """
        if self.snapshots is not None or not isinstance(self.recorder, EventsOfMany):
            return {case_id: self._load(case_id) for case_id in case_ids}
        events: dict[UUID, list[MediationCase.Event]] = defaultdict(list)
        for stored in self.recorder.select_events_of(case_ids):
            event = cast("MediationCase.Event", self.mapper.to_domain_event(stored))
            events[event.originator_id].append(event)
        found = {case_id: _project(None, events[case_id]) for case_id in case_ids}
        missing = [str(case_id) for case_id, case in found.items() if case is None]
        if missing:
            message = f"no case {missing[0]}"
            raise CaseNotFoundError(message)
        return cast("dict[UUID, MediationCase]", found)

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

    def history(self) -> Iterator[MediationCase.Event]:
        """Every stored event of every case, in the order recorded (read page by page)."""
        start: int | None = None
        while page := self.recorder.select_notifications(start, _PAGE, inclusive_of_start=False):
            for notification in page:
                yield cast("MediationCase.Event", self.mapper.to_domain_event(notification))
            start = page[-1].id

    def _all_cases(self) -> Iterator[MediationCase]:
        """Fold the whole history once (one sequential read, not a query per case)."""
        return (case for case, _ in self._all_cases_contacted())

    def _all_cases_contacted(self) -> Iterator[tuple[MediationCase, datetime]]:
        """Every case, with the time of its last event other than an erasure."""
        cases: dict[UUID, MediationCase] = {}
        contacted: dict[UUID, datetime] = {}
        for event in self.history():
            case = event.mutate(cases.get(event.originator_id))
            cases[event.originator_id] = cast("MediationCase", case)
            if type(event).__name__ != _ERASED:
                contacted[event.originator_id] = event.timestamp
        return ((case, contacted[case_id]) for case_id, case in cases.items())
