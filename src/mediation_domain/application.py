"""Mediations: the application service (commands and queries, simple types in and out)."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any, ClassVar, cast
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import JSONTranscoder, RecordConflictError, Recording, Transcoder

from mediation_domain.case import MediationCase, Party
from mediation_domain.errors import CaseNotFoundError, ConcurrencyError, InvalidInputError
from mediation_domain.privacy import ClearTextSealer, Sealer
from mediation_domain.transcodings import LeanJSONTranscoder, register_value_transcodings
from mediation_domain.values import (
    MAX_NAME_LENGTH,
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

_PAGE = 500


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
    if any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in text):
        message = f"{what} contains control characters"
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
    message = f"invalid session date {value!r}: expected a date or YYYY-MM-DD"
    raise InvalidInputError(message)


def _case_id(value: UUID | str) -> UUID:
    if isinstance(value, UUID):
        return value
    try:
        return UUID(str(value).strip())
    except ValueError:
        message = f"invalid case id {value!r}: expected a UUID"
        raise InvalidInputError(message) from None


class Mediations(Application[UUID]):
    """Records mediation cases; every command is checked against the deontology first.

    `env` is eventsourcing's (the store); neighbourhoods come from the argument, else the
    MEDIATION_NEIGHBOURHOODS setting (comma-separated), else the Poitiers preset.
    """

    name = "Mediations"
    env: ClassVar[dict[str, str]] = {"PERSISTENCE_MODULE": "eventsourcing.popo"}

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        neighbourhoods: Neighbourhoods | Sequence[str] | None = None,
        sealer: Sealer | None = None,
    ) -> None:
        super().__init__(env)
        if neighbourhoods is None:
            configured = self.env.get("MEDIATION_NEIGHBOURHOODS")
            neighbourhoods = Neighbourhoods.from_text(configured) if configured else POITIERS
        elif isinstance(neighbourhoods, str):
            neighbourhoods = Neighbourhoods.from_text(neighbourhoods)
        elif not isinstance(neighbourhoods, Neighbourhoods):
            neighbourhoods = Neighbourhoods((*neighbourhoods,))
        self.neighbourhoods = neighbourhoods
        self.sealer: Sealer = sealer or ClearTextSealer()
        # Called after each save with the last notification id recorded (e.g. to seal).
        self.on_recorded: Callable[[Mediations, int], None] | None = None

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
        """Record the cases' new events atomically; a stale case raises ConcurrencyError."""
        try:
            recordings = super().save(*objs, **kwargs)
        except RecordConflictError:
            ids = ", ".join(str(getattr(obj, "id", "?")) for obj in objs)
            message = f"case {ids} changed meanwhile; reload it and retry"
            raise ConcurrencyError(message) from None
        if self.on_recorded is not None and recordings:
            self.on_recorded(self, max(r.notification.id for r in recordings))
        return recordings

    # Commands -------------------------------------------------------------------------------

    def request_mediation(  # noqa: PLR0913 - a request has this many facts
        self,
        *,
        domain: InterventionDomain | str,
        neighbourhood: str,
        referral: ReferralSource | str,
        parties: Sequence[str],
        summary: str = "",
        party_ids: Sequence[str] | None = None,
    ) -> UUID:
        """Open a case; parties are display names, given pseudonymous ids unless `party_ids`."""
        names = _items(parties, "parties")
        ids = [None] * len(names) if party_ids is None else _items(party_ids, "party ids")
        if len(ids) != len(names):
            raise InvalidInputError("give one party id per party, or none")
        case_id = uuid4()
        case = MediationCase.request(
            case_id=case_id,
            domain=InterventionDomain.parse(domain),
            neighbourhood=self.neighbourhoods.canonical(neighbourhood),
            referral=ReferralSource.parse(referral),
            parties=[
                self._party(name, party_id) for name, party_id in zip(names, ids, strict=True)
            ],
            summary=self.sealer.seal(
                str(case_id),
                _personal_text(summary, "summary", limit=MAX_TEXT_LENGTH, required=False),
            ),
        )
        self.save(case)
        return case_id

    def join_party(self, case_id: UUID | str, *, name: str, party_id: str | None = None) -> str:
        """Add a party to a case; returns its pseudonymous id."""
        party = self._party(name, party_id)
        self._act(case_id, lambda case: case.join(party))
        return str(party.id)

    def assign_mediator(
        self,
        case_id: UUID | str,
        *,
        mediator: str,
        ties: Sequence[str] = (),
        waived_by: Sequence[str] = (),
    ) -> None:
        """Assign a mediator, who declares any tie with a party (`ties`) and the written waivers."""
        mediator_id = MediatorId(mediator)
        declared = [PartyId(p) for p in _items(ties, "ties")]
        waivers = [PartyId(p) for p in _items(waived_by, "waived_by")]
        self._act(case_id, lambda case: case.assign(mediator_id, declared, waivers))

    def withdraw_mediator(self, case_id: UUID | str, *, mediator: str, reason: str) -> None:
        """Record that the assigned mediator refused or withdrew (`reason` is a code)."""
        mediator_id, code = MediatorId(mediator), ReasonCode(reason)
        self._act(case_id, lambda case: case.mediator_withdraws(mediator_id, code))

    def give_consent(self, case_id: UUID | str, *, party: str) -> None:
        """Record a party's free consent."""
        party_id = PartyId(party)
        self._act(case_id, lambda case: case.give_consent(party_id))

    def withdraw_consent(self, case_id: UUID | str, *, party: str) -> None:
        """Record that a party revoked their consent (no reason asked)."""
        party_id = PartyId(party)
        self._act(case_id, lambda case: case.withdraw_consent(party_id))

    def refuse_consent(self, case_id: UUID | str, *, party: str) -> None:
        """Record that a party declined to take part."""
        party_id = PartyId(party)
        self._act(case_id, lambda case: case.refuse_consent(party_id))

    def hold_session(
        self,
        case_id: UUID | str,
        *,
        kind: SessionKind | str,
        attendees: Sequence[str],
        held_on: date | str | None = None,
    ) -> None:
        """Record a session (today unless `held_on`)."""
        session_kind = SessionKind.parse(kind)
        present = [PartyId(p) for p in _items(attendees, "attendees")]
        day = date.today() if held_on is None else _day(held_on)  # noqa: DTZ011 - local day
        self._act(case_id, lambda case: case.hold_session(session_kind, present, day))

    def withdraw(self, case_id: UUID | str, *, by: WithdrawnBy | str, reason: str) -> None:
        """End a mediation before its resolution (`by` party, mediator or service)."""
        who, code = WithdrawnBy.parse(by), ReasonCode(reason)
        self._act(case_id, lambda case: case.withdraw(who, code))

    def resolve(self, case_id: UUID | str, *, outcome: Outcome | str) -> None:
        """End a mediation with its outcome."""
        result = Outcome.parse(outcome)
        self._act(case_id, lambda case: case.resolve(result))

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
                message = f"version must be between 1 and {case.version}, not {version!r}"
                raise InvalidInputError(message)
            case = self.repository.get(case.id, version=version)
        return CaseView.of(case, self.sealer)

    def _version_at(self, case: MediationCase, at: datetime) -> int:
        if not isinstance(at, datetime):
            message = f"invalid time {at!r}: expected a datetime"
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
        """Cases in the order they were requested, filtered by whatever is given."""
        wanted: list[Callable[[MediationCase], bool]] = []
        if status is not None:
            wanted_status = CaseStatus.parse(status)
            wanted.append(lambda case: case.status is wanted_status)
        if neighbourhood is not None:
            wanted_place = self.neighbourhoods.canonical(neighbourhood)
            wanted.append(lambda case: case.neighbourhood == wanted_place)
        if domain is not None:
            wanted_domain = InterventionDomain.parse(domain)
            wanted.append(lambda case: case.domain is wanted_domain)
        if mediator is not None:
            wanted_mediator = MediatorId(mediator)
            wanted.append(lambda case: case.mediator == wanted_mediator)
        return [
            CaseView.of(case, self.sealer)
            for case in self._all_cases()
            if all(test(case) for test in wanted)
        ]

    # Internals ------------------------------------------------------------------------------

    def _party(self, name: str, party_id: str | None) -> Party:
        pid = PartyId(party_id) if party_id is not None else PartyId(f"p-{uuid4().hex[:10]}")
        text = _personal_text(name, "party name", limit=MAX_NAME_LENGTH, required=True)
        return Party(pid, self.sealer.seal(pid.value, text))

    def _load(self, case_id: UUID | str) -> MediationCase:
        uuid = _case_id(case_id)
        try:
            case: MediationCase = self.repository.get(uuid)
        except AggregateNotFoundError:
            message = f"no case {uuid}"
            raise CaseNotFoundError(message) from None
        return case

    def _act(self, case_id: UUID | str, command: Callable[[MediationCase], None]) -> None:
        case = self._load(case_id)
        command(case)
        self.save(case)

    def history(self) -> Iterator[MediationCase.Event]:
        """Every stored event of every case, in the order recorded (read page by page)."""
        start: int | None = None
        while page := self.recorder.select_notifications(start, _PAGE, inclusive_of_start=False):
            for notification in page:
                yield cast("MediationCase.Event", self.mapper.to_domain_event(notification))
            start = page[-1].id

    def _all_cases(self) -> Iterator[MediationCase]:
        """Fold the whole history once (one sequential read, not a query per case)."""
        cases: dict[UUID, MediationCase] = {}
        for event in self.history():
            case = event.mutate(cases.get(event.originator_id))
            cases[event.originator_id] = cast("MediationCase", case)
        return iter(cases.values())
