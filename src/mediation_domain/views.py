"""The read model: immutable, plain views of a case, with personal values opened for the reader."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

import attrs

from mediation_domain.case import (
    PARTY_CONTACT,
    PARTY_NAME,
    SUMMARY,
    MediationCase,
    session_notes,
)
from mediation_domain.case_values import Institution
from mediation_domain.privacy import ARCHIVED, ERASED, SEALED, Sealed, Sealer
from mediation_domain.values import (
    CaseStatus,
    ConsentStatus,
    InterventionDomain,
    Outcome,
    ReferralSource,
    SessionKind,
    WithdrawnBy,
)


@attrs.frozen
class PartyView:
    """A party: pseudonymous id (use it in commands), display name, consent, contact.

    For an institution (`institution`, its kind and name, in clear for every reader), the
    name and contact are its representative's, opened as a person's are.
    """

    id: str
    name: str
    consent: ConsentStatus
    contact: str = ""
    institution: Institution | None = None

    @property
    def consents(self) -> bool:
        """True while the party's consent is live."""
        return self.consent is ConsentStatus.GIVEN


@attrs.frozen
class SessionView:
    """A session held."""

    kind: SessionKind
    attendees: tuple[str, ...]
    held_on: date
    notes: str = ""


@attrs.frozen
class CaseView:
    """A case as of one of its versions."""

    case_id: UUID
    version: int
    status: CaseStatus
    domain: InterventionDomain
    neighbourhood: str
    referral: ReferralSource
    summary: str
    parties: tuple[PartyView, ...]
    mediator: str | None
    sessions: tuple[SessionView, ...]
    outcome: Outcome | None
    withdrawn_by: WithdrawnBy | None
    withdrawal_reason: str | None
    requested_at: datetime
    updated_at: datetime
    erased: tuple[str, ...] = ()

    @property
    def consenting(self) -> frozenset[str]:
        """Ids of the parties whose consent is live."""
        return frozenset(party.id for party in self.parties if party.consents)

    @property
    def is_closed(self) -> bool:
        """True once withdrawn or resolved."""
        return self.status in {CaseStatus.WITHDRAWN, CaseStatus.RESOLVED}

    @classmethod
    def of(cls, case: MediationCase, sealer: Sealer, withheld: Collection[UUID] = ()) -> CaseView:
        """The view of `case`, its personal values opened by `sealer` (in one key lookup)."""
        return cls.all_of([case], sealer, withheld)[0]

    @classmethod
    def all_of(
        cls, cases: Sequence[MediationCase], sealer: Sealer, withheld: Collection[UUID] = ()
    ) -> list[CaseView]:
        """The views of `cases`, every personal value opened in one key lookup.

        The values of the cases in `withheld` (archived) are not opened: they read ARCHIVED.
        """
        opened = _Opened(cases, sealer, withheld)
        return [cls._view(case, opened) for case in cases]

    @classmethod
    def _view(cls, case: MediationCase, opened: _Opened) -> CaseView:
        by, reason = case.withdrawal or (None, None)
        return cls(
            case_id=case.id,
            version=case.version,
            status=case.status,
            domain=case.domain,
            neighbourhood=case.neighbourhood,
            referral=case.referral,
            summary=opened[SUMMARY, case.summary],
            parties=tuple(
                PartyView(
                    str(p.id),
                    opened[PARTY_NAME, p.name],
                    case.consents[p.id],
                    opened[PARTY_CONTACT, p.contact],
                    p.institution,
                )
                for p in case.parties.values()
            ),
            mediator=str(case.mediator) if case.mediator else None,
            sessions=tuple(
                SessionView(
                    s.kind,
                    tuple(map(str, s.attendees)),
                    s.held_on,
                    opened[session_notes(n), s.notes],
                )
                for n, s in enumerate(case.sessions, 1)
            ),
            outcome=case.outcome,
            withdrawn_by=by,
            withdrawal_reason=str(reason) if reason else None,
            requested_at=case.created_on,
            updated_at=case.modified_on,
            erased=tuple(sorted(case.erased)),
        )

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (codes for vocabularies, ISO strings for times)."""

        def plain(_: object, __: object, value: Any) -> Any:  # noqa: ANN401
            if isinstance(value, Enum):
                return value.value
            if isinstance(value, UUID):
                return str(value)
            return value.isoformat() if isinstance(value, date) else value

        data = attrs.asdict(self, value_serializer=plain)
        data["consenting"] = sorted(self.consenting)
        return data


class _Opened:
    """The plaintexts of cases' sealed values, opened together.

    An erased subject's values read ERASED; a value sealed for another subject than the
    party (or case) it is attached to was moved there, and reads SEALED unopened.
    """

    def __init__(
        self, cases: Sequence[MediationCase], sealer: Sealer, withheld: Collection[UUID] = ()
    ) -> None:
        readable: list[tuple[str, str, Sealed]] = []
        # By field as well: one value object may stand in two fields (a forged history).
        self._texts: dict[tuple[int, str], str] = {}
        for case in cases:
            for field, owner, value in case.sealed_values():
                if value.subject in case.erased:
                    self._texts[id(value), field] = ERASED
                elif case.id in withheld:
                    self._texts[id(value), field] = ARCHIVED
                elif value.subject != owner:
                    self._texts[id(value), field] = SEALED
                else:
                    readable.append((str(case.id), field, value))
        opened = sealer.open_all(readable)
        for (_, field, value), text in zip(readable, opened, strict=True):
            self._texts[id(value), field] = text

    def __getitem__(self, where: tuple[str, Sealed | None]) -> str:
        field, value = where
        if value is None:
            return ""
        return self._texts[id(value), field]
